from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "write_api.reviews"
    label = "reviews"
