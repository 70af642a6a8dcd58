from __future__ import annotations

import uuid

from django.db import models

from write_api.practitioners.models import Practitioner


class Service(models.Model):
    class Type(models.TextChoices):
        SESSION = "session"
        WORKSHOP = "workshop"
        COURSE = "course"
        PACKAGE = "package"
        BUNDLE = "bundle"

    class Format(models.TextChoices):
        ONLINE = "online"
        IN_PERSON = "in_person"
        HYBRID = "hybrid"

    class Status(models.TextChoices):
        DRAFT = "draft"
        ACTIVE = "active"
        INACTIVE = "inactive"
        ARCHIVED = "archived"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practitioner = models.ForeignKey(Practitioner, on_delete=models.PROTECT, related_name="services")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    service_type = models.CharField(max_length=16, choices=Type.choices)
    format = models.CharField(max_length=16, choices=Format.choices, default=Format.ONLINE)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    price_cents = models.PositiveIntegerField()
    duration_minutes = models.PositiveIntegerField(default=60)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "service"
        constraints = [
            models.CheckConstraint(condition=models.Q(duration_minutes__gt=0), name="service_duration_positive"),
        ]

    def __str__(self) -> str:
        return self.title
