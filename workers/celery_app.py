"""The Celery application: queues, routes and the beat schedule."""

from __future__ import annotations

import logging
import os
from typing import Any

from celery import Celery, signals
from kombu import Queue

from infra import outage_logging
from infra.environment import env

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workers.settings")

app = Celery("marketplace")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    task_queues=(Queue("projections"), Queue("default"), Queue("warehouse")),  # type: ignore[no-untyped-call]  # kombu is untyped
    task_default_queue="default",
    task_routes={
        "workers.tasks.drain_all_projections": {"queue": "projections"},
        "workers.tasks.catch_up_projections": {"queue": "projections"},
        # One lake writer: the warehouse has its own queue, consumed by one process.
        "workers.tasks.drain_warehouse": {"queue": "warehouse"},
        "workers.tasks.maintain_warehouse": {"queue": "warehouse"},
        "workers.tasks.publish_projection_status": {"queue": "default"},
        "workers.tasks.complete_ended_bookings": {"queue": "default"},
        "workers.tasks.purge_idempotency_records": {"queue": "default"},
        "workers.tasks.send_session_reminders": {"queue": "default"},
    },
    task_acks_late=True,
    worker_prefetch_multiplier=1,
    task_ignore_result=True,
    broker_connection_retry_on_startup=True,
    beat_schedule={
        # Safety net: a trigger lost between commit and broker costs at most a second. A cheap check that
        # wakes only projections that are behind (the warehouse's writer included): idle, it touches nothing.
        "catch-up-projections": {"task": "workers.tasks.catch_up_projections", "schedule": 1.0,
                                 "options": {"expires": 5}},
        "publish-projection-status": {"task": "workers.tasks.publish_projection_status", "schedule": 5.0,
                                      "options": {"expires": 10}},
        # Confirmed bookings whose session ended become completed (safe to run twice: status-checked).
        "complete-ended-bookings": {"task": "workers.tasks.complete_ended_bookings", "schedule": 60.0,
                                    "options": {"expires": 50}},
        "purge-idempotency-records": {"task": "workers.tasks.purge_idempotency_records", "schedule": 3600.0,
                                      "options": {"expires": 600}},
        # Small commits merged into larger files, old snapshots expired, unreferenced files deleted.
        "maintain-warehouse": {"task": "workers.tasks.maintain_warehouse",
                               "schedule": float(env("WAREHOUSE_MAINTENANCE_SECONDS") or 60),
                               "options": {"expires": 60}},
        # Reminders 24 h before each session; safe to run twice (dedupe key per booking and start).
        "send-session-reminders": {"task": "workers.tasks.send_session_reminders", "schedule": 300.0,
                                   "options": {"expires": 240}},
    },
)
app.autodiscover_tasks(["workers"])



@signals.after_setup_logger.connect  # type: ignore[untyped-decorator]  # Celery is untyped
@signals.after_setup_task_logger.connect  # type: ignore[untyped-decorator]  # Celery is untyped
def _one_line_per_outage(logger: logging.Logger, *args: Any, **kwargs: Any) -> None:
    """A PostgreSQL or Redis outage logs one line per process, not a traceback per task (see the filter)."""
    outage_logging.install(logger)


class _NotDueTaskLines(logging.Filter):
    """Drops beat's "Sending due task" lines: one per job per tick, nothing an operator acts on."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Scheduler: Sending due task")


@signals.after_setup_logger.connect  # type: ignore[untyped-decorator]  # Celery is untyped
def _task_traffic_at_debug(loglevel: Any = logging.INFO, **_: Any) -> None:
    """Task traffic (received, succeeded, beat's sends: several lines a second, idle or not) shows only at
    ``LOG_LEVEL=DEBUG``; failures, retries exhausted and everything else keep their levels."""
    level = logging.getLevelName(loglevel) if isinstance(loglevel, str) else loglevel
    if isinstance(level, int) and level <= logging.DEBUG:
        return
    for name in ("celery.worker.strategy", "celery.app.trace"):
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.getLogger("celery.beat").addFilter(_NotDueTaskLines())

