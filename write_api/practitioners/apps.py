from django.apps import AppConfig


class PractitionersConfig(AppConfig):
    name = "write_api.practitioners"
    label = "practitioners"
