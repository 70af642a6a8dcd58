"""The booking engine: concurrency, time zones, the refund matrix, idempotency (issue 3 acceptance)."""

from __future__ import annotations

import functools
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from rest_framework.test import APIClient

from tests.booking_fixtures import (
    balance_of,
    book,
    client_with_credits,
    open_week,
    post_service,
    register_practitioner,
)
from tests.clients import register
from tests.concurrency import in_parallel
from workers import runtime
from write_api.accounts.models import User
from write_api.bookings.models import Booking, Seat
from write_api.bookings.services import bookings_autocomplete
from write_api.credits.models import CreditTransaction

pytestmark = pytest.mark.django_db(transaction=True)

# --- concurrency --------------------------------------------------------------------------------


def test_twenty_parallel_requests_for_one_slot_book_exactly_once(clock, write_api):
    register_practitioner(write_api)
    open_week(write_api)
    service = post_service(write_api)
    clients = [client_with_credits()[0] for _ in range(20)]
    start = "2026-03-04T10:00:00Z"
    responses = in_parallel([functools.partial(book, c, service["id"], start_at=start) for c in clients])
    codes = Counter(r.status_code for r in responses)
    assert codes == {201: 1, 409: 19}
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"slot_unavailable"}
    assert Booking.objects.filter(service_id=service["id"], status="confirmed").count() == 1


def test_parallel_overlapping_intervals_book_exactly_once(clock, write_api):
    register_practitioner(write_api, buffer_minutes=15)
    open_week(write_api)
    service = post_service(write_api)
    clients = [client_with_credits()[0] for _ in range(20)]
    starts = [datetime(2026, 3, 4, 10, 0, tzinfo=UTC) + timedelta(minutes=15 * (i % 5)) for i in range(20)]
    responses = in_parallel([functools.partial(book, c, service["id"], start_at=s.isoformat())
                             for c, s in zip(clients, starts, strict=True)])
    assert Counter(r.status_code for r in responses) == {201: 1, 409: 19}
    assert Booking.objects.filter(service_id=service["id"], status="confirmed").count() == 1


def test_workshop_capacity_holds_under_three_times_the_demand(clock, write_api):
    register_practitioner(write_api)
    workshop = post_service(write_api, service_type="workshop", capacity=5, price_cents=2000)
    session = write_api.post(f"/api/v1/services/{workshop['id']}/sessions/", {"start_at": "2026-03-10T18:00:00Z"},
                             format="json").json()["data"]
    clients = [client_with_credits()[0] for _ in range(15)]
    responses = in_parallel([functools.partial(book, c, workshop["id"], session_id=session["id"]) for c in clients])
    assert Counter(r.status_code for r in responses) == {201: 5, 409: 10}
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"session_full"}
    assert Seat.objects.filter(session_id=session["id"], active=True).count() == 5


def test_parallel_spends_never_drive_a_balance_negative(clock, write_api):
    register_practitioner(write_api, buffer_minutes=0)
    open_week(write_api, 0, 1440)
    service = post_service(write_api, price_cents=3000)
    api, user = client_with_credits(9000)  # enough for three
    starts = [datetime(2026, 3, 5, 0, 0, tzinfo=UTC) + timedelta(hours=2 * i) for i in range(10)]
    responses = in_parallel([functools.partial(book, api, service["id"], start_at=s.isoformat()) for s in starts])
    assert Counter(r.status_code for r in responses) == {201: 3, 409: 7}
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"insufficient_credits"}
    assert balance_of(user["id"]) == 0


def test_parallel_cancels_refund_once(clock, write_api):
    register_practitioner(write_api)
    open_week(write_api)
    service = post_service(write_api, price_cents=4000)
    api, user = client_with_credits(4000)
    booking = book(api, service["id"], start_at="2026-03-06T10:00:00Z").json()["data"]
    responses = in_parallel([lambda: api.post(f"/api/v1/bookings/{booking['id']}/cancel/", {}, format="json")
                             for _ in range(10)])
    assert Counter(r.status_code for r in responses) == {200: 1, 409: 9}
    assert balance_of(user["id"]) == 4000
    assert CreditTransaction.objects.filter(user_id=user["id"], kind="refund").count() == 1


# --- time zones and rules on the write path -------------------------------------------------------


def test_buffers_are_the_same_in_listing_and_booking(clock, write_api, read_api):
    register_practitioner(write_api, buffer_minutes=30)
    open_week(write_api)
    service = post_service(write_api)
    api, _ = client_with_credits()
    assert book(api, service["id"], start_at="2026-03-04T10:00:00Z").status_code == 201
    runtime.drain_all()
    listed = {s["start"] for s in read_api.get(f"/api/v1/services/{service['id']}/time-slots/?date=2026-03-04")
              .json()["data"]}
    for minute in range(8 * 60, 13 * 60, 15):
        start = datetime(2026, 3, 4, tzinfo=UTC) + timedelta(minutes=minute)
        if start.isoformat() in listed:
            continue
        other, _ = client_with_credits()
        assert book(other, service["id"], start_at=start.isoformat()).status_code == 409, start
    assert "2026-03-04T11:30:00+00:00" in listed and "2026-03-04T11:15:00+00:00" not in listed
    assert "2026-03-04T08:30:00+00:00" not in listed and "2026-03-04T10:30:00+00:00" not in listed
    assert book(client_with_credits()[0], service["id"], start_at="2026-03-04T11:30:00Z").status_code == 201


@pytest.mark.parametrize("zone, good, off_grid", [
    ("Asia/Kolkata", "2026-03-04T03:30:00Z", "2026-03-04T04:00:00Z"),      # +05:30, hourly grid
    ("Asia/Kathmandu", "2026-03-04T03:15:00Z", "2026-03-04T03:30:00Z"),    # +05:45
    ("Pacific/Kiritimati", "2026-03-04T19:00:00Z", "2026-03-04T19:30:00Z"),  # +14, across the date line
])
def test_grid_follows_local_midnight_of_the_practitioner(clock, write_api, zone, good, off_grid):
    register_practitioner(write_api, zone=zone)
    open_week(write_api, 0, 1440)
    service = post_service(write_api, step_minutes=60)
    api, _ = client_with_credits()
    bad = book(api, service["id"], start_at=off_grid)
    assert bad.status_code == 409 and bad.json()["code"] == "slot_unavailable"
    assert book(api, service["id"], start_at=good).status_code == 201


def test_dst_spring_forward_gap_and_repeated_hour(write_api):
    with time_machine.travel(datetime(2026, 3, 1, tzinfo=UTC), tick=True):
        register_practitioner(write_api, zone="America/New_York", min_notice_minutes=0)
        open_week(write_api, 0, 1440)
        service = post_service(write_api, step_minutes=60, duration_minutes=30)
        api, _ = client_with_credits()
        # 2026-03-08 02:00 local does not exist; 01:00 EST = 06:00Z, 03:00 EDT = 07:00Z are consecutive hours.
        assert book(api, service["id"], start_at="2026-03-08T06:00:00Z").status_code == 201
        assert book(api, service["id"], start_at="2026-03-08T07:00:00Z").status_code == 201
        # 06:30Z is 01:30 EST: off the hourly grid.
        assert book(api, service["id"], start_at="2026-03-08T06:30:00Z").status_code == 409
    with time_machine.travel(datetime(2026, 10, 25, tzinfo=UTC), tick=True):
        # 2026-11-01 01:00 local happens twice: 05:00Z (EDT) and 06:00Z (EST); both are bookable.
        assert book(api, service["id"], start_at="2026-11-01T05:00:00Z").status_code == 201
        assert book(api, service["id"], start_at="2026-11-01T06:00:00Z").status_code == 201


def test_minimum_notice_and_maximum_advance_on_the_write_path(clock, write_api):
    register_practitioner(write_api, min_notice_minutes=24 * 60, max_advance_days=30)
    open_week(write_api, 0, 1440)
    service = post_service(write_api)
    api, _ = client_with_credits()
    too_soon = book(api, service["id"], start_at="2026-03-02T20:00:00Z")
    assert too_soon.status_code == 409 and too_soon.json()["errors"]["start_at"] == ["too_soon"]
    too_far = book(api, service["id"], start_at="2026-04-10T10:00:00Z")
    assert too_far.status_code == 409 and too_far.json()["errors"]["start_at"] == ["too_far_ahead"]
    assert book(api, service["id"], start_at="2026-03-03T09:00:00Z").status_code == 201


# --- refund matrix -----------------------------------------------------------------------------------


def _cancel(api, booking_id):
    return api.post(f"/api/v1/bookings/{booking_id}/cancel/", {"reason": "test"}, format="json")


@pytest.mark.parametrize("who, hours_before, refund", [
    ("client", 48, 5000), ("client", 24, 5000), ("client", 23, 0),
    ("practitioner", 1, 5000), ("staff", 1, 5000),
])
def test_refund_matrix_for_a_session(who, hours_before, refund, write_api):
    start = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    with time_machine.travel(start - timedelta(days=5), tick=False):
        register_practitioner(write_api, min_notice_minutes=0)
        open_week(write_api, 0, 1440)
        service = post_service(write_api)
        api, user = client_with_credits(5000)
        booking = book(api, service["id"], start_at=start.isoformat()).json()["data"]
    with time_machine.travel(start - timedelta(hours=hours_before), tick=False):
        if who == "staff":
            staff_api = APIClient()
            staff = register(staff_api)
            User.objects.filter(id=staff["user"]["id"]).update(is_staff=True)
            canceller = staff_api
            canceller.force_authenticate(User.objects.get(id=staff["user"]["id"]))
        else:
            canceller = api if who == "client" else write_api
        response = _cancel(canceller, booking["id"])
    assert response.status_code == 200, response.content
    assert response.json()["data"]["refund_cents"] == refund
    assert balance_of(user["id"]) == refund


def test_unscheduled_package_sessions_refund_in_full(clock, write_api):
    register_practitioner(write_api)
    open_week(write_api)
    one = post_service(write_api, price_cents=3000)
    bundle = post_service(write_api, title="Pass", service_type="bundle", price_cents=10000,
                          children=[{"service_id": one["id"], "quantity": 4}])
    api, user = client_with_credits(10000)
    purchase = book(api, bundle["id"])
    assert purchase.status_code == 201, purchase.content
    children = purchase.json()["data"]["children"]
    assert [c["status"] for c in children] == ["unscheduled"] * 4
    scheduled = api.post(f"/api/v1/bookings/{children[0]['id']}/schedule/", {"start_at": "2026-03-05T10:00:00Z"},
                         format="json")
    assert scheduled.status_code == 200, scheduled.content
    assert balance_of(user["id"]) == 0
    cancel_child = _cancel(api, children[1]["id"])
    assert cancel_child.json()["data"]["refund_cents"] == 2500
    cancel_all = _cancel(api, purchase.json()["data"]["id"])
    assert cancel_all.status_code == 200
    # the two still unscheduled refund in full; the scheduled one (> 24 h ahead) too
    assert balance_of(user["id"]) == 10000


def test_course_refunds_undelivered_sessions_within_fourteen_days(write_api):
    first = datetime(2026, 3, 9, 18, 0, tzinfo=UTC)
    with time_machine.travel(first - timedelta(days=7), tick=False):
        register_practitioner(write_api)
        course = post_service(write_api, service_type="course", price_cents=8000, capacity=10)
        for week in range(4):
            write_api.post(f"/api/v1/services/{course['id']}/sessions/",
                           {"start_at": (first + timedelta(days=7 * week)).isoformat()}, format="json")
        api, user = client_with_credits(8000)
        enrolment = book(api, course["id"])
        assert enrolment.status_code == 201, enrolment.content
        assert len(enrolment.json()["data"]["session_ids"]) == 4
    with time_machine.travel(first + timedelta(days=8), tick=False):  # two sessions delivered
        response = _cancel(api, enrolment.json()["data"]["id"])
        assert response.status_code == 200
        assert response.json()["data"]["refund_cents"] == 4000
    assert balance_of(user["id"]) == 4000


def test_course_cannot_be_cancelled_after_fourteen_days(write_api):
    first = datetime(2026, 3, 9, 18, 0, tzinfo=UTC)
    with time_machine.travel(first - timedelta(days=7), tick=False):
        register_practitioner(write_api)
        course = post_service(write_api, service_type="course", price_cents=8000, capacity=10)
        for week in range(4):
            write_api.post(f"/api/v1/services/{course['id']}/sessions/",
                           {"start_at": (first + timedelta(days=7 * week)).isoformat()}, format="json")
        api, _ = client_with_credits(8000)
        enrolment = book(api, course["id"]).json()["data"]
    with time_machine.travel(first + timedelta(days=15), tick=False):
        response = _cancel(api, enrolment["id"])
    assert response.status_code == 409
    assert response.json()["code"] == "cancellation_window_closed"


# --- lifecycle ----------------------------------------------------------------------------------------


def test_reschedule_complete_and_auto_complete(write_api):

    start = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    with time_machine.travel(start - timedelta(days=3), tick=False):
        register_practitioner(write_api, min_notice_minutes=0)
        open_week(write_api, 0, 1440)
        service = post_service(write_api)
        api, _ = client_with_credits()
        first = book(api, service["id"], start_at=start.isoformat()).json()["data"]
        second = book(api, service["id"], start_at=(start + timedelta(days=1)).isoformat()).json()["data"]
        moved = api.post(f"/api/v1/bookings/{first['id']}/reschedule/",
                         {"start_at": (start + timedelta(hours=3)).isoformat()}, format="json")
        assert moved.status_code == 200, moved.content
        assert moved.json()["data"]["start_at"] == (start + timedelta(hours=3)).isoformat()
    with time_machine.travel(start + timedelta(hours=2), tick=False):
        late = api.post(f"/api/v1/bookings/{second['id']}/reschedule/",
                        {"start_at": (start + timedelta(days=2)).isoformat()}, format="json")
        assert late.status_code == 409  # 22 h before the start: past the reschedule window
        assert late.json()["code"] == "reschedule_window_closed"
    with time_machine.travel(start + timedelta(hours=4, minutes=1), tick=False):
        done = write_api.post(f"/api/v1/bookings/{first['id']}/complete/")
        assert done.status_code == 200 and done.json()["data"]["status"] == "completed"
        assert api.post(f"/api/v1/bookings/{first['id']}/complete/").status_code == 403
    with time_machine.travel(start + timedelta(days=4), tick=False):
        assert bookings_autocomplete() == 1
        assert bookings_autocomplete() == 0
    assert Booking.objects.get(id=second["id"]).status == "completed"


def test_bad_booking_input_is_400(clock, write_api):
    register_practitioner(write_api)
    service = post_service(write_api)
    api, _ = client_with_credits()
    for body, field in [({"service_id": "not-a-uuid"}, "service_id"),
                        ({"service_id": service["id"], "start_at": "tomorrow"}, "start_at"),
                        ({"service_id": service["id"]}, "start_at"),
                        ({"service_id": service["id"], "start_at": "2026-03-04T10:00:00Z", "extra": 1}, "extra")]:
        response = api.post("/api/v1/bookings/", body, format="json")
        assert response.status_code == 400, (body, response.content)
        assert field in response.json()["errors"]
    assert book(api, str(uuid.uuid4()), start_at="2026-03-04T10:00:00Z").status_code == 404


# --- idempotency and input errors --------------------------------------------------------------------


def test_idempotency_key_repeat_returns_the_same_booking_and_another_body_is_409(clock, write_api):
    register_practitioner(write_api)
    open_week(write_api)
    service = post_service(write_api, price_cents=2500)
    api, user = client_with_credits(10000)
    body = {"service_id": service["id"], "start_at": "2026-03-05T10:00:00Z"}
    first = api.post("/api/v1/bookings/", body, format="json", HTTP_IDEMPOTENCY_KEY="book-1")
    again = api.post("/api/v1/bookings/", body, format="json", HTTP_IDEMPOTENCY_KEY="book-1")
    assert first.status_code == again.status_code == 201
    assert again.json()["data"]["id"] == first.json()["data"]["id"]
    assert again["X-Event-Position"] == first["X-Event-Position"]
    assert Booking.objects.filter(client_id=user["id"]).count() == 1
    assert balance_of(user["id"]) == 7500
    other = api.post("/api/v1/bookings/", {**body, "start_at": "2026-03-05T12:00:00Z"}, format="json",
                     HTTP_IDEMPOTENCY_KEY="book-1")
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"


def test_cancel_with_an_idempotency_key_refunds_once_and_replays(clock, write_api):
    register_practitioner(write_api)
    open_week(write_api)
    service = post_service(write_api, price_cents=2500)
    api, user = client_with_credits(2500)
    booking = book(api, service["id"], start_at="2026-03-06T10:00:00Z").json()["data"]
    url = f"/api/v1/bookings/{booking['id']}/cancel/"
    responses = [api.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="cancel-1") for _ in range(3)]
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert balance_of(user["id"]) == 2500


def test_end_before_start_is_400_for_sessions_and_blocks(clock, write_api):
    register_practitioner(write_api)
    workshop = post_service(write_api, service_type="workshop")
    session = write_api.post(f"/api/v1/services/{workshop['id']}/sessions/",
                             {"start_at": "2026-03-10T18:00:00Z", "end_at": "2026-03-10T17:00:00Z"}, format="json")
    assert session.status_code == 400 and "end_at" in session.json()["errors"]
    block = write_api.post("/api/v1/practitioner/schedule/block/",
                           {"start_at": "2026-03-10T18:00:00Z", "end_at": "2026-03-10T18:00:00Z"}, format="json")
    assert block.status_code == 400 and "end_at" in block.json()["errors"]
