from django.apps import AppConfig


class CreditsConfig(AppConfig):
    name = "write_api.credits"
    label = "credits"
