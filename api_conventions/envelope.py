"""The response envelope of SPEC §3, built in one place."""

from __future__ import annotations

from typing import Any

ENVELOPE_KEYS = frozenset({"status", "data", "message", "errors", "meta"})


def success_body(data: Any = None, *, message: str = "OK", meta: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"status": "success", "data": data if data is not None else {}, "message": message,
            "errors": {}, "meta": meta or {}}


def error_body(*, code: str, message: str, errors: dict[str, Any] | None = None,
               meta: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"status": "error", "data": None, "message": message, "errors": errors or {}, "code": code,
            "meta": meta or {}}


def is_envelope(body: Any) -> bool:
    return isinstance(body, dict) and body.get("status") in ("success", "error") and body.keys() >= ENVELOPE_KEYS
