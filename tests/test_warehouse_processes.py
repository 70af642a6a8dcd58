"""The warehouse across processes: readers never fail nor see a half-written state while the writer
commits and the lake is compacted; a killed writer resumes without loss or double counting; a rebuild
switches generations in one commit while the old one serves."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from typing import Any

import psycopg
import pytest
from django.conf import settings

from infra.environment import PROJECT_ROOT, data_path
from kernel.events import RecordedEvent
from tests.analytics_oracle import (
    ENDPOINTS,
    PARAMETER_SETS,
    as_practitioner,
    build_market,
    catch_up,
    oracle,
    sql,
)
from tests.stack import database_url
from warehouse import lake, maintenance, reader
from warehouse.projection import WarehouseProjection
from workers import event_reader, runtime
from workers.registry import projection as projection_named
from workers.tasks import maintain_warehouse, warehouse_catch_up
from write_api.eventlog.models import ProjectionState
from write_api.practitioners.models import Practitioner

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_lake")]  # an empty lake

WAIT = 60.0


def all_events() -> list[RecordedEvent[Any]]:
    return event_reader.events_after(0, limit=1_000_000)


def expected_at(events: list[RecordedEvent[Any]], practitioner_id: str) -> dict[int, dict[str, int]]:
    """For every position, what a snapshot at exactly that position must hold (from the events alone)."""
    out: dict[int, dict[str, int]] = {0: {"booking_events": 0, "movements": 0, "bookings": 0, "gross": 0}}
    booking_owner: dict[str, str] = {}
    spends: list[tuple[str, int]] = []
    booking_events = movements = 0
    for event in events:
        p = event.payload
        if event.type.startswith("booking."):
            booking_events += 1
            booking_owner[p["booking_id"]] = p["practitioner_id"]
        elif event.type.startswith("credits."):
            movements += 1
            if event.type == "credits.spent" and p["reference_type"] == "booking":
                spends.append((p["reference_id"], -p["amount_cents"]))
        gross = sum(cents for booking, cents in spends if booking_owner.get(booking) == practitioner_id)
        out[event.position] = {"booking_events": booking_events, "movements": movements,
                               "bookings": len(booking_owner), "gross": gross}
    return out


READER = """
import json, sys, time
from warehouse import reader as lake_reader
expected = {int(k): v for k, v in json.load(open(sys.argv[1])).items()}
final, practitioner = int(sys.argv[2]), sys.argv[3]
reader = lake_reader.LakeReader()
reads, seen, errors = 0, set(), []
deadline = time.monotonic() + 300
while time.monotonic() < deadline:
    time.sleep(0.002)
    try:
        with reader.open() as (view, cursor):
            position = cursor.execute("SELECT position FROM warehouse_checkpoint").fetchone()[0]
            got = {"booking_events": cursor.execute("SELECT count(*) FROM booking_event").fetchone()[0],
                   "movements": cursor.execute("SELECT count(*) FROM fact_credit_movement").fetchone()[0],
                   "bookings": cursor.execute("SELECT count(*) FROM fact_booking").fetchone()[0],
                   "gross": cursor.execute("SELECT coalesce(sum(-amount_cents), 0) FROM fact_credit_movement "
                                           "WHERE kind = 'spend' AND revenue_type <> 'stream' "
                                           "AND practitioner_id = ?::UUID", [practitioner]).fetchone()[0]}
        reads += 1
        seen.add(position)
        if position != view.position or got != expected[position]:
            errors.append([view.position, position, got, expected.get(position)])
        if position == final:
            break
    except lake_reader.NoWarehouse:
        time.sleep(0.01)
    except Exception as error:
        errors.append(repr(error))
print(json.dumps({"reads": reads, "seen": sorted(seen), "errors": errors[:10]}))
"""


def reader_process(expectations: str, final: int, practitioner_id: str) -> subprocess.Popen:
    env = {**os.environ, "DATA_DIR": str(data_path()), "PYTHONPATH": str(PROJECT_ROOT)}
    return subprocess.Popen([sys.executable, "-c", READER, expectations, str(final), practitioner_id],
                            cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_readers_never_fail_nor_see_a_half_written_state_during_writes_and_compaction(read_api, tmp_path):
    market = build_market(7, ("Europe/London", "America/New_York"), clients=4, days=20)
    events = [e for e in all_events() if WarehouseProjection().handles(e.type)]
    practitioner = market.practitioners[0]
    practitioner_id = str(practitioner["practitioner"].id)
    expectations = expected_at(events, practitioner_id)
    (tmp_path / "expected.json").write_text(json.dumps(expectations))
    final = events[-1].position

    writer = WarehouseProjection()
    writer.prepare(1)
    writer.activate(1)
    processes = [reader_process(str(tmp_path / "expected.json"), final, practitioner_id)]
    stop = threading.Event()
    thread_reads: list[int] = []
    thread_errors: list[Any] = []

    def read_in_thread() -> None:
        lake_reader = reader.LakeReader()
        while not stop.is_set():
            time.sleep(0.005)
            try:
                with lake_reader.open() as (view, cursor):
                    count = lake.scalar(cursor.execute("SELECT count(*) FROM booking_event").fetchone())
                    position = lake.scalar(cursor.execute("SELECT position FROM warehouse_checkpoint").fetchone())
                if position != view.position or count != expectations[position]["booking_events"]:
                    thread_errors.append((view.position, position, count))
                thread_reads.append(position)
            except Exception as error:  # noqa: BLE001 - any error is a failure of this test
                thread_errors.append(repr(error))
        lake_reader.close()

    threads = [threading.Thread(target=read_in_thread)]
    for thread in threads:
        thread.start()
    as_practitioner(read_api, practitioner["user"])
    api_positions = []
    compactions = []
    try:
        rng = random.Random(7)
        start = 0
        time.sleep(1.0)  # let the reader process start reading the empty lake
        while start < len(events):
            size = rng.randint(1, 30)
            batch = events[start:start + size]
            writer.apply(batch, 1)
            start += size
            if rng.random() < 0.2:  # merge, rewrite, expire every older snapshot, delete replaced files
                # (files once no snapshot is younger than the grace: 1 s failed reads on a loaded CI
                # machine, where a read of an expired snapshot can take longer than that; production: 600 s)
                compactions.append(maintenance.compact(history_seconds=0, file_grace_seconds=10))
            # The read API, in this process, between two commits.
            response = read_api.get(ENDPOINTS["revenue"], {"start": "2025-01-01", "end": "2025-06-30",
                                                           "granularity": "month"})
            assert response.status_code == 200, response.content
            position = int(response["X-Projection-Position"])
            assert position == batch[-1].position
            assert response.json()["data"]["by_service_type"] == [] or \
                sum(t["gross_cents"] for t in response.json()["data"]["by_service_type"]
                    if t["service_type"] != "stream") == expectations[position]["gross"]
            api_positions.append(position)
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
        outputs = [p.communicate(timeout=WAIT) for p in processes]
    assert len(compactions) >= 3 and any(c.files_after < c.files_before for c in compactions)
    assert not thread_errors, thread_errors[:5]
    assert len(set(thread_reads)) > 3
    for (out, err), process in zip(outputs, processes, strict=True):
        assert process.returncode == 0, err
        report = json.loads(out)
        assert report["errors"] == [], report["errors"]
        assert report["seen"][-1] == final and len(report["seen"]) > 3, report
    assert api_positions[-1] == final


# --- a killed writer ------------------------------------------------------------------------------------


def writer_process(batch_size: int) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url(), "REDIS_URL": settings.REDIS_URL,
           "DATA_DIR": str(data_path()), "PROJECTION_BATCH_SIZE": str(batch_size),
           "PROJECTION_CATCH_UP_BATCH_SIZE": str(batch_size), "EVENT_DISPATCH": "off",
           "DJANGO_SETTINGS_MODULE": "workers.settings"}
    script = ("import django; django.setup(); from workers.tasks import warehouse_catch_up; "
              "print(warehouse_catch_up())")
    return subprocess.Popen([sys.executable, "-c", script], cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)


def drained_position() -> int:
    state = ProjectionState.objects.filter(name="warehouse").first()
    return state.active_position if state else 0


def test_a_killed_writer_resumes_without_loss_or_double_counting(read_api):
    market = build_market(8, ("America/New_York",), clients=4, days=35)
    head = event_reader.head_position()
    rng = random.Random(8)
    kills = 0
    for _ in range(4):
        before = drained_position()
        process = writer_process(batch_size=2)
        target = before + rng.randint(4, 40)
        deadline = time.monotonic() + WAIT
        while process.poll() is None and drained_position() < target and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(rng.random() * 0.05)  # anywhere: inside a DuckDB transaction, saving, publishing
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait(WAIT)
    assert kills >= 3, "the writer finished before it could be killed; give it more events"
    assert drained_position() < head

    for _ in range(20):  # a killed session's advisory lock goes with its connection, maybe not at once
        result = runtime_catch_up()
        if result:
            break
        time.sleep(0.2)
    state = ProjectionState.objects.get(name="warehouse")
    projection = warehouse_projection()
    assert state.active_position == head and projection.checkpoint(state.active_generation) == head
    live = projection.snapshot(state.active_generation)
    movements = [k for k in live if k.startswith("fact_credit_movement:")]
    assert len(movements) == sql("SELECT count(*) FROM credit_transaction", {})[0][0]
    verified = runtime.verify("warehouse")
    assert verified.matches, verified.differences

    p = market.practitioners[0]
    as_practitioner(read_api, p["user"])
    practitioner = Practitioner.objects.get(id=p["practitioner"].id)
    for endpoint, url in ENDPOINTS.items():
        body = read_api.get(url, PARAMETER_SETS[1]).json()
        assert body["data"] == oracle(endpoint, practitioner, PARAMETER_SETS[1])


def warehouse_projection() -> WarehouseProjection:
    projection = projection_named("warehouse")
    assert isinstance(projection, WarehouseProjection)
    return projection


def runtime_catch_up() -> bool:
    result = warehouse_catch_up()
    return result.ran and result.position == event_reader.head_position()


def test_a_rebuild_fills_a_new_generation_while_the_old_serves_then_switches_in_one_commit(read_api):
    market = build_market(9, ("Asia/Kolkata",), clients=3, days=30)
    catch_up()
    p = market.practitioners[0]
    as_practitioner(read_api, p["user"])
    query = PARAMETER_SETS[2]
    before = read_api.get(ENDPOINTS["clients"], query).json()
    old = ProjectionState.objects.get(name="warehouse").active_generation
    projection = warehouse_projection()
    image = projection.snapshot(old)

    served_during: list[dict] = []

    def progress(position: int, target: int) -> None:  # while the new generation fills, the old one answers
        response = read_api.get(ENDPOINTS["clients"], query)
        assert response.status_code == 200
        served_during.append(response.json()["meta"]["snapshot"])

    result = runtime.rebuild("warehouse", grace=0, progress=progress)
    assert (result.old_generation, result.new_generation) == (old, old + 1)
    assert served_during and all(s["generation"] == old for s in served_during)
    assert projection.checkpoint(old) is None and projection.checkpoint(old + 1) == result.position
    latest = reader.LakeReader().latest()
    assert (latest.generation, latest.position) == (old + 1, result.position)
    assert projection.snapshot(old + 1) == image
    after = read_api.get(ENDPOINTS["clients"], query)
    assert after["X-Projection-Position"] == str(result.position)
    assert after.json()["data"] == before["data"]
    assert after.json()["meta"]["snapshot"]["generation"] == old + 1
    # The warehouse worker carries on with the new generation.
    build_market(19, ("Asia/Kolkata",), clients=2, days=5)
    catch_up()
    assert reader.LakeReader().latest().generation == old + 1


def test_the_lakes_checkpoint_is_authoritative_so_a_restored_or_lost_generation_catches_up():
    build_market(10, ("Europe/Berlin",), clients=3, days=20)
    catch_up()
    state = ProjectionState.objects.get(name="warehouse")
    generation, head = state.active_generation, state.active_position
    projection = warehouse_projection()
    complete = projection.snapshot(generation)
    events = [e for e in all_events() if projection.handles(e.type)]

    # An older state comes back (a restored backup): PostgreSQL says `head`, the lake says less.
    projection.discard(generation)
    projection.prepare(generation)
    projection.apply(events[: len(events) // 2], generation)
    restored = projection.checkpoint(generation)
    assert restored is not None and restored < head
    projection.release(generation)
    catch_up()
    assert projection.checkpoint(generation) == head
    assert projection.snapshot(generation) == complete

    # The generation is gone altogether: it is filled again from the first event.
    projection.discard(generation)
    catch_up()
    assert projection.snapshot(generation) == complete
    assert reader.LakeReader().latest().position == head


def test_maintenance_runs_on_the_writers_queue_and_waits_out_a_rebuild_elsewhere():
    build_market(13, ("Europe/Berlin",), clients=2, days=10)
    catch_up()
    done = maintain_warehouse()
    assert done["files_after"] <= done["files_before"]
    # Another process (its own session) is rebuilding: the compaction must not race its commits.
    with psycopg.connect(database_url(), autocommit=True) as other:
        key = runtime._lock_key("rebuild:warehouse")
        assert lake.scalar(other.execute("SELECT pg_try_advisory_lock(%s, %s)",
                                         [runtime._LOCK_NAMESPACE, key]).fetchone())
        assert maintain_warehouse() == {"skipped": "a rebuild or verify of the warehouse is running"}
        other.execute("SELECT pg_advisory_unlock(%s, %s)", [runtime._LOCK_NAMESPACE, key])  # the rebuild ends
    assert "files_after" in maintain_warehouse()
