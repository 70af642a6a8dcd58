from django.urls import path

from api_conventions.urls import api_urlpatterns, handler400, handler403, handler404, handler500
from read_models.analytics import views as analytics
from read_models.catalogue import views as catalogue
from read_models.catalogue.time_slots import TimeSlotsApi
from read_models.engagement import views as engagement
from read_models.health import CHECKS
from read_models.operations.views import ProjectionsApi
from read_models.search import views as search
from read_models.search.views import SearchApi

api_v1 = [
    path("search/", SearchApi.as_view()),
    path("search/suggestions/", search.SuggestionsApi.as_view()),
    path("services/", search.ServiceBrowseApi.as_view()),
    path("practitioners/<uuid:practitioner_id>/", search.PractitionerProfileApi.as_view()),
    path("services/<uuid:service_id>/", catalogue.ServiceDetailApi.as_view()),
    path("services/<uuid:service_id>/time-slots/", TimeSlotsApi.as_view()),
    path("projections/", ProjectionsApi.as_view()),
    path("reviews/", engagement.ReviewListApi.as_view()),
    path("streams/", engagement.StreamListApi.as_view()),
    path("streams/<uuid:stream_id>/", engagement.StreamDetailApi.as_view()),
    path("practitioner/analytics/revenue/", analytics.RevenueApi.as_view()),
    path("practitioner/analytics/clients/", analytics.ClientsApi.as_view()),
    path("practitioner/analytics/bookings/trends/", analytics.BookingTrendsApi.as_view()),
]

urlpatterns = [
    *api_urlpatterns(api_v1=api_v1, readiness_checks=CHECKS),
]

__all__ = ["urlpatterns", "handler400", "handler403", "handler404", "handler500"]
