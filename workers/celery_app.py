"""The Celery application: queues, routes and the beat schedule."""

from __future__ import annotations

import os

from celery import Celery
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workers.settings")

app = Celery("marketplace")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    task_queues=(Queue("projections"), Queue("default")),
    task_default_queue="default",
    task_routes={
        "workers.tasks.drain_all_projections": {"queue": "projections"},
        "workers.tasks.publish_projection_status": {"queue": "default"},
    },
    task_acks_late=True,
    worker_prefetch_multiplier=1,
    task_ignore_result=True,
    broker_connection_retry_on_startup=True,
    beat_schedule={
        # Safety net: a trigger lost between commit and broker costs at most a second.
        "drain-projections": {"task": "workers.tasks.drain_all_projections", "schedule": 1.0,
                              "options": {"expires": 5}},
        "publish-projection-status": {"task": "workers.tasks.publish_projection_status", "schedule": 5.0,
                                      "options": {"expires": 10}},
    },
)
app.autodiscover_tasks(["workers"])
