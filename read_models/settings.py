"""Settings of the read API. No database: every answer comes from a read model."""

from __future__ import annotations

from infra.django_base import *  # noqa: F403
from infra.django_base import (
    COMMON_MIDDLEWARE,
    logging_settings,
    rest_framework_settings,
    spectacular_settings,
)

ROOT_URLCONF = "read_models.urls"
WSGI_APPLICATION = "read_models.wsgi.application"

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
]

MIDDLEWARE = ["read_models.observability.ReadMetricsMiddleware", *COMMON_MIDDLEWARE]

TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [], "APP_DIRS": True,
              "OPTIONS": {"context_processors": ["django.template.context_processors.request"]}}]

DATABASES: dict = {}

REST_FRAMEWORK = rest_framework_settings(
    authentication="api_conventions.authentication.CheckedStatelessJWTAuthentication"
)
SPECTACULAR_SETTINGS = spectacular_settings(
    title="Wellness marketplace — read API",
    description="Search, catalogue, time slots and analytics served from read models. Every response carries "
    "`X-Projection-Position`; send `X-Min-Position` to read your own writes.",
)
LOGGING = logging_settings()
