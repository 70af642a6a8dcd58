"""Strict input on both APIs: a time must carry its offset and lie in the supported range, a date must exist,
an id must be a UUID string. Each is a 400 ``validation_error`` naming the field (never a guess, a 404 or a 500).
"""

from __future__ import annotations

import uuid

import pytest

from tests.clients import authenticate, register

pytestmark = pytest.mark.django_db

NAIVE = "2027-03-01T09:00:00"
OFFSET_MESSAGE = "Must include a UTC offset, e.g. 2027-03-01T09:00:00+01:00 or 2027-03-01T08:00:00Z."
RANGE_MESSAGE = "Must be between 2000-01-01 and 2100-12-31."


def field_errors(response, field: str) -> list[str]:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "validation_error", body
    assert field in body["errors"], body["errors"]
    return body["errors"][field]


@pytest.fixture
def service(write_api, practitioner) -> dict:
    made = write_api.post("/api/v1/services/", {"title": "Workshop", "service_type": "workshop", "price_cents": 1000,
                                                "capacity": 5}, format="json")
    assert made.status_code == 201, made.content
    return made.json()["data"]


def time_endpoints(service_id: str) -> list[tuple[str, str, dict]]:
    """Every write that takes a time: (method, path, body without the time)."""
    booking = uuid.uuid4()
    return [
        ("post", "/api/v1/bookings/", {"service_id": service_id}),
        ("post", f"/api/v1/bookings/{booking}/reschedule/", {}),
        ("post", f"/api/v1/bookings/{booking}/schedule/", {}),
        ("post", f"/api/v1/services/{service_id}/sessions/", {}),
    ]


@pytest.mark.parametrize(("start_at", "message"), [
    (NAIVE, OFFSET_MESSAGE), ("2027-03-01 09:00", OFFSET_MESSAGE),
    ("0001-01-01T00:00:00Z", RANGE_MESSAGE), ("9999-12-31T23:59:59Z", RANGE_MESSAGE),
    ("9999-12-31T23:59:59-12:00", RANGE_MESSAGE), ("1999-12-31T23:00:00Z", RANGE_MESSAGE),
])
def test_times_without_offset_or_out_of_range_are_400(write_api, service, start_at, message):
    for method, path, body in time_endpoints(service["id"]):
        response = getattr(write_api, method)(path, {**body, "start_at": start_at}, format="json")
        assert field_errors(response, "start_at") == [message], path


@pytest.mark.parametrize("field", ["start_at", "end_at"])
def test_block_times_are_strict_too(write_api, practitioner, field):
    body = {"start_at": "2027-03-01T09:00:00Z", "end_at": "2027-03-01T10:00:00Z", field: "9999-12-31T23:59:59Z"}
    response = write_api.post("/api/v1/practitioner/schedule/block/", body, format="json")
    assert field_errors(response, field) == [RANGE_MESSAGE]
    body[field] = NAIVE
    assert field_errors(write_api.post("/api/v1/practitioner/schedule/block/", body, format="json"), field) == [
        OFFSET_MESSAGE]


@pytest.mark.parametrize("value", [42, 0, 1.5, True, ["a"]])
def test_an_id_that_is_not_a_uuid_string_is_400(write_api, value):
    authenticate(write_api, register(write_api)["tokens"])
    response = write_api.post("/api/v1/bookings/", {"service_id": value}, format="json")
    assert field_errors(response, "service_id") == ["Must be a valid UUID string."]
    response = write_api.post("/api/v1/favorites/", {"type": "service", "id": value}, format="json")
    assert field_errors(response, "id") == ["Must be a valid UUID string."]


def test_a_nonexistent_date_is_not_a_valid_date(write_api, read_api, practitioner, service):
    response = write_api.post("/api/v1/practitioner/schedule/overrides/", {"date": "2027-02-30", "windows": []},
                              format="json")
    assert field_errors(response, "date") == ["Not a valid date: 2027-02-30 does not exist in the calendar."]
    response = read_api.get(f"/api/v1/services/{service['id']}/time-slots/", {"date": "2027-02-30"})
    assert field_errors(response, "date") == ["Not a valid date: 2027-02-30 does not exist in the calendar."]
    # A malformed date keeps its own message.
    assert "Date has wrong format" in field_errors(
        read_api.get(f"/api/v1/services/{service['id']}/time-slots/", {"date": "30/02/2027"}), "date")[0]
    authenticate(read_api, practitioner["tokens"])
    response = read_api.get("/api/v1/practitioner/analytics/revenue/", {"start": "2027-04-31", "end": "2027-05-02"})
    assert field_errors(response, "start") == ["Not a valid date: 2027-04-31 does not exist in the calendar."]


def test_a_time_with_an_offset_is_taken_as_that_instant(write_api, service):
    response = write_api.post(f"/api/v1/services/{service['id']}/sessions/", {"start_at": "2027-03-01T09:00:00+01:00"},
                              format="json")
    assert response.status_code == 201, response.content
    assert response.json()["data"]["start_at"] == "2027-03-01T08:00:00+00:00"
