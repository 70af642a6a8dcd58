"""Time slots on the read API, from the catalogue read model and the shared availability function."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from workers import runtime

pytestmark = pytest.mark.django_db(transaction=True)

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # a Monday


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def one_to_one(frozen, write_api, practitioner):
    """Ada (Europe/London) works Mon–Fri 09:00–12:00; a 60-minute session on a 15-minute grid."""
    write_api.patch(f"/api/v1/practitioners/{practitioner['practitioner']['id']}/",
                    {"min_notice_minutes": 0, "buffer_minutes": 15}, format="json")
    windows = [{"weekday": d, "start_minute": 9 * 60, "end_minute": 12 * 60} for d in range(5)]
    assert write_api.put("/api/v1/practitioner/schedule/", {"windows": windows}, format="json").status_code == 200
    service = write_api.post("/api/v1/services/", {"title": "Coaching", "service_type": "session",
                                                   "price_cents": 5000, "duration_minutes": 60},
                             format="json").json()["data"]
    runtime.drain_all()
    return service


def starts(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [slot["start"] for slot in response.json()["data"]]


def test_slots_on_the_grid_inside_the_window(read_api, one_to_one):
    response = read_api.get(f"/api/v1/services/{one_to_one['id']}/time-slots/?date=2026-03-03")
    expected = [(datetime(2026, 3, 3, 9, 0, tzinfo=UTC) + timedelta(minutes=15 * i)).isoformat() for i in range(9)]
    assert starts(response) == expected
    first = response.json()["data"][0]
    assert first["practitioner_local"] == {"timezone": "Europe/London", "start": "2026-03-03T09:00:00+00:00",
                                           "end": "2026-03-03T10:00:00+00:00"}
    assert response.json()["meta"]["filters_applied"] == {"date": "2026-03-03", "days": 1,
                                                          "timezone": "Europe/London", "service_type": "session"}


def test_client_zone_date_is_a_day_in_the_client_zone(read_api, one_to_one):
    # In Pacific/Kiritimati (UTC+14) the 4th of March starts at 10:00 UTC on the 3rd.
    response = read_api.get(f"/api/v1/services/{one_to_one['id']}/time-slots/"
                            "?date=2026-03-04&timezone=Pacific/Kiritimati")
    got = starts(response)
    assert got[0] == "2026-03-03T10:00:00+00:00"  # 10:00 London = 00:00 on the 4th in Kiritimati
    assert "2026-03-04T09:00:00+00:00" in got
    assert all(s["local"]["start"].startswith("2026-03-04") for s in response.json()["data"])
    assert response.json()["data"][0]["local"]["timezone"] == "Pacific/Kiritimati"


def test_block_and_days_parameter(read_api, write_api, one_to_one):
    block = write_api.post("/api/v1/practitioner/schedule/block/",
                           {"start_at": "2026-03-03T09:00:00Z", "end_at": "2026-03-03T10:30:00Z"}, format="json")
    assert block.status_code == 201
    runtime.drain_all()
    response = read_api.get(f"/api/v1/services/{one_to_one['id']}/time-slots/?date=2026-03-03&days=7",
                            HTTP_X_MIN_POSITION=block["X-Event-Position"])
    got = starts(response)
    assert [s for s in got if s.startswith("2026-03-03")] == ["2026-03-03T10:30:00+00:00",
                                                             "2026-03-03T10:45:00+00:00",
                                                             "2026-03-03T11:00:00+00:00"]
    assert not any(s.startswith(("2026-03-07", "2026-03-08")) for s in got)  # weekend
    assert len([s for s in got if s.startswith("2026-03-04")]) == 9


def test_a_repeated_question_follows_the_clock_and_the_calendar(read_api, write_api, one_to_one):
    """The computed slots are memoised on their inputs; the clock rules still apply to every request."""
    write_api.patch(f"/api/v1/practitioners/{one_to_one['practitioner_id']}/", {"min_notice_minutes": 60},
                    format="json")
    runtime.drain_all()
    url = f"/api/v1/services/{one_to_one['id']}/time-slots/?date=2026-03-02"
    assert starts(read_api.get(url))[0] == "2026-03-02T09:00:00+00:00"  # now 08:00 + 60 minutes' notice
    with time_machine.travel(NOW + timedelta(minutes=10), tick=False):
        assert starts(read_api.get(url))[0] == "2026-03-02T09:15:00+00:00"  # 09:00 is now too soon
    with time_machine.travel(NOW + timedelta(minutes=50), tick=False):
        assert starts(read_api.get(url))[0] == "2026-03-02T10:00:00+00:00"
    block = write_api.post("/api/v1/practitioner/schedule/block/",
                           {"start_at": "2026-03-02T09:00:00Z", "end_at": "2026-03-02T10:00:00Z"}, format="json")
    runtime.drain_all()
    after = read_api.get(url, HTTP_X_MIN_POSITION=block["X-Event-Position"])
    assert starts(after)[0] == "2026-03-02T10:00:00+00:00"  # the calendar changed: another memo entry
    timing = after["Server-Timing"]
    assert [part.split(";")[0] for part in timing.split(", ")] == ["fetch", "compute", "render"]


@pytest.mark.parametrize("query, field", [
    ("date=2026-13-01", "date"),
    ("date=yesterday", "date"),
    ("", "date"),
    ("date=2026-03-03&days=32", "days"),
    ("date=2026-03-03&days=0", "days"),
    ("date=2026-03-03&days=x", "days"),
    ("date=2026-03-03&timezone=Mars/Olympus", "timezone"),
])
def test_bad_time_slot_queries_are_400(read_api, one_to_one, query, field):
    response = read_api.get(f"/api/v1/services/{one_to_one['id']}/time-slots/?{query}")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "validation_error"
    assert field in response.json()["errors"]


def test_unknown_service_is_404(read_api, one_to_one):
    response = read_api.get("/api/v1/services/00000000-0000-0000-0000-000000000000/time-slots/?date=2026-03-03")
    assert response.status_code == 404


def test_workshop_lists_its_sessions_with_seats(read_api, write_api, frozen, practitioner):
    workshop = write_api.post("/api/v1/services/", {"title": "Sound bath", "service_type": "workshop",
                                                    "price_cents": 2000, "capacity": 8, "duration_minutes": 90},
                              format="json").json()["data"]
    made = write_api.post(f"/api/v1/services/{workshop['id']}/sessions/", {"start_at": "2026-03-05T18:00:00Z"},
                          format="json")
    assert made.status_code == 201, made.content
    runtime.drain_all()
    response = read_api.get(f"/api/v1/services/{workshop['id']}/time-slots/?date=2026-03-05")
    data = response.json()["data"]
    assert [(s["start"], s["seats_left"]) for s in data] == [("2026-03-05T18:00:00+00:00", 8)]
