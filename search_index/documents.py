"""What a search document holds, built from events (pure functions, shared by every engine).

A service document denormalises its practitioner's name and active flag; ``visible`` is the SPEC §4
rule (active service of an active practitioner) evaluated at projection time, so queries filter on
one field.
"""

from __future__ import annotations

from typing import Any

SEARCHABLE_TEXT = ("title", "description", "practitioner_name")


def practitioner_document(payload: dict[str, Any], position: int) -> dict[str, Any]:
    return {
        "id": payload["practitioner_id"],
        "kind": "practitioner",
        "title": payload["display_name"],
        "description": " ".join(p for p in (payload.get("title", ""), payload.get("bio", "")) if p),
        "practitioner_id": payload["practitioner_id"],
        "practitioner_name": payload["display_name"],
        "practitioner_active": bool(payload["is_active"]),
        "timezone": payload.get("timezone", "UTC"),
        "visible": bool(payload["is_active"]),
        "version": position,
    }


def service_document(payload: dict[str, Any], practitioner: dict[str, Any] | None, position: int) -> dict[str, Any]:
    practitioner_active = bool(practitioner and practitioner["practitioner_active"])
    return {
        "id": payload["service_id"],
        "kind": "service",
        "title": payload["title"],
        "description": payload.get("description", ""),
        "service_type": payload["service_type"],
        "format": payload["format"],
        "status": payload["status"],
        "price_cents": int(payload["price_cents"]),
        "duration_minutes": int(payload["duration_minutes"]),
        "created_at": payload["created_at"],
        "practitioner_id": payload["practitioner_id"],
        "practitioner_name": practitioner["practitioner_name"] if practitioner else "",
        "practitioner_active": practitioner_active,
        "visible": payload["status"] == "active" and practitioner_active,
        "version": position,
    }


def with_practitioner(service: dict[str, Any], practitioner: dict[str, Any], position: int) -> dict[str, Any]:
    """A service document re-denormalised after its practitioner changed."""
    active = bool(practitioner["practitioner_active"])
    return {**service, "practitioner_name": practitioner["practitioner_name"], "practitioner_active": active,
            "visible": service["status"] == "active" and active, "version": position}
