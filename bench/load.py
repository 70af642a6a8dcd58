"""Reset the database and load a generated dataset (rows and events) through COPY."""

from __future__ import annotations

import gc
import time
from datetime import date

import psycopg
from django.contrib.auth.hashers import make_password

from bench.copy_sink import CopySink, ensure_reference_data, reset_database
from bench.dataset import PASSWORD, DatasetGenerator, Manifest, load_reference
from bench.scales import Scale


def load_dataset(database_url: str, scale: Scale, *, seed: int, anchor: date) -> tuple[Manifest, float]:
    """Empty the project tables, generate ``scale`` and commit it; returns the manifest and seconds taken."""
    started = time.perf_counter()
    # The generator keeps millions of long-lived objects and makes no reference cycles worth collecting: the
    # cyclic collector's passes over them cost about a third of the load time.
    gc.disable()
    try:
        return _load(database_url, scale, seed=seed, anchor=anchor, started=started)
    finally:
        gc.enable()


def _load(database_url: str, scale: Scale, *, seed: int, anchor: date, started: float) -> tuple[Manifest, float]:
    with psycopg.connect(database_url) as connection:
        reset_database(connection)
        ensure_reference_data()
        sink = CopySink(connection, verify_every=97)
        sink.start()
        generator = DatasetGenerator(scale, seed=seed, anchor=anchor, sink=sink, password_hash=make_password(PASSWORD),
                                     reference=load_reference(connection))
        manifest = generator.generate()
        sink.finish()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        connection.commit()
    manifest.events = sink.position
    manifest.rows = dict(sorted(sink.counts.items()))
    return manifest, time.perf_counter() - started
