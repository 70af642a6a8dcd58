"""The transactional outbox: an append-only, gap-free, totally ordered log of domain events."""

from __future__ import annotations

import uuid

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


class Event(models.Model):
    position = models.BigIntegerField(primary_key=True)
    event_id = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    type = models.CharField(max_length=100)
    version = models.PositiveSmallIntegerField()
    aggregate_type = models.CharField(max_length=50)
    aggregate_id = models.UUIDField()
    payload = models.JSONField(encoder=DjangoJSONEncoder)
    actor_id = models.UUIDField(null=True)
    request_id = models.CharField(max_length=64, null=True)
    recorded_at = models.DateTimeField()

    class Meta:
        db_table = "event_log"
        indexes = [models.Index(fields=["aggregate_type", "aggregate_id", "position"])]


class EventLogHead(models.Model):
    """One row holding the last assigned position.

    Appending takes this row's lock with ``UPDATE … RETURNING`` as the transaction's last statement
    and holds it until commit, so positions are assigned in commit order and are gap-free: a
    rolled-back append restores the counter.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    position = models.BigIntegerField(default=0)

    class Meta:
        db_table = "event_log_head"


class ProjectionState(models.Model):
    """Runtime bookkeeping per projection: active generation and checkpoint, rebuild in progress."""

    name = models.CharField(max_length=64, primary_key=True)
    active_generation = models.PositiveIntegerField(default=1)
    active_position = models.BigIntegerField(default=0)
    building_generation = models.PositiveIntegerField(null=True)
    building_position = models.BigIntegerField(null=True)
    last_applied_at = models.DateTimeField(null=True)
    last_error = models.TextField(blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "projection_state"


class IdempotencyRecord(models.Model):
    """The first response to a POST carrying an ``Idempotency-Key`` (per user and route).

    A row without ``status_code`` is a claim: the command is running under ``claim_token``. See
    :mod:`write_api.eventlog.idempotency`.
    """

    key = models.CharField(max_length=255)
    user_id = models.UUIDField(null=True)
    route = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    response_body = models.BinaryField(null=True)
    event_position = models.BigIntegerField(null=True)
    # Set by the command's own transaction (``services.event_append``): the command committed, even if
    # its response was never stored; such a claim is never run again.
    applied_position = models.BigIntegerField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)
    claim_token = models.UUIDField(null=True)
    completed_at = models.DateTimeField(null=True)

    class Meta:
        db_table = "idempotency_record"
        constraints = [models.UniqueConstraint(fields=["key", "user_id", "route"], name="idempotency_unique")]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created_idx")]
