from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "write_api.scheduling"
    label = "scheduling"
