from django.apps import AppConfig


class StreamsConfig(AppConfig):
    name = "write_api.streams"
    label = "streams"
