"""The path end to end in one process: command → event → projection → read API, read-your-writes."""

from __future__ import annotations

import pytest

from workers import runtime

pytestmark = pytest.mark.django_db(transaction=True)


def test_created_service_is_found_by_search_after_projection(write_api, read_api, practitioner):
    response = write_api.post("/api/v1/services/", {"title": "Holotropic breathwork circle",
                                                    "service_type": "session", "price_cents": 5500,
                                                    "description": "Deep breathing practice."}, format="json")
    assert response.status_code == 201
    position = int(response["X-Event-Position"])
    service_id = response.json()["data"]["id"]

    runtime.drain_all()

    found = read_api.get("/api/v1/search/?q=breathwork", HTTP_X_MIN_POSITION=str(position))
    assert found.status_code == 200
    assert int(found["X-Projection-Position"]) >= position
    body = found.json()
    ids = [hit["id"] for hit in body["data"]]
    assert service_id in ids
    hit = next(h for h in body["data"] if h["id"] == service_id)
    assert hit["type"] == "service"
    assert hit["practitioner_name"] == "Ada Lovelace"
    assert hit["price_cents"] == 5500
    assert body["meta"]["pagination"]["count"] == len(ids)
    assert body["meta"]["filters_applied"] == {"q": "breathwork", "type": "all"}


def test_min_position_not_reached_answers_503_projection_lagging(write_api, read_api, practitioner, settings):
    settings.MIN_POSITION_WAIT_SECONDS = 0.2
    response = write_api.post("/api/v1/services/", {"title": "Sound bath", "service_type": "session",
                                                    "price_cents": 3000}, format="json")
    position = int(response["X-Event-Position"])
    lagging = read_api.get("/api/v1/search/?q=sound", HTTP_X_MIN_POSITION=str(position))
    assert lagging.status_code == 503
    assert lagging.json()["code"] == "projection_lagging"
    runtime.drain_all()
    assert read_api.get("/api/v1/search/?q=sound", HTTP_X_MIN_POSITION=str(position)).status_code == 200


def test_archived_service_leaves_search(write_api, read_api, practitioner):
    created = write_api.post("/api/v1/services/", {"title": "Reiki healing", "service_type": "session",
                                                   "price_cents": 4000}, format="json").json()["data"]
    runtime.drain_all()
    assert [h["id"] for h in read_api.get("/api/v1/search/?q=reiki").json()["data"]] == [created["id"]]
    deleted = write_api.delete(f"/api/v1/services/{created['id']}/")
    assert deleted.status_code == 200
    assert deleted.json()["data"]["status"] == "archived"
    runtime.drain_all()
    after = read_api.get("/api/v1/search/?q=reiki", HTTP_X_MIN_POSITION=deleted["X-Event-Position"])
    assert after.json()["data"] == []
