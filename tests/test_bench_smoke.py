"""The smoke benchmark end to end, so the harness never rots: generate and COPY-load the smoke dataset into
the test database, build and rebuild every projection, start the real stack (``infra.supervise``), drive
every scenario over HTTP and against its PostgreSQL baseline, and write the results file and report."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote, urlsplit

import orjson
import pytest
from django.conf import settings
from django.db import connection

from bench.copy_sink import CopySink, dangling_references
from bench.dataset import DatasetGenerator
from bench.scales import SCALES
from infra.environment import PROJECT_ROOT
from write_api.reference import reference_data

pytestmark = [pytest.mark.processes, pytest.mark.django_db(transaction=True)]

TIMEOUT_SECONDS = 240
HTTP_SCENARIOS = ("search", "suggestions", "browse", "service_detail", "time_slots", "time_slots_week",
                  *(f"analytics_{e}_{c}" for c in ("heavy", "worst") for e in ("revenue", "clients", "trends")))


def _database_url(settings_dict: dict) -> str:
    auth = quote(settings_dict.get("USER") or "", safe="")
    if settings_dict.get("PASSWORD"):
        auth += ":" + quote(settings_dict["PASSWORD"], safe="")
    host = quote(settings_dict.get("HOST") or "", safe="")
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"postgresql://{auth}@{host}{port}/{quote(settings_dict['NAME'], safe='')}"


def _assert_sane(figures: dict, what: str) -> None:
    assert figures["errors"] == 0, what
    assert figures["count"] > 0, what
    assert 0 < figures["p50_ms"] <= figures["p95_ms"] <= figures["p99_ms"] < 30_000, (what, figures)
    assert figures["throughput_rps"] > 0, what


def test_smoke_bench_runs_every_scenario_and_writes_sane_results(tmp_path: Path) -> None:
    environment = {**os.environ, "DATABASE_URL": _database_url(connection.settings_dict),
                   "REDIS_URL": settings.REDIS_URL, "CELERY_BROKER_URL": settings.REDIS_URL,
                   "DATA_DIR": str(tmp_path / "data"), "WEB_CONCURRENCY": "1", "WORKER_CONCURRENCY": "1"}
    # A lake of its own: a catalog names its data directory, and this run's DATA_DIR is not the suite's.
    catalog = urlsplit(os.environ["WAREHOUSE_CATALOG_URL"])
    environment["WAREHOUSE_CATALOG_URL"] = catalog._replace(path=catalog.path + "_bench").geturl()
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    report, results = tmp_path / "RESULTS.md", tmp_path / "results"
    completed = subprocess.run(
        [sys.executable, "-m", "bench", "--scale", "smoke", "--runs", "2", "--requests", "10", "--rebuild-runs", "1",
         "--results-dir", str(results), "--report", str(report), "--charts-dir", str(tmp_path / "charts")],
        cwd=PROJECT_ROOT, env=environment, capture_output=True, text=True, timeout=TIMEOUT_SECONDS)
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-4000:]

    document = orjson.loads((results / "smoke.json").read_bytes())
    scenarios = {s["name"]: s for s in document["scenarios"]}
    assert set(scenarios) == {*HTTP_SCENARIOS, "projection_rebuild", "booking_contention", "projection_lag"}
    assert all(s["status"] in ("ok", "unavailable") for s in scenarios.values()), \
        {n: s["note"] for n, s in scenarios.items() if s["status"] not in ("ok", "unavailable")}
    assert document["dataset"]["events"] > 1_000
    assert document["dataset"]["rows"]["booking"] > 500

    # The conventional Django app answers every read scenario over HTTP; search also has the indexed SQL.
    assert all("django_orm" in scenarios[name]["baselines"] for name in HTTP_SCENARIOS)
    assert {"pg_fulltext_gin", "pg_fulltext", "pg_ilike"} <= set(scenarios["search"]["baselines"])
    for name in HTTP_SCENARIOS:
        scenario = scenarios[name]
        for baseline, figures in scenario["baselines"].items():
            _assert_sane(figures, f"{name}/{baseline}")
        if scenario["status"] == "ok":
            assert scenario["api"]["runs"] == 2
            _assert_sane(scenario["api"], name)
        else:
            assert scenario["note"].startswith("not available"), scenario["note"]

    rebuild = scenarios["projection_rebuild"]["extra"]
    assert rebuild["events"] == document["dataset"]["events"]
    assert {"search", "catalogue"} <= set(rebuild["rebuild_events_per_second"])
    assert all(rate > 0 for rate in rebuild["rebuild_events_per_second"].values())

    bookings = scenarios["booking_contention"]
    assert bookings["extra"]["double_bookings"] == 0
    assert bookings["extra"]["buffer_violations"] == 0
    assert bookings["extra"]["overbooked_sessions"] == 0
    assert bookings["extra"]["baseline_double_bookings"] == 0
    if bookings["status"] == "ok":
        assert bookings["api"]["errors"] == 0
        assert bookings["extra"]["created"] >= 1  # someone wins each contended day

    lag = scenarios["projection_lag"]
    if lag["status"] == "ok":
        assert lag["api"]["errors"] == 0
        for projection, figures in lag["extra"]["lag_by_projection"].items():
            assert figures["errors"] == 0, projection  # every write reached every projection

    text = report.read_text()
    assert "## Scale `smoke`" in text and "double bookings" in text
    assert (tmp_path / "charts" / "smoke-latency.png").stat().st_size > 1_000


class _RecordingSink:
    """Stands in for :class:`bench.copy_sink.CopySink`: keeps rows and events in memory."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, dict]] = []
        self.events: list[tuple[str, dict, str]] = []

    def add(self, model, **values) -> None:
        self.rows.append((model._meta.db_table, values))

    def event(self, domain_event, *, at, actor_id, event_id) -> int:
        self.events.append((domain_event.event_type, domain_event.payload(), at.isoformat()))
        return len(self.events)


def _generate(seed: int) -> tuple[_RecordingSink, dict]:
    reference = {table: {slug: (uuid.uuid5(uuid.NAMESPACE_URL, slug), name) for slug, name in rows}
                 for table, rows in (("category", reference_data.CATEGORIES), ("modality", reference_data.MODALITIES))}
    sink = _RecordingSink()
    scale = replace(SCALES["smoke"], practitioners=12, services=48, clients=30, bookings=150, streams=6,
                    heavy_future_bookings=10)
    manifest = DatasetGenerator(scale, seed=seed, anchor=date(2026, 3, 29), sink=sink, password_hash="x",
                                reference=reference).generate()
    return sink, manifest.to_dict()


def test_dataset_generator_is_deterministic_and_keeps_the_booking_invariants() -> None:
    first, manifest = _generate(7)
    again, manifest_again = _generate(7)
    other, _ = _generate(8)
    assert first.events == again.events and first.rows == again.rows and manifest == manifest_again
    assert first.events != other.events
    # Events come in time order; every booking row has its confirmation event.
    times = [at for _, _, at in first.events]
    assert times == sorted(times)
    confirmed = {p["booking_id"] for t, p, _ in first.events if t == "booking.confirmed"}
    bookings = [v for table, v in first.rows if table == "booking"]
    assert {str(b["id"]) for b in bookings if b["parent_id"] is None} == confirmed
    assert manifest["slots_future_bookings"] == 10
    # No practitioner holds two overlapping confirmed 1:1 bookings (buffer included).
    seats = {v["booking_id"] for table, v in first.rows if table == "booking_seat"}
    by_practitioner: dict = {}
    for b in bookings:
        if b["status"] in ("confirmed", "completed") and b["start_at"] and b["id"] not in seats:
            by_practitioner.setdefault(b["practitioner_id"], []).append((b["start_at"], b["end_at"]))

    for intervals in by_practitioner.values():
        intervals.sort()
        for (_, end), (start, _) in zip(intervals, intervals[1:], strict=False):
            assert start >= end + timedelta(minutes=15)
    # Credit balances never go negative and each user's ledger runs 1, 2, 3…
    ledger: dict = {}
    for table, v in first.rows:
        if table == "credit_transaction":
            assert v["balance_after_cents"] >= 0
            ledger.setdefault(v["user_id"], []).append(v["sequence"])
    assert all(seq == list(range(1, len(seq) + 1)) for seq in ledger.values())


@pytest.mark.django_db
def test_dangling_references_finds_rows_whose_foreign_key_points_nowhere() -> None:
    with connection.cursor() as cursor:
        assert dangling_references(connection.connection) == {}
        cursor.execute("SET LOCAL session_replication_role = replica")  # what the bulk load does
        cursor.execute("INSERT INTO notification_counter (user_id, unread) VALUES (%s, 0)", [uuid.uuid4()])
        assert dangling_references(connection.connection) == {
            "notification_counter.user_id → accounts_user.id": 1}


@pytest.mark.django_db
def test_bulk_load_drops_secondary_indexes_and_builds_the_same_ones_again() -> None:
    def definitions() -> dict[str, str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()")
            return dict(cursor.fetchall())

    before = definitions()
    sink = CopySink(connection.connection)
    sink.start()
    during = definitions()
    dropped = set(before) - set(during)
    assert {"event_log_aggrega_14fab6_idx", "booking_client_id_21c5b029", "booking_status_30232d_idx"} <= dropped
    assert {"event_log_pkey", "event_log_event_id_key", "booking_pkey"} <= set(during)  # constraints' stay
    sink.restore_indexes()
    assert definitions() == before
