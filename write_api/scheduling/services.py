"""Commands of the scheduling context: weekly windows, date overrides and blocks."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db import transaction

from api_conventions.errors import NotFound, PermissionDenied, ValidationFailed
from kernel.events import ScheduleBlockAdded, ScheduleBlockRemoved, ScheduleOverrideSet, ScheduleUpdated
from kernel.vocabulary import ErrorCode
from write_api.accounts.models import User
from write_api.eventlog.services import event_append
from write_api.practitioners.models import Practitioner
from write_api.scheduling.models import DateOverride, ScheduleBlock, WeeklyWindow


def own_practitioner(actor: User, *, lock: bool = False) -> Practitioner:
    query = Practitioner.objects.filter(user=actor)
    if lock:
        query = query.select_for_update()
    practitioner = query.first()
    if practitioner is None:
        raise PermissionDenied("Only practitioners have a schedule.", code=ErrorCode.NOT_A_PRACTITIONER)
    return practitioner


def _check_no_overlap(windows: list[tuple[int, int]], field: str) -> None:
    ordered = sorted(windows)
    for (_, end), (start, _) in zip(ordered, ordered[1:], strict=False):
        if start < end:
            raise ValidationFailed(errors={field: ["Windows of one day must not overlap."]})


@transaction.atomic(durable=True)
def schedule_replace(*, actor: User, windows: list[dict[str, int]], timezone: str | None = None) -> Practitioner:
    practitioner = own_practitioner(actor, lock=True)
    for weekday in range(7):
        _check_no_overlap([(w["start_minute"], w["end_minute"]) for w in windows if w["weekday"] == weekday],
                          "windows")
    if timezone is not None:
        practitioner.timezone = timezone
        practitioner.save(update_fields=["timezone", "updated_at"])
    WeeklyWindow.objects.filter(practitioner=practitioner).delete()
    rows = WeeklyWindow.objects.bulk_create(
        [WeeklyWindow(practitioner=practitioner, weekday=w["weekday"], start_minute=w["start_minute"],
                      end_minute=w["end_minute"]) for w in sorted(windows, key=lambda w: (w["weekday"],
                                                                                            w["start_minute"]))])
    event_append([ScheduleUpdated(
        practitioner_id=practitioner.id, timezone=practitioner.timezone,
        windows=tuple({"weekday": w.weekday, "start_minute": w.start_minute, "end_minute": w.end_minute}
                      for w in rows))], actor_id=actor.id)
    return practitioner


@transaction.atomic(durable=True)
def override_set(*, actor: User, day: date, windows: list[tuple[int, int]] | None) -> DateOverride | None:
    """Replace one local date's windows (``[]`` = day off); ``None`` removes the override."""
    practitioner = own_practitioner(actor, lock=True)
    override = None
    if windows is None:
        DateOverride.objects.filter(practitioner=practitioner, date=day).delete()
    else:
        _check_no_overlap(windows, "windows")
        override, _ = DateOverride.objects.update_or_create(
            practitioner=practitioner, date=day, defaults={"windows": [list(w) for w in sorted(windows)]})
    pairs = None if windows is None else tuple((w[0], w[1]) for w in sorted(windows))
    event_append([ScheduleOverrideSet(practitioner_id=practitioner.id, date=day.isoformat(), windows=pairs)],
                 actor_id=actor.id)
    return override


@transaction.atomic(durable=True)
def block_add(*, actor: User, start_at: datetime, end_at: datetime, reason: str = "") -> ScheduleBlock:
    if end_at <= start_at:
        raise ValidationFailed(errors={"end_at": ["Must be after start_at."]})
    practitioner = own_practitioner(actor, lock=True)
    block = ScheduleBlock.objects.create(practitioner=practitioner, start_at=start_at, end_at=end_at, reason=reason)
    event_append([ScheduleBlockAdded(block_id=block.id, practitioner_id=practitioner.id, start_at=start_at,
                                     end_at=end_at, reason=reason)], actor_id=actor.id)
    return block


@transaction.atomic(durable=True)
def block_remove(*, actor: User, block_id: Any) -> None:
    practitioner = own_practitioner(actor, lock=True)
    block = ScheduleBlock.objects.filter(id=block_id, practitioner=practitioner).first()
    if block is None:
        raise NotFound("Block not found.")
    block.delete()
    event_append([ScheduleBlockRemoved(block_id=block_id, practitioner_id=practitioner.id)], actor_id=actor.id)
