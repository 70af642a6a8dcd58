"""The demo marketplace fills every screen on first run, through the commands, the same way twice (issue 14, item 8).

Also the second half of issue 14 item 2: with real data behind every id, each screen's answer matches
the strict reading of its API's OpenAPI schema (:mod:`tests.openapi_contract`).
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from tests.clients import ReadApiClient
from tests.openapi_contract import published_schema, violations
from workers import registry, runtime
from workers.demo_marketplace import HISTORY_DAYS
from workers.tasks import warehouse_catch_up
from write_api.accounts.models import User
from write_api.accounts.tokens import token_pair_for
from write_api.bookings.models import Booking
from write_api.catalogue.models import Service
from write_api.credits.models import CreditTransaction
from write_api.eventlog.models import Event
from write_api.reference.models import Category, Modality
from write_api.reference.reference_data import load as load_reference_data
from write_api.reviews.models import Review
from write_api.streams.models import Stream

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_lake")]  # an empty lake

ANCHOR = datetime.now(UTC).date()


def load_demo(anchor: date = ANCHOR) -> None:
    call_command("demo_data", "--if-empty", f"--anchor={anchor.isoformat()}", stdout=io.StringIO())


def canonical() -> dict[str, Any]:
    """What the demo made, without the ids and insertion times that differ from one load to the next."""
    bookings = sorted((b.client.email, b.service.title, b.status, b.start_at, b.charged_cents, b.refund_cents,
                       b.refund_reason) for b in Booking.objects.select_related("client", "service"))
    reviews = sorted((r.client.email, r.service.title, r.rating, r.comment, r.reply)
                     for r in Review.objects.select_related("client", "service"))
    streams = sorted((s.title, s.access, s.like_count, s.save_count) for s in Stream.objects.all())
    credits = sorted((t.user.email, t.kind, t.amount_cents, t.balance_after_cents)
                     for t in CreditTransaction.objects.select_related("user"))
    events = list(Event.objects.order_by("position").values_list("type", flat=True))
    return {"bookings": bookings, "reviews": reviews, "streams": streams, "credits": credits, "events": events}


def test_the_demo_is_made_through_the_commands_and_is_the_same_twice():
    load_demo()
    first = canonical()
    assert len(first["bookings"]) > 150 and len(first["reviews"]) > 50
    assert Event.objects.count() == len(first["events"]) > 1000
    load_demo()  # --if-empty: a second load into a full database changes nothing
    assert canonical() == first
    call_command("flush", interactive=False)
    load_reference_data(Category, Modality)
    load_demo()
    assert canonical() == first


def _client(api: str, user: User | None) -> APIClient:
    client = ReadApiClient() if api == "read" else APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_pair_for(user)['access']}")
    return client


def test_every_screen_has_data_and_every_answer_matches_the_schema():
    load_demo()
    runtime.drain_all([name for name in registry.projections() if name != "warehouse"])
    assert warehouse_catch_up().ran
    casey, maya = User.objects.get(email="client@demo.example"), User.objects.get(email="maya@demo.example")
    schemas = {"write": published_schema("write"), "read": published_schema("read")}
    vinyasa = Service.objects.get(title="Vinyasa flow for beginners")
    workshop = Service.objects.get(title="Weekend yoga retreat workshop")
    premium = Stream.objects.get(title="Deep hip opening sequence")
    completed = Booking.objects.filter(client=casey, status="completed").first()
    assert completed is not None
    monday = ANCHOR + timedelta(days=7 - ANCHOR.weekday())
    span = {"start": (ANCHOR - timedelta(days=HISTORY_DAYS)).isoformat(), "end": ANCHOR.isoformat()}
    screens: list[tuple[str, User | None, str, str, dict[str, Any]]] = [
        ("read", None, "/api/v1/search/", "/api/v1/search/", {"q": "yoga"}),
        ("read", None, "/api/v1/search/suggestions/", "/api/v1/search/suggestions/", {"q": "yo"}),
        ("read", None, "/api/v1/services/", "/api/v1/services/", {"ordering": "rating"}),
        ("read", casey, "/api/v1/services/{service_id}/", f"/api/v1/services/{vinyasa.id}/", {}),
        ("read", None, "/api/v1/services/{service_id}/time-slots/", f"/api/v1/services/{vinyasa.id}/time-slots/",
         {"date": monday.isoformat(), "days": 5, "timezone": "Europe/Berlin"}),
        ("read", None, "/api/v1/services/{service_id}/time-slots/",
         f"/api/v1/services/{workshop.id}/time-slots/", {"date": ANCHOR.isoformat(), "days": 14}),
        ("read", None, "/api/v1/practitioners/{practitioner_id}/",
         f"/api/v1/practitioners/{maya.practitioner.id}/", {}),
        ("read", None, "/api/v1/reviews/", "/api/v1/reviews/", {"practitioner": str(maya.practitioner.id)}),
        ("read", casey, "/api/v1/streams/", "/api/v1/streams/", {}),
        ("read", casey, "/api/v1/streams/", "/api/v1/streams/", {"unlocked": "true"}),
        ("read", casey, "/api/v1/streams/", "/api/v1/streams/", {"saved": "true"}),
        ("read", None, "/api/v1/streams/{stream_id}/", f"/api/v1/streams/{premium.id}/", {}),
        ("read", maya, "/api/v1/practitioner/analytics/revenue/", "/api/v1/practitioner/analytics/revenue/",
         {**span, "granularity": "month", "compare": "previous"}),
        ("read", maya, "/api/v1/practitioner/analytics/clients/", "/api/v1/practitioner/analytics/clients/",
         {**span, "granularity": "month"}),
        ("read", maya, "/api/v1/practitioner/analytics/bookings/trends/",
         "/api/v1/practitioner/analytics/bookings/trends/", {**span, "granularity": "week"}),
        ("write", casey, "/api/v1/auth/me/", "/api/v1/auth/me/", {}),
        ("write", casey, "/api/v1/bookings/", "/api/v1/bookings/", {"status": "completed"}),
        ("write", casey, "/api/v1/bookings/", "/api/v1/bookings/", {"status": "cancelled"}),
        ("write", casey, "/api/v1/bookings/", "/api/v1/bookings/", {"when": "upcoming"}),
        ("write", maya, "/api/v1/bookings/", "/api/v1/bookings/", {"as": "practitioner", "when": "past"}),
        ("write", casey, "/api/v1/bookings/{booking_id}/", f"/api/v1/bookings/{completed.id}/", {}),
        ("write", casey, "/api/v1/notifications/", "/api/v1/notifications/", {}),
        ("write", casey, "/api/v1/notifications/unread-count/", "/api/v1/notifications/unread-count/", {}),
        ("write", casey, "/api/v1/credits/balance/", "/api/v1/credits/balance/", {}),
        ("write", casey, "/api/v1/credits/transactions/", "/api/v1/credits/transactions/", {}),
        ("write", casey, "/api/v1/favorites/", "/api/v1/favorites/", {}),
        ("write", casey, "/api/v1/favorites/ids/", "/api/v1/favorites/ids/", {}),
        ("write", maya, "/api/v1/services/", "/api/v1/services/", {}),
        ("write", maya, "/api/v1/services/{service_id}/sessions/", f"/api/v1/services/{workshop.id}/sessions/", {}),
        ("write", maya, "/api/v1/practitioner/schedule/", "/api/v1/practitioner/schedule/", {}),
        ("write", None, "/api/v1/practitioners/{practitioner_id}/",
         f"/api/v1/practitioners/{maya.practitioner.id}/", {}),
    ]
    answers: dict[tuple[str, str], Any] = {}
    for api, user, template, url, query in screens:
        response = _client(api, user).get(url, query)
        assert response.status_code == 200, (url, query, response.content[:500])
        body = response.json()
        assert not violations(schemas[api], template, "get", 200, body), (url, violations(
            schemas[api], template, "get", 200, body))
        data = body["data"]
        assert data not in ([], {}, None), (url, query)  # every screen has something to show
        answers[(url, str(sorted(query.items())))] = data

    def answer(url: str, **query: Any) -> Any:
        return answers[(url, str(sorted(query.items())))]

    detail = answer(f"/api/v1/services/{vinyasa.id}/")
    assert detail["reviews"]["count"] > 10 and 3 <= detail["reviews"]["average"] <= 5
    streams = answer("/api/v1/streams/")
    assert {s["access"] for s in streams} == {"free", "premium"} and len(streams) == 6
    assert sum(s["like_count"] for s in streams) > 0
    assert all(not s["locked"] for s in answer("/api/v1/streams/", unlocked="true"))
    revenue = answer("/api/v1/practitioner/analytics/revenue/", **span, granularity="month", compare="previous")
    assert revenue["totals"]["gross_cents"] > 0 and revenue["totals"]["refunds_cents"] > 0
    trends = answer("/api/v1/practitioner/analytics/bookings/trends/", **span, granularity="week")
    assert trends["totals"]["bookings"] > 20 and trends["totals"]["cancellations"] > 0
    assert answer("/api/v1/practitioner/analytics/clients/", **span, granularity="month")["totals"][
        "unique_clients"] == 6
    cancelled = answer("/api/v1/bookings/", status="cancelled")
    reasons = set(Booking.objects.filter(status="cancelled").values_list("refund_reason", flat=True))
    assert {"inside_cancellation_window", "outside_cancellation_window", "cancelled_by_practitioner"} <= reasons
    assert all(b["refund_reason"] for b in cancelled)
    reviews = answer("/api/v1/reviews/", practitioner=str(maya.practitioner.id))
    assert any(r["reply"] for r in reviews)
    assert any(b["client_name"] for b in answer("/api/v1/bookings/", **{"as": "practitioner", "when": "past"}))
