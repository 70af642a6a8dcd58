"""Middleware both APIs install: body size limit and JSON envelopes outside DRF views."""

from __future__ import annotations

import logging
from collections.abc import Callable

import orjson
from django.conf import settings
from django.http import HttpRequest, HttpResponse

from api_conventions.envelope import error_body

log = logging.getLogger("api.errors")


def envelope_response(status: int, code: str, message: str, errors: dict | None = None) -> HttpResponse:
    body = orjson.dumps(error_body(code=code, message=message, errors=errors))
    return HttpResponse(body, status=status, content_type="application/json")


class BodySizeLimitMiddleware:
    """Refuse oversize bodies from the declared length before anything reads them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        raw = request.META.get("CONTENT_LENGTH") or "0"
        try:
            length = int(raw)
        except ValueError:
            length = -1
        if length < 0:
            return envelope_response(400, "malformed_request", "Content-Length is not a non-negative number.")
        if length > settings.MAX_BODY_BYTES:
            return envelope_response(413, "payload_too_large",
                                     f"The request body exceeds {settings.MAX_BODY_BYTES} bytes.")
        return self.get_response(request)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return envelope_response(404, "not_found", f"No route matches {request.path}.")


def server_error(request: HttpRequest) -> HttpResponse:
    return envelope_response(500, "server_error", "Internal server error.")


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return envelope_response(400, "bad_request", "Bad request.")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return envelope_response(403, "permission_denied", "Permission denied.")
