"""Settings of the write API (Django + DRF over PostgreSQL)."""

from __future__ import annotations

import dj_database_url

from infra.django_base import *  # noqa: F403
from infra.django_base import (
    COMMON_MIDDLEWARE,
    logging_settings,
    rest_framework_settings,
    spectacular_settings,
)
from infra.environment import database_url, env

ROOT_URLCONF = "write_api.urls"
WSGI_APPLICATION = "write_api.wsgi.application"
AUTH_USER_MODEL = "accounts.User"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "write_api.accounts",
    "write_api.eventlog",
    "write_api.practitioners",
    "write_api.catalogue",
    "write_api.scheduling",
    "write_api.bookings",
    "write_api.streams",
    "write_api.favorites",
    "write_api.reviews",
    "write_api.notifications",
    "write_api.credits",
]

MIDDLEWARE = [
    "write_api.observability.WriteMetricsMiddleware",
    *COMMON_MIDDLEWARE,
    "write_api.eventlog.middleware.EventPositionMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

try:
    _db_url = database_url()
except RuntimeError:
    _db_url = "postgresql://postgres@127.0.0.1:5432/marketplace"
DATABASES = {"default": dj_database_url.parse(_db_url, conn_max_age=60, conn_health_checks=True)}

REST_FRAMEWORK = rest_framework_settings(
    authentication="api_conventions.authentication.CheckedJWTAuthentication"
)
SPECTACULAR_SETTINGS = spectacular_settings(
    title="Wellness marketplace — write API",
    description="Commands and the caller's own data. Every write answers with `X-Event-Position`.",
)
LOGGING = logging_settings()

CELERY_BROKER_URL = env("CELERY_BROKER_URL") or REDIS_URL  # noqa: F405
EVENT_DISPATCH = env("EVENT_DISPATCH") or "celery"
