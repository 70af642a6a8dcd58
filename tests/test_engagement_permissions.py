"""Permission matrix of every favourites, reviews, notifications and streams endpoint (issue 4).

Each case runs one request as each actor — anonymous, another client, another practitioner, the
owner, staff (and, for reviews, the reviewed practitioner) — on fresh objects, and compares the
status codes row by row; the side effects are checked too: nobody reads or changes another user's
favourites, notifications, unlocks or reviews.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from tests.engagement_fixtures import (
    Actor,
    anonymous,
    completed_booking,
    make_practitioner,
    make_service,
    make_stream,
    make_user,
    with_credits,
)
from workers import runtime
from write_api.favorites.models import Favorite
from write_api.notifications.models import Notification
from write_api.notifications.services import NotificationDraft, notifications_deliver
from write_api.reviews.models import Review
from write_api.streams.models import Stream, StreamLike, StreamUnlock

pytestmark = pytest.mark.django_db(transaction=True)

ACTORS = ("anonymous", "other_client", "other_practitioner", "owner", "staff")


@dataclass
class World:
    client: Actor  # owns favourites, notifications, reviews and unlocks
    practitioner: Actor  # owns services and streams; is the reviewed practitioner
    other_client: Actor
    other_practitioner: Actor
    staff: Actor
    anonymous: Actor

    def actor(self, name: str, *, owner: str) -> Actor:
        return getattr(self, owner) if name == "owner" else getattr(self, name)


@pytest.fixture
def world() -> World:
    return World(client=with_credits(make_user()), practitioner=make_practitioner(),
                 other_client=with_credits(make_user()), other_practitioner=with_credits(make_practitioner("Other")),
                 staff=with_credits(make_user(staff=True)), anonymous=anonymous())


def matrix(world: World, call: Callable[[Actor, str], Any], *, owner: str,
           actors: tuple[str, ...] = ACTORS) -> dict[str, int]:
    return {name: call(world.actor(name, owner=owner), name).status_code for name in actors}


def expect(anonymous: int, other_client: int, other_practitioner: int, owner: int, staff: int) -> dict[str, int]:
    return dict(zip(ACTORS, (anonymous, other_client, other_practitioner, owner, staff), strict=True))


# --- favourites -------------------------------------------------------------------------------------------


def test_favorites_permissions(world: World):
    service = make_service(world.practitioner)
    assert world.client.write.post("/api/v1/favorites/", {"type": "service", "id": str(service.id)},
                                   format="json").status_code == 201

    listed: dict[str, list] = {}

    def list_(actor: Actor, name: str):
        response = actor.write.get("/api/v1/favorites/")
        listed[name] = response.json()["data"] if response.status_code == 200 else None
        return response

    assert matrix(world, list_, owner="client") == expect(401, 200, 200, 200, 200)
    assert [len(listed[n]) for n in ("other_client", "other_practitioner", "owner", "staff")] == [0, 0, 1, 0]

    deleting = matrix(world, lambda a, _: a.write.delete(f"/api/v1/favorites/service/{service.id}/"),
                      owner="client", actors=("anonymous", "other_client", "other_practitioner", "staff"))
    assert deleting == {"anonymous": 401, "other_client": 200, "other_practitioner": 200, "staff": 200}
    assert Favorite.objects.filter(user=world.client.user).count() == 1  # only the owner can remove theirs
    assert world.client.write.delete(f"/api/v1/favorites/service/{service.id}/").status_code == 200
    assert not Favorite.objects.exists()

    adding = matrix(world, lambda a, _: a.write.post("/api/v1/favorites/", {"type": "service", "id": str(service.id)},
                                                     format="json"), owner="client")
    assert adding == expect(401, 201, 201, 201, 201)
    assert Favorite.objects.count() == 4  # each for themselves


# --- notifications ----------------------------------------------------------------------------------------


def _notification(world: World, key: str) -> str:
    notifications_deliver([NotificationDraft(user_id=world.client.user.id, type="system", title="Hello", body="",
                                             dedupe_key=key, created_at=timezone.now())])
    return str(Notification.objects.get(dedupe_key=key).id)


def test_notifications_permissions(world: World):
    mine = _notification(world, "n:1")

    counts = {n: world.actor(n, owner="client").write.get("/api/v1/notifications/unread-count/").json().get("data")
              for n in ACTORS[1:]}
    assert counts == {"other_client": {"unread": 0}, "other_practitioner": {"unread": 0}, "owner": {"unread": 1},
                      "staff": {"unread": 0}}
    assert matrix(world, lambda a, _: a.write.get("/api/v1/notifications/unread-count/"), owner="client") == expect(
        401, 200, 200, 200, 200)
    assert matrix(world, lambda a, _: a.write.get("/api/v1/notifications/"), owner="client") == expect(
        401, 200, 200, 200, 200)
    assert len(world.other_client.write.get("/api/v1/notifications/").json()["data"]) == 0

    others = ("anonymous", "other_client", "other_practitioner", "staff")
    assert matrix(world, lambda a, _: a.write.post(f"/api/v1/notifications/{mine}/read/"), owner="client",
                  actors=others) == {"anonymous": 401, "other_client": 404, "other_practitioner": 404, "staff": 404}
    assert matrix(world, lambda a, _: a.write.delete(f"/api/v1/notifications/{mine}/"), owner="client",
                  actors=others) == {"anonymous": 401, "other_client": 404, "other_practitioner": 404, "staff": 404}
    assert matrix(world, lambda a, _: a.write.post("/api/v1/notifications/read-all/"), owner="client",
                  actors=others) == {"anonymous": 401, "other_client": 200, "other_practitioner": 200, "staff": 200}
    assert Notification.objects.get(id=mine).is_read is False and Notification.objects.get(id=mine).deleted_at is None

    assert world.client.write.post(f"/api/v1/notifications/{mine}/read/").status_code == 200
    assert world.client.write.post("/api/v1/notifications/read-all/").status_code == 200
    assert world.client.write.delete(f"/api/v1/notifications/{mine}/").status_code == 200


# --- reviews ----------------------------------------------------------------------------------------------

REVIEW_ACTORS = (*ACTORS, "practitioner")  # "owner" is the author; "practitioner" the reviewed one


def test_review_create_permissions(world: World):
    service = make_service(world.practitioner)
    booking = completed_booking(world.client, service)
    codes = matrix(world, lambda a, _: a.write.post(f"/api/v1/bookings/{booking.id}/review/", {"rating": 5},
                                                    format="json"), owner="client", actors=REVIEW_ACTORS)
    assert codes == {**expect(401, 404, 404, 201, 403), "practitioner": 403}
    assert list(Review.objects.values_list("client_id", flat=True)) == [world.client.user.id]


def _fresh_review(world: World) -> str:
    booking = completed_booking(world.client, make_service(world.practitioner))
    response = world.client.write.post(f"/api/v1/bookings/{booking.id}/review/", {"rating": 4}, format="json")
    assert response.status_code == 201
    return response.json()["data"]["id"]


def test_review_edit_delete_and_reply_permissions(world: World):
    edit = matrix(world, lambda a, _: a.write.patch(f"/api/v1/reviews/{_fresh_review(world)}/", {"rating": 1},
                                                    format="json"), owner="client", actors=REVIEW_ACTORS)
    assert edit == {**expect(401, 403, 403, 200, 403), "practitioner": 403}
    assert sorted(Review.objects.values_list("rating", flat=True)) == [1, 4, 4, 4, 4, 4]

    delete = matrix(world, lambda a, _: a.write.delete(f"/api/v1/reviews/{_fresh_review(world)}/"),
                    owner="client", actors=REVIEW_ACTORS)
    assert delete == {**expect(401, 403, 403, 200, 200), "practitioner": 403}  # staff moderate

    reply = matrix(world, lambda a, _: a.write.post(f"/api/v1/reviews/{_fresh_review(world)}/reply/",
                                                    {"reply": "Thanks"}, format="json"),
                   owner="client", actors=REVIEW_ACTORS)
    assert reply == {**expect(401, 403, 403, 403, 403), "practitioner": 201}
    assert Review.objects.exclude(reply="").count() == 1


def test_review_list_is_public(world: World):
    _fresh_review(world)
    runtime.drain("reviews")
    url = f"/api/v1/reviews/?practitioner={world.practitioner.practitioner.id}"
    listed = matrix(world, lambda a, _: a.read.get(url), owner="client")
    assert listed == expect(200, 200, 200, 200, 200)


# --- streams ----------------------------------------------------------------------------------------------

PREMIUM = {"title": "Deep rest", "body": "The secret", "media_url": "https://cdn.example.com/r.mp3",
           "access": "premium", "price_cents": 300}


def test_stream_write_permissions(world: World):
    publish = matrix(world, lambda a, _: a.write.post("/api/v1/streams/", {"title": "x"}, format="json"),
                     owner="practitioner")
    assert publish == expect(401, 403, 201, 201, 403)

    def fresh() -> str:
        return make_stream(world.practitioner)["id"]

    patch = matrix(world, lambda a, _: a.write.patch(f"/api/v1/streams/{fresh()}/", {"title": "Mine now"},
                                                     format="json"), owner="practitioner")
    assert patch == expect(401, 403, 403, 200, 403)
    assert Stream.objects.filter(title="Mine now").count() == 1
    delete = matrix(world, lambda a, _: a.write.delete(f"/api/v1/streams/{fresh()}/"), owner="practitioner")
    assert delete == expect(401, 403, 403, 200, 200)


def test_stream_reaction_and_unlock_permissions(world: World):
    stream = make_stream(world.practitioner, **PREMIUM)["id"]
    for verb in ("like", "save"):
        for method in ("post", "delete"):
            codes = matrix(world, lambda a, _, m=method, v=verb: getattr(a.write, m)(f"/api/v1/streams/{stream}/{v}/"),
                           owner="practitioner")
            assert codes == expect(401, 200, 200, 200, 200), (verb, method)
    world.client.write.post(f"/api/v1/streams/{stream}/like/")
    assert list(StreamLike.objects.values_list("user_id", flat=True)) == [world.client.user.id]

    unlock = matrix(world, lambda a, _: a.write.post(f"/api/v1/streams/{stream}/unlock/", {}, format="json"),
                    owner="practitioner")
    assert unlock == expect(401, 201, 201, 409, 201)
    assert sorted(map(str, StreamUnlock.objects.values_list("user_id", flat=True))) == sorted(
        [world.other_client.id, world.other_practitioner.id, world.staff.id])


def test_stream_read_permissions_and_visibility(world: World):
    stream = make_stream(world.practitioner, **PREMIUM)["id"]
    world.client.write.post(f"/api/v1/streams/{stream}/unlock/", {}, format="json")
    runtime.drain("streams")
    bodies: dict[str, Any] = {}

    def detail(actor: Actor, name: str):
        response = actor.read.get(f"/api/v1/streams/{stream}/")
        bodies[name] = response.json()["data"]["body"]
        return response

    assert matrix(world, detail, owner="practitioner") == expect(200, 200, 200, 200, 200)
    assert bodies == {"anonymous": None, "other_client": None, "other_practitioner": None, "owner": "The secret",
                      "staff": None}
    assert world.client.read.get(f"/api/v1/streams/{stream}/").json()["data"]["body"] == "The secret"  # unlocked
    listed = matrix(world, lambda a, _: a.read.get("/api/v1/streams/"), owner="practitioner")
    assert listed == expect(200, 200, 200, 200, 200)
    assert [s["locked"] for s in world.other_client.read.get("/api/v1/streams/").json()["data"]] == [True]

    # archived: gone for everyone but the owner and those who paid for it
    world.practitioner.write.delete(f"/api/v1/streams/{stream}/")
    runtime.drain("streams")
    archived = matrix(world, lambda a, _: a.read.get(f"/api/v1/streams/{stream}/"), owner="practitioner")
    assert archived == expect(404, 404, 404, 200, 404)
    assert world.client.read.get(f"/api/v1/streams/{stream}/").status_code == 200
