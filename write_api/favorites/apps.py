from django.apps import AppConfig


class FavoritesConfig(AppConfig):
    name = "write_api.favorites"
    label = "favorites"
