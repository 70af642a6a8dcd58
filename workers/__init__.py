"""Celery app, the projection runtime and scheduled jobs: the glue between the event log and the read models."""
