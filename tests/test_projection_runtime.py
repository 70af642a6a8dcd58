"""The projection runtime: replay equivalence for every projection, one instance at a time, crash safety,
rebuild under load, lag and verify.

The tests loop over ``workers.registry.projections()``, so a new projection is covered as soon as it is
registered; ``build_history`` must then produce the event types it handles (a test says which).
"""

from __future__ import annotations

import functools
import os
import random
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
import time_machine
from django.conf import settings
from django.db import connection, transaction

from infra.environment import PROJECT_ROOT, data_path
from kernel.events import PractitionerUpdated, RecordedEvent, ReviewPublished, ServiceUpdated, registered_events
from kernel.projection import Projection, on
from read_models import settings as read_settings
from read_models.catalogue import store
from search_index.engines import configured_engine
from search_index.engines import configured_engine as engine_factory
from tests.concurrency import in_thread
from tests.history import build_history, run_history
from tests.stack import database_url
from workers import event_reader, positions, registry, runtime, tasks
from workers.registry import projections
from write_api.catalogue.models import Service
from write_api.catalogue.services import (
    service_state,
)
from write_api.eventlog.models import Event, ProjectionState
from write_api.eventlog.services import event_append
from write_api.practitioners.models import Practitioner
from write_api.practitioners.services import profile_state

pytestmark = pytest.mark.django_db(transaction=True)

WAIT = 30.0

# Event types some projection handles that build_history() cannot produce (none, ideally).
NOT_YET_PRODUCIBLE: set[str] = set()


class UpdateWriter:
    """Many more realistic events, fast: service and practitioner updates carrying their real state."""

    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.services = [service_state(s) for s in Service.objects.order_by("id")]
        self.people = [profile_state(p) for p in Practitioner.objects.order_by("id")]
        self.rounds = 0

    def append(self, rounds: int = 1) -> int:
        rng = self.rng
        for _ in range(rounds):
            n = self.rounds = self.rounds + 1
            events: list[Any] = [ServiceUpdated(**{**s, "title": f"{s['title']} r{n}",
                                                   "price_cents": rng.randrange(1000, 9000, 100)})
                                 for s in rng.sample(self.services, min(6, len(self.services)))]
            p = rng.choice(self.people)
            events.append(PractitionerUpdated(**{**p, "bio": f"Update {n}", "is_active": rng.random() < 0.8}))
            with transaction.atomic(durable=True):
                event_append(events, actor_id=None)
        return event_reader.head_position()


def append_updates(rounds: int, *, seed: int = 7) -> int:
    return UpdateWriter(seed).append(rounds)


def set_batch_size(monkeypatch: pytest.MonkeyPatch, size: int) -> None:
    monkeypatch.setenv("PROJECTION_BATCH_SIZE", str(size))
    monkeypatch.setenv("PROJECTION_CATCH_UP_BATCH_SIZE", str(size))  # batches must stay this small


def state(name: str) -> ProjectionState:
    return ProjectionState.objects.get(name=name)


def assert_same(name: str, live: Any, replayed: Any) -> None:
    assert live == replayed, f"{name}: " + "; ".join(runtime._differences(live, replayed))


# --- (a) replay equivalence --------------------------------------------------------------------------


def test_history_covers_every_event_type_a_projection_handles():
    run_history(random.Random(1), practitioners=2)
    produced = set(Event.objects.values_list("type", flat=True).distinct())
    for name, projection in projections().items():
        handled = {t for t in registered_events() if projection.handles(t)}
        missing = handled - produced - NOT_YET_PRODUCIBLE
        assert not missing, f"extend build_history() so that it produces {sorted(missing)} (handled by {name})"


def test_batched_apply_equals_rebuild_from_zero_for_every_projection(monkeypatch):
    rng = random.Random(11)
    names = list(projections())
    assert names, "no projection registered"
    for _ in build_history(rng, practitioners=2):
        if rng.random() < 0.3:
            set_batch_size(monkeypatch, rng.randint(1, 9))
            for name in names:
                if rng.random() < 0.7:
                    runtime.drain(name)
    append_updates(4)
    set_batch_size(monkeypatch, rng.randint(2, 9))
    results = runtime.drain_all()
    head = event_reader.head_position()
    assert head > 80
    assert [(r.name, r.ran, r.applied_to) for r in results] == [(name, True, head) for name in names]

    set_batch_size(monkeypatch, 1000)
    for name, projection in projections().items():
        before = state(name)
        assert before.active_position == head
        incremental = projection.snapshot(before.active_generation)
        assert len(incremental) > 0, f"{name} projected nothing"
        result = runtime.rebuild(name, grace=0)
        assert (result.old_generation, result.new_generation, result.position) == (
            before.active_generation, before.active_generation + 1, head)
        assert_same(name, incremental, projection.snapshot(result.new_generation))


def test_a_batch_applied_twice_in_a_row_changes_nothing(monkeypatch):
    """At-least-once delivery: after a crash between apply and checkpoint the same batch comes again."""
    run_history(random.Random(3), practitioners=1)
    append_updates(2)
    set_batch_size(monkeypatch, 10)
    runtime.drain_all()
    head = event_reader.head_position()
    for name, projection in projections().items():
        live = projection.snapshot(state(name).active_generation)
        twice = 77
        projection.discard(twice)
        projection.prepare(twice)
        try:
            for start in range(0, head, 10):
                events = [e for e in event_reader.events_after(start, limit=10) if projection.handles(e.type)]
                if events:
                    projection.apply(events, twice)
                    projection.apply(events, twice)
            assert_same(name, live, projection.snapshot(twice))
        finally:
            projection.discard(twice)


# --- (b) one instance at a time ----------------------------------------------------------------------


def hold_lock(name: str, held: threading.Event, release: threading.Event, acquired: list[bool]) -> None:
    """Another worker: holds ``name``'s drain lock (in its own database session) until released."""
    with runtime.projection_lock(name) as got:
        acquired.append(got)
        held.set()
        release.wait(WAIT)


def test_drain_is_skipped_while_another_instance_holds_the_lock():
    run_history(random.Random(4), practitioners=1, clients=False)
    head = event_reader.head_position()
    for name in projections():
        held, release = threading.Event(), threading.Event()
        acquired: list[bool] = []
        holder = threading.Thread(target=in_thread(functools.partial(hold_lock, name, held, release, acquired)))
        holder.start()
        assert held.wait(WAIT)
        try:
            skipped = runtime.drain(name)
        finally:
            release.set()
            holder.join(WAIT)
        assert acquired == [True]
        assert (skipped.ran, skipped.applied_to) == (False, -1)
        assert not ProjectionState.objects.filter(name=name, active_position__gt=0).exists()
        ran = runtime.drain(name)
        assert (ran.ran, ran.position, ran.applied_to) == (True, 0, head)


def test_a_second_rebuild_is_refused_while_one_runs_in_another_session():
    name = next(iter(projections()))
    params = connection.settings_dict
    other = psycopg.connect(dbname=params["NAME"], host=params["HOST"] or None, port=params["PORT"] or None,
                            user=params["USER"] or None, password=params["PASSWORD"] or None, autocommit=True)
    try:
        key = runtime._lock_key(f"rebuild:{name}")
        other.execute("SELECT pg_advisory_lock(%s, %s)", [runtime._LOCK_NAMESPACE, key])
        with pytest.raises(RuntimeError, match="already running"):
            runtime.rebuild(name, grace=0)
        assert runtime.drain(name).ran is True  # draining is a different lock
    finally:
        pid = other.info.backend_pid
        other.close()  # the session ends: PostgreSQL releases its advisory locks
    with connection.cursor() as cursor:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
            if cursor.fetchone()[0] == 0:
                break
            time.sleep(0.01)
    assert runtime.rebuild(name, grace=0).new_generation == 2


def test_two_workers_taking_turns_equal_a_rebuild(monkeypatch):
    """Celery runs several worker processes; each has its own projection objects and takes the drain
    lock in turn, often milliseconds apart. What one caches must not hide what the other applied."""
    run_history(random.Random(15), practitioners=1, clients=False)
    worker_a = registry.projections()
    runtime.drain_all()  # worker A has now read (and may cache) every read model
    registry.projections.cache_clear()
    engine_factory.cache_clear()
    worker_b = registry.projections()
    assert all(worker_b[name] is not worker_a[name] for name in worker_a)
    [profile] = [profile_state(p) for p in Practitioner.objects.all()]
    services = [service_state(s) for s in Service.objects.order_by("id")]

    def turn(worker: dict, name: str, events: list[Any]) -> None:
        with transaction.atomic(durable=True):
            event_append(events, actor_id=None)
        monkeypatch.setattr(runtime, "projection_named", lambda n: worker[n])
        assert runtime.drain(name).ran

    n = 0
    for name, projection in worker_a.items():
        for _ in range(2):
            n += 1
            # B changes every service; right after, A applies a profile change that re-reads them.
            turn(worker_b, name, [ServiceUpdated(**{**s, "price_cents": 1000 + n}) for s in services])
            turn(worker_a, name, [PractitionerUpdated(**{**profile, "bio": f"Bio {n}"})])
        assert state(name).active_position == event_reader.head_position()
        live = projection.snapshot(state(name).active_generation)
        assert_same(name, live, projection.snapshot(runtime.rebuild(name, grace=0).new_generation))


def test_a_failing_projection_does_not_hold_up_the_others(monkeypatch):
    run_history(random.Random(16), practitioners=1, clients=False)
    head = event_reader.head_position()
    broken = next(iter(projections()))

    def fail(events, generation, position):
        raise ValueError("handler bug")

    monkeypatch.setattr(projections()[broken], "apply_through", fail)
    with pytest.raises(ValueError, match="handler bug"):
        runtime.drain_all()
    for s in runtime.status():
        if s.name == broken:
            assert (s.position, s.last_error) == (0, "ValueError: handler bug")
        else:
            assert (s.position, s.lag_events, s.last_error) == (head, 0, "")
    monkeypatch.undo()
    assert [r.applied_to for r in runtime.drain_all()] == [head] * len(projections())
    assert state(broken).last_error == ""


# --- (c) a crash mid-batch loses nothing and duplicates nothing ------------------------------------


def drain_subprocess(batch_size: int) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url(), "REDIS_URL": settings.REDIS_URL,
           "DATA_DIR": str(data_path()), "PROJECTION_BATCH_SIZE": str(batch_size),
           "PROJECTION_CATCH_UP_BATCH_SIZE": str(batch_size), "EVENT_DISPATCH": "off",
           "DJANGO_SETTINGS_MODULE": "workers.settings"}
    return subprocess.Popen([sys.executable, "manage.py", "projections", "drain"], cwd=PROJECT_ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def applied_total() -> int:
    return sum(ProjectionState.objects.values_list("active_position", flat=True))


def caught_up(head: int) -> bool:
    names = set(projections())
    done = set(ProjectionState.objects.filter(active_position=head).values_list("name", flat=True))
    return done >= names


def kill_mid_drain(rng: random.Random, batch_size: int) -> bool:
    """Start a drain process and SIGKILL it once it has applied a few batches; True if it was killed."""
    before = applied_total()
    remaining = event_reader.head_position() * len(projections()) - before
    process = drain_subprocess(batch_size)
    target = before + rng.randint(1, max(remaining - batch_size, 1))  # anywhere in any projection's drain
    deadline = time.monotonic() + WAIT
    while process.poll() is None and applied_total() < target and time.monotonic() < deadline:
        time.sleep(0.002)
    time.sleep(rng.random() * 0.02)  # land anywhere inside a batch: applying, saving or publishing
    if process.poll() is not None:
        return False
    process.send_signal(signal.SIGKILL)
    process.wait(WAIT)
    return True


def drain_to_completion(batch_size: int, head: int) -> None:
    """Run drain processes until every checkpoint is at ``head`` (a killed one's session may linger)."""
    for _ in range(10):
        process = drain_subprocess(batch_size)
        output, _ = process.communicate(timeout=120)
        assert process.returncode == 0, output.decode()
        if caught_up(head):
            return
        time.sleep(0.2)
    raise AssertionError("drain never caught up")


def test_killed_drain_processes_lose_and_duplicate_nothing():
    rng = random.Random(5)
    run_history(rng, practitioners=1)
    runtime.drain_all()  # this process has now read (and may cache) every read model
    head = append_updates(8)
    kills = sum(kill_mid_drain(rng, batch_size=4) for _ in range(2))
    assert kills >= 1, "the drain finished before it could be killed; give it more events"
    assert not caught_up(head)
    drain_to_completion(4, head)
    # This process takes its turn again, like a second Celery worker: it must see what the others applied.
    head = append_updates(2, seed=10)
    assert [r.applied_to for r in runtime.drain_all()] == [head] * len(projections())

    for name, projection in projections().items():
        live = state(name)
        assert live.active_position == head
        assert positions.client().hget(f"projection:{name}", "position") == str(head).encode()
        snapshot = projection.snapshot(live.active_generation)
        if isinstance(snapshot, list):
            ids = [item["id"] for item in snapshot]
            assert len(ids) == len(set(ids)), f"{name} holds duplicates"
        rebuilt = runtime.rebuild(name, grace=0)
        assert_same(name, snapshot, projection.snapshot(rebuilt.new_generation))


# --- (d) rebuild while readers read ----------------------------------------------------------------


def tantivy_generation_dirs(generation: int) -> list[str]:
    return [str(p) for p in data_path("search").rglob(f"*_g{generation}") if p.is_dir()]


def test_rebuild_switches_generation_while_reads_keep_answering(read_api, monkeypatch):
    unthrottled = {**read_settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        scope: None for scope in read_settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]}}
    monkeypatch.setattr(read_settings, "REST_FRAMEWORK", unthrottled)  # this reader is one busy client
    run_history(random.Random(6), practitioners=2, clients=False)
    runtime.drain_all()
    head = event_reader.head_position()
    query = "/api/v1/search/?q=workshop&type=service"
    expected_search = {hit["id"] for hit in read_api.get(query).json()["data"]}
    assert len(expected_search) == 1  # the suspended practitioner's workshop is not found
    service = Service.objects.get(id=sorted(expected_search)[0])
    expected_detail = read_api.get(f"/api/v1/services/{service.id}/").json()["data"]
    assert expected_detail["id"] == str(service.id)
    engine = configured_engine()

    stop = threading.Event()
    failures: list[str] = []
    seen: dict[str, set[int | None]] = {"search": set(), "catalogue": set()}
    reads = [0]
    last_position = [0]

    def read_loop() -> None:
        while not stop.is_set():
            seen["search"].add(getattr(engine, "active_generation", lambda: None)())
            seen["catalogue"].add(store.active_generation())
            found = read_api.get(query)
            detail = read_api.get(f"/api/v1/services/{service.id}/")
            reads[0] += 1
            for response in (found, detail):
                if response.status_code != 200:
                    failures.append(f"{response.status_code}: {response.content[:200]!r}")
                    continue
                position = int(response["X-Projection-Position"])
                if position < last_position[0]:
                    failures.append(f"position went back from {last_position[0]} to {position}")
                last_position[0] = position
            if found.status_code == 200 and {hit["id"] for hit in found.json()["data"]} != expected_search:
                failures.append(f"search answered {found.json()['data']!r}")
            if detail.status_code == 200 and detail.json()["data"] != expected_detail:
                failures.append(f"detail answered {detail.json()['data']!r}")

    reader = threading.Thread(target=read_loop)
    reader.start()
    try:
        while reads[0] < 3:
            time.sleep(0.01)
        results = {name: runtime.rebuild(name, grace=0.3) for name in projections()}
        started = reads[0]
        while reads[0] < started + 3:
            time.sleep(0.01)
    finally:
        stop.set()
        reader.join(WAIT)

    assert failures == []
    assert reads[0] > 10
    for name, result in results.items():
        assert (result.old_generation, result.new_generation, result.position) == (1, 2, head)
        assert state(name).active_generation == 2
    if "search" in results and engine.name == "tantivy":
        assert {1, 2} <= seen["search"]
        assert engine.active_generation() == 2  # type: ignore[attr-defined]  # the tantivy engine's
        assert tantivy_generation_dirs(1) == []
        assert tantivy_generation_dirs(2) != []
    if "catalogue" in results:
        assert {1, 2} <= seen["catalogue"]
        assert store.active_generation() == 2
        assert list(store.client().scan_iter(match=store.prefix(1) + "*")) == []


def test_the_old_generation_stays_readable_for_a_grace_period_after_the_switch():
    """A reader that looked up the active generation just before the switch still finds its data."""
    run_history(random.Random(8), practitioners=1, clients=False)
    runtime.drain_all()
    service_id = str(Service.objects.filter(status="active").order_by("id")[0].id)
    assert store.read_doc(1, f"service:{service_id}") is not None
    projection = projections()["catalogue"]
    real_activate = projection.activate
    late_reads: list[Any] = []
    readers: list[threading.Thread] = []

    def read_old_generation_a_moment_later() -> None:
        time.sleep(0.1)
        late_reads.append(store.read_doc(1, f"service:{service_id}"))

    def activate(generation: int) -> None:
        real_activate(generation)
        readers.append(threading.Thread(target=read_old_generation_a_moment_later))
        readers[-1].start()

    projection.activate = activate  # type: ignore[method-assign]  # the test wraps it
    try:
        result = runtime.rebuild("catalogue", grace=0.5)
    finally:
        del projection.activate
        for reader in readers:
            reader.join(WAIT)
    assert result.new_generation == 2
    assert late_reads and late_reads[0] is not None and late_reads[0]["id"] == service_id
    assert store.read_doc(1, f"service:{service_id}") is None  # discarded once the grace period ended
    assert list(store.client().scan_iter(match=store.prefix(1) + "*")) == []


def test_rebuild_keeps_up_with_writes_and_drains_running_meanwhile(monkeypatch):
    """Writes and drains go on while the new generation fills; the final catch-up takes the rest."""
    run_history(random.Random(9), practitioners=1, clients=False)
    runtime.drain_all()
    set_batch_size(monkeypatch, 10)
    for name, projection in projections().items():
        drained: list[runtime.DrainResult] = []

        def progress(position: int, target: int, name: str = name, drained: list = drained) -> None:
            if not drained:  # once, while the new generation is half built: a write and a drain elsewhere
                worker = threading.Thread(target=in_thread(lambda: drained.append(write_and_drain(name))))
                worker.start()
                worker.join(WAIT)

        result = runtime.rebuild(name, progress=progress, grace=0)
        head = event_reader.head_position()
        assert len(drained) == 1 and (drained[0].ran, drained[0].applied_to) == (True, head)
        live = state(name)
        assert (result.position, live.active_generation, live.active_position) == (head, 2, head)
        runtime.drain(name)
        assert_same(name, projection.snapshot(2), projection.snapshot(runtime.rebuild(name, grace=0).new_generation))


def write_and_drain(name: str) -> runtime.DrainResult:
    append_updates(1, seed=random.randrange(1000))
    return runtime.drain(name)


def test_a_crash_between_the_two_switch_steps_heals_on_the_next_drain(monkeypatch):
    run_history(random.Random(10), practitioners=1, clients=False)
    runtime.drain_all()
    projection = projections()["catalogue"]
    real_activate = projection.activate

    def crash_on_new_generation(generation: int) -> None:
        if generation == 2:
            raise KeyboardInterrupt("killed between the database switch and the reader switch")
        real_activate(generation)

    monkeypatch.setattr(projection, "activate", crash_on_new_generation)
    with pytest.raises(KeyboardInterrupt):
        runtime.rebuild("catalogue", grace=0)
    monkeypatch.setattr(projection, "activate", real_activate)
    assert state("catalogue").active_generation == 2
    assert store.active_generation() == 1  # readers still on the old generation
    runtime.drain("catalogue")
    assert store.active_generation() == 2
    assert_same("catalogue", projection.snapshot(1), projection.snapshot(2))


def test_the_safety_net_wakes_only_projections_that_need_it(monkeypatch):
    run_history(random.Random(5), practitioners=1, clients=False)
    assert set(runtime.needing_drain(projections())) == set(projections())  # never drained
    runtime.drain_all()
    assert runtime.needing_drain(projections()) == []

    def no_drain(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("an idle check must not drain (nor touch a read model)")

    monkeypatch.setattr(runtime, "drain", no_drain)
    assert tasks.catch_up_projections() == []
    monkeypatch.undo()

    run_history(random.Random(6), practitioners=1, clients=False)  # events a lost trigger did not announce
    assert set(runtime.needing_drain(projections())) == set(projections())
    runtime.drain_all()
    positions.client().delete("projection:catalogue")  # readers lost the published position
    assert runtime.needing_drain(projections()) == ["catalogue"]
    shared = [n for n in projections() if getattr(projections()[n], "queue", "projections") == "projections"]
    assert "catalogue" in shared and tasks.catch_up_projections() == ["catalogue"]
    assert runtime.needing_drain(projections()) == []


# --- (e) lag --------------------------------------------------------------------------------------


def test_status_reports_lag_in_events_and_seconds_then_zero_after_drain():
    written = datetime(2031, 5, 6, 7, 0, 0, tzinfo=UTC)
    with time_machine.travel(written, tick=False):
        run_history(random.Random(2), practitioners=1, clients=False)
    head = event_reader.head_position()
    with time_machine.travel(written + timedelta(seconds=42.5), tick=False):
        lagging = {s.name: s for s in runtime.status()}
    assert set(lagging) == set(projections())
    for s in lagging.values():
        assert (s.position, s.head, s.lag_events, s.lag_seconds) == (0, head, head, 42.5)

    runtime.drain_all()
    with time_machine.travel(written + timedelta(seconds=100), tick=False):
        settled = {s.name: s for s in runtime.status()}
    for s in settled.values():
        assert (s.position, s.head, s.lag_events, s.lag_seconds, s.last_error) == (head, head, 0, 0.0, "")
        assert s.last_applied_at is not None


def test_status_lag_counts_from_the_oldest_unapplied_event():
    first = datetime(2031, 5, 6, 7, 0, 0, tzinfo=UTC)
    with time_machine.travel(first, tick=False):
        run_history(random.Random(2), practitioners=1, clients=False)
    runtime.drain_all()
    applied = event_reader.head_position()
    with time_machine.travel(first + timedelta(seconds=10), tick=False):
        append_updates(2)
    with time_machine.travel(first + timedelta(seconds=13), tick=False):
        append_updates(1)
    head = event_reader.head_position()
    with time_machine.travel(first + timedelta(seconds=20), tick=False):
        for s in runtime.status():
            assert (s.position, s.lag_events, s.lag_seconds) == (applied, head - applied, 10.0)


# --- (f) verify -------------------------------------------------------------------------------------


def test_verify_passes_after_drains_and_detects_a_tampered_read_model(monkeypatch):
    rng = random.Random(13)
    for _ in build_history(rng, practitioners=1):
        if rng.random() < 0.1:
            set_batch_size(monkeypatch, rng.randint(5, 20))
            runtime.drain_all()
    runtime.drain_all()
    head = event_reader.head_position()
    for name in projections():
        result = runtime.verify(name)
        assert (result.name, result.position, result.matches, result.differences) == (name, head, True, [])
        assert result.live_items == result.replay_items > 0

    if "search" in projections():
        engine = configured_engine()
        some = engine.all_documents(state("search").active_generation)[0]
        engine.write(state("search").active_generation, [{**some, "id": "bogus", "title": "Injected"}])
        tampered = runtime.verify("search")
        assert not tampered.matches
        assert tampered.live_items == tampered.replay_items + 1
        assert len(tampered.differences) == 1 and tampered.differences[0].startswith("bogus: live=")
    if "catalogue" in projections():
        key = store.prefix(state("catalogue").active_generation) + "service:bogus"
        store.client().set(key, b'{"id": "bogus"}')
        tampered = runtime.verify("catalogue")
        assert not tampered.matches
        assert tampered.differences and "service:bogus" in tampered.differences[0]
    # Verify never moves the live projection nor leaves its scratch generation behind.
    for name in projections():
        assert (state(name).active_generation, state(name).active_position, state(name).building_generation) == (
            1, head, None)
    assert list(store.client().scan_iter(match="rm:catalogue:g1001:*")) == []
    assert tantivy_generation_dirs(1001) == []


def test_verify_does_not_stop_the_drain_while_it_replays(monkeypatch):
    run_history(random.Random(14), practitioners=1, clients=False)
    runtime.drain_all()
    drained: list[runtime.DrainResult] = []

    def other_worker(name: str) -> None:
        append_updates(1, seed=99)
        drained.append(runtime.drain(name))

    set_batch_size(monkeypatch, 10)
    for name in projections():
        drained.clear()

        def progress(position: int, target: int, name: str = name) -> None:
            if not drained:  # once, in the middle of the scratch replay: another worker drains
                worker = threading.Thread(target=in_thread(lambda: other_worker(name)))
                worker.start()
                worker.join(WAIT)

        result = runtime.verify(name, progress=progress)
        head = event_reader.head_position()
        assert len(drained) == 1
        assert (drained[0].ran, drained[0].applied_to) == (True, head)
        assert (result.matches, result.position) == (True, head)


# --- reading only what a projection handles; batches that grow while behind ---------------------------


class Recorder(Projection):
    """Records the batches it is handed (handles reviews only: rare in the history)."""

    name = "recorder"

    def __init__(self) -> None:
        self.batches: list[list[RecordedEvent[Any]]] = []

    @on(ReviewPublished)
    def on_review_published(self, event: RecordedEvent[ReviewPublished]) -> None: ...

    def prepare(self, generation: int) -> None: ...

    def apply(self, events, generation: int) -> None:
        self.batches.append(list(events))

    def activate(self, generation: int) -> None: ...

    def discard(self, generation: int) -> None: ...

    def snapshot(self, generation: int) -> Any:
        return [e.position for batch in self.batches for e in batch]


def test_a_projection_reads_only_its_event_types_and_still_reaches_the_head(monkeypatch):
    run_history(random.Random(5), practitioners=2)
    append_updates(3)  # the log ends with events the recorder ignores
    head = event_reader.head_position()
    set_batch_size(monkeypatch, 2)
    recorder, saved = Recorder(), list[int]()
    reached = runtime._replay(recorder, 1, 0, up_to=None, save=saved.append)
    expected = list(Event.objects.filter(type="review.published").order_by("position").values_list("position",
                                                                                                   flat=True))
    assert expected and reached == head and saved[-1] == head
    assert recorder.snapshot(1) == expected
    assert all(e.type == "review.published" for batch in recorder.batches for e in batch)
    assert all(len(batch) <= 2 for batch in recorder.batches)


def test_batches_double_while_behind_up_to_the_catch_up_size(monkeypatch):
    run_history(random.Random(6), practitioners=2)
    head = event_reader.head_position()
    monkeypatch.setenv("PROJECTION_BATCH_SIZE", "3")
    monkeypatch.setenv("PROJECTION_CATCH_UP_BATCH_SIZE", "12")
    everything = Recorder()
    monkeypatch.setattr(Recorder, "handles", lambda self, event_type: True)
    assert runtime._replay(everything, 1, 0, up_to=None, save=lambda _p: None) == head
    sizes = [len(b) for b in everything.batches]
    assert sizes[:3] == [3, 6, 12] and max(sizes) == 12
    assert [e.position for b in everything.batches for e in b] == list(range(1, head + 1))


def test_projections_variable_limits_what_a_deployment_drives(monkeypatch):
    every = set(registry.projections())
    try:
        monkeypatch.setenv("PROJECTIONS", "warehouse, search")
        registry.projections.cache_clear()
        assert set(registry.projections()) == {"warehouse", "search"} < every
        monkeypatch.setenv("PROJECTIONS", "warehouse,nonsense")
        registry.projections.cache_clear()
        with pytest.raises(ValueError, match="nonsense"):
            registry.projections()
    finally:
        monkeypatch.delenv("PROJECTIONS")
        registry.projections.cache_clear()
    assert set(registry.projections()) == every
