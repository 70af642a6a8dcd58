"""Events reach projections typed, and every projection has decided about every event type.

* ``decode`` turns each registered type's JSON payload back into the same dataclass (UUIDs, datetimes,
  tuples restored), and an older payload missing a defaulted field still decodes.
* Each projection handles an event type (``@on(EventClass)``) or lists it in ``ignores``; a type added to
  ``kernel/events.py`` without that decision fails ``test_every_projection_decided_about_every_event_type``.
  A projection may ignore a whole context (``kernel.events.CONTEXTS``), so every type must be in exactly one.
"""

from __future__ import annotations

import collections
import dataclasses
import enum
import inspect
import typing
import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

import pytest

from kernel.events import CONTEXTS, BookingCancelled, DomainEvent, RecordedEvent, decode, registered_events
from kernel.projection import Projection, on
from kernel.vocabulary import Actor
from workers import registry  # noqa: F401  (imports every projection the runtime drives)


def _sample(annotation: Any, index: int) -> Any:
    """A value of ``annotation`` that survives JSON (distinct per field, so swapped fields would show)."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if args and type(None) in args:
        return _sample(next(a for a in args if a is not type(None)), index)
    if annotation is uuid.UUID:
        return uuid.UUID(int=index + 1)
    if annotation is datetime:
        return datetime(2027, 1, 1 + index % 28, 9, 30, tzinfo=UTC)
    if annotation is int:
        return index + 7
    if annotation is float:
        return index + 0.5
    if annotation is bool:
        return True
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        members = list(annotation)
        return members[index % len(members)]
    if annotation is str:
        return f"text {index}"
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return (_sample(args[0], index), _sample(args[0], index + 1))
        return tuple(_sample(a, index + i) for i, a in enumerate(args))
    if origin is dict or annotation is dict:
        return {"key": index, "quantity": 2}
    raise AssertionError(f"no sample for {annotation!r}")


def _instance(cls: type[DomainEvent]) -> DomainEvent:
    hints = typing.get_type_hints(cls)
    return cls(**{f.name: _sample(hints[f.name], i) for i, f in enumerate(dataclasses.fields(cls))})


@pytest.mark.parametrize("event_type", sorted(registered_events()))
def test_a_payload_decodes_back_into_its_dataclass(event_type: str) -> None:
    original = _instance(registered_events()[event_type])
    assert decode(event_type, original.payload()) == original


def test_an_older_payload_without_a_defaulted_field_still_decodes() -> None:
    payload = _instance(BookingCancelled).payload()
    del payload["cancelled_by"]
    decoded = typing.cast(BookingCancelled, decode("booking.cancelled", payload))
    assert decoded.cancelled_by is Actor.CLIENT


def test_a_recorded_event_carries_its_dataclass() -> None:
    original = _instance(BookingCancelled)
    recorded: RecordedEvent[BookingCancelled] = RecordedEvent(
        position=1, event_id=uuid.uuid4(), type="booking.cancelled", version=1, aggregate_type="booking",
        aggregate_id=original.aggregate_id(), payload=original.payload(), actor_id=None, request_id=None,
        recorded_at=datetime.now(UTC))
    assert recorded.event == original
    assert recorded.event is recorded.event  # decoded once


def test_unknown_types_and_fields_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown event type"):
        decode("booking.teleported", {})
    payload = _instance(BookingCancelled).payload() | {"cancelled_by_robot": True}
    with pytest.raises(ValueError, match="cancelled_by_robot"):
        decode("booking.cancelled", payload)


def _projections() -> list[type[Projection]]:
    found: list[type[Projection]] = []
    pending: list[Any] = list(Projection.__subclasses__())
    while pending:
        cls = pending.pop()
        pending += cls.__subclasses__()
        if hasattr(cls, "name") and not inspect.isabstract(cls) and not cls.__module__.startswith("tests."):
            found.append(cls)
    return sorted(found, key=lambda c: c.name)


def test_the_runtime_projections_are_all_checked() -> None:
    names = [p.name for p in _projections()]
    assert names == sorted(registry.projections())


@pytest.mark.parametrize("projection", _projections(), ids=lambda p: p.name)
def test_every_projection_decided_about_every_event_type(projection: type[Projection]) -> None:
    assert projection.undecided() == [], (
        f"{projection.__name__} neither handles nor ignores these event types: add an @on(...) handler or "
        "list them in its `ignores`")


def test_every_event_type_belongs_to_exactly_one_context() -> None:
    placed = collections.Counter(c for members in CONTEXTS.values() for c in members)
    missing = sorted(c.event_type for c in registered_events().values() if c not in placed)
    assert missing == [], "add these event types to their context's set at the end of kernel/events.py"
    assert sorted(c.event_type for c, times in placed.items() if times > 1) == []
    assert set(placed) <= set(registered_events().values())


@dataclasses.dataclass(frozen=True)
class _BrandNew(DomainEvent):
    """An event type nobody has decided about yet (deliberately not registered)."""

    event_type: ClassVar[str] = "test.brand_new"
    aggregate_type: ClassVar[str] = "test"
    thing_id: uuid.UUID


@pytest.mark.parametrize("projection", _projections(), ids=lambda p: p.name)
def test_a_new_event_type_without_a_decision_is_reported(projection: type[Projection]) -> None:
    assert projection.undecided([*registered_events().values(), _BrandNew]) == ["test.brand_new"]


def test_a_handler_is_found_by_event_class_and_cannot_also_be_ignored() -> None:
    class Counting(Projection):
        name = "counting"
        ignores = frozenset(set(registered_events().values()) - {BookingCancelled})

        @on(BookingCancelled)
        def count(self, event: RecordedEvent[BookingCancelled]) -> None: ...

        prepare = activate = discard = apply = snapshot = lambda *args: None  # type: ignore[assignment]  # a stub: never called

    assert Counting.handlers == {BookingCancelled: "count"}
    assert Counting.undecided() == []
    with pytest.raises(TypeError, match="both handles and ignores booking.cancelled"):
        class Confused(Counting):
            ignores = frozenset({BookingCancelled})
