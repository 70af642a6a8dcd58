"""Where the warehouse keeps its files under ``DATA_DIR/warehouse``.

* ``generations/gen-<N>.duckdb`` — the writer's database of generation ``N`` (one per rebuild); only the
  single writer process opens it, read-write.
* ``snapshots/snap-<id>.duckdb`` — read-only copies published by the writer; readers open these.
* ``current.json`` — the pointer to the newest snapshot, replaced atomically (``os.replace``).
* ``staging/`` — scratch files the writer bulk-loads rows from.
"""

from __future__ import annotations

from pathlib import Path

from infra.environment import data_path

POINTER_NAME = "current.json"


def root() -> Path:
    return data_path("warehouse")


def generations_dir() -> Path:
    path = root() / "generations"
    path.mkdir(parents=True, exist_ok=True)
    return path


def snapshots_dir() -> Path:
    path = root() / "snapshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


def staging_dir() -> Path:
    path = root() / "staging"
    path.mkdir(parents=True, exist_ok=True)
    return path


def generation_file(generation: int) -> Path:
    return generations_dir() / f"gen-{generation}.duckdb"


def pointer_file() -> Path:
    return root() / POINTER_NAME


def snapshot_file(snapshot_id: str) -> Path:
    return snapshots_dir() / f"snap-{snapshot_id}.duckdb"


def sidecar_files(database: Path) -> list[Path]:
    """The database file and the files DuckDB keeps next to it (write-ahead log, temporary spill)."""
    return [database, database.with_name(database.name + ".wal"), database.with_name(database.name + ".tmp")]
