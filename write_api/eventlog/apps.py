from django.apps import AppConfig


class EventLogConfig(AppConfig):
    name = "write_api.eventlog"
    label = "eventlog"
