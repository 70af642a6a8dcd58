from django.apps import AppConfig


class ReferenceConfig(AppConfig):
    name = "write_api.reference"
    label = "reference"
