"""Celery tasks: thin wrappers that load state and call one runtime function. Safe to run twice."""

from __future__ import annotations

import dataclasses
import logging

import orjson

from workers import positions, runtime
from workers.celery_app import app

log = logging.getLogger(__name__)


@app.task(name="workers.tasks.drain_all_projections")
def drain_all_projections() -> list[dict]:
    return [dataclasses.asdict(r) for r in runtime.drain_all()]


@app.task(name="workers.tasks.publish_projection_status")
def publish_projection_status() -> None:
    rows = [dataclasses.asdict(s) for s in runtime.status()]
    positions.client().set(positions.STATUS_KEY, orjson.dumps(rows, default=str))
