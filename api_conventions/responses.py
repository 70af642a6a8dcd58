"""Shortcuts that return DRF responses already in the envelope."""

from __future__ import annotations

from typing import Any

from rest_framework.response import Response

from api_conventions.envelope import success_body


def ok(data: Any = None, *, status: int = 200, message: str = "OK", meta: dict[str, Any] | None = None,
       headers: dict[str, str] | None = None) -> Response:
    return Response(success_body(data, message=message, meta=meta), status=status, headers=headers)


def created(data: Any, *, message: str = "Created.") -> Response:
    return ok(data, status=201, message=message)


def no_content() -> Response:
    return Response(status=204)
