from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "write_api.notifications"
    label = "notifications"
