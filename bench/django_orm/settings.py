"""Settings of the conventional baseline: the write models, DRF defaults, JWT, a Redis cache."""

from __future__ import annotations

import dj_database_url

from infra.django_base import *  # noqa: F403
from infra.django_base import logging_settings
from infra.environment import database_url, env
from write_api import settings as write_settings

_NOT_NEEDED = {"django.contrib.admin", "django.contrib.sessions", "django.contrib.messages",
               "django.contrib.staticfiles", "drf_spectacular", "drf_spectacular_sidecar"}

ROOT_URLCONF = "bench.django_orm.urls"
WSGI_APPLICATION = "bench.django_orm.wsgi.application"
AUTH_USER_MODEL = "accounts.User"

# The write models (the apps of the write API), without its admin, sessions and schema tooling.
INSTALLED_APPS = [
    *(app for app in write_settings.INSTALLED_APPS if app not in _NOT_NEEDED),
    "django.contrib.postgres",
    "bench.django_orm.apps.DjangoOrmBaselineConfig",
]
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
DATABASES = {"default": dj_database_url.parse(database_url(), conn_max_age=600, conn_health_checks=True)}
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework_simplejwt.authentication.JWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.AnonRateThrottle",
                                 "rest_framework.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"anon": env("THROTTLE_ANON"), "user": env("THROTTLE_USER")},
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "URL_FORMAT_OVERRIDE": None,  # ``format`` is a service filter here, not a renderer choice
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
ANALYTICS_CACHE_SECONDS = 300  # the customer's plan: practitioner stats cached for 5 minutes
LOGGING = logging_settings()
