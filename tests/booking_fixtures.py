"""Booking tests' helpers through the write API (shared by the booking and write-concurrency tests).

``engagement_fixtures`` builds the same things through the services instead.
"""

from __future__ import annotations

from typing import Any

from rest_framework.test import APIClient

from tests.clients import authenticate, register
from write_api.accounts.models import User
from write_api.credits.models import CreditTransaction
from write_api.credits.services import credits_purchase


def client_with_credits(cents: int = 100_000) -> tuple[APIClient, dict]:
    api = APIClient()
    user = register(api)
    # Tests here travel in time past the 30-minute token lifetime: authenticate without tokens.
    api.force_authenticate(User.objects.get(id=user["user"]["id"]))
    if cents:
        credits_purchase(user=User.objects.get(id=user["user"]["id"]), amount_cents=cents,
                         payment_token="tok_test_success")
    return api, user["user"]


def balance_of(user_id: str) -> int:
    return sum(CreditTransaction.objects.filter(user_id=user_id).values_list("amount_cents", flat=True))


def register_practitioner(write_api: APIClient, zone: str = "Europe/London", **profile: Any) -> dict[str, Any]:
    """Through the write API (unlike `engagement_fixtures.make_practitioner`, which uses the services)."""
    user = register(write_api)
    authenticate(write_api, user["tokens"])
    response = write_api.post("/api/v1/practitioners/", {"display_name": "Pat", "timezone": zone,
                                                         "min_notice_minutes": 60, **profile}, format="json")
    assert response.status_code == 201, response.content
    write_api.force_authenticate(User.objects.get(id=user["user"]["id"]))
    return response.json()["data"]["practitioner"]


def open_week(write_api: APIClient, start_minute: int = 9 * 60, end_minute: int = 17 * 60,
              days: tuple[int, ...] = (0, 1, 2, 3, 4, 5, 6)) -> None:
    windows = [{"weekday": d, "start_minute": start_minute, "end_minute": end_minute} for d in days]
    response = write_api.put("/api/v1/practitioner/schedule/", {"windows": windows}, format="json")
    assert response.status_code == 200, response.content


def post_service(write_api: APIClient, **fields: Any) -> dict[str, Any]:
    """Through the write API, as the authenticated practitioner (unlike `engagement_fixtures.make_service`,
    which uses the services)."""
    body = {"title": "Session", "service_type": "session", "price_cents": 5000, "duration_minutes": 60, **fields}
    response = write_api.post("/api/v1/services/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()["data"]


def book(api: APIClient, service_id: str, **fields: Any) -> Any:  # the test client's response
    return api.post("/api/v1/bookings/", {"service_id": service_id, **fields}, format="json")
