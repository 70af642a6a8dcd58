"""The routes both APIs expose around their own ``/api/v1/``: schema, docs, health, metrics, error handlers.

Each API's ``urls.py`` calls :func:`api_urlpatterns` and re-exports the ``handler*`` names, which
Django looks up on the root URLconf.
"""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from api_conventions import health, middleware
from api_conventions.docs import LocalRedocView
from api_conventions.metrics import metrics_view

handler400 = middleware.bad_request
handler403 = middleware.permission_denied
handler404 = middleware.not_found
handler500 = middleware.server_error


def api_urlpatterns(*, api_v1: list[Any], readiness_checks: dict[str, health.Check]) -> list[URLPattern | URLResolver]:
    return [
        path("api/v1/", include(api_v1)),
        path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
        path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
        path("api/redoc/", LocalRedocView.as_view(url_name="schema"), name="redoc"),
        path("health/", health.liveness),
        path("health/ready/", health.readiness_view(readiness_checks)),
        path("metrics", metrics_view),
    ]
