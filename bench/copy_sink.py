"""Bulk loading through PostgreSQL ``COPY``: domain rows by Django model, and the event log.

Columns come from each model's ``_meta`` (so a column added with a default keeps working); a NOT NULL
column the generator does not supply and that has no default fails loudly. Rows are buffered per
table and flushed with ``COPY … FROM STDIN`` (psycopg 3 ``cursor.copy``), all in one transaction, so
a half-loaded dataset never becomes visible. Foreign keys are deferrable (Django's default), so the
order in which tables are flushed does not matter before commit.

Events get gap-free positions from 1 (after :func:`reset_database`), in the order they are added;
the final ``event_log_head`` position is written in the same transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import orjson
import psycopg
from django.apps import apps
from django.db import models

from kernel.events import DomainEvent
from write_api.reference import reference_data
from write_api.reference.models import Category, Modality

FLUSH_ROWS = 20_000
CHECK_FIRST = 50  # events of each type whose payload is checked against DomainEvent.payload()

# Reference data loaded by migrations (kept by a reset) and Django's own bookkeeping.
KEEP_TABLES = {"django_migrations", "django_content_type", "auth_permission", "category", "modality"}


class _Table:
    def __init__(self, model: type[models.Model]) -> None:
        self.name = model._meta.db_table
        self.fields = list(model._meta.concrete_fields)
        self.rows: list[tuple[Any, ...]] = []
        self.columns: tuple[str, ...] | None = None
        # Per set of supplied keys: for each column, (key or None, default, is JSON). Planned once, so a
        # row costs one tuple build (millions of rows at the large scale).
        self._plans: dict[tuple[str, ...], list[tuple[str | None, Any, bool]]] = {}

    def row(self, values: dict[str, Any]) -> tuple[Any, ...]:
        keys = tuple(values)
        plan = self._plans.get(keys)
        if plan is None:
            plan = self._plans[keys] = self._plan(values)
        return tuple(_adapt(values[key], is_json) if key is not None
                     else _adapt(default.get_default(), is_json) if isinstance(default, models.Field) else default
                     for key, default, is_json in plan)

    def _plan(self, values: dict[str, Any]) -> list[tuple[str | None, Any, bool]]:
        columns: list[str] = []
        plan: list[tuple[str | None, Any, bool]] = []
        for field in self.fields:
            is_json = isinstance(field, models.JSONField)
            if field.attname in values:
                plan.append((field.attname, None, is_json))
            elif isinstance(field, models.AutoField | models.BigAutoField | models.SmallAutoField):
                continue  # the sequence assigns it
            elif field.has_default():  # a callable default (the field itself here) is evaluated per row
                default = field if callable(field.default) else _adapt(field.get_default(), is_json)
                plan.append((None, default, is_json))
            elif field.null:
                plan.append((None, None, is_json))
            else:
                raise ValueError(f"{self.name}.{field.column}: NOT NULL without a default; the generator "
                                 f"must supply it")
            columns.append(field.column)
        names = tuple(columns)
        if self.columns is None:
            self.columns = names
        elif names != self.columns:
            raise ValueError(f"{self.name}: every row must supply the same columns ({names} vs {self.columns})")
        return plan


def _adapt(value: Any, is_json: bool) -> Any:
    if value is None or not is_json:
        return value
    return orjson.dumps(value).decode()  # COPY's text format: jsonb parses it


class CopySink:
    """Buffers rows per table and events, flushing them with COPY on one connection and transaction."""

    def __init__(self, connection: psycopg.Connection, *, verify_every: int = 1) -> None:
        self.connection = connection
        self.verify_every = max(verify_every, 1)
        self._checked: dict[str, int] = {}
        self.tables: dict[str, _Table] = {}
        self.counts: dict[str, int] = {}
        self.position = 0
        self._events: list[tuple[Any, ...]] = []
        self._dropped_indexes: list[str] = []  # their CREATE INDEX statements, run again by finish()

    # --- domain rows ---------------------------------------------------------------------------
    def add(self, model: type[models.Model], **values: Any) -> None:
        table = self.tables.get(model._meta.db_table)
        if table is None:
            table = self.tables[model._meta.db_table] = _Table(model)
        table.rows.append(table.row(values))
        if len(table.rows) >= FLUSH_ROWS:
            self._flush_table(table)

    def _flush_table(self, table: _Table) -> None:
        if not table.rows:
            return
        columns = ", ".join(f'"{c}"' for c in table.columns or ())
        with self.connection.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
            for row in table.rows:
                copy.write_row(row)
        self.counts[table.name] = self.counts.get(table.name, 0) + len(table.rows)
        table.rows.clear()

    # --- events ------------------------------------------------------------------------------------
    def event(self, domain_event: DomainEvent, *, at: datetime, actor_id: uuid.UUID | None,
              event_id: uuid.UUID) -> int:
        """Append one event at the next position; ``at`` is its ``recorded_at`` (non-decreasing)."""
        self.position += 1
        self._events.append((self.position, event_id, domain_event.event_type, domain_event.version,
                             domain_event.aggregate_type, domain_event.aggregate_id(),
                             self._payload(domain_event), actor_id, None, at))
        if len(self._events) >= FLUSH_ROWS:
            self._flush_events()
        return self.position

    def _payload(self, domain_event: DomainEvent) -> str:
        """``domain_event.payload()`` as JSON, serialised by orjson straight from the dataclass (``payload()``
        deep-copies through ``dataclasses.asdict``: hours at the large scale). Checked against ``payload()``
        itself for the first events of every type and then one event in ``verify_every`` (every event when 1)."""
        data = orjson.dumps(domain_event)
        seen = self._checked.get(domain_event.event_type, 0)
        if seen < CHECK_FIRST or self.position % self.verify_every == 0:
            self._checked[domain_event.event_type] = seen + 1
            if orjson.loads(data) != domain_event.payload():
                raise AssertionError(f"fast payload differs from payload() for {domain_event.event_type}")
        return data.decode()

    def _flush_events(self) -> None:
        if not self._events:
            return
        sql = ("COPY event_log (position, event_id, type, version, aggregate_type, aggregate_id, payload, actor_id, "
               "request_id, recorded_at) FROM STDIN")
        with self.connection.cursor() as cursor, cursor.copy(sql) as copy:
            for row in self._events:
                copy.write_row(row)
        self.counts["event_log"] = self.counts.get("event_log", 0) + len(self._events)
        self._events.clear()

    def start(self) -> None:
        """Per-row foreign-key triggers off for this transaction (millions of deferred checks queued in memory
        until commit); :meth:`finish` checks every foreign key with one set-based query instead.

        The secondary indexes of the project tables are dropped for the load and built again by :meth:`finish`
        (as ``pg_restore`` does): COPY into tables whose UUID-keyed indexes outgrow the buffer cache turns
        every row into random index page writes, and one sorted build per index is far cheaper. Indexes behind
        constraints (primary keys, unique) stay. All of it is one transaction: a failed load leaves them as
        they were."""
        with self.connection.cursor() as cursor:
            superuser = cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()
            if superuser is not None and superuser[0]:
                cursor.execute("SET LOCAL session_replication_role = replica")  # superusers only
            secondary = cursor.execute("""
                SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
                FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
                WHERE t.relnamespace = current_schema()::regnamespace AND t.relname = ANY(%s)
                  AND NOT i.indisunique AND NOT i.indisprimary
                  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
                ORDER BY 1""", [project_tables()]).fetchall()
            for name, _ in secondary:
                cursor.execute(f"DROP INDEX {name}")
            self._dropped_indexes = [definition for _, definition in secondary]

    def restore_indexes(self) -> None:
        """Build again the secondary indexes :meth:`start` dropped (one sort per index)."""
        with self.connection.cursor() as cursor:
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            for definition in self._dropped_indexes:
                cursor.execute(definition)
        self._dropped_indexes = []

    def finish(self) -> None:
        """Flush everything, check the foreign keys, advance ``event_log_head`` and commit."""
        for table in self.tables.values():
            self._flush_table(table)
        self._flush_events()
        broken = dangling_references(self.connection)
        if broken:
            raise AssertionError(f"the generated rows break foreign keys: {broken}")
        self.restore_indexes()
        with self.connection.cursor() as cursor:
            cursor.execute("INSERT INTO event_log_head (id, position) VALUES (1, %s) "
                           "ON CONFLICT (id) DO UPDATE SET position = EXCLUDED.position", [self.position])
        self.connection.commit()


def dangling_references(connection: psycopg.Connection) -> dict[str, int]:
    """``{"table.column → table.column": rows}`` for every single-column foreign key with rows whose reference
    does not exist (empty when every key holds)."""
    found = connection.execute("""
        SELECT c.conrelid::regclass::text, a.attname, c.confrelid::regclass::text, af.attname
        FROM pg_constraint c
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
        JOIN pg_attribute af ON af.attrelid = c.confrelid AND af.attnum = c.confkey[1]
        WHERE c.contype = 'f' AND cardinality(c.conkey) = 1 AND c.connamespace = current_schema()::regnamespace
    """).fetchall()
    out = {}
    # Freshly loaded tables have no statistics yet: the planner takes them for one row and picks nested loops
    # that scan the whole target index for every row (hours at the large scale). Anti-joins by hash it is.
    connection.execute("SET LOCAL enable_nestloop = off")
    for table, column, target, target_column in found:
        row = connection.execute(
            f'SELECT count(*) FROM {table} t WHERE t."{column}" IS NOT NULL AND NOT EXISTS '  # noqa: S608
            f'(SELECT 1 FROM {target} r WHERE r."{target_column}" = t."{column}")').fetchone()
        count = row[0] if row else 0
        if count:
            out[f"{table}.{column} → {target}.{target_column}"] = count
    connection.execute("RESET enable_nestloop")
    return out


def project_tables() -> list[str]:
    """Every table of the project's models (and their many-to-many tables), minus the kept ones."""
    names: set[str] = set()
    for model in apps.get_models(include_auto_created=True):
        if model._meta.managed and not model._meta.proxy:
            names.add(model._meta.db_table)
    return sorted(names - KEEP_TABLES)


def reset_database(connection: psycopg.Connection, tables: Iterable[str] | None = None) -> None:
    """Empty every project table (reference data stays) and restart the event log at position 0."""
    with connection.cursor() as cursor:
        existing = {r[0] for r in cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()").fetchall()}
        names = [t for t in (tables or project_tables()) if t in existing]
        if names:
            cursor.execute("TRUNCATE " + ", ".join(f'"{n}"' for n in names) + " RESTART IDENTITY CASCADE")
        cursor.execute("INSERT INTO event_log_head (id, position) VALUES (1, 0) "
                       "ON CONFLICT (id) DO UPDATE SET position = 0")
    connection.commit()


def ensure_reference_data() -> None:
    """Categories and modalities as the migration loads them (a flushed test database lacks them)."""
    reference_data.load(Category, Modality)
