"""Streams: publishing, idempotent like/save toggles, exactly-once unlocks, per-caller visibility on both APIs."""

from __future__ import annotations

import uuid

import pytest

from tests.concurrency import in_parallel_n
from tests.engagement_fixtures import (
    anonymous,
    balance_of,
    make_practitioner,
    make_stream,
    make_user,
    with_credits,
)
from workers import runtime
from write_api.credits.models import CreditTransaction
from write_api.eventlog.models import Event
from write_api.streams.models import Stream, StreamLike, StreamUnlock

pytestmark = pytest.mark.django_db(transaction=True)

PREMIUM = {"title": "Sleep story", "description": "Drift off.", "body": "Once upon a time…",
           "media_url": "https://cdn.example.com/sleep.mp3", "access": "premium", "price_cents": 500,
           "tags": ["Sleep", " deep  rest "], "modalities": ["meditation"]}


# --- publishing --------------------------------------------------------------------------------------


def test_publish_returns_the_full_item_to_its_owner_and_emits_full_state():
    owner = make_practitioner()
    created = make_stream(owner, **PREMIUM)
    assert created["locked"] is False and created["body"] == "Once upon a time…"
    assert created["tags"] == ["sleep", "deep rest"]
    assert created["modalities"] == ["meditation"]
    assert created["practitioner"] == {"id": str(owner.practitioner.id), "display_name": "Ada Lovelace"}
    event = Event.objects.get(type="stream.published")
    assert event.payload["body"] == "Once upon a time…" and event.payload["price_cents"] == 500
    assert event.payload["like_count"] == 0 and event.payload["status"] == "published"

    updated = owner.write.patch(f"/api/v1/streams/{created['id']}/", {"access": "free"}, format="json")
    assert updated.status_code == 200, updated.content
    assert (updated.json()["data"]["access"], updated.json()["data"]["price_cents"]) == ("free", 0)
    assert owner.write.delete(f"/api/v1/streams/{created['id']}/").status_code == 200
    assert owner.write.delete(f"/api/v1/streams/{created['id']}/").status_code == 200  # idempotent
    assert [e.type for e in Event.objects.filter(aggregate_type="stream").order_by("position")] == [
        "stream.published", "stream.updated", "stream.archived"]
    assert owner.write.patch(f"/api/v1/streams/{created['id']}/", {"title": "x"},
                             format="json").json()["code"] == "stream_archived"


BAD_STREAMS = [
    ({"title": "x", "access": "premium"}, "price_cents"),
    ({"title": "x", "access": "premium", "price_cents": 0}, "price_cents"),
    ({"title": "x", "access": "free", "price_cents": 100}, "price_cents"),
    ({"title": "x", "access": "gold"}, "access"),
    ({"title": "x", "media_url": "not a url"}, "media_url"),
    ({"title": "x", "modalities": ["juggling"]}, "modalities"),
    ({"title": "x", "tags": ["t"] * 21}, "tags"),
    ({"title": "x", "price_cents": -1}, "price_cents"),
    ({"description": "no title"}, "title"),
    ({"title": "x", "colour": "red"}, "colour"),
]


def test_bad_stream_input_is_400():
    owner = make_practitioner()
    for body, field in BAD_STREAMS:
        response = owner.write.post("/api/v1/streams/", body, format="json")
        assert response.status_code == 400, (body, response.content)
        assert response.json()["code"] == "validation_error"
        assert field in response.json()["errors"], (body, response.json())
    assert not Stream.objects.exists()


def test_only_practitioners_publish_and_only_the_owner_changes():
    owner, other, client = make_practitioner(), make_practitioner("Other"), make_user()
    assert client.write.post("/api/v1/streams/", {"title": "x"}, format="json").status_code == 403
    stream = make_stream(owner)
    for actor in (other, client):
        assert actor.write.patch(f"/api/v1/streams/{stream['id']}/", {"title": "Mine"},
                                 format="json").status_code == 403
        assert actor.write.delete(f"/api/v1/streams/{stream['id']}/").status_code == 403
    assert Stream.objects.get(id=stream["id"]).title == "Morning flow"


# --- like and save --------------------------------------------------------------------------------------


def test_like_and_save_are_idempotent_toggles_with_counts():
    owner, a, b = make_practitioner(), make_user(), make_user()
    stream = make_stream(owner)
    url = f"/api/v1/streams/{stream['id']}"
    assert a.write.post(f"{url}/like/").json()["data"] == {"liked": True, "like_count": 1}
    assert a.write.post(f"{url}/like/").json()["data"] == {"liked": True, "like_count": 1}
    assert b.write.post(f"{url}/like/").json()["data"] == {"liked": True, "like_count": 2}
    assert a.write.delete(f"{url}/like/").json()["data"] == {"liked": False, "like_count": 1}
    assert a.write.delete(f"{url}/like/").json()["data"] == {"liked": False, "like_count": 1}
    assert a.write.post(f"{url}/save/").json()["data"] == {"saved": True, "save_count": 1}
    assert a.write.post(f"{url}/save/").json()["data"] == {"saved": True, "save_count": 1}
    assert a.write.delete(f"{url}/save/").json()["data"] == {"saved": False, "save_count": 0}
    assert [e.type for e in Event.objects.filter(type__in=["stream.liked", "stream.unliked", "stream.saved",
                                                           "stream.unsaved"]).order_by("position")] == [
        "stream.liked", "stream.liked", "stream.unliked", "stream.saved", "stream.unsaved"]
    assert a.write.post(f"/api/v1/streams/{uuid.uuid4()}/like/").status_code == 404


def test_fifty_parallel_likes_by_one_user_count_once():
    owner, fan = make_practitioner(), make_user()
    stream = make_stream(owner)
    clients = [fan.new_write_client() for _ in range(50)]
    results = in_parallel_n(50, lambda i: clients[i].post(f"/api/v1/streams/{stream['id']}/like/"))
    assert {r.status_code for r in results} == {200}
    assert {tuple(r.json()["data"].items()) for r in results} == {(("liked", True), ("like_count", 1))}
    assert Stream.objects.get(id=stream["id"]).like_count == 1
    assert StreamLike.objects.filter(stream_id=stream["id"]).count() == 1
    assert Event.objects.filter(type="stream.liked").count() == 1


def test_parallel_likes_by_many_users_count_each_once():
    owner = make_practitioner()
    fans = [make_user() for _ in range(12)]
    stream = make_stream(owner)
    clients = [f.new_write_client() for f in fans]
    in_parallel_n(12, lambda i: clients[i].post(f"/api/v1/streams/{stream['id']}/like/"))
    assert Stream.objects.get(id=stream["id"]).like_count == 12
    counts = sorted(e.payload["like_count"] for e in Event.objects.filter(type="stream.liked").order_by("position"))
    assert counts == list(range(1, 13))
    ordered = [e.payload["like_count"] for e in Event.objects.filter(type="stream.liked").order_by("position")]
    assert ordered == list(range(1, 13))  # in commit order, each event carries the count after it


# --- unlock ---------------------------------------------------------------------------------------------


def test_unlock_with_credits_charges_once_and_reveals_the_content():
    owner, fan = make_practitioner(), with_credits(make_user(), 1200)
    stream = make_stream(owner, **PREMIUM)
    first = fan.write.post(f"/api/v1/streams/{stream['id']}/unlock/", {}, format="json")
    assert first.status_code == 201, first.content
    data = first.json()["data"]
    assert (data["locked"], data["unlocked"], data["body"], data["media_url"]) == (
        False, True, "Once upon a time…", "https://cdn.example.com/sleep.mp3")
    again = fan.write.post(f"/api/v1/streams/{stream['id']}/unlock/", {}, format="json")
    assert again.status_code == 200 and again.json()["data"]["unlocked"] is True
    assert balance_of(fan) == 700
    spend = CreditTransaction.objects.get(user=fan.user, kind="spend")
    assert (spend.amount_cents, spend.reference_type, spend.reference_id) == (-500, "stream", stream["id"])
    assert Event.objects.filter(type="stream.unlocked").count() == 1


def test_parallel_unlocks_charge_once():
    owner, fan = make_practitioner(), with_credits(make_user(), 5000)
    stream = make_stream(owner, **PREMIUM)
    clients = [fan.new_write_client() for _ in range(10)]
    results = in_parallel_n(10, lambda i: clients[i].post(f"/api/v1/streams/{stream['id']}/unlock/", {},
                                                        format="json"))
    assert sorted(r.status_code for r in results) == [200] * 9 + [201]
    assert balance_of(fan) == 4500
    assert CreditTransaction.objects.filter(user=fan.user, kind="spend").count() == 1
    assert StreamUnlock.objects.filter(user=fan.user).count() == 1


def test_idempotency_key_replays_the_first_answer():
    owner, fan = make_practitioner(), with_credits(make_user(), 5000)
    stream = make_stream(owner, **PREMIUM)
    url = f"/api/v1/streams/{stream['id']}/unlock/"
    first = fan.write.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="unlock-1")
    replay = fan.write.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="unlock-1")
    assert (first.status_code, replay.status_code) == (201, 201)
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
    reused = fan.write.post(url, {"payment_method": "card", "payment_token": "tok_test_success"}, format="json",
                            HTTP_IDEMPOTENCY_KEY="unlock-1")
    assert reused.status_code == 409 and reused.json()["code"] == "idempotency_key_reused"
    clients = [fan.new_write_client() for _ in range(6)]
    in_parallel_n(6, lambda i: clients[i].post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="unlock-2"))
    assert balance_of(fan) == 4500


def test_insufficient_credits_is_409_and_changes_nothing():
    owner, fan = make_practitioner(), with_credits(make_user(), 100)
    stream = make_stream(owner, **PREMIUM)
    response = fan.write.post(f"/api/v1/streams/{stream['id']}/unlock/", {}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "insufficient_credits"
    assert not StreamUnlock.objects.exists() and balance_of(fan) == 100
    assert not Event.objects.filter(type="stream.unlocked").exists()


def test_unlock_by_card_buys_the_price_then_unlocks():
    owner, fan = make_practitioner(), make_user()
    stream = make_stream(owner, **PREMIUM)
    url = f"/api/v1/streams/{stream['id']}/unlock/"
    declined = fan.write.post(url, {"payment_method": "card", "payment_token": "tok_test_declined"}, format="json")
    assert declined.status_code == 402 and declined.json()["code"] == "payment_declined"
    missing = fan.write.post(url, {"payment_method": "card"}, format="json")
    assert missing.status_code == 400 and "payment_token" in missing.json()["errors"]
    paid = fan.write.post(url, {"payment_method": "card", "payment_token": "tok_test_success"}, format="json")
    assert paid.status_code == 201, paid.content
    assert paid.json()["data"]["body"] == "Once upon a time…"
    assert StreamUnlock.objects.get(user=fan.user).method == "card"
    assert sorted(CreditTransaction.objects.filter(user=fan.user).values_list("kind", "amount_cents")) == [
        ("purchase", 500), ("spend", -500)]
    again = fan.write.post(url, {"payment_method": "card", "payment_token": "tok_test_success"}, format="json")
    assert again.status_code == 200 and balance_of(fan) == 0  # nothing bought the second time


def test_unlock_conflicts():
    owner, fan = make_practitioner(), with_credits(make_user())
    free = make_stream(owner)
    premium = make_stream(owner, **PREMIUM)
    assert fan.write.post(f"/api/v1/streams/{free['id']}/unlock/", {}, format="json").json()["code"] == \
        "stream_not_premium"
    assert owner.write.post(f"/api/v1/streams/{premium['id']}/unlock/", {}, format="json").json()["code"] == \
        "own_stream"
    assert fan.write.post(f"/api/v1/streams/{uuid.uuid4()}/unlock/", {}, format="json").status_code == 404
    assert fan.write.post(f"/api/v1/streams/{premium['id']}/unlock/", {"payment_method": "cash"},
                          format="json").status_code == 400


# --- read API -------------------------------------------------------------------------------------------


def test_read_api_hides_premium_content_per_caller():
    owner, fan, stranger = make_practitioner(), with_credits(make_user()), make_user()
    premium = make_stream(owner, **PREMIUM)
    free = make_stream(owner, title="Free flow")
    fan.write.post(f"/api/v1/streams/{premium['id']}/unlock/", {}, format="json")
    fan.write.post(f"/api/v1/streams/{free['id']}/like/")
    position = fan.write.post(f"/api/v1/streams/{free['id']}/save/")["X-Event-Position"]
    runtime.drain("streams")

    def seen(actor, stream_id):
        response = actor.read.get(f"/api/v1/streams/{stream_id}/", HTTP_X_MIN_POSITION=position)
        assert response.status_code == 200, response.content
        return response.json()["data"]

    for actor in (owner, fan):
        item = seen(actor, premium["id"])
        assert (item["locked"], item["body"], item["media_url"]) == (False, "Once upon a time…",
                                                                     "https://cdn.example.com/sleep.mp3")
    for actor in (stranger, anonymous()):
        item = seen(actor, premium["id"])
        assert (item["locked"], item["body"], item["media_url"]) == (True, None, None)
        assert item["description"] == "Drift off." and item["price_cents"] == 500
    assert seen(fan, premium["id"])["unlocked"] is True
    assert seen(stranger, premium["id"])["unlocked"] is False
    assert seen(anonymous(), free["id"])["body"] == "Full script"
    fan_free = seen(fan, free["id"])
    assert (fan_free["liked"], fan_free["saved"], fan_free["like_count"], fan_free["save_count"]) == (True, True, 1, 1)
    assert (seen(stranger, free["id"])["liked"], seen(anonymous(), free["id"])["liked"]) == (False, None)

    listed = stranger.read.get("/api/v1/streams/").json()
    assert [s["id"] for s in listed["data"]] == [free["id"], premium["id"]]
    assert [s["locked"] for s in listed["data"]] == [False, True]
    assert [s["locked"] for s in fan.read.get("/api/v1/streams/").json()["data"]] == [False, False]
    assert listed["data"][1]["practitioner"]["display_name"] == "Ada Lovelace"


def test_read_api_filters_paginates_and_hides_archived():
    owner, other = make_practitioner(), make_practitioner("Other")
    premium = make_stream(owner, **PREMIUM)
    free = make_stream(owner, title="Free flow", tags=["yoga"])
    theirs = make_stream(other, title="Theirs", tags=["Sleep"])
    runtime.drain("streams")

    def ids(query: str) -> list[str]:
        response = other.read.get(f"/api/v1/streams/?{query}")
        assert response.status_code == 200, response.content
        return [s["id"] for s in response.json()["data"]]

    assert ids("") == [theirs["id"], free["id"], premium["id"]]
    assert ids("access=premium") == [premium["id"]]
    assert ids("tag=SLEEP") == [theirs["id"], premium["id"]]
    assert ids(f"tag=sleep&practitioner={owner.practitioner.id}") == [premium["id"]]
    assert ids("modality=meditation") == [premium["id"]]
    page = other.read.get("/api/v1/streams/?page=2&page_size=2").json()
    assert [s["id"] for s in page["data"]] == [premium["id"]]
    assert page["meta"]["pagination"]["count"] == 3
    assert other.read.get("/api/v1/streams/?access=gold").status_code == 400
    assert other.read.get("/api/v1/streams/?practitioner=nope").status_code == 400

    owner.write.delete(f"/api/v1/streams/{free['id']}/")
    runtime.drain("streams")
    assert ids("") == [theirs["id"], premium["id"]]
    assert other.read.get(f"/api/v1/streams/{free['id']}/").status_code == 404
    assert owner.read.get(f"/api/v1/streams/{free['id']}/").json()["data"]["status"] == "archived"
    assert other.read.get(f"/api/v1/streams/{uuid.uuid4()}/").status_code == 404


def test_streams_projection_rebuild_equals_incremental_replay():
    owner, fan = make_practitioner(), with_credits(make_user())
    stream = make_stream(owner, **PREMIUM)
    runtime.drain("streams")
    fan.write.post(f"/api/v1/streams/{stream['id']}/unlock/", {}, format="json")
    fan.write.post(f"/api/v1/streams/{stream['id']}/like/")
    runtime.drain("streams")
    owner.write.patch(f"/api/v1/streams/{stream['id']}/", {"tags": ["calm"]}, format="json")
    runtime.drain("streams")
    assert runtime.verify("streams").matches
    assert fan.read.get("/api/v1/streams/?tag=sleep").json()["data"] == []
    runtime.rebuild("streams", grace=0)
    item = fan.read.get("/api/v1/streams/?tag=calm").json()["data"][0]
    assert (item["locked"], item["liked"], item["like_count"]) == (False, True, 1)
