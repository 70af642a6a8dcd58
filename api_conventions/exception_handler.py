"""The one exception handler of both APIs: every error becomes an envelope, transactions roll back.

Everything a DRF view raises ends here; errors outside DRF views (unknown routes, middleware) are
rendered by the ``handler404``/``handler500`` views of :mod:`api_conventions.middleware`, which use
the same envelope.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError, InterfaceError, OperationalError
from django.http import Http404
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from api_conventions.envelope import error_body
from api_conventions.errors import ApplicationError, Conflict, PayloadTooLarge, ServiceUnavailable, ValidationFailed
from kernel.vocabulary import ErrorCode

log = logging.getLogger("api.errors")

_DRF_CODES: tuple[tuple[type[drf.APIException], str], ...] = (
    (drf.ParseError, ErrorCode.MALFORMED_REQUEST),
    (drf.UnsupportedMediaType, ErrorCode.UNSUPPORTED_MEDIA_TYPE),
    (drf.NotAuthenticated, ErrorCode.NOT_AUTHENTICATED),
    (drf.AuthenticationFailed, ErrorCode.NOT_AUTHENTICATED),
    (drf.PermissionDenied, ErrorCode.PERMISSION_DENIED),
    (drf.NotFound, ErrorCode.NOT_FOUND),
    (drf.MethodNotAllowed, ErrorCode.METHOD_NOT_ALLOWED),
    (drf.NotAcceptable, ErrorCode.NOT_ACCEPTABLE),
    (drf.Throttled, ErrorCode.THROTTLED),
)


def _flatten_detail(detail: Any) -> Any:
    if isinstance(detail, dict):
        return {str(k): _flatten_detail(v) for k, v in detail.items()}
    if isinstance(detail, list | tuple):
        return [_flatten_detail(v) for v in detail]
    return str(detail)


def _message_of(exc: drf.APIException) -> str:
    detail: Any = exc.detail
    if isinstance(detail, dict):  # simplejwt: {"detail": ..., "code": ..., "messages": [...]}
        detail = detail.get("detail", exc.default_detail)
    elif isinstance(detail, list):
        detail = detail[0] if detail else exc.default_detail
    return str(detail)


def _translate(exc: Exception) -> Exception:
    """Framework and driver exceptions that are not bugs, as the error they stand for."""
    if isinstance(exc, Http404):
        return drf.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return drf.PermissionDenied()
    if isinstance(exc, RequestDataTooBig):
        return PayloadTooLarge()
    if isinstance(exc, SuspiciousOperation):
        return ApplicationError("Bad request.", code=ErrorCode.BAD_REQUEST)
    if isinstance(exc, DjangoValidationError):
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return ValidationFailed(errors=errors)
    if isinstance(exc, DataError):  # a value the database cannot hold (too long, out of range)
        log.warning("database refused a value: %s", exc)
        return ValidationFailed("A value is out of range or too long.")
    if isinstance(exc, IntegrityError):  # a race that no command mapped to a specific conflict
        log.warning("integrity error: %s", exc)
        return Conflict()
    if isinstance(exc, OperationalError | InterfaceError | RedisConnectionError | RedisTimeoutError):
        log.exception("dependency unavailable", exc_info=exc)
        return ServiceUnavailable()
    return exc


def handle_exception(exc: Exception, context: dict[str, Any]) -> Response:
    set_rollback()
    exc = _translate(exc)
    if isinstance(exc, ApplicationError):
        return Response(error_body(code=exc.code, message=exc.message, errors=exc.errors),
                        status=exc.status_code)
    response = drf_exception_handler(exc, context)
    if response is None:
        log.error("unhandled error", exc_info=exc)
        return Response(error_body(code=ErrorCode.SERVER_ERROR, message="Internal server error."), status=500)
    assert isinstance(exc, drf.APIException)
    if isinstance(exc, drf.ValidationError):
        detail = _flatten_detail(exc.detail)
        errors = detail if isinstance(detail, dict) else {"non_field_errors": detail}
        response.data = error_body(code=ErrorCode.VALIDATION_ERROR, message="Invalid input.", errors=errors)
        return response
    code = next((name for klass, name in _DRF_CODES if isinstance(exc, klass)), exc.default_code)
    errors = {}
    wait = getattr(exc, "wait", None)  # set by drf.Throttled; its stubs do not declare it
    if isinstance(exc, drf.Throttled) and wait is not None:
        errors = {"retry_after_seconds": math.ceil(wait)}
    response.data = error_body(code=code, message=_message_of(exc), errors=errors)
    return response
