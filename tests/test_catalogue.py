"""Catalogue write commands and the service detail read model."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.clients import authenticate, register
from workers import runtime

pytestmark = pytest.mark.django_db(transaction=True)


def create_service(client, **fields):
    body = {"title": "Yin yoga", "service_type": "session", "price_cents": 4000, **fields}
    response = client.post("/api/v1/services/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()["data"]


def test_service_detail_lists_practitioner_sessions_and_containing_packages(write_api, read_api, practitioner):
    session = create_service(write_api, title="Breathwork 1:1", category="mind", modalities=["breathwork"])
    other = create_service(write_api, title="Meditation 1:1", price_cents=6000)
    bundle = create_service(write_api, title="Five breathwork sessions", service_type="bundle", price_cents=18000,
                            children=[{"service_id": session["id"], "quantity": 5}])
    package = create_service(write_api, title="Calm starter pack", service_type="package", price_cents=9000,
                             children=[{"service_id": session["id"], "quantity": 1},
                                       {"service_id": other["id"], "quantity": 1}])
    workshop = create_service(write_api, title="Breath retreat", service_type="workshop", price_cents=3000,
                              capacity=12, duration_minutes=120)
    start = (timezone.now() + timedelta(days=10)).replace(microsecond=0)
    made = write_api.post(f"/api/v1/services/{workshop['id']}/sessions/", {"start_at": start.isoformat()},
                          format="json")
    assert made.status_code == 201, made.content
    runtime.drain_all()

    detail = read_api.get(f"/api/v1/services/{session['id']}/", HTTP_X_MIN_POSITION=made["X-Event-Position"])
    assert detail.status_code == 200, detail.content
    data = detail.json()["data"]
    assert data["practitioner"]["display_name"] == "Ada Lovelace"
    assert data["practitioner"]["timezone"] == "Europe/London"
    assert data["category"] == {"slug": "mind", "name": "Mind & mental health"}
    assert data["modalities"] == ["breathwork"]
    assert data["reviews"]["count"] == 0
    assert sorted((c["id"], c["quantity"]) for c in data["included_in"]) == sorted(
        [(bundle["id"], 5), (package["id"], 1)])

    workshop_detail = read_api.get(f"/api/v1/services/{workshop['id']}/").json()["data"]
    assert [s["id"] for s in workshop_detail["upcoming_sessions"]] == [made.json()["data"]["id"]]
    assert workshop_detail["upcoming_sessions"][0]["seats_left"] == 12


def test_archived_package_no_longer_listed_and_archived_service_is_404(write_api, read_api, practitioner):
    session = create_service(write_api)
    bundle = create_service(write_api, title="Pass", service_type="bundle", price_cents=10000,
                            children=[{"service_id": session["id"], "quantity": 3}])
    write_api.delete(f"/api/v1/services/{bundle['id']}/")
    runtime.drain_all()
    assert read_api.get(f"/api/v1/services/{session['id']}/").json()["data"]["included_in"] == []
    assert read_api.get(f"/api/v1/services/{bundle['id']}/").status_code == 404


@pytest.mark.parametrize("body, field", [
    ({"service_type": "bundle", "children": []}, "children"),
    ({"service_type": "session", "price_cents": -1}, "price_cents"),
    ({"service_type": "session", "category": "no-such"}, "category"),
    ({"service_type": "session", "modalities": ["no-such"]}, "modalities"),
    ({"service_type": "teleportation"}, "service_type"),
    ({"service_type": "session", "price_cents": "ten"}, "price_cents"),
])
def test_bad_service_input_is_400_with_field_errors(write_api, practitioner, body, field):
    response = write_api.post("/api/v1/services/", {"title": "X", "price_cents": 100, **body}, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "validation_error"
    assert field in response.json()["errors"]


def test_clients_cannot_create_services_or_edit_others(write_api, practitioner):
    service = create_service(write_api)
    outsider = authenticate(type(write_api)(), register(type(write_api)())["tokens"])
    assert outsider.post("/api/v1/services/", {"title": "X", "service_type": "session", "price_cents": 1},
                         format="json").status_code == 403
    assert outsider.patch(f"/api/v1/services/{service['id']}/", {"title": "Mine"}, format="json").status_code == 403


def test_session_cannot_overlap_another_hosted_session(write_api, practitioner):
    workshop = create_service(write_api, service_type="workshop", duration_minutes=60)
    start = (timezone.now() + timedelta(days=5)).replace(microsecond=0)
    url = f"/api/v1/services/{workshop['id']}/sessions/"
    assert write_api.post(url, {"start_at": start.isoformat()}, format="json").status_code == 201
    clash = write_api.post(url, {"start_at": (start + timedelta(minutes=30)).isoformat()}, format="json")
    assert clash.status_code == 409
    assert clash.json()["code"] == "slot_unavailable"
    # within the 15-minute buffer after the first one ends
    close = write_api.post(url, {"start_at": (start + timedelta(minutes=70)).isoformat()}, format="json")
    assert close.status_code == 409
    assert write_api.post(url, {"start_at": (start + timedelta(minutes=75)).isoformat()},
                          format="json").status_code == 201
