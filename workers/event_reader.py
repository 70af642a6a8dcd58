"""Reading the event log in position order (never through the ORM's per-row overhead)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson
from django.db import connection
from psycopg.conninfo import make_conninfo

from kernel.events import RecordedEvent

_COLUMNS = "position, event_id, type, version, aggregate_type, aggregate_id, payload, actor_id, request_id, recorded_at"


def _row(row: tuple[Any, ...]) -> RecordedEvent[Any]:
    payload = row[6] if isinstance(row[6], dict) else orjson.loads(row[6])
    return RecordedEvent(position=int(row[0]), event_id=row[1] if isinstance(row[1], UUID) else UUID(str(row[1])),
                         type=row[2], version=int(row[3]), aggregate_type=row[4],
                         aggregate_id=row[5] if isinstance(row[5], UUID) else UUID(str(row[5])),
                         payload=payload, actor_id=row[7], request_id=row[8], recorded_at=row[9])


def events_after(position: int, *, limit: int, up_to: int | None = None,
                 types: Sequence[str] | None = None) -> list[RecordedEvent[Any]]:
    """Events after ``position`` (up to ``up_to``), in order; only those of ``types`` when given (the
    others are skipped by PostgreSQL: a projection never decodes payloads it ignores)."""
    sql = f"SELECT {_COLUMNS} FROM event_log WHERE position > %s"
    params: list[Any] = [position]
    if up_to is not None:
        sql += " AND position <= %s"
        params.append(up_to)
    if types is not None:
        sql += " AND type = ANY(%s)"
        params.append(list(types))
    sql += " ORDER BY position LIMIT %s"
    params.append(limit)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [_row(r) for r in cursor.fetchall()]


# libpq settings a deployment may give in the database OPTIONS (the others are Django's own).
_LIBPQ_OPTIONS = ("sslmode", "sslrootcert", "sslcert", "sslkey", "connect_timeout", "options", "application_name",
                  "target_session_attrs")


def conninfo() -> str:
    """libpq connection string of the database holding the log, as this process's Django connection reaches
    it (the write database; under tests its test database). For a projection that reads the log itself."""
    settings = connection.settings_dict
    values: dict[str, Any] = {"dbname": settings["NAME"], "user": settings.get("USER"),
                              "password": settings.get("PASSWORD"), "host": settings.get("HOST"),
                              "port": settings.get("PORT")}
    values.update({key: value for key, value in (settings.get("OPTIONS") or {}).items() if key in _LIBPQ_OPTIONS})
    return make_conninfo(**{key: str(value) for key, value in values.items() if value not in (None, "")})


def range_query(after: int, through: int, types: Sequence[str]) -> str:
    """PostgreSQL query of the events of ``types`` at positions ``after < position <= through``, in order:
    position, type, payload (JSON text), recorded_at (for a projection that reads the log itself)."""
    listed = ", ".join("'" + t.replace("'", "''") + "'" for t in types)
    return (f"SELECT position, type, payload::text AS payload, recorded_at FROM event_log "
            f"WHERE position > {int(after)} AND position <= {int(through)} AND type IN ({listed}) ORDER BY position")


def head_position() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT position FROM event_log_head WHERE id = 1")
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def recorded_at(position: int) -> datetime | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT recorded_at FROM event_log WHERE position = %s", [position])
        row = cursor.fetchone()
    return row[0] if row else None
