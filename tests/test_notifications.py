"""Notifications: created by the ``notifications`` projection from events and by the reminder job,
each exactly once (replays, rebuilds, jobs run twice); the caller's own list, read state and counter."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from tests.engagement_fixtures import make_practitioner, make_service, make_user, with_credits
from workers import runtime
from workers.celery_app import app
from workers.event_reader import events_after
from workers.registry import projection
from workers.tasks import send_session_reminders
from write_api.bookings import services as bookings
from write_api.notifications.models import Notification, NotificationCounter
from write_api.notifications.reminders import notifications_send_session_reminders
from write_api.notifications.services import NotificationDraft, notifications_deliver
from write_api.sessions import services as sessions

pytestmark = pytest.mark.django_db(transaction=True)

TUESDAY_10 = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)


def titles(actor, **filters) -> list[str]:
    return sorted(Notification.objects.filter(user=actor.user, **filters).values_list("title", flat=True))


def drain() -> None:
    runtime.drain("notifications")


def deliver(actor, n: int, *, prefix: str = "test") -> None:
    notifications_deliver([NotificationDraft(user_id=actor.user.id, type="system", title=f"Note {i}", body="",
                                             dedupe_key=f"{prefix}:{actor.id}:{i}",
                                             created_at=timezone.now() + timedelta(seconds=i)) for i in range(n)])


def unread_rows(actor) -> int:
    return Notification.objects.filter(user=actor.user, is_read=False, deleted_at__isnull=True).count()


def counter(actor) -> int:
    return NotificationCounter.objects.filter(user=actor.user).values_list("unread", flat=True).first() or 0


# --- from events -----------------------------------------------------------------------------------


def test_booking_lifecycle_notifies_both_parties_once(clock):
    owner, client = make_practitioner(open_hours=True), with_credits(make_user())
    service = make_service(owner, title="Breathwork 1:1")
    booking = bookings.booking_create(client=client.user, service_id=service.id, start_at=TUESDAY_10)
    bookings.booking_reschedule(booking_id=booking.id, actor=client.user, start_at=TUESDAY_10 + timedelta(hours=2))
    bookings.booking_cancel(booking_id=booking.id, actor=client.user)
    drain()
    drain()  # nothing new

    assert titles(client) == ["Booking cancelled", "Booking confirmed", "Booking rescheduled", "Credits refunded"]
    assert titles(owner) == ["Booking cancelled", "Booking rescheduled", "New booking"]
    confirmed = Notification.objects.get(user=client.user, title="Booking confirmed")
    assert confirmed.type == "booking"
    assert confirmed.body == "“Breathwork 1:1” is booked for Tue 03 Mar 2026, 10:00 (Europe/London)."
    assert confirmed.data == {"booking_id": str(booking.id), "service_id": str(service.id)}
    refunded = Notification.objects.get(user=client.user, title="Credits refunded")
    assert refunded.type == "credits"
    assert refunded.body.startswith("40.00 credits were added back")
    assert counter(client) == 4 and counter(owner) == 3


def test_completion_asks_for_a_review_and_reviews_and_replies_notify(clock):
    owner, client = make_practitioner(open_hours=True), with_credits(make_user(first_name="Jane", last_name="Doe"))
    service = make_service(owner, title="Yin yoga")
    booking = bookings.booking_create(client=client.user, service_id=service.id, start_at=TUESDAY_10)
    clock.move_to(TUESDAY_10 + timedelta(hours=2))
    bookings.booking_complete(booking_id=booking.id, actor=owner.user)
    client.login(), owner.login()
    review = client.write.post(f"/api/v1/bookings/{booking.id}/review/", {"rating": 5, "comment": "Lovely"},
                               format="json")
    assert review.status_code == 201, review.content
    owner.write.post(f"/api/v1/reviews/{review.json()['data']['id']}/reply/", {"reply": "Thank you!"}, format="json")
    drain()

    ask = Notification.objects.get(user=client.user, type="review", title="How was your session?")
    assert ask.data == {"booking_id": str(booking.id), "service_id": str(service.id), "action": "review"}
    received = Notification.objects.get(user=owner.user, type="review")
    assert (received.title, received.body) == ("New 5-star review", "Jane D. reviewed “Yin yoga”.")
    assert titles(client, type="review") == ["How was your session?", "Your review got a reply"]


def test_stream_unlock_notifies_the_practitioner():
    owner, fan = make_practitioner(), with_credits(make_user(), 1000)
    stream = owner.write.post("/api/v1/streams/", {"title": "Deep rest", "access": "premium", "price_cents": 300},
                              format="json").json()["data"]
    assert fan.write.post(f"/api/v1/streams/{stream['id']}/unlock/", {}, format="json").status_code == 201
    drain()
    note = Notification.objects.get(user=owner.user)
    assert (note.type, note.title, note.body) == ("stream", "Stream unlocked",
                                                  "A member unlocked “Deep rest” for 3.00 credits.")
    assert not Notification.objects.filter(user=fan.user).exists()


def test_rebuild_and_replay_create_nothing_twice_and_keep_read_and_deleted_state(clock):
    owner, client = make_practitioner(open_hours=True), with_credits(make_user())
    service = make_service(owner)
    for hours in (0, 2, 4):
        bookings.booking_create(client=client.user, service_id=service.id, start_at=TUESDAY_10 + timedelta(hours=hours))
    drain()
    assert Notification.objects.count() == 6
    first, second = Notification.objects.filter(user=client.user).order_by("created_at", "id")[:2]
    assert client.write.post(f"/api/v1/notifications/{first.id}/read/").status_code == 200
    assert client.write.delete(f"/api/v1/notifications/{second.id}/").status_code == 200
    before = sorted(Notification.objects.values_list("dedupe_key", "is_read", "deleted_at"))

    result = runtime.rebuild("notifications", grace=0)
    assert result.new_generation == result.old_generation + 1
    runtime.drain("notifications")
    # a replay of the whole log straight into the table (what a crash between apply and checkpoint does)
    projection("notifications").apply(events_after(0, limit=10_000), result.new_generation)

    assert sorted(Notification.objects.values_list("dedupe_key", "is_read", "deleted_at")) == before
    assert Notification.objects.count() == 6
    assert counter(client) == unread_rows(client) == 1
    assert client.write.get("/api/v1/notifications/unread-count/").json()["data"] == {"unread": 1}

    verified = runtime.verify("notifications")
    assert verified.matches, verified.differences
    assert verified.live_items == verified.replay_items == 6


def test_verify_reports_an_event_notification_that_is_missing():
    owner, fan = make_practitioner(), with_credits(make_user(), 1000)
    stream = owner.write.post("/api/v1/streams/", {"title": "Deep rest", "access": "premium", "price_cents": 300},
                              format="json").json()["data"]
    fan.write.post(f"/api/v1/streams/{stream['id']}/unlock/", {}, format="json")
    drain()
    Notification.objects.all().delete()
    verified = runtime.verify("notifications")
    assert not verified.matches
    assert (verified.live_items, verified.replay_items) == (0, 1)


# --- reminders -------------------------------------------------------------------------------------


def test_reminder_24_hours_before_once_per_booking_and_start(clock):
    owner, client = make_practitioner(open_hours=True), with_credits(make_user())
    service = make_service(owner, title="Pilates")
    booking = bookings.booking_create(client=client.user, service_id=service.id, start_at=TUESDAY_10)
    assert notifications_send_session_reminders() == 0  # 26 h ahead: not yet

    clock.move_to(TUESDAY_10 - timedelta(hours=23, minutes=55))
    assert notifications_send_session_reminders() == 2
    assert notifications_send_session_reminders() == 0
    reminders = Notification.objects.filter(title="Session tomorrow")
    assert sorted(str(n.user_id) for n in reminders) == sorted([client.id, owner.id])
    mine = reminders.get(user=client.user)
    assert mine.body == "“Pilates” starts Tue 03 Mar 2026, 10:00 (Europe/London)."
    assert mine.data["booking_id"] == str(booking.id)

    # moved to another time: reminded of the new time, once
    bookings.booking_reschedule(booking_id=booking.id, actor=owner.user, start_at=TUESDAY_10 + timedelta(hours=1))
    assert notifications_send_session_reminders() == 0  # 24 h 55 min ahead
    clock.move_to(TUESDAY_10 - timedelta(hours=22, minutes=55))
    assert notifications_send_session_reminders() == 2
    assert notifications_send_session_reminders() == 0
    bookings.booking_cancel(booking_id=booking.id, actor=owner.user)
    clock.move_to(TUESDAY_10)
    assert notifications_send_session_reminders() == 0


def test_workshop_reminds_each_seat_holder_and_the_practitioner_once(clock):
    owner = make_practitioner()
    clients = [with_credits(make_user()) for _ in range(2)]
    workshop = make_service(owner, title="Breath retreat", service_type="workshop", capacity=5)
    session = sessions.session_create(service_id=workshop.id, actor=owner.user, start_at=TUESDAY_10)
    for client in clients:
        bookings.booking_create(client=client.user, service_id=workshop.id, session_id=session.id)
    clock.move_to(TUESDAY_10 - timedelta(hours=20))
    assert notifications_send_session_reminders() == 3
    assert notifications_send_session_reminders() == 0
    assert sorted(str(n.user_id) for n in Notification.objects.filter(title="Session tomorrow")) == sorted(
        [c.id for c in clients] + [owner.id])
    assert Notification.objects.get(user=owner.user, title="Session tomorrow").data["session_id"] == str(session.id)


def test_reminder_task_is_registered_and_scheduled():

    entry = next(e for e in app.conf.beat_schedule.values() if e["task"] == "workers.tasks.send_session_reminders")
    assert entry["schedule"] <= 15 * 60
    assert send_session_reminders() == 0


# --- the caller's notifications ----------------------------------------------------------------------


def test_list_filters_paginate_and_mark_read():
    user = make_user()
    deliver(user, 3)
    notifications_deliver([NotificationDraft(user_id=user.user.id, type="booking", title="Booked", body="b",
                                             dedupe_key="b:1", created_at=timezone.now() + timedelta(minutes=5))])
    listed = user.write.get("/api/v1/notifications/?page_size=2")
    assert listed.status_code == 200
    body = listed.json()
    assert [n["title"] for n in body["data"]] == ["Booked", "Note 2"]
    assert body["meta"]["pagination"]["count"] == 4 and body["meta"]["pagination"]["total_pages"] == 2

    only_booking = user.write.get("/api/v1/notifications/?type=booking").json()
    assert [n["title"] for n in only_booking["data"]] == ["Booked"]
    assert only_booking["meta"]["filters_applied"] == {"type": "booking"}

    target = only_booking["data"][0]["id"]
    read = user.write.post(f"/api/v1/notifications/{target}/read/")
    assert read.status_code == 200 and read.json()["data"]["is_read"] is True
    assert user.write.post(f"/api/v1/notifications/{target}/read/").status_code == 200  # idempotent
    assert [n["title"] for n in user.write.get("/api/v1/notifications/?is_read=true").json()["data"]] == ["Booked"]
    assert len(user.write.get("/api/v1/notifications/?is_read=false").json()["data"]) == 3
    assert user.write.get("/api/v1/notifications/unread-count/").json()["data"] == {"unread": 3}

    all_read = user.write.post("/api/v1/notifications/read-all/")
    assert all_read.json()["data"] == {"marked_read": 3, "unread": 0}
    assert unread_rows(user) == counter(user) == 0


def test_unread_count_is_one_query_whatever_the_volume(django_assert_num_queries):
    user = make_user()
    deliver(user, 2000)
    with django_assert_num_queries(2):  # the JWT's user, then the counter row by primary key
        response = user.write.get("/api/v1/notifications/unread-count/")
    assert response.json()["data"] == {"unread": 2000}
    fresh = make_user()
    with django_assert_num_queries(2):
        assert fresh.write.get("/api/v1/notifications/unread-count/").json()["data"] == {"unread": 0}


def test_counter_stays_exact_under_concurrent_reads_deletes_and_deliveries():
    user = make_user()
    deliver(user, 60)
    ids = list(Notification.objects.filter(user=user.user).values_list("id", flat=True))
    barrier = threading.Barrier(8)

    def work(n: int) -> None:
        api = user.new_write_client()
        try:
            barrier.wait()
            if n == 0:
                api.post("/api/v1/notifications/read-all/")
            elif n == 1:
                deliver(user, 30, prefix="late")
            else:
                for notification_id in ids[n * 7:(n + 1) * 7]:
                    api.post(f"/api/v1/notifications/{notification_id}/read/")
                    api.delete(f"/api/v1/notifications/{notification_id}/")
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert Notification.objects.filter(user=user.user).count() == 90
    assert counter(user) == unread_rows(user)


def test_delete_hides_and_other_users_cannot_touch_mine():
    owner, stranger = make_user(), make_user()
    deliver(owner, 2)
    mine = str(Notification.objects.filter(user=owner.user).order_by("created_at")[0].id)
    for call in (lambda: stranger.write.post(f"/api/v1/notifications/{mine}/read/"),
                 lambda: stranger.write.delete(f"/api/v1/notifications/{mine}/")):
        response = call()
        assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert stranger.write.get("/api/v1/notifications/").json()["data"] == []
    assert stranger.write.post("/api/v1/notifications/read-all/").json()["data"]["marked_read"] == 0
    assert unread_rows(owner) == 2

    assert owner.write.delete(f"/api/v1/notifications/{mine}/").status_code == 200
    assert owner.write.delete(f"/api/v1/notifications/{mine}/").status_code == 404
    assert len(owner.write.get("/api/v1/notifications/").json()["data"]) == 1
    assert counter(owner) == 1
    assert owner.write.post(f"/api/v1/notifications/{uuid.uuid4()}/read/").status_code == 404


def test_bad_filters_are_400():
    user = make_user()
    for query, field in [("is_read=maybe", "is_read"), ("type=party", "type"), ("page=0", "page"),
                         ("colour=red", "colour")]:
        response = user.write.get(f"/api/v1/notifications/?{query}")
        assert response.status_code == 400, query
        assert response.json()["code"] == "validation_error"
        assert field in response.json()["errors"], query
