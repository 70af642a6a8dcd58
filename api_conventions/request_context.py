"""Request ids: taken from ``X-Request-ID`` or generated, put on every log record and response.

The id stays current from the middleware until Django sends ``request_finished`` (after the
response is closed), so the records Django itself logs for a request (``django.request`` errors,
which are emitted outside the middleware chain) carry it too. Every log record gets a
``request_id`` attribute (``-`` outside a request) through the log-record factory, whatever handler
formats it; :class:`RequestIdLogFilter` does the same for handlers configured with it.
"""

from __future__ import annotations

import contextvars
import logging
import re
import uuid
from collections.abc import Callable
from typing import Any

from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponse

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
_VALID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def current_request_id() -> str | None:
    return request_id_var.get()


class RequestIdLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", "-") == "-":
            record.request_id = request_id_var.get() or "-"
        return True


_base_record_factory: Callable[..., logging.LogRecord] | None = None


def _record_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
    assert _base_record_factory is not None
    record = _base_record_factory(*args, **kwargs)
    record.request_id = request_id_var.get() or "-"
    return record


def install_log_record_factory() -> None:
    """Give every log record a ``request_id`` attribute (idempotent)."""
    global _base_record_factory
    if logging.getLogRecordFactory() is _record_factory:
        return
    _base_record_factory = logging.getLogRecordFactory()
    logging.setLogRecordFactory(_record_factory)


def _forget_request_id(**kwargs: Any) -> None:
    request_id_var.set(None)


request_finished.connect(_forget_request_id, dispatch_uid="api_conventions.request_id")


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        install_log_record_factory()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _VALID.fullmatch(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]  # ours, on Django's request
        request_id_var.set(request_id)  # cleared on request_finished, see the module docstring
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response
