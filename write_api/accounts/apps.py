from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "write_api.accounts"
    label = "accounts"
