"""Keeping the lake small: the maintenance job beat runs on the warehouse queue (the writer's process).

Each run, in order: rows inlined in the catalog by small commits are flushed into Parquet files; adjacent
small files are merged and files mostly deleted are rewritten; snapshots older than
``WAREHOUSE_HISTORY_SECONDS`` expire (time travel reaches back that far); files no snapshot references any
more, and files a killed writer left behind, are deleted once older than :data:`FILE_GRACE_SECONDS` (a
read that started on an expired snapshot finishes first). So under a steady write load the number of
files stays bounded by the history kept, not by the number of commits. Safe to run twice; a run finding
no commit since this process's previous run does nothing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from infra.environment import env_int
from warehouse import lake

FILE_GRACE_SECONDS = 600
# A file whose rows are more than this fraction deleted (upserts delete the old row) is rewritten: each
# deleted row costs every scan a delete-file lookup. Lower rewrites more often (all of a table at 0).
REWRITE_DELETE_THRESHOLD = 0.1


@dataclass(frozen=True)
class MaintenanceRun:
    files_before: int
    files_after: int
    seconds: float
    skipped: bool = False  # nothing committed since this process's last run: nothing to compact


# The lake's snapshot right after this process's last run: an idle lake is not compacted again (its
# snapshots age meanwhile, and expire at the first run after the next commit).
_compacted: dict[str, int] = {}


def forget() -> None:
    """Drop what this process remembers of the lake (its catalog may have been dropped and recreated)."""
    _compacted.clear()


def _current_snapshot() -> int:
    with lake.writer() as connection:
        return int(lake.scalar(connection.execute(f"SELECT id FROM {lake.ALIAS}.current_snapshot()").fetchone()))


def data_file_count() -> int:
    with lake.writer() as connection:
        row = connection.execute(
            f"SELECT count(*) FROM __ducklake_metadata_{lake.ALIAS}.ducklake_data_file WHERE end_snapshot IS NULL"
        ).fetchone()
    return int(lake.scalar(row))


def compact(*, history_seconds: int | None = None, file_grace_seconds: int = FILE_GRACE_SECONDS) -> MaintenanceRun:
    started = time.perf_counter()
    if _compacted.get(lake.catalog_url()) == _current_snapshot():
        return MaintenanceRun(-1, -1, round(time.perf_counter() - started, 3), skipped=True)
    history = env_int("WAREHOUSE_HISTORY_SECONDS") if history_seconds is None else history_seconds
    now = datetime.now(UTC)
    before = data_file_count()
    with lake.writer() as connection:
        alias = lake.ALIAS
        connection.execute(f"CALL ducklake_flush_inlined_data('{alias}')")
        connection.execute(f"CALL ducklake_merge_adjacent_files('{alias}')")
        connection.execute(f"CALL ducklake_rewrite_data_files('{alias}', delete_threshold => "
                           f"{REWRITE_DELETE_THRESHOLD})")
        connection.execute(f"CALL ducklake_merge_adjacent_files('{alias}')")
        connection.execute(f"CALL ducklake_expire_snapshots('{alias}', older_than => $at)",
                           {"at": now - timedelta(seconds=history)})
        # Files are scheduled for deletion when their last snapshot expires (just now, for some of them).
        files_older = datetime.now(UTC) - timedelta(seconds=file_grace_seconds)
        connection.execute(f"CALL ducklake_cleanup_old_files('{alias}', older_than => $at)", {"at": files_older})
        connection.execute(f"CALL ducklake_delete_orphaned_files('{alias}', older_than => $at)", {"at": files_older})
    after = data_file_count()
    _compacted[lake.catalog_url()] = _current_snapshot()
    return MaintenanceRun(before, after, round(time.perf_counter() - started, 3))
