"""The event log: typed events appended in the command's transaction, gap-free positions in commit order.

The property that matters to every projector: a consumer reading ``position > checkpoint`` can never
skip an event, because a position becomes visible only after every lower position is visible.
"""

from __future__ import annotations

import functools
import random
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.db import connection, transaction

from api_conventions.request_context import request_id_var
from kernel.events import ServiceUpdated, UserRegistered
from tests.clients import authenticate, register
from tests.concurrency import in_thread
from workers import event_reader
from write_api.eventlog.models import Event
from write_api.eventlog.services import event_append

pytestmark = pytest.mark.django_db(transaction=True)

WAIT = 10.0  # seconds any single step may take before the test gives up


def user_event() -> UserRegistered:
    return UserRegistered(user_id=uuid.uuid4(), email=f"{uuid.uuid4().hex[:8]}@example.com", first_name="",
                          last_name="")


def append_command(count: int = 1) -> int:
    """A minimal command: one durable transaction whose last step appends ``count`` events."""
    with transaction.atomic(durable=True):
        return event_append([user_event() for _ in range(count)], actor_id=None)


def all_positions() -> list[int]:
    return list(Event.objects.order_by("position").values_list("position", flat=True))


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def blocking_pids(pid: int) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_blocking_pids(%s)", [pid])
        return list(cursor.fetchone()[0])


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


class CheckpointReader:
    """A projector's view of the log: reads ``position > checkpoint`` and asserts it never skips one."""

    def __init__(self, checkpoint: int) -> None:
        self.checkpoint = checkpoint
        self.polls = 0
        self.skips: list[str] = []

    def poll(self) -> None:
        self.polls += 1
        for event in event_reader.events_after(self.checkpoint, limit=1000):
            if event.position != self.checkpoint + 1:
                self.skips.append(f"saw {event.position} after checkpoint {self.checkpoint}")
            self.checkpoint = event.position


def test_a_later_append_waits_for_the_earlier_commit_and_readers_never_skip():
    start = event_reader.head_position()
    reader = CheckpointReader(start)
    t1_appended, t1_may_commit = threading.Event(), threading.Event()
    t2_started, t2_appended = threading.Event(), threading.Event()
    got: dict[str, int] = {}

    def t1() -> None:
        with transaction.atomic(durable=True):
            got["t1"] = event_append([user_event()], actor_id=None)
            got["t1_pid"] = backend_pid()
            t1_appended.set()
            assert t1_may_commit.wait(WAIT)

    def t2() -> None:
        # Starts after T1 appended and nothing holds it back: it would commit first if it could.
        with transaction.atomic(durable=True):
            got["t2_pid"] = backend_pid()
            t2_started.set()
            got["t2"] = event_append([user_event()], actor_id=None)
            t2_appended.set()

    first = threading.Thread(target=in_thread(t1))
    first.start()
    assert t1_appended.wait(WAIT)
    second = threading.Thread(target=in_thread(t2))
    second.start()
    assert t2_started.wait(WAIT)

    # T2 is blocked inside event_append, waiting on a lock that T1's open transaction holds.
    wait_until(lambda: got["t1_pid"] in blocking_pids(got["t2_pid"]), "T2 to wait on T1")
    for _ in range(20):
        reader.poll()
        time.sleep(0.005)
    assert not t2_appended.is_set()
    assert reader.checkpoint == start  # T1's position p is not visible yet, so nothing is

    # The reader keeps polling while T1 commits and T2 goes through.
    stop = threading.Event()

    def keep_reading() -> None:
        while not stop.is_set():
            reader.poll()

    polling = threading.Thread(target=in_thread(keep_reading))
    polling.start()
    t1_may_commit.set()
    first.join(WAIT)
    second.join(WAIT)
    wait_until(lambda: reader.checkpoint == start + 2, "the reader to catch up")
    stop.set()
    polling.join(WAIT)

    assert got["t1"] == start + 1
    assert got["t2"] == start + 2
    assert reader.skips == []
    assert reader.polls > 20
    assert all_positions()[-2:] == [start + 1, start + 2]


def test_rolled_back_append_leaves_no_gap():
    start = append_command()

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic(durable=True):
        assert event_append([user_event(), user_event()], actor_id=None) == start + 2
        raise Boom
    assert event_reader.head_position() == start
    assert append_command() == start + 1
    assert all_positions() == list(range(1, start + 2))


def test_append_outside_a_transaction_raises_and_appends_nothing():
    head = event_reader.head_position()
    with pytest.raises(RuntimeError, match="inside the command's transaction"):
        event_append([user_event()], actor_id=None)
    with pytest.raises(ValueError, match="at least one event"), transaction.atomic():
        event_append([], actor_id=None)
    assert event_reader.head_position() == head
    assert Event.objects.count() == head


def test_events_carry_type_version_aggregate_payload_actor_request_id_and_time(write_api):
    moment = datetime(2031, 3, 4, 5, 6, 7, tzinfo=UTC)
    with time_machine.travel(moment, tick=False):
        user = register(write_api)
        authenticate(write_api, user["tokens"])
        response = write_api.post("/api/v1/practitioners/", {"display_name": "Grace Hopper", "title": "Coach",
                                                             "timezone": "Europe/Paris"},
                                  format="json", HTTP_X_REQUEST_ID="req-event-log-1")
    assert response.status_code == 201, response.content
    position = int(response["X-Event-Position"])
    practitioner_id = response.json()["data"]["practitioner"]["id"]

    [recorded] = event_reader.events_after(position - 1, limit=1)
    assert recorded.position == position
    assert recorded.type == "practitioner.registered"
    assert recorded.version == 1
    assert recorded.aggregate_type == "practitioner"
    assert str(recorded.aggregate_id) == practitioner_id
    assert str(recorded.actor_id) == user["user"]["id"]
    assert recorded.request_id == "req-event-log-1"
    assert recorded.recorded_at == moment
    assert recorded.payload["practitioner_id"] == practitioner_id
    assert recorded.payload["user_id"] == user["user"]["id"]
    assert recorded.payload["display_name"] == "Grace Hopper"
    assert recorded.payload["timezone"] == "Europe/Paris"
    assert recorded.payload["is_active"] is True
    assert isinstance(recorded.event_id, uuid.UUID)
    row = Event.objects.get(position=position)
    assert (row.event_id, row.recorded_at) == (recorded.event_id, moment)


def test_one_append_of_several_events_takes_consecutive_positions_with_one_time_and_request():
    service_id, practitioner_id = uuid.uuid4(), uuid.uuid4()
    actor = uuid.uuid4()
    state: dict[str, Any] = {"service_id": service_id, "practitioner_id": practitioner_id, "title": "Yoga",
                             "description": "",
             "service_type": "session", "format": "online", "status": "active", "price_cents": 1000,
             "duration_minutes": 60, "created_at": datetime(2030, 1, 1, tzinfo=UTC)}
    token = request_id_var.set("req-batch")
    try:
        with transaction.atomic(durable=True):
            last = event_append([ServiceUpdated(**{**state, "price_cents": cents}) for cents in (1000, 2000, 3000)],
                                actor_id=actor)
    finally:
        request_id_var.reset(token)
    events = event_reader.events_after(last - 3, limit=10)
    assert [e.position for e in events] == [last - 2, last - 1, last]
    assert [e.payload["price_cents"] for e in events] == [1000, 2000, 3000]
    assert {(e.type, e.aggregate_type, e.aggregate_id, e.actor_id, e.request_id, e.recorded_at) for e in events} == {
        ("service.updated", "service", service_id, actor, "req-batch", events[0].recorded_at)}
    assert events[0].payload["created_at"] == "2030-01-01T00:00:00+00:00"


def test_parallel_appenders_produce_exactly_positions_one_to_n_in_commit_order():
    threads, commands = 8, 25
    start = event_reader.head_position()
    barrier = threading.Barrier(threads)
    results: dict[int, list[tuple[int, int]]] = {}
    errors: list[BaseException] = []
    reader = CheckpointReader(start)
    stop = threading.Event()

    def appender(n: int) -> None:
        rng = random.Random(n)
        barrier.wait(WAIT)
        mine = []
        try:
            for _ in range(commands):
                count = rng.randint(1, 3)
                mine.append((append_command(count), count))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        results[n] = mine

    def keep_reading() -> None:
        while not stop.is_set():
            reader.poll()

    polling = threading.Thread(target=in_thread(keep_reading))
    polling.start()
    workers = [threading.Thread(target=in_thread(functools.partial(appender, n))) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    total = sum(count for mine in results.values() for _, count in mine)
    wait_until(lambda: reader.checkpoint == start + total, "the reader to see every event")
    stop.set()
    polling.join(WAIT)

    assert errors == []
    assert len(results) == threads and all(len(mine) == commands for mine in results.values())
    assert all_positions() == list(range(1, start + total + 1))
    assert event_reader.head_position() == start + total
    # Each command's events are one contiguous block, and each thread's commands are in order.
    claimed = sorted(p for mine in results.values() for last, count in mine for p in range(last - count + 1, last + 1))
    assert claimed == list(range(start + 1, start + total + 1))
    for mine in results.values():
        assert [last for last, _ in mine] == sorted(last for last, _ in mine)
    assert Event.objects.values("event_id").distinct().count() == start + total
    assert reader.skips == []
