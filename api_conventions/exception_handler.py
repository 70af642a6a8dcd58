"""The one exception handler of both APIs: every error becomes an envelope, transactions roll back."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from api_conventions.envelope import error_body
from api_conventions.errors import ApplicationError

log = logging.getLogger("api.errors")

_DRF_CODES: dict[type[drf.APIException], tuple[str, str | None]] = {
    drf.ParseError: ("malformed_request", None),
    drf.UnsupportedMediaType: ("unsupported_media_type", None),
    drf.NotAuthenticated: ("not_authenticated", None),
    drf.AuthenticationFailed: ("not_authenticated", None),
    drf.PermissionDenied: ("permission_denied", None),
    drf.NotFound: ("not_found", None),
    drf.MethodNotAllowed: ("method_not_allowed", None),
    drf.NotAcceptable: ("not_acceptable", None),
    drf.Throttled: ("throttled", None),
}


def _flatten_detail(detail: Any) -> Any:
    if isinstance(detail, dict):
        return {str(k): _flatten_detail(v) for k, v in detail.items()}
    if isinstance(detail, list):
        return [_flatten_detail(v) for v in detail]
    return str(detail)


def handle_exception(exc: Exception, context: dict[str, Any]) -> Response:
    set_rollback()
    if isinstance(exc, ApplicationError):
        return Response(error_body(code=exc.code, message=exc.message, errors=exc.errors),
                        status=exc.status_code)
    if isinstance(exc, RequestDataTooBig):
        return Response(error_body(code="payload_too_large", message="The request body is too large."),
                        status=413)
    if isinstance(exc, Http404):
        exc = drf.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        log.exception("unhandled error", exc_info=exc)
        return Response(error_body(code="server_error", message="Internal server error."), status=500)
    if isinstance(exc, drf.ValidationError):
        detail = _flatten_detail(exc.detail)
        errors = detail if isinstance(detail, dict) else {"non_field_errors": detail}
        response.data = error_body(code="validation_error", message="Invalid input.", errors=errors)
        return response
    code = "error"
    for klass, (name, _) in _DRF_CODES.items():
        if isinstance(exc, klass):
            code = name
            break
    message = _flatten_detail(getattr(exc, "detail", "")) if hasattr(exc, "detail") else str(exc)
    if not isinstance(message, str):
        message = str(message)
    if isinstance(exc, drf.Throttled) and exc.wait is not None:
        response.data = error_body(code=code, message=message, errors={"retry_after_seconds": int(exc.wait)})
    else:
        response.data = error_body(code=code, message=message)
    return response
