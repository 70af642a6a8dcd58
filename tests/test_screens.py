"""What the plan's screens need from the APIs (issue 14, item 7): each test fails without its feature."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.clock import NOW
from tests.engagement_fixtures import (
    anonymous,
    make_practitioner,
    make_service,
    make_stream,
    make_user,
    with_credits,
)
from workers import runtime
from write_api.notifications.services import NotificationDraft, notifications_deliver

pytestmark = pytest.mark.django_db(transaction=True)



def book(actor, service, start: datetime) -> dict:
    response = actor.write.post("/api/v1/bookings/", {"service_id": str(service.id), "start_at": start.isoformat()},
                                format="json")
    assert response.status_code == 201, response.content
    return response.json()["data"]


def starts(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [b["start_at"] for b in response.json()["data"]]


def at(days: int, hour: int) -> datetime:
    return (NOW + timedelta(days=days)).replace(hour=hour)


# --- bookings: the client's name, filters, ordering, refund reasons -------------------------------------


def test_practitioner_bookings_show_the_client_name_and_filter_by_time_status_and_order(clock):
    owner = make_practitioner(open_hours=True)
    service = make_service(owner)
    casey = with_credits(make_user(first_name="Casey", last_name="Client"))
    first, middle, last = (book(casey, service, at(d, 10)) for d in (1, 3, 5))
    clock.move_to(at(4, 8))
    owner.login(), casey.login()

    mine = owner.write.get("/api/v1/bookings/?as=practitioner")
    assert {b["client_name"] for b in mine.json()["data"]} == {"Casey Client"}
    assert {b["client_id"] for b in mine.json()["data"]} == {casey.id}

    assert starts(casey.write.get("/api/v1/bookings/?when=upcoming")) == [last["start_at"]]
    assert starts(casey.write.get("/api/v1/bookings/?when=past")) == [middle["start_at"], first["start_at"]]
    window = casey.write.get("/api/v1/bookings/", {"from": at(2, 0).isoformat(), "to": at(4, 0).isoformat()})
    assert starts(window) == [middle["start_at"]]
    assert window.json()["meta"]["filters_applied"] == {"as": "client", "from": at(2, 0).isoformat(),
                                                        "to": at(4, 0).isoformat(), "ordering": "-created_at"}
    assert starts(casey.write.get("/api/v1/bookings/?ordering=start_at")) == [
        first["start_at"], middle["start_at"], last["start_at"]]
    assert starts(owner.write.get("/api/v1/bookings/?as=practitioner&when=past&ordering=start_at")) == [
        first["start_at"], middle["start_at"]]

    assert casey.write.post(f"/api/v1/bookings/{last['id']}/cancel/", {}, format="json").status_code == 200
    assert starts(casey.write.get("/api/v1/bookings/?status=cancelled")) == [last["start_at"]]
    assert starts(casey.write.get("/api/v1/bookings/?status=confirmed&when=upcoming")) == []

    for bad in ({"when": "soon"}, {"ordering": "price"}, {"from": "yesterday"},
                {"from": at(3, 0).isoformat(), "to": at(2, 0).isoformat()}):
        response = casey.write.get("/api/v1/bookings/", bad)
        assert response.status_code == 400, (bad, response.content)
        assert response.json()["code"] == "validation_error"


def test_a_cancellation_says_why_it_refunded_what_it_did(clock):
    owner = make_practitioner(open_hours=True)
    service = make_service(owner, price_cents=5000)
    casey = with_credits(make_user())
    early, late, theirs = book(casey, service, at(3, 10)), book(casey, service, at(0, 15)), book(casey, service,
                                                                                                at(0, 13))
    assert early["refund_reason"] is None

    def cancel(actor, booking):
        response = actor.write.post(f"/api/v1/bookings/{booking['id']}/cancel/", {}, format="json")
        assert response.status_code == 200, response.content
        data = response.json()["data"]
        return data["refund_cents"], data["refund_reason"]

    assert cancel(casey, early) == (5000, "inside_cancellation_window")
    assert cancel(casey, late) == (0, "outside_cancellation_window")
    assert cancel(owner, theirs) == (5000, "cancelled_by_practitioner")
    again = casey.write.get(f"/api/v1/bookings/{late['id']}/").json()["data"]
    assert (again["refund_cents"], again["refund_reason"]) == (0, "outside_cancellation_window")


# --- my services, drafts included ------------------------------------------------------------------------


def test_a_practitioner_lists_their_own_services_in_every_status():
    owner, other = make_practitioner(), make_practitioner("Other")
    draft = make_service(owner, title="Draft", status="draft")
    active = make_service(owner, title="Active")
    archived = make_service(owner, title="Archived")
    assert owner.write.delete(f"/api/v1/services/{archived.id}/").status_code == 200
    make_service(other, title="Not mine")

    everything = owner.write.get("/api/v1/services/")
    assert everything.status_code == 200, everything.content
    assert [s["title"] for s in everything.json()["data"]] == ["Archived", "Active", "Draft"]
    assert everything.json()["meta"]["pagination"]["count"] == 3
    drafts = owner.write.get("/api/v1/services/?status=draft").json()
    assert [s["id"] for s in drafts["data"]] == [str(draft.id)] and drafts["meta"]["filters_applied"] == {
        "status": "draft"}
    assert [s["id"] for s in owner.write.get("/api/v1/services/?status=active").json()["data"]] == [str(active.id)]
    assert owner.write.get("/api/v1/services/?status=gone").status_code == 400
    assert make_user().write.get("/api/v1/services/").status_code == 403
    assert anonymous().write.get("/api/v1/services/").status_code == 401


# --- notifications: one, and unread again ----------------------------------------------------------------


def test_a_notification_is_read_alone_and_can_be_marked_unread_again():
    reader, stranger = make_user(), make_user()
    notifications_deliver([NotificationDraft(user_id=reader.user.id, type="system", title="Welcome", body="Hi",
                                             dedupe_key="welcome", created_at=NOW)])
    listed = reader.write.get("/api/v1/notifications/").json()["data"][0]
    url = f"/api/v1/notifications/{listed['id']}/"

    one = reader.write.get(url)
    assert one.status_code == 200 and one.json()["data"] == listed
    assert stranger.write.get(url).status_code == 404

    def unread() -> int:
        return reader.write.get("/api/v1/notifications/unread-count/").json()["data"]["unread"]

    assert reader.write.post(f"{url}read/").json()["data"]["is_read"] is True and unread() == 0
    for _ in range(2):  # idempotent: the counter moves once
        response = reader.write.post(f"{url}unread/")
        assert response.status_code == 200, response.content
        assert (response.json()["data"]["is_read"], response.json()["data"]["read_at"]) == (False, None)
        assert unread() == 1
    assert stranger.write.post(f"{url}unread/").status_code == 404
    assert reader.write.delete(url).status_code == 200
    assert reader.write.get(url).status_code == 404 and unread() == 0


# --- streams: mine, saved or unlocked; favourites in one lookup ------------------------------------------


def test_the_caller_lists_their_saved_and_unlocked_streams():
    owner, fan, other = make_practitioner(), with_credits(make_user()), make_user()
    a = make_stream(owner, title="A")
    b = make_stream(owner, title="B", access="premium", price_cents=300)
    c = make_stream(owner, title="C")
    for stream in (a, c):
        assert fan.write.post(f"/api/v1/streams/{stream['id']}/save/").status_code == 200
    assert fan.write.post(f"/api/v1/streams/{b['id']}/unlock/", {}, format="json").status_code == 201
    assert other.write.post(f"/api/v1/streams/{b['id']}/save/").status_code == 200
    runtime.drain("streams")

    def titles(actor, query: str) -> list[str]:
        response = actor.read.get(f"/api/v1/streams/?{query}")
        assert response.status_code == 200, response.content
        return [s["title"] for s in response.json()["data"]]

    assert titles(fan, "saved=true") == ["C", "A"]
    assert titles(fan, "unlocked=true") == ["B"]
    assert titles(other, "saved=true") == ["B"] and titles(other, "unlocked=true") == []
    assert titles(fan, "saved=true&access=premium") == []
    assert titles(fan, "saved=false") == ["C", "B", "A"]
    saved = fan.read.get("/api/v1/streams/?saved=true").json()
    assert saved["meta"]["filters_applied"] == {"saved": True} and saved["meta"]["pagination"]["count"] == 2
    assert all(s["saved"] for s in saved["data"])
    refused = anonymous().read.get("/api/v1/streams/?saved=true")
    assert refused.status_code == 401 and refused.json()["code"] == "not_authenticated"


def test_favourite_ids_come_in_one_lookup_by_type():
    owner, fan = make_practitioner(), make_user()
    service, stream = make_service(owner), make_stream(owner)
    assert owner.practitioner is not None
    assert fan.write.get("/api/v1/favorites/ids/").json()["data"] == {"practitioner": [], "service": [],
                                                                      "stream": []}
    for kind, object_id in (("service", str(service.id)), ("stream", stream["id"]),
                            ("practitioner", str(owner.practitioner.id))):
        assert fan.write.post("/api/v1/favorites/", {"type": kind, "id": object_id},
                              format="json").status_code == 201
    ids = fan.write.get("/api/v1/favorites/ids/")
    assert ids.status_code == 200
    assert ids.json()["data"] == {"practitioner": [str(owner.practitioner.id)], "service": [str(service.id)],
                                  "stream": [stream["id"]]}
    assert make_user().write.get("/api/v1/favorites/ids/").json()["data"]["service"] == []
    assert anonymous().write.get("/api/v1/favorites/ids/").status_code == 401
