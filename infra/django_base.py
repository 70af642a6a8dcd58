"""Settings both Django projects share (each project's settings module imports these names)."""

from __future__ import annotations

from datetime import timedelta

from corsheaders.defaults import default_headers

from infra.environment import env, env_bool, env_int
from infra.keys import required_key

# No committed default: a missing or short key stops the process (see infra.keys).
SECRET_KEY = required_key("SECRET_KEY", env("SECRET_KEY"))
DEBUG = env_bool("DEBUG")
ALLOWED_HOSTS = [h.strip() for h in (env("ALLOWED_HOSTS") or "*").split(",") if h.strip()]
USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en"
USE_I18N = False
APPEND_SLASH = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
MAX_BODY_BYTES = env_int("MAX_BODY_BYTES")
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_BODY_BYTES
STATIC_URL = "/static/"
# The API docs page loads Swagger UI from the sidecar package, served locally (no CDN).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = False
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
MIN_POSITION_WAIT_SECONDS = float(env("MIN_POSITION_WAIT_SECONDS") or "2")

REDIS_URL = env("REDIS_URL") or "redis://127.0.0.1:6379/0"

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "TIMEOUT": 300,
    }
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=30),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=7),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": required_key("JWT_SIGNING_KEY", env("JWT_SIGNING_KEY") or SECRET_KEY),
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
}


def rest_framework_settings(*, authentication: str) -> dict:
    return {
        "DEFAULT_RENDERER_CLASSES": ["api_conventions.renderers.EnvelopeJSONRenderer"],
        "DEFAULT_PARSER_CLASSES": ["api_conventions.parsers.StrictJSONParser"],
        "DEFAULT_AUTHENTICATION_CLASSES": [authentication],
        "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
        "EXCEPTION_HANDLER": "api_conventions.exception_handler.handle_exception",
        "DEFAULT_SCHEMA_CLASS": "api_conventions.schema.EnvelopeAutoSchema",
        "DEFAULT_THROTTLE_CLASSES": [
            "api_conventions.throttling.AnonThrottle",
            "api_conventions.throttling.UserThrottle",
        ],
        # Clients connect to gunicorn directly: the throttle identity is the peer address, never a
        # client-supplied X-Forwarded-For (which would let anyone dodge the anonymous rate).
        "NUM_PROXIES": 0,
        "DEFAULT_THROTTLE_RATES": {
            "anon": env("THROTTLE_ANON"),
            "user": env("THROTTLE_USER"),
            "auth": env("THROTTLE_AUTH"),
        },
        "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    }


def spectacular_settings(*, title: str, description: str) -> dict:
    return {
        "TITLE": title,
        "DESCRIPTION": description,
        "VERSION": "1.0.0",
        "SERVE_INCLUDE_SCHEMA": False,
        "SWAGGER_UI_DIST": "SIDECAR",
        "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
        "REDOC_DIST": "SIDECAR",
        "COMPONENT_SPLIT_REQUEST": True,
        "SCHEMA_PATH_PREFIX": r"/api/v1",  # operations are tagged by the segment after it: auth, services...
        # Enums stay inline where declared: hoisting them into components named after the field collides
        # (a service's `status` is not a booking's) and warned on every schema fetch.
        "POSTPROCESSING_HOOKS": ["api_conventions.deprecation.mark_in_schema"],
    }


def logging_settings() -> dict:
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "api_conventions.request_context.RequestIdLogFilter"},
                    "outage": {"()": "infra.outage_logging.OutageFilter"}},
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"},
        },
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["request_id", "outage"]},
        },
        "root": {"handlers": ["console"], "level": env("LOG_LEVEL") or "INFO"},
        "loggers": {"django.request": {"level": "ERROR"}, "django.server": {"level": "WARNING"}},
    }


# Every answer says: never render me in a frame, never sniff my content type.
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

# CORS (django-cors-headers): browsers on these origins may call both APIs. A preflight is answered by
# the middleware itself, before any authentication; every answer (errors included) carries the headers.
CORS_ALLOWED_ORIGINS = [o.strip() for o in (env("CORS_ALLOWED_ORIGINS") or "").split(",") if o.strip()]
CORS_ALLOW_HEADERS = (*default_headers, "idempotency-key", "x-min-position", "x-request-id")
CORS_EXPOSE_HEADERS = ("X-Event-Position", "X-Projection-Position", "X-Request-ID", "Idempotent-Replayed",
                       "Deprecation", "Sunset", "Link", "Retry-After")
CORS_PREFLIGHT_MAX_AGE = 600

COMMON_MIDDLEWARE = [
    "api_conventions.request_context.RequestIdMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "api_conventions.deprecation.DeprecationMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "api_conventions.middleware.BodySizeLimitMiddleware",
    "django.middleware.common.CommonMiddleware",
]
