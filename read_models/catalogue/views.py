"""Service detail and time slots, answered from the catalogue read model."""

from __future__ import annotations

import time
from typing import Any
from uuid import UUID

from rest_framework.request import Request
from rest_framework.response import Response

from api_conventions.deprecation import Deprecated
from api_conventions.errors import NotFound, ServiceUnavailable
from api_conventions.responses import ok
from api_conventions.shared_payloads import GeoPoint
from kernel.vocabulary import DEFAULT_STEP_MINUTES, ErrorCode, ServiceType
from read_models.catalogue import store
from read_models.catalogue.payloads import Offer, PractitionerBrief, RatingSummary, ServiceDetail, UpcomingSession
from read_models.views import ReadModelView

UPCOMING_SESSIONS = 20


def active_generation() -> int:
    generation = store.active_generation()
    if generation is None:
        raise ServiceUnavailable("The catalogue read model is not built yet.", code=ErrorCode.PROJECTION_LAGGING)
    return generation


def caller_practitioner_id(request: Any) -> str | None:
    user = getattr(request, "user", None)
    return getattr(user, "practitioner_id", None) if user is not None and user.is_authenticated else None


def visible_service(request: Any, generation: int, service_id: str) -> tuple[dict, dict]:
    """The service and its practitioner, if the caller may see it (public, or their own)."""
    service, practitioner = store.read_doc(generation, f"service:{service_id}"), None
    if service is not None:
        practitioner = store.read_doc(generation, f"practitioner:{service['practitioner_id']}")
    if service is None or practitioner is None:
        raise NotFound("Service not found.")
    public = service["status"] == "active" and practitioner.get("is_active", False)
    if not public and caller_practitioner_id(request) != service["practitioner_id"]:
        raise NotFound("Service not found.")
    return service, practitioner


def practitioner_brief(p: dict) -> PractitionerBrief:
    return {"id": p["id"], "display_name": p.get("display_name"), "title": p.get("title"),
            "timezone": p.get("timezone"), "online_only": p.get("online_only", True),
            "address": p.get("address") or None, "location": location_out(p),
            "latitude": p.get("latitude"), "longitude": p.get("longitude"),  # deprecated: `location`
            "modalities": p.get("modalities", [])}


def session_out(s: dict) -> UpcomingSession:
    return {"id": s["id"], "start_at": s["start_at"], "end_at": s["end_at"], "capacity": s["capacity"],
            "seats_taken": s["seats_taken"], "seats_left": max(s["capacity"] - s["seats_taken"], 0)}


def reviews_summary(service: dict) -> RatingSummary:
    summary = service.get("reviews") or {}
    return {"average": summary.get("average"), "count": summary.get("count", 0),
            "distribution": summary.get("distribution", {str(i): 0 for i in range(1, 6)})}


def _price(cents: int) -> str:
    return f"{cents / 100:.2f}"


def offer_out(service: dict[str, Any], quantity: int) -> Offer:
    """A package or bundle containing a service, or a service a package or bundle contains."""
    return {"id": service["id"], "title": service["title"], "service_type": service["service_type"],
            "price_cents": service["price_cents"], "price": _price(service["price_cents"]), "quantity": quantity}


def location_out(p: dict[str, Any]) -> GeoPoint | None:
    """One shape everywhere (both APIs): ``{"lat": …, "lon": …}``, or null for an online-only practitioner."""
    lat, lon = p.get("latitude"), p.get("longitude")
    return None if lat is None or lon is None else {"lat": lat, "lon": lon}


class ServiceDetailApi(ReadModelView):
    """A visible service with the plan's names: ``upcoming_sessions``, ``reviews_summary``, ``packages`` and
    ``bundles`` containing it, ``includes`` (a package's or bundle's own contents)."""

    read_models = ("catalogue",)
    payload = ServiceDetail
    deprecations = (
        Deprecated.field("reviews", replacement="`reviews_summary`"),
        Deprecated.field("included_in", replacement="`packages` and `bundles`"),
        Deprecated.field("children", replacement="`includes`"),
        Deprecated.field("practitioner.latitude", replacement="`practitioner.location`"),
        Deprecated.field("practitioner.longitude", replacement="`practitioner.location`"),
    )

    def get(self, request: Request, service_id: UUID) -> Response:
        generation = active_generation()
        service, practitioner = visible_service(request, generation, str(service_id))
        now = time.time()
        sessions = store.read_sessions(generation, service["id"], now, now + 3 * 365 * 86400)
        upcoming = [session_out(s) for s in sessions if s["status"] == "scheduled"][:UPCOMING_SESSIONS]
        container_ids = sorted(store.read_members(generation, f"service:{service['id']}:containers"))
        containers = [c for c in store.read_docs(generation, [f"service:{i}" for i in container_ids])
                      if c and c["status"] == "active"]
        offers = [offer_out(c, next((ch["quantity"] for ch in c.get("children", [])
                                     if ch["service_id"] == service["id"]), 1)) for c in containers]
        children = service.get("children", [])
        contents = store.read_docs(generation, [f"service:{c['service_id']}" for c in children])
        summary = reviews_summary(service)
        data: ServiceDetail = {
            "id": service["id"], "title": service["title"], "description": service["description"],
            "service_type": service["service_type"], "format": service["format"], "status": service["status"],
            "price_cents": service["price_cents"], "price": _price(service["price_cents"]),
            "duration_minutes": service["duration_minutes"],
            "step_minutes": service.get("step_minutes", DEFAULT_STEP_MINUTES),
            "capacity": service.get("capacity", 1), "validity_days": service.get("validity_days"),
            "category": ({"slug": service["category"], "name": service.get("category_name")}
                         if service.get("category") else None),
            "modalities": service.get("modalities", []),
            "includes": [offer_out(doc, c["quantity"]) for c, doc in zip(children, contents, strict=True) if doc],
            "practitioner": practitioner_brief(practitioner),
            "upcoming_sessions": upcoming,
            "reviews_summary": summary,
            "packages": [o for o in offers if o["service_type"] == ServiceType.PACKAGE],
            "bundles": [o for o in offers if o["service_type"] == ServiceType.BUNDLE],
            "created_at": service["created_at"],
            # Deprecated names (see ``deprecations``), kept with their old shapes for two releases:
            "reviews": summary,
            "included_in": [{"id": o["id"], "title": o["title"], "service_type": o["service_type"],
                             "price_cents": o["price_cents"], "quantity": o["quantity"]} for o in offers],
            "children": children,
        }
        return ok(data)
