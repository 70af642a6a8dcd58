from django.apps import AppConfig


class CatalogueConfig(AppConfig):
    name = "write_api.catalogue"
    label = "catalogue"
