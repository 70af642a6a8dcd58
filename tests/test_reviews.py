"""Reviews: once per completed booking, 24 h edit window, one reply; summaries on the read side."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from tests.concurrency import in_parallel_n
from tests.engagement_fixtures import anonymous, completed_booking, make_practitioner, make_service, make_user
from workers import runtime
from write_api.eventlog.models import Event
from write_api.reviews.models import Review

pytestmark = pytest.mark.django_db(transaction=True)

EMPTY = {"average": None, "count": 0, "distribution": {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0}}


def review(actor, booking, **body):
    return actor.write.post(f"/api/v1/bookings/{booking.id}/review/", {"rating": 5, **body}, format="json")


def test_client_of_a_completed_booking_reviews_it_once():
    owner, client = make_practitioner(), make_user(first_name="Jane", last_name="Doe")
    service = make_service(owner, title="Yin yoga")
    booking = completed_booking(client, service)
    response = review(client, booking, rating=4, comment="Calm and kind.")
    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert (data["rating"], data["comment"], data["reviewer"], data["reply"]) == (4, "Calm and kind.",
                                                                                 {"name": "Jane D."}, None)
    assert data["service"] == {"id": str(service.id), "title": "Yin yoga"}
    event = Event.objects.get(type="review.published")
    summary = {"average": 4.0, "count": 1, "distribution": {"1": 0, "2": 0, "3": 0, "4": 1, "5": 0}}
    assert event.payload["service_rating"] == summary and event.payload["practitioner_rating"] == summary

    again = review(client, booking, rating=1)
    assert again.status_code == 409 and again.json()["code"] == "already_reviewed"
    assert Review.objects.count() == 1


def test_only_completed_bookings_can_be_reviewed():
    owner, client = make_practitioner(), make_user()
    service = make_service(owner)
    for status in ("confirmed", "cancelled", "unscheduled"):
        response = review(client, completed_booking(client, service, status=status))
        assert response.status_code == 409, status
        assert response.json()["code"] == "booking_not_completed"
    assert review(client, completed_booking(client, service)).status_code == 201


def test_bad_review_input_is_4xx():
    owner, client = make_practitioner(), make_user()
    booking = completed_booking(client, make_service(owner))
    cases = [({"rating": 0}, "rating"), ({"rating": 6}, "rating"), ({"rating": "five"}, "rating"),
             ({"rating": 2.5}, "rating"), ({"rating": 5, "comment": "x" * 10_240}, "comment"),
             ({"comment": "no rating"}, "rating"), ({"rating": 5, "stars": 5}, "stars")]
    for body, field in cases:
        response = client.write.post(f"/api/v1/bookings/{booking.id}/review/", body, format="json")
        assert response.status_code == 400, body
        assert response.json()["code"] == "validation_error" and field in response.json()["errors"], body
    assert review(client, booking, comment="x" * 2000).status_code == 201
    assert review(client, completed_booking(client, make_service(owner)), rating=None).status_code == 400
    missing = client.write.post(f"/api/v1/bookings/{uuid.uuid4()}/review/", {"rating": 5}, format="json")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


def test_author_edits_and_deletes_within_24_hours_only():
    owner, client, staff = make_practitioner(), make_user(), make_user(staff=True)
    service = make_service(owner)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        first = review(client, completed_booking(client, service), rating=2).json()["data"]
        second = review(client, completed_booking(client, service), rating=3).json()["data"]
        edited = client.write.patch(f"/api/v1/reviews/{first['id']}/", {"rating": 5, "comment": "Better"},
                                    format="json")
        assert edited.status_code == 200 and (edited.json()["data"]["rating"], edited.json()["data"]["comment"]) == (
            5, "Better")
        assert client.write.patch(f"/api/v1/reviews/{first['id']}/", {}, format="json").status_code == 400
        assert client.write.patch(f"/api/v1/reviews/{first['id']}/", {"rating": 0}, format="json").status_code == 400

        clock.shift(timedelta(hours=24, seconds=1))
        client.login(), staff.login()
        late = client.write.patch(f"/api/v1/reviews/{first['id']}/", {"rating": 1}, format="json")
        assert late.status_code == 409 and late.json()["code"] == "edit_window_closed"
        assert client.write.delete(f"/api/v1/reviews/{first['id']}/").json()["code"] == "edit_window_closed"
        assert staff.write.delete(f"/api/v1/reviews/{first['id']}/").status_code == 200  # moderation
        clock.shift(-timedelta(hours=1))
        client.login()
        assert client.write.delete(f"/api/v1/reviews/{second['id']}/").status_code == 200
    client.login()
    deleted = Event.objects.filter(type="review.deleted").order_by("position")
    assert [e.payload["deleted_by"] for e in deleted] == ["staff", "author"]
    assert deleted.last().payload["service_rating"] == EMPTY
    assert client.write.patch(f"/api/v1/reviews/{first['id']}/", {"rating": 4}, format="json").status_code == 404
    # a deleted review still counts as the booking's one review
    assert review(client, Review.objects.get(id=first["id"]).booking).json()["code"] == "already_reviewed"


def test_the_reviewed_practitioner_replies_once():
    owner, other, client = make_practitioner(), make_practitioner("Other"), make_user()
    created = review(client, completed_booking(client, make_service(owner))).json()["data"]
    url = f"/api/v1/reviews/{created['id']}/reply/"
    for actor in (other, client):
        response = actor.write.post(url, {"reply": "Hi"}, format="json")
        assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    assert owner.write.post(url, {"reply": ""}, format="json").status_code == 400
    assert owner.write.post(url, {"reply": "x" * 2001}, format="json").status_code == 400
    replied = owner.write.post(url, {"reply": "Thank you!"}, format="json")
    assert replied.status_code == 201 and replied.json()["data"]["reply"]["text"] == "Thank you!"
    twice = owner.write.post(url, {"reply": "Again"}, format="json")
    assert twice.status_code == 409 and twice.json()["code"] == "already_replied"
    assert owner.write.post(f"/api/v1/reviews/{uuid.uuid4()}/reply/", {"reply": "?"}, format="json").status_code == 404


def test_parallel_reviews_keep_summaries_exact_and_one_per_booking():
    owner = make_practitioner()
    service = make_service(owner)
    clients = [make_user() for _ in range(8)]
    bookings = [completed_booking(c, service) for c in clients]
    apis = [c.new_write_client() for c in clients]
    results = in_parallel_n(8, lambda i: apis[i].post(f"/api/v1/bookings/{bookings[i].id}/review/",
                                                    {"rating": 1 + i % 5}, format="json"))
    assert [r.status_code for r in results] == [201] * 8
    events = list(Event.objects.filter(type="review.published").order_by("position"))
    assert [e.payload["service_rating"]["count"] for e in events] == list(range(1, 9))
    assert events[-1].payload["service_rating"]["distribution"] == {"1": 2, "2": 2, "3": 2, "4": 1, "5": 1}
    assert events[-1].payload["service_rating"]["average"] == 2.62

    same = [clients[0].new_write_client() for _ in range(6)]
    booking = completed_booking(clients[0], service)
    codes = in_parallel_n(6, lambda i: same[i].post(f"/api/v1/bookings/{booking.id}/review/", {"rating": 5},
                                                  format="json"))
    assert sorted(r.status_code for r in codes) == [201] + [409] * 5
    assert Review.objects.filter(booking=booking).count() == 1


def test_idempotency_key_on_review_create():
    owner, client = make_practitioner(), make_user()
    booking = completed_booking(client, make_service(owner))
    url = f"/api/v1/bookings/{booking.id}/review/"
    first = client.write.post(url, {"rating": 5}, format="json", HTTP_IDEMPOTENCY_KEY="r-1")
    replay = client.write.post(url, {"rating": 5}, format="json", HTTP_IDEMPOTENCY_KEY="r-1")
    assert (first.status_code, replay.status_code, replay["Idempotent-Replayed"]) == (201, 201, "true")
    assert replay.json() == first.json()
    other = client.write.post(url, {"rating": 4}, format="json", HTTP_IDEMPOTENCY_KEY="r-1")
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"


def test_read_api_lists_reviews_and_projects_summaries():
    owner, other_owner = make_practitioner(), make_practitioner("Other")
    yoga, pilates = make_service(owner, title="Yoga"), make_service(owner, title="Pilates")
    elsewhere = make_service(other_owner, title="Elsewhere")
    a, b = make_user(first_name="Ann"), make_user(first_name="Bob", last_name="Ray")
    r1 = review(a, completed_booking(a, yoga), rating=5, comment="Great").json()["data"]
    r2 = review(b, completed_booking(b, yoga), rating=3).json()["data"]
    r3 = review(a, completed_booking(a, pilates), rating=4).json()["data"]
    review(b, completed_booking(b, elsewhere), rating=1)
    reply = owner.write.post(f"/api/v1/reviews/{r1['id']}/reply/", {"reply": "Thanks Ann"}, format="json")
    runtime.drain_all()
    position = reply["X-Event-Position"]

    by_service = anonymous().read.get(f"/api/v1/reviews/?service={yoga.id}", HTTP_X_MIN_POSITION=position)
    assert by_service.status_code == 200, by_service.content
    body = by_service.json()
    assert [r["id"] for r in body["data"]] == [r2["id"], r1["id"]]
    assert body["data"][1]["reply"]["text"] == "Thanks Ann"
    assert body["data"][0]["reviewer"] == {"name": "Bob R."}
    assert body["meta"]["summary"] == {"average": 4.0, "count": 2,
                                       "distribution": {"1": 0, "2": 0, "3": 1, "4": 0, "5": 1}}
    assert body["meta"]["filters_applied"] == {"service": str(yoga.id)}

    by_practitioner = anonymous().read.get(f"/api/v1/reviews/?practitioner={owner.practitioner.id}&page_size=2").json()
    assert [r["id"] for r in by_practitioner["data"]] == [r3["id"], r2["id"]]
    assert by_practitioner["meta"]["pagination"]["count"] == 3
    assert by_practitioner["meta"]["summary"]["count"] == 3 and by_practitioner["meta"]["summary"]["average"] == 4.0
    both = anonymous().read.get(f"/api/v1/reviews/?practitioner={other_owner.practitioner.id}&service={yoga.id}")
    assert both.json()["data"] == [] and both.json()["meta"]["pagination"]["count"] == 0
    assert anonymous().read.get("/api/v1/reviews/").json()["meta"]["pagination"]["count"] == 4
    assert anonymous().read.get("/api/v1/reviews/?service=nope").status_code == 400

    detail = anonymous().read.get(f"/api/v1/services/{yoga.id}/").json()["data"]
    assert detail["reviews"] == body["meta"]["summary"]
    from read_models.catalogue import store
    practitioner_doc = store.read_doc(store.active_generation(), f"practitioner:{owner.practitioner.id}")
    assert practitioner_doc["reviews"]["count"] == 3

    # a service update keeps its summary; a deleted review leaves the list and the summary
    owner.write.patch(f"/api/v1/services/{yoga.id}/", {"title": "Yoga flow"}, format="json")
    deleted = b.write.delete(f"/api/v1/reviews/{r2['id']}/")
    assert deleted.status_code == 200
    runtime.drain_all()
    after = anonymous().read.get(f"/api/v1/reviews/?service={yoga.id}").json()
    assert [r["id"] for r in after["data"]] == [r1["id"]]
    assert after["meta"]["summary"]["count"] == 1
    detail = anonymous().read.get(f"/api/v1/services/{yoga.id}/").json()["data"]
    assert (detail["title"], detail["reviews"]["average"], detail["reviews"]["count"]) == ("Yoga flow", 5.0, 1)

    for name in ("reviews", "catalogue"):
        verified = runtime.verify(name)
        assert verified.matches, verified.differences
