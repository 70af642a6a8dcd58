"""The read API's paths, answered the conventional way."""

from django.urls import path

from bench.django_orm import views

urlpatterns = [
    path("api/v1/search/", views.SearchView.as_view()),
    path("api/v1/search/suggestions/", views.SuggestionsView.as_view()),
    path("api/v1/services/", views.ServiceListView.as_view()),
    path("api/v1/services/<uuid:pk>/", views.ServiceDetailView.as_view()),
    path("api/v1/services/<uuid:pk>/time-slots/", views.TimeSlotsView.as_view()),
    path("api/v1/practitioner/analytics/revenue/", views.RevenueView.as_view()),
    path("api/v1/practitioner/analytics/clients/", views.ClientsView.as_view()),
    path("api/v1/practitioner/analytics/bookings/trends/", views.TrendsView.as_view()),
    path("health/", views.health),
]
