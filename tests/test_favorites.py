"""Favourites: one per (user, object), idempotent add and remove, listed with a brief of each object."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.db import connection

from tests.engagement_fixtures import make_practitioner, make_service, make_stream, make_user
from write_api.eventlog.models import Event
from write_api.favorites.models import Favorite

pytestmark = pytest.mark.django_db(transaction=True)


def test_add_is_201_then_200_and_remove_is_200_either_way():
    owner, client = make_practitioner(), make_user()
    service = make_service(owner)

    first = client.write.post("/api/v1/favorites/", {"type": "service", "id": str(service.id)}, format="json")
    assert first.status_code == 201, first.content
    assert first.json()["data"]["type"] == "service"
    assert first.json()["data"]["object"]["title"] == "Yin yoga"
    again = client.write.post("/api/v1/favorites/", {"type": "service", "id": str(service.id)}, format="json")
    assert again.status_code == 200
    assert again.json()["data"]["id"] == first.json()["data"]["id"]
    assert Favorite.objects.filter(user=client.user).count() == 1
    assert Event.objects.filter(type="favorite.added").count() == 1

    assert client.write.delete(f"/api/v1/favorites/service/{service.id}/").status_code == 200
    assert client.write.delete(f"/api/v1/favorites/service/{service.id}/").status_code == 200
    assert Favorite.objects.filter(user=client.user).count() == 0
    assert Event.objects.filter(type="favorite.removed").count() == 1


def test_list_filters_by_type_and_carries_briefs_with_one_query_per_type(django_assert_max_num_queries):
    owner, client = make_practitioner("Grace Hopper"), make_user()
    services = [make_service(owner, title=f"Class {i}") for i in range(3)]
    stream = make_stream(owner, title="Breathing basics")
    for service in services:
        assert client.write.post("/api/v1/favorites/", {"type": "service", "id": str(service.id)},
                                 format="json").status_code == 201
    client.write.post("/api/v1/favorites/", {"type": "practitioner", "id": str(owner.practitioner.id)}, format="json")
    client.write.post("/api/v1/favorites/", {"type": "stream", "id": stream["id"]}, format="json")

    everything = client.write.get("/api/v1/favorites/")
    assert everything.status_code == 200
    body = everything.json()
    assert body["meta"]["pagination"]["count"] == 5
    assert [f["type"] for f in body["data"]] == ["stream", "practitioner", "service", "service", "service"]
    assert body["data"][0]["object"]["title"] == "Breathing basics"
    assert body["data"][1]["object"]["display_name"] == "Grace Hopper"

    only_services = client.write.get("/api/v1/favorites/?type=service&page_size=2").json()
    assert only_services["meta"]["filters_applied"] == {"type": "service"}
    assert only_services["meta"]["pagination"]["count"] == 3
    assert [f["object"]["title"] for f in only_services["data"]] == ["Class 2", "Class 1"]

    # auth user, count, page, one brief query per type (+ its practitioner join), content types cached
    with django_assert_max_num_queries(8):
        client.write.get("/api/v1/favorites/?page_size=100")


BAD_FAVORITES = [
    ({"type": "workshop", "id": str(uuid.uuid4())}, "type"),
    ({"type": "service", "id": "not-a-uuid"}, "id"),
    ({"type": "service"}, "id"),
    ({"type": "service", "id": str(uuid.uuid4()), "extra": 1}, "extra"),
]


def test_bad_input_is_400_with_the_field():
    client = make_user()
    for body, field in BAD_FAVORITES:
        response = client.write.post("/api/v1/favorites/", body, format="json")
        assert response.status_code == 400, body
        assert response.json()["code"] == "validation_error"
        assert field in response.json()["errors"], body


def test_missing_or_invisible_object_is_404():
    owner, client = make_practitioner(), make_user()
    draft = make_service(owner, status="draft")
    for object_type, object_id in (("service", uuid.uuid4()), ("practitioner", uuid.uuid4()),
                                   ("stream", uuid.uuid4()), ("service", draft.id)):
        response = client.write.post("/api/v1/favorites/", {"type": object_type, "id": str(object_id)}, format="json")
        assert response.status_code == 404, (object_type, response.content)
        assert response.json()["code"] == "not_found"
    # the owner may favourite their own draft
    assert owner.write.post("/api/v1/favorites/", {"type": "service", "id": str(draft.id)},
                            format="json").status_code == 201


def test_unknown_type_or_bad_id_on_delete_is_400():
    client = make_user()
    assert client.write.delete(f"/api/v1/favorites/workshop/{uuid.uuid4()}/").json()["code"] == "validation_error"
    assert client.write.delete("/api/v1/favorites/service/nope/").status_code == 400


def test_parallel_adds_by_one_user_make_one_favourite():
    owner, client = make_practitioner(), make_user()
    service = make_service(owner)
    statuses: list[int] = []
    barrier = threading.Barrier(10)

    def add() -> None:
        api = client.new_write_client()
        try:
            barrier.wait()
            statuses.append(api.post("/api/v1/favorites/", {"type": "service", "id": str(service.id)},
                                              format="json").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=add) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200] * 9 + [201]
    assert Favorite.objects.filter(user=client.user).count() == 1
    assert Event.objects.filter(type="favorite.added").count() == 1
