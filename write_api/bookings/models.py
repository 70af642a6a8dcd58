"""Bookings and the seats they hold in group sessions."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from write_api.catalogue.models import Service, ServiceSession
from write_api.practitioners.models import Practitioner


class Booking(models.Model):
    class Status(models.TextChoices):
        UNSCHEDULED = "unscheduled"
        CONFIRMED = "confirmed"
        COMPLETED = "completed"
        CANCELLED = "cancelled"

    class Actor(models.TextChoices):
        CLIENT = "client"
        PRACTITIONER = "practitioner"
        SYSTEM = "system"

    ACTIVE = (Status.UNSCHEDULED, Status.CONFIRMED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bookings")
    practitioner = models.ForeignKey(Practitioner, on_delete=models.PROTECT, related_name="bookings")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="bookings")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children",
                               help_text="The package/bundle purchase this session belongs to.")
    status = models.CharField(max_length=16, choices=Status.choices)
    start_at = models.DateTimeField(null=True, blank=True)
    end_at = models.DateTimeField(null=True, blank=True)
    price_cents = models.PositiveIntegerField(help_text="Value of this booking: what a full refund gives back.")
    charged_cents = models.PositiveIntegerField(default=0, help_text="Debited from credits by this booking itself.")
    valid_until = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.CharField(max_length=16, choices=Actor.choices, blank=True, default="")
    cancellation_reason = models.CharField(max_length=500, blank=True, default="")
    refund_cents = models.PositiveIntegerField(default=0)
    refund_reason = models.CharField(max_length=40, blank=True, default="",
                                     help_text="The refund rule a cancellation applied (kernel.refund_policy).")
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.CharField(max_length=16, choices=Actor.choices, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "booking"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["practitioner", "status", "start_at"]),
            models.Index(fields=["client", "-created_at"]),
            models.Index(fields=["status", "end_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start_at__isnull=True) | models.Q(end_at__gt=models.F("start_at")),
                name="booking_end_after_start"),
        ]


class Seat(models.Model):
    """A booking's place in one group session (a workshop booking holds one, a course enrolment one per session)."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="seats")
    session = models.ForeignKey(ServiceSession, on_delete=models.PROTECT, related_name="seats")
    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="seats")
    active = models.BooleanField(default=True)

    class Meta:
        db_table = "booking_seat"
        constraints = [
            models.UniqueConstraint(fields=["session", "client"], condition=models.Q(active=True),
                                    name="one_active_seat_per_client_and_session"),
        ]
