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


def deleted(object_id: Any, *, message: str = "Deleted.", **extra: Any) -> Response:
    """What every DELETE answers when the object is gone: 200, ``data: {"id": …, "deleted": true}``.

    (A DELETE whose object lives on — an archived service or stream, a cancelled session, an unlike —
    answers 200 with the object's new state instead; no DELETE answers 204 without an envelope.)"""
    return ok({**extra, "id": str(object_id), "deleted": True}, message=message)
