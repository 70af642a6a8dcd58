"""One lock order for every command: a practitioner editing services while clients book them never
deadlocks, and a deadlock or serialization failure that still happens is retried transparently.
Real threads, real PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import IntegrityError, transaction
from rest_framework.test import APIClient

from tests.booking_fixtures import NOW, book, client_with_credits, make_service, open_week, register_practitioner
from tests.concurrency import in_parallel
from write_api.accounts.models import User
from write_api.bookings.models import Booking
from write_api.catalogue.models import Service
from write_api.eventlog import command_retry
from write_api.reference.models import Category

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


def test_service_edits_and_bookings_by_one_practitioner_in_parallel_never_fail(clock, write_api):
    practitioner = register_practitioner(write_api)
    open_week(write_api)
    service = make_service(write_api)
    other = make_service(write_api, title="Other")
    owner = User.objects.get(practitioner__id=practitioner["id"])
    clients = [client_with_credits()[0] for _ in range(6)]

    def as_owner() -> APIClient:
        api = APIClient()
        api.force_authenticate(owner)
        return api

    day = NOW.replace(hour=9) + timedelta(days=2)
    results = []
    for round_ in range(3):
        starts = [day + timedelta(days=round_, minutes=75 * i) for i in range(len(clients))]
        calls: list[Callable[..., Any]] = [lambda c=c, s=s: book(c, service["id"], start_at=s.isoformat())
                                           for c, s in zip(clients, starts, strict=True)]
        calls += [lambda i=i, r=round_: as_owner().patch(f"/api/v1/services/{(service, other)[i % 2]['id']}/",
                                                         {"description": f"Edit {r}-{i}"}, format="json")
                  for i in range(4)]
        calls += [lambda i=i, r=round_: as_owner().post("/api/v1/services/", {
                      "title": f"New {r}-{i}", "service_type": "session", "price_cents": 3000}, format="json")
                  for i in range(2)]
        results += in_parallel(calls)
    failures = [r if isinstance(r, Exception) else (r.status_code, r.content) for r in results
                if isinstance(r, Exception) or r.status_code >= 300]
    assert failures == []
    assert Booking.objects.filter(service_id=service["id"]).count() == 3 * len(clients)
    assert Service.objects.filter(title__startswith="New ").count() == 6


def test_a_real_deadlock_is_retried_transparently_and_other_errors_are_not():
    """Two transactions lock two rows in opposite orders; PostgreSQL aborts one (40P01); it runs again."""
    first, second = Category.objects.order_by("id")[:2]
    attempts: list[str] = []
    both_hold_one = threading.Barrier(2, timeout=10)

    def locking(name: str, order: tuple[Category, Category]):
        @command_retry.retrying
        @transaction.atomic(durable=True)
        def command() -> str:
            attempts.append(name)
            Category.objects.select_for_update().get(id=order[0].id)
            if attempts.count(name) == 1:
                both_hold_one.wait()  # each holds its first row: the second lock closes the cycle
            Category.objects.select_for_update().get(id=order[1].id)
            return name

        return command

    results = in_parallel([locking("a", (first, second)), locking("b", (second, first))])
    assert sorted(results) == ["a", "b"], results  # both succeeded: no error reached the caller
    assert len(attempts) == 3  # one of them lost the deadlock once and ran again

    attempts.clear()

    @command_retry.retrying
    @transaction.atomic(durable=True)
    def duplicate() -> None:
        attempts.append("x")
        Category.objects.create(slug=first.slug, name="Duplicate")  # a unique violation: not a conflict

    with pytest.raises(IntegrityError):
        duplicate()
    assert attempts == ["x"]  # other errors are not retried
