"""The warehouse projection on constructed events: the checkpoint committed with the rows, derived facts
(incremental), money resolved across batches, readers on committed snapshots, time travel, compaction.

(End-to-end figures against PostgreSQL are in ``tests/test_analytics_oracle.py``.)
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import psycopg
import pytest

from infra.environment import data_path
from kernel.events import DomainEvent, RecordedEvent
from warehouse import lake, maintenance, reader, slices
from warehouse.projection import WarehouseProjection

pytestmark = pytest.mark.usefixtures("fresh_lake")


T0 = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)


class History:
    """Builds a plausible event stream for one practitioner (positions 1, 2, 3…)."""

    def __init__(self, zone: str = "Europe/London") -> None:
        self.events: list[RecordedEvent[Any]] = []
        self.zone = zone
        self.practitioner = str(uuid.uuid4())
        self.services: dict[str, str] = {}

    def add(self, event_type: str, payload: dict[str, Any], at: datetime) -> RecordedEvent[Any]:
        event: RecordedEvent[DomainEvent] = RecordedEvent(
            len(self.events) + 1, uuid.uuid4(), event_type, 1, event_type.split(".")[0], uuid.uuid4(), payload, None,
            None, at)
        self.events.append(event)
        return event

    def setup(self, at: datetime = T0) -> History:
        self.add("practitioner.registered", {
            "practitioner_id": self.practitioner, "user_id": str(uuid.uuid4()), "display_name": "Pat", "title": "",
            "bio": "", "timezone": self.zone, "is_active": True}, at)
        for kind, price in (("session", 5000), ("package", 9000), ("course", 12000)):
            service_id = str(uuid.uuid4())
            self.services[kind] = service_id
            self.add("service.created", {
                "service_id": service_id, "practitioner_id": self.practitioner, "title": f"A {kind}",
                "description": "", "service_type": kind, "format": "online", "status": "active",
                "price_cents": price, "duration_minutes": 60, "created_at": at.isoformat()}, at)
        return self

    def client(self, at: datetime = T0, name: tuple[str, str] = ("Cleo", "Client")) -> str:
        user_id = str(uuid.uuid4())
        self.add("user.registered", {"user_id": user_id, "email": f"{user_id}@example.com", "first_name": name[0],
                                     "last_name": name[1]}, at)
        return user_id

    def booking(self, event_type: str, state: dict[str, Any], at: datetime, **extra: Any) -> dict[str, Any]:
        state = {**state, **{k: v for k, v in extra.items() if k in state}}
        payload = {**state, **{k: v for k, v in extra.items() if k not in state}}
        self.add(event_type, payload, at)
        return state

    def new_booking(self, client: str, kind: str, at: datetime, start: datetime | None, price: int,
                    parent: str | None = None, status: str = "confirmed") -> dict[str, Any]:
        return {"booking_id": str(uuid.uuid4()), "client_id": client, "practitioner_id": self.practitioner,
                "service_id": self.services[kind], "service_type": kind, "status": status,
                "start_at": start.isoformat() if start else None,
                "end_at": (start + timedelta(hours=1)).isoformat() if start else None, "price_cents": price,
                "session_ids": [], "parent_id": parent, "practitioner_timezone": self.zone,
                "created_at": at.isoformat()}

    def money(self, kind: str, client: str, amount: int, at: datetime, reference: tuple[str, str] = ("", "")) -> None:
        event_type = {"spend": "credits.spent", "refund": "credits.refunded", "purchase": "credits.purchased",
                      "adjustment": "credits.adjusted"}[kind]
        self.add(event_type, {"transaction_id": str(uuid.uuid4()), "user_id": client, "sequence": 1,
                              "amount_cents": amount, "balance_after_cents": 0, "reference_type": reference[0],
                              "reference_id": reference[1], "created_at": at.isoformat()}, at)


def rich_history(seed: int = 1) -> History:
    """Sessions booked, rescheduled, cancelled with and without refunds, completed; a package with sessions."""
    rng = random.Random(seed)
    h = History().setup()
    clients = [h.client(name=(f"C{i}", "Z")) for i in range(4)]
    at = T0
    for _ in range(30):
        at += timedelta(hours=rng.randint(1, 30), minutes=rng.choice((0, 15, 30)))
        client = rng.choice(clients)
        h.money("purchase", client, 20000, at, ("payment", "ch_1"))
        state = h.new_booking(client, "session", at, at + timedelta(days=rng.randint(1, 9)), 5000)
        h.money("spend", client, -5000, at, ("booking", state["booking_id"]))
        state = h.booking("booking.confirmed", state, at)
        roll = rng.random()
        later = at + timedelta(minutes=rng.randint(1, 300))
        if roll < 0.3:
            new_start = datetime.fromisoformat(state["start_at"]) + timedelta(hours=2)
            h.booking("booking.rescheduled", state, later, start_at=new_start.isoformat(),
                      end_at=(new_start + timedelta(hours=1)).isoformat(), previous_start_at=state["start_at"])
        elif roll < 0.6:
            refund = rng.choice((0, 5000))
            h.booking("booking.cancelled", state, later, status="cancelled", cancelled_by="client",
                      refund_cents=refund, reason="")
            if refund:
                h.money("refund", client, refund, later, ("booking", state["booking_id"]))
        elif roll < 0.8:
            h.booking("booking.completed", state, datetime.fromisoformat(state["start_at"]), status="completed",
                      completed_by="practitioner")
    client = clients[0]
    parent = h.new_booking(client, "package", at, None, 9000)
    h.money("spend", client, -9000, at, ("booking", parent["booking_id"]))
    h.booking("booking.confirmed", parent, at)
    child = h.new_booking(client, "session", at, None, 4500, parent=parent["booking_id"], status="unscheduled")
    h.booking("booking.created_unscheduled", child, at, valid_until=(at + timedelta(days=180)).isoformat())
    h.booking("booking.cancelled", child, at + timedelta(hours=1), status="cancelled", cancelled_by="client",
              refund_cents=4500, reason="")
    h.money("refund", client, 4500, at + timedelta(hours=1), ("booking", child["booking_id"]))
    return h


def fresh(generation: int = 1) -> WarehouseProjection:
    projection = WarehouseProjection()
    projection.prepare(generation)
    return projection


def apply_in_batches(projection: WarehouseProjection, events: list[RecordedEvent[Any]], generation: int,
                     rng: random.Random) -> None:
    start = 0
    while start < len(events):
        size = rng.randint(1, 9)
        projection.apply(events[start:start + size], generation)
        start += size


def query(generation: int, sql: str) -> list[tuple]:
    with lake.writer() as connection:
        connection.execute(f"USE lake.g{generation}")
        return connection.execute(sql).fetchall()


# --- the checkpoint inside the file ----------------------------------------------------------------------


def test_events_at_or_below_the_files_checkpoint_are_skipped_so_a_replayed_batch_changes_nothing():
    history = rich_history()
    projection = fresh()
    projection.apply(history.events[:40], 1)
    assert projection.checkpoint(1) == 40
    before = projection.snapshot(1)
    projection.apply(history.events[:40], 1)  # the runtime's checkpoint was lost: the same batch again
    projection.apply(history.events[10:30], 1)
    assert projection.snapshot(1) == before
    assert projection.checkpoint(1) == 40
    # Skipped, not re-applied: an event at or below the checkpoint is not even looked at.
    first = history.events[0]
    altered: RecordedEvent[DomainEvent] = RecordedEvent(
        first.position, first.event_id, first.type, 1, first.aggregate_type, first.aggregate_id,
        {**first.payload, "display_name": "Someone else"}, None, None, first.recorded_at)
    projection.apply([altered], 1)
    assert query(1, "SELECT display_name FROM dim_practitioner") == [("Pat",)]
    projection.apply(history.events[35:], 1)  # overlapping: only the new part counts
    assert projection.checkpoint(1) == len(history.events)
    money = query(1, "SELECT count(*), sum(amount_cents) FROM fact_credit_movement")[0]
    expected = [e.payload["amount_cents"] for e in history.events if e.type.startswith("credits.")]
    assert money == (len(expected), sum(expected))


@pytest.mark.parametrize("seed", [1, 2])
def test_applying_in_random_batches_equals_applying_all_at_once(seed):
    history = rich_history(seed)
    one = fresh(1)
    one.apply(history.events, 1)
    batched = fresh(2)
    apply_in_batches(batched, history.events, 2, random.Random(seed))
    image = one.snapshot(1)
    assert len(image) > 50
    assert batched.snapshot(2) == image


def test_mark_drained_moves_the_checkpoint_forward_only():
    history = rich_history()
    projection = fresh()
    projection.apply(history.events, 1)
    head = len(history.events)
    projection.mark_drained(1, head + 25)  # events the warehouse does not handle
    assert projection.checkpoint(1) == head + 25
    projection.mark_drained(1, 3)
    assert projection.checkpoint(1) == head + 25
    assert fresh(7).checkpoint(7) == 0
    projection.discard(7)
    assert projection.checkpoint(7) is None


# --- derived facts ---------------------------------------------------------------------------------------


def test_fact_booking_carries_the_lifecycle_and_the_start_in_the_practitioners_zone():
    h = History("Europe/London").setup()
    client = h.client()
    # Booked for 01:30 UTC on the day London springs forward: 02:30 BST on the practitioner's clock.
    state = h.new_booking(client, "session", T0, datetime(2025, 3, 30, 1, 30, tzinfo=UTC), 5000)
    h.money("spend", client, -5000, T0, ("booking", state["booking_id"]))
    state = h.booking("booking.confirmed", state, T0)
    for hours in (1, 2):
        start = datetime(2025, 3, 30, 1, 30, tzinfo=UTC) + timedelta(hours=hours)
        state = h.booking("booking.rescheduled", state, T0 + timedelta(hours=hours), start_at=start.isoformat(),
                          end_at=(start + timedelta(hours=1)).isoformat())
    cancelled_at = T0 + timedelta(days=1, minutes=7)
    h.booking("booking.cancelled", state, cancelled_at, status="cancelled", cancelled_by="practitioner",
              refund_cents=5000, reason="ill")
    h.money("refund", client, 5000, cancelled_at, ("booking", state["booking_id"]))
    projection = fresh()
    projection.apply(h.events, 1)
    row = query(1, "SELECT status, start_at, start_local, reschedule_count, cancelled_at, cancelled_by, "
                   "cancellation_refund_cents, refunded_cents, completed_at, created_at FROM fact_booking")
    assert row == [("cancelled", datetime(2025, 3, 30, 3, 30), datetime(2025, 3, 30, 4, 30), 2,
                    cancelled_at.replace(tzinfo=None), "practitioner", 5000, 5000, None, T0.replace(tzinfo=None))]


def test_money_that_arrives_before_its_booking_is_attributed_once_the_booking_arrives():
    h = History().setup()
    client = h.client()
    state = h.new_booking(client, "session", T0, T0 + timedelta(days=3), 5000)
    h.money("spend", client, -5000, T0, ("booking", state["booking_id"]))
    projection = fresh()
    projection.apply(h.events, 1)  # the spend is in, its booking not yet
    assert query(1, "SELECT practitioner_id, revenue_type FROM fact_credit_movement") == [(None, None)]
    h.booking("booking.confirmed", state, T0)
    projection.apply(h.events, 1)
    assert query(1, "SELECT practitioner_id::VARCHAR, revenue_type, service_id::VARCHAR FROM fact_credit_movement") \
        == [(h.practitioner, "session", h.services["session"])]


def test_a_refunded_package_session_counts_against_the_package():
    h = History().setup()
    client = h.client()
    parent = h.new_booking(client, "package", T0, None, 9000)
    h.money("spend", client, -9000, T0, ("booking", parent["booking_id"]))
    h.booking("booking.confirmed", parent, T0)
    child = h.new_booking(client, "session", T0, None, 4500, parent=parent["booking_id"], status="unscheduled")
    h.booking("booking.created_unscheduled", child, T0)
    later = T0 + timedelta(days=2)
    child = h.booking("booking.scheduled", child, later, status="confirmed",
                      start_at=(later + timedelta(days=3)).isoformat(),
                      end_at=(later + timedelta(days=3, hours=1)).isoformat())
    h.booking("booking.cancelled", child, later + timedelta(hours=1), status="cancelled", cancelled_by="client",
              refund_cents=4500, reason="")
    h.money("refund", client, 4500, later + timedelta(hours=1), ("booking", child["booking_id"]))
    projection = fresh()
    apply_in_batches(projection, h.events, 1, random.Random(4))
    assert query(1, "SELECT kind, amount_cents, revenue_type, service_id::VARCHAR FROM fact_credit_movement "
                    "ORDER BY position") == [("spend", -9000, "package", h.services["package"]),
                                             ("refund", 4500, "package", h.services["package"])]
    assert query(1, "SELECT is_package_session, scheduled_at, refunded_cents FROM fact_booking "
                    "WHERE parent_id IS NOT NULL") == [(True, later.replace(tzinfo=None), 4500)]


def test_stream_unlocks_earn_the_streams_practitioner():
    h = History().setup()
    client = h.client()
    stream_id = str(uuid.uuid4())
    h.money("spend", client, -700, T0, ("stream", stream_id))
    h.add("stream.unlocked", {"unlock_id": str(uuid.uuid4()), "stream_id": stream_id,
                              "practitioner_id": h.practitioner, "user_id": client, "title": "Breathe",
                              "method": "credits", "amount_cents": 700, "unlocked_at": T0.isoformat()}, T0)
    projection = fresh()
    projection.apply(h.events, 1)
    assert query(1, "SELECT practitioner_id::VARCHAR, revenue_type FROM fact_credit_movement") == [
        (h.practitioner, "stream")]


def test_reviews_keep_their_latest_state():
    h = History().setup()
    client = h.client()
    review = {"review_id": str(uuid.uuid4()), "booking_id": str(uuid.uuid4()), "client_id": client,
              "practitioner_id": h.practitioner, "service_id": h.services["session"], "service_title": "A session",
              "reviewer_name": "Cleo", "rating": 4, "comment": "Good", "status": "published", "reply": "",
              "replied_at": None, "created_at": T0.isoformat(), "updated_at": T0.isoformat(),
              "service_rating": {}, "practitioner_rating": {}}
    h.add("review.published", review, T0)
    h.add("review.updated", {**review, "rating": 5, "updated_at": (T0 + timedelta(hours=1)).isoformat()}, T0)
    replied = T0 + timedelta(days=1)
    h.add("review.replied", {**review, "rating": 5, "reply": "Thanks", "replied_at": replied.isoformat()}, replied)
    projection = fresh()
    projection.apply(h.events, 1)
    assert query(1, "SELECT rating, status, replied_at FROM fact_review") == [(5, "published", replied.replace(
        tzinfo=None))]
    h.add("review.deleted", {**review, "rating": 5, "status": "deleted", "deleted_by": "author"}, replied)
    projection.apply(h.events, 1)
    assert query(1, "SELECT rating, status FROM fact_review") == [(5, "deleted")]


def test_a_failing_batch_leaves_the_file_at_the_previous_batch():
    history = rich_history()
    projection = fresh()
    projection.apply(history.events[:20], 1)
    before = projection.snapshot(1)
    broken = history.events[20]
    bad: RecordedEvent[DomainEvent] = RecordedEvent(
        broken.position, broken.event_id, "booking.confirmed", 1, "booking", broken.aggregate_id,
        {"booking_id": "not-a-uuid"}, None, None, broken.recorded_at)
    with pytest.raises(duckdb.ConversionException):  # the batch's SQL cannot derive its rows
        projection.apply([bad], 1)
    assert projection.checkpoint(1) == 20
    assert projection.snapshot(1) == before
    projection.apply(history.events, 1)
    assert projection.checkpoint(1) == len(history.events)


# --- readers, time travel, compaction ---------------------------------------------------------------


def test_readers_see_each_commit_at_once_read_only_and_one_snapshot_per_read():
    history = rich_history()
    projection = fresh()
    projection.activate(1)
    shared = reader.LakeReader()
    assert shared.latest().position == 0
    projection.apply(history.events[:30], 1)
    with shared.open() as (view, cursor):
        assert view.position == 30 and view.generation == 1
        held = lake.scalar(cursor.execute("SELECT count(*) FROM booking_event").fetchone())
        # The writer keeps committing while this read is open: the read stays on its snapshot.
        projection.apply(history.events, 1)
        assert lake.scalar(cursor.execute("SELECT count(*) FROM booking_event").fetchone()) == held
        assert lake.scalar(cursor.execute("SELECT position FROM warehouse_checkpoint").fetchone()) == 30
    expected = sum(1 for e in history.events if e.type.startswith("booking."))
    with shared.open() as (view, cursor):
        assert view.position == len(history.events)
        assert lake.scalar(cursor.execute("SELECT count(*) FROM booking_event").fetchone()) == expected
    with pytest.raises(duckdb.Error), shared.open() as (_view, cursor):  # the read API cannot write
        cursor.execute("DELETE FROM lake.g1.booking_event")
    shared.close()


def test_the_reader_role_has_no_write_access_to_the_catalog_database():
    fresh().activate(1)
    with psycopg.connect(lake.reader_url()) as conn:
        assert lake.scalar(conn.execute("SELECT current_user").fetchone()) == lake.READER_ROLE
        assert lake.scalar(conn.execute("SELECT count(*) FROM ducklake_snapshot").fetchone()) > 0
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM ducklake_snapshot")


def test_as_of_position_reads_the_snapshot_committed_at_or_before_it():
    history = rich_history()
    projection = fresh()
    projection.activate(1)
    for end in (10, 25, 40):
        projection.apply(history.events[:end], 1)
    projection.apply(history.events, 1)
    shared = reader.LakeReader()
    for asked, answered in ((10, 10), (11, 10), (24, 10), (25, 25), (39, 25), (40, 40), (len(history.events),
                                                                                         len(history.events))):
        with shared.open(asked) as (view, cursor):
            assert view.position == answered
            assert lake.scalar(cursor.execute("SELECT position FROM warehouse_checkpoint").fetchone()) == answered
            bookings = lake.scalar(cursor.execute("SELECT count(*) FROM booking_event").fetchone())
        assert bookings == sum(1 for e in history.events[:answered] if e.type.startswith("booking."))
    with pytest.raises(reader.PositionOutOfRange) as beyond, shared.open(len(history.events) + 1):
        pass
    assert (beyond.value.earliest, beyond.value.latest) == (0, len(history.events))
    shared.close()


def test_a_switch_of_generation_is_one_commit_and_time_travel_still_reads_the_old_one():
    history = rich_history()
    old, new = fresh(1), fresh(2)
    old.activate(1)
    old.apply(history.events[:10], 1)
    new.apply(history.events, 2)
    shared = reader.LakeReader()
    assert shared.latest() .generation == 1
    new.activate(2)
    latest = shared.latest()
    assert (latest.generation, latest.position) == (2, len(history.events))
    old.discard(1)
    with shared.open(10) as (view, _cursor):
        assert (view.generation, view.position) == (1, 10)
    shared.close()


def test_compaction_bounds_the_file_count_and_keeps_every_row():
    history = rich_history()
    projection = fresh()
    projection.activate(1)
    apply_in_batches(projection, history.events, 1, random.Random(3))  # every commit writes its own files
    image = projection.snapshot(1)
    run = maintenance.compact(history_seconds=0, file_grace_seconds=0)
    tables = 12
    assert run.files_before > 5 * tables
    assert run.files_after <= 2 * tables, run  # a file or two per table, whatever the number of commits
    assert projection.snapshot(1) == image
    on_disk = list(data_path("warehouse", "data").rglob("*.parquet"))  # replaced files deleted too
    assert len(on_disk) <= 2 * tables, len(on_disk)


def test_an_extension_that_is_missing_or_does_not_load_is_a_clear_error(tmp_path, monkeypatch):
    assert {"ducklake", "postgres_scanner"} <= set(lake.check())
    with pytest.raises(lake.LakeUnavailable, match="no nowhere extension for DuckDB v1.4.4"):
        lake.extension_file("nowhere")
    bogus = tmp_path / "ducklake.duckdb_extension"
    bogus.write_bytes(b"not an extension")
    monkeypatch.setattr(lake, "extension_file", lambda name: bogus)
    with pytest.raises(lake.LakeUnavailable, match="does not load into DuckDB 1.4.4"):
        lake.check()


def test_an_object_store_data_path_loads_httpfs_and_the_stores_credentials(monkeypatch):
    """With ``WAREHOUSE_DATA_PATH=s3://…`` the lake's connections load httpfs and carry the store's settings.
    (The files themselves go to MinIO in docker-compose; no object store runs in this suite.)"""
    for name, value in (("WAREHOUSE_DATA_PATH", "s3://lake-bucket/prefix"), ("WAREHOUSE_S3_ENDPOINT", "minio:9000"),
                        ("WAREHOUSE_S3_ACCESS_KEY_ID", "reader"), ("WAREHOUSE_S3_SECRET_ACCESS_KEY", "secret"),
                        ("WAREHOUSE_S3_URL_STYLE", "path"), ("WAREHOUSE_S3_USE_SSL", "false")):
        monkeypatch.setenv(name, value)
    assert lake.data_location() == "s3://lake-bucket/prefix/"
    assert "httpfs" in lake.check()
    connection = lake._connect(object_store=True)
    try:
        secret = connection.execute("SELECT type, secret_string FROM duckdb_secrets() "
                                    "WHERE name = 'warehouse_s3'").fetchone()
    finally:
        connection.close()
    assert secret is not None and secret[0] == "s3"
    assert "endpoint=minio:9000" in secret[1] and "url_style=path" in secret[1] and "use_ssl=false" in secret[1]
    assert "key_id=reader" in secret[1]


# --- the read path: the head from the catalog, practitioners' slices --------------------------------------


def _busiest_practitioner(generation: int) -> str:
    return str(query(generation, "SELECT practitioner_id FROM fact_booking WHERE practitioner_id IS NOT NULL "
                                 "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")[0][0])


def test_the_head_from_the_catalog_is_the_view_the_lake_gives():
    history = rich_history()
    projection = fresh()
    projection.activate(1)
    shared = reader.LakeReader()
    for end in (5, 30, len(history.events)):
        projection.apply(history.events[:end], 1)
        assert shared.head() == shared.latest()
        assert shared.head().position == end
    maintenance.compact(history_seconds=3600, file_grace_seconds=0)  # commits without a stamp
    assert shared.head() == shared.latest()
    assert shared.head().position == len(history.events)
    shared.close()


def test_the_head_of_a_lake_never_built_is_no_warehouse():
    shared = reader.LakeReader()
    with pytest.raises(reader.NoWarehouse):
        shared.head()
    shared.close()


SLICE_QUERIES = {
    "fact_booking": "SELECT * FROM fact_booking WHERE practitioner_id = '{p}' ORDER BY booking_id",
    "fact_credit_movement": "SELECT * FROM fact_credit_movement WHERE practitioner_id = '{p}' ORDER BY transaction_id",
    "dim_service": "SELECT * FROM dim_service WHERE service_id IN (SELECT service_id FROM fact_booking "
                   "WHERE practitioner_id = '{p}') ORDER BY service_id",
    "dim_client": "SELECT * FROM dim_client WHERE client_id IN (SELECT client_id FROM fact_booking "
                  "WHERE practitioner_id = '{p}') ORDER BY client_id",
    "dim_practitioner": "SELECT * FROM dim_practitioner WHERE practitioner_id = '{p}'",
}


def test_a_practitioners_slice_holds_exactly_their_rows_of_one_snapshot_and_follows_commits():
    history = rich_history()
    projection = fresh()
    projection.activate(1)
    projection.apply(history.events[:60], 1)
    shared = reader.LakeReader()
    practitioner = _busiest_practitioner(1)

    def compare(as_of: int | None = None) -> reader.View:
        with shared.practitioner(practitioner, as_of) as (view, zone, sliced), shared.open(as_of) as (_, lake_cursor):
            for name, sql in SLICE_QUERIES.items():
                text = sql.format(p=practitioner)
                assert sliced.execute(text).fetchall() == lake_cursor.execute(text).fetchall(), name
            assert lake.scalar(sliced.execute("SELECT count(*) FROM fact_booking").fetchone()) == lake.scalar(
                lake_cursor.execute(
                    f"SELECT count(*) FROM fact_booking WHERE practitioner_id = '{practitioner}'").fetchone())
            assert zone == lake.scalar(lake_cursor.execute(
                f"SELECT timezone FROM dim_practitioner WHERE practitioner_id = '{practitioner}'").fetchone())
            with pytest.raises(duckdb.Error):  # a slice is a copy: nothing reaches the lake through it
                sliced.execute("DELETE FROM lake.g1.booking_event")
            return view

    first = compare()
    again = compare()  # held: the same snapshot, answered from the copy
    assert again == first
    projection.apply(history.events, 1)  # a commit: the next read copies the new snapshot
    latest = compare()
    assert latest.snapshot_id > first.snapshot_id and latest.position == len(history.events)
    assert compare(60).position == 60  # time travel reads a slice of the pinned snapshot
    shared.close()


def test_slices_beyond_the_bound_are_dropped_once_unused(monkeypatch):
    monkeypatch.setattr(slices, "SLICES_KEPT", 1)
    history = rich_history()
    projection = fresh()
    projection.activate(1)
    projection.apply(history.events, 1)
    practitioners = [_busiest_practitioner(1), str(uuid.uuid4())]  # the second has no rows: an empty slice
    shared = reader.LakeReader()
    with shared.practitioner(practitioners[0]) as (_view, _zone, held):
        with shared.practitioner(practitioners[1]) as (_view2, _zone2, _other):
            pass  # the first slice is beyond the bound now, but still in use
        assert lake.scalar(held.execute("SELECT count(*) FROM fact_booking").fetchone()) > 0
    with shared.open() as (_view, cursor):
        schemas = {row[0] for row in cursor.execute(
            "SELECT schema_name FROM duckdb_schemas() WHERE database_name = 'memory' "
            "AND schema_name LIKE 'slice_%'").fetchall()}
    assert len(schemas) == 1 and uuid.UUID(practitioners[1]).hex in next(iter(schemas))
    shared.close()
