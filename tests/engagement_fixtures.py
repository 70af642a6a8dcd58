"""Actors and objects for the engagement tests (favourites, reviews, notifications, streams).

Users are created directly (no password hashing, no auth throttle) and get real JWTs; practitioners,
services and streams go through their commands, so their events exist for the projections.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.utils import timezone
from rest_framework.test import APIClient

from tests.clients import ReadApiClient
from write_api.accounts.models import User
from write_api.accounts.tokens import token_pair_for
from write_api.bookings.models import Booking
from write_api.catalogue import services as catalogue_services
from write_api.catalogue.models import Service
from write_api.credits.models import CreditTransaction
from write_api.credits.services import credits_purchase
from write_api.practitioners import services as practitioner_services
from write_api.practitioners.models import Practitioner
from write_api.scheduling import services as scheduling_services


@dataclass
class Actor:
    user: User
    write: APIClient
    read: APIClient
    practitioner: Practitioner | None = None

    @property
    def id(self) -> str:
        return str(self.user.id)

    @property
    def profile(self) -> Practitioner:
        """The practitioner profile of an actor made by ``make_practitioner``."""
        assert self.practitioner is not None, "not a practitioner"
        return self.practitioner

    def login(self) -> Actor:
        """Fresh tokens (after the clock moved past the access token's 30 minutes)."""
        self.write, self.read = _clients(self.user)
        return self

    def new_write_client(self) -> APIClient:
        """A client of its own (for threads), authenticated as this actor."""
        return _clients(self.user)[0]


def _clients(user: User) -> tuple[APIClient, APIClient]:
    tokens = token_pair_for(user)
    write, read = APIClient(), ReadApiClient()
    for client in (write, read):
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    return write, read


def make_user(*, first_name: str = "", last_name: str = "", staff: bool = False) -> Actor:
    user = User.objects.create_user(email=f"u-{uuid.uuid4().hex[:12]}@example.com", password=None,
                                    first_name=first_name, last_name=last_name, is_staff=staff)
    return Actor(user, *_clients(user))


def make_practitioner(display_name: str = "Ada Lovelace", *, open_hours: bool = False) -> Actor:
    """A practitioner in Europe/London; ``open_hours``: bookable 09:00–17:00 every day, 60 min notice."""
    user = User.objects.create_user(email=f"p-{uuid.uuid4().hex[:12]}@example.com", password=None)
    practitioner = practitioner_services.practitioner_register(user=user, display_name=display_name,
                                                               title="Coach", timezone="Europe/London",
                                                               min_notice_minutes=60)
    if open_hours:
        scheduling_services.schedule_replace(actor=user, windows=[
            {"weekday": d, "start_minute": 9 * 60, "end_minute": 17 * 60} for d in range(7)])
    user.refresh_from_db()
    return Actor(user, *_clients(user), practitioner=practitioner)


def anonymous() -> Actor:
    return Actor(User(), APIClient(), ReadApiClient())


def make_service(owner: Actor, **fields: Any) -> Service:
    values = {"title": "Yin yoga", "service_type": "session", "price_cents": 4000, **fields}
    return catalogue_services.service_create(actor=owner.user, **values)


def make_stream(owner: Actor, **fields: Any) -> dict[str, Any]:
    body = {"title": "Morning flow", "description": "A gentle start.", "body": "Full script",
            "media_url": "https://cdn.example.com/flow.mp4", "tags": ["Yoga", "morning"], **fields}
    response = owner.write.post("/api/v1/streams/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()["data"]


def with_credits(actor: Actor, cents: int = 100_000) -> Actor:
    credits_purchase(user=actor.user, amount_cents=cents, payment_token="tok_test_success")
    return actor


def balance_of(actor: Actor) -> int:
    return sum(CreditTransaction.objects.filter(user=actor.user).values_list("amount_cents", flat=True))


def completed_booking(client: Actor, service: Service, *, status: str = Booking.Status.COMPLETED,
                      days_ago: int = 2) -> Booking:
    """A booking in ``status`` written directly (the booking commands are tested with the booking issue)."""
    start = timezone.now() - timedelta(days=days_ago)
    return Booking.objects.create(client=client.user, practitioner_id=service.practitioner_id, service=service,
                                  status=status, start_at=start, end_at=start + timedelta(hours=1),
                                  price_cents=service.price_cents,
                                  completed_at=start + timedelta(hours=1) if status == "completed" else None)
