"""Routes only tests need, added to each API's real URLconf by ``tests.urls_write_extra`` and
``tests.urls_read_extra``: a DRF view and a plain Django view that raise an unhandled exception (the
answer must be a 500 envelope without the traceback), a DRF view validating a body with a
``StrictInput`` (so the read API's body handling is exercised, although its real routes are all
GETs) and a view that logs a line.
"""

from __future__ import annotations

import logging

from django.core.exceptions import DisallowedHost
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path
from redis.exceptions import ConnectionError as RedisConnectionError
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api_conventions.deprecation import Deprecated
from api_conventions.errors import NotFound
from api_conventions.responses import ok
from api_conventions.serializers import StrictInput

SECRET = "secret-internal-detail-4f1c"
log = logging.getLogger("tests.extra")


class ExplodingApi(APIView):
    def get(self, request: Request) -> Response:
        raise RuntimeError(f"{SECRET}: the view failed")


def exploding_view(request: HttpRequest) -> HttpResponse:
    raise RuntimeError(f"{SECRET}: the plain view failed")


FAILURES = {
    "integrity": lambda: IntegrityError(f"{SECRET}: duplicate key value violates unique constraint"),
    "data": lambda: DataError(f"{SECRET}: value too long for type character varying(10)"),
    "database_down": lambda: OperationalError(f"{SECRET}: connection refused"),
    "redis_down": lambda: RedisConnectionError(f"{SECRET}: Error 111 connecting"),
    "django_validation": lambda: DjangoValidationError({"start_at": ["Must be in the future."]}),
    "suspicious": lambda: DisallowedHost(f"{SECRET}: invalid HTTP_HOST header"),
    "http404": lambda: Http404(f"{SECRET}: no such row"),
    "django_permission": lambda: DjangoPermissionDenied(f"{SECRET}: not yours"),
}


class FailingApi(APIView):
    """Raises the exception named in the URL: framework and driver errors that are not bugs."""

    def get(self, request: Request, kind: str) -> Response:
        raise FAILURES[kind]()


class EchoApi(APIView):
    class Input(StrictInput):
        name = serializers.CharField(max_length=20)
        count = serializers.IntegerField(min_value=0, max_value=100)
        tags = serializers.ListField(child=serializers.CharField(max_length=10), max_length=3, required=False)
        starts_at = serializers.DateTimeField(required=False)

    def post(self, request: Request) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        return ok(data.validated_data)


class LoggingApi(APIView):
    def get(self, request: Request) -> Response:
        log.warning("inside the request")
        return ok({"logged": True})


class RetiredApi(APIView):
    """A deprecated endpoint with a deprecated parameter, for the deprecation mechanism's own tests."""

    deprecations = (Deprecated.endpoint("/test/retired/", replacement="`/test/echo/`"),
                    Deprecated.parameter("legacy", replacement="`modern`", methods=("GET",)))

    def get(self, request: Request) -> Response:
        if request.GET.get("missing"):
            raise NotFound("Nothing here.")
        return ok({"legacy": request.GET.get("legacy")})


extra = [
    path("test/retired/", RetiredApi.as_view()),
    path("test/explode/drf/", ExplodingApi.as_view()),
    path("test/explode/django/", exploding_view),
    path("test/fail/<str:kind>/", FailingApi.as_view()),
    path("test/echo/", EchoApi.as_view()),
    path("test/log/", LoggingApi.as_view()),
]
