from __future__ import annotations

import uuid

from django.db import models

from kernel import vocabulary
from kernel.vocabulary import DEFAULT_STEP_MINUTES, ServiceFormat, ServiceStatus, ServiceType, SessionStatus
from write_api.practitioners.models import Practitioner
from write_api.reference.models import Category, Modality


class Service(models.Model):
    Type = ServiceType
    Format = ServiceFormat
    Status = ServiceStatus
    SCHEDULED_TYPES = vocabulary.SCHEDULED_TYPES
    CONTAINER_TYPES = vocabulary.CONTAINER_TYPES

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practitioner = models.ForeignKey(Practitioner, on_delete=models.PROTECT, related_name="services")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    service_type = models.CharField(max_length=16, choices=ServiceType.choices)
    format = models.CharField(max_length=16, choices=ServiceFormat.choices, default=ServiceFormat.ONLINE)
    status = models.CharField(max_length=16, choices=ServiceStatus.choices, default=ServiceStatus.ACTIVE)
    price_cents = models.PositiveIntegerField()
    duration_minutes = models.PositiveIntegerField(default=60)
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.PROTECT, related_name="services")
    modalities = models.ManyToManyField(Modality, blank=True, related_name="services")
    step_minutes = models.PositiveIntegerField(default=DEFAULT_STEP_MINUTES,
                                               help_text="Slot grid step from local midnight.")
    capacity = models.PositiveIntegerField(default=1, help_text="Seats per session (workshops and courses).")
    validity_days = models.PositiveIntegerField(default=180, help_text="Packages and bundles: days to use them.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "service"
        constraints = [
            models.CheckConstraint(condition=models.Q(duration_minutes__gt=0), name="service_duration_positive"),
            models.CheckConstraint(condition=models.Q(step_minutes__gt=0), name="service_step_positive"),
        ]

    def __str__(self) -> str:
        return self.title


class ServiceChild(models.Model):
    """A package's or bundle's content: ``quantity`` sessions of ``child``."""

    parent = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="children")
    child = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="contained_in")
    quantity = models.PositiveIntegerField(default=1)

    class Meta:
        db_table = "service_child"
        constraints = [models.UniqueConstraint(fields=["parent", "child"], name="service_child_unique")]


class ServiceSession(models.Model):
    """A scheduled occurrence of a workshop or course, with its seats."""

    Status = SessionStatus

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="sessions")
    start_at = models.DateTimeField()
    end_at = models.DateTimeField()
    capacity = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=SessionStatus.choices, default=SessionStatus.SCHEDULED)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "service_session"
        ordering = ["start_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(end_at__gt=models.F("start_at")), name="session_end_after_start"),
        ]
        indexes = [models.Index(fields=["service", "start_at"])]
