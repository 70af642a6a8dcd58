from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from api_conventions import health, middleware
from api_conventions.metrics import metrics_view
from write_api.accounts import views as accounts
from write_api.catalogue import views as catalogue
from write_api.health import CHECKS
from write_api.practitioners import views as practitioners
from write_api.scheduling import views as scheduling

api_v1 = [
    path("auth/register/", accounts.RegisterApi.as_view()),
    path("auth/login/", accounts.LoginApi.as_view()),
    path("auth/token/refresh/", accounts.RefreshApi.as_view()),
    path("auth/me/", accounts.MeApi.as_view()),
    path("practitioners/", practitioners.PractitionerCreateApi.as_view()),
    path("practitioners/<uuid:practitioner_id>/", practitioners.PractitionerDetailApi.as_view()),
    path("services/", catalogue.ServiceCreateApi.as_view()),
    path("services/<uuid:service_id>/", catalogue.ServiceDetailApi.as_view()),
    path("services/<uuid:service_id>/sessions/", catalogue.SessionListApi.as_view()),
    path("services/<uuid:service_id>/sessions/<uuid:session_id>/", catalogue.SessionDetailApi.as_view()),
    path("practitioner/schedule/", scheduling.ScheduleApi.as_view()),
    path("practitioner/schedule/overrides/", scheduling.OverrideApi.as_view()),
    path("practitioner/schedule/block/", scheduling.BlockCreateApi.as_view()),
    path("practitioner/schedule/blocks/", scheduling.BlockListApi.as_view()),
    path("practitioner/schedule/blocks/<uuid:block_id>/", scheduling.BlockDetailApi.as_view()),
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("health/", health.liveness),
    path("health/ready/", health.readiness_view(CHECKS)),
    path("metrics", metrics_view),
    path("admin/", admin.site.urls),
]

handler400 = middleware.bad_request
handler403 = middleware.permission_denied
handler404 = middleware.not_found
handler500 = middleware.server_error

