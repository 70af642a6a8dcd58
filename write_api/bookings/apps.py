from django.apps import AppConfig


class BookingsConfig(AppConfig):
    name = "write_api.bookings"
    label = "bookings"
