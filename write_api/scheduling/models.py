"""A practitioner's availability inputs: weekly windows, date overrides and blocks."""

from __future__ import annotations

import uuid

from django.db import models

from write_api.practitioners.models import Practitioner


class WeeklyWindow(models.Model):
    """Bookable hours on a weekday, in the practitioner's zone, as minutes from local midnight."""

    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE, related_name="weekly_windows")
    weekday = models.PositiveSmallIntegerField(help_text="0 = Monday … 6 = Sunday")
    start_minute = models.PositiveIntegerField()
    end_minute = models.PositiveIntegerField()

    class Meta:
        db_table = "schedule_weekly_window"
        ordering = ["weekday", "start_minute"]
        constraints = [
            models.CheckConstraint(condition=models.Q(end_minute__gt=models.F("start_minute")),
                                   name="window_end_after_start"),
            models.CheckConstraint(condition=models.Q(weekday__lte=6), name="window_weekday_range"),
            models.CheckConstraint(condition=models.Q(end_minute__lte=1440), name="window_within_day"),
        ]


class DateOverride(models.Model):
    """Replaces one local date's windows; an empty list is a day off."""

    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE, related_name="date_overrides")
    date = models.DateField()
    windows = models.JSONField(default=list, help_text="[[start_minute, end_minute], …]")

    class Meta:
        db_table = "schedule_date_override"
        constraints = [models.UniqueConstraint(fields=["practitioner", "date"], name="override_unique_date")]


class ScheduleBlock(models.Model):
    """An interval that cannot be booked (holiday, appointment elsewhere)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE, related_name="blocks")
    start_at = models.DateTimeField()
    end_at = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "schedule_block"
        ordering = ["start_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(end_at__gt=models.F("start_at")), name="block_end_after_start"),
        ]
