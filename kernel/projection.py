"""The contract every projection implements; the runtime in ``workers`` drives it.

A projection is one ordered consumer of the event log. It writes into a *generation* of its read
model so that a rebuild can fill a new generation while the active one keeps serving, then switch.
``apply`` must be idempotent: the runtime delivers at least once (a crash between applying a batch
and saving the checkpoint replays that batch).
"""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, TypeVar

from kernel.events import DomainEvent, RecordedEvent, event_class_of, registered_events

_Method = TypeVar("_Method", bound=Callable[..., Any])

DEFAULT_QUEUE = "projections"
"""The Celery queue whose workers drain every projection that does not name one of its own."""


def on(*event_classes: type[DomainEvent]) -> Callable[[_Method], _Method]:
    """Marks a projection method as the handler of ``event_classes`` (each handled by one method)."""

    def mark(method: _Method) -> _Method:
        method.__handles__ = event_classes  # type: ignore[attr-defined]  # read by Projection.__init_subclass__
        return method

    return mark


@dataclass(frozen=True)
class LogRange:
    """The events at positions ``after < position <= through`` of the types a projection handles, for one that
    reads the log itself: ``query`` (PostgreSQL; columns position, type, payload as JSON text, recorded_at,
    in position order) to run on the database ``conninfo`` (libpq) names."""

    after: int
    through: int
    conninfo: str
    query: str


class Projection(ABC):
    """Handlers are found by event class: ``@on(ServiceCreated)`` above a method, each receiving a
    :class:`RecordedEvent` whose ``event`` is that dataclass. An event type a projection does not need is
    listed in ``ignores``; every registered type must be one or the other (``undecided`` says which are
    neither, and a test runs it for every projection)."""

    name: ClassVar[str]
    description: ClassVar[str] = ""
    queue: ClassVar[str] = DEFAULT_QUEUE
    """The Celery queue whose workers drain this projection; one of its own (the warehouse's single writer
    process) keeps it out of the shared drains."""
    ignores: ClassVar[frozenset[type[DomainEvent]]] = frozenset()
    handlers: ClassVar[dict[type[DomainEvent], str]] = {}
    """Event class -> name of the method handling it (collected from ``@on`` marks, base classes first)."""
    handled_in_bulk: ClassVar[frozenset[type[DomainEvent]]] = frozenset()
    """Event types a projection handles as a whole batch, with no method per event (the warehouse derives its
    rows in SQL): they count as handled, and ``handler_for`` has nothing for them."""
    reads_log: ClassVar[bool] = False
    """The projection reads the event log itself: the runtime hands it position ranges (:meth:`apply_log`)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        found: dict[type[DomainEvent], str] = {}
        for klass in reversed(cls.__mro__):
            for attribute, value in vars(klass).items():
                for event_class in getattr(value, "__handles__", ()):
                    found[event_class] = attribute
        both = sorted(c.event_type for c in (set(found) | cls.handled_in_bulk) & cls.ignores)
        if both:
            raise TypeError(f"{cls.__name__} both handles and ignores {', '.join(both)}")
        cls.handlers = found

    @classmethod
    def undecided(cls, event_classes: Iterable[type[DomainEvent]] | None = None) -> list[str]:
        """Event types (of all registered ones, or ``event_classes``) this projection neither handles nor ignores."""
        every = registered_events().values() if event_classes is None else event_classes
        return sorted(c.event_type for c in every
                      if c not in cls.handlers and c not in cls.handled_in_bulk and c not in cls.ignores)

    def handler_for(self, event_type: str) -> Callable[[RecordedEvent[Any]], Any] | None:
        """The bound method handling ``event_type``; None when this projection ignores it."""
        event_class = event_class_of(event_type)
        method = self.handlers.get(event_class) if event_class is not None else None
        return None if method is None else getattr(self, method)

    def handles(self, event_type: str) -> bool:
        event_class = event_class_of(event_type)
        return event_class is not None and (event_class in self.handlers or event_class in self.handled_in_bulk)

    def holding(self, generation: int) -> contextlib.AbstractContextManager[None]:
        """Keep what this projection opens for ``generation`` open across the batches of one replay."""
        return contextlib.nullcontext()

    @abstractmethod
    def prepare(self, generation: int) -> None:
        """Create an empty read model for ``generation`` (idempotent)."""

    def prepare_scratch(self, generation: int) -> None:
        """Create ``generation`` for a verify replay: readers never use it and it is discarded after the
        comparison. A read model that cannot hold a second copy makes this replay a dry run."""
        self.prepare(generation)

    @abstractmethod
    def apply(self, events: Sequence[RecordedEvent[Any]], generation: int) -> None:
        """Apply a batch, in order, durably. Idempotent per event."""

    def apply_through(self, events: Sequence[RecordedEvent[Any]], generation: int, position: int | None) -> None:
        """Apply a batch (possibly empty) that brings ``generation`` to ``position``.

        A read model that keeps its own position (see :meth:`applied_position`) records ``position`` (when
        given) in the same atomic write as the batch's data; the default just applies the events.
        """
        if events:
            self.apply(events, generation)

    def apply_log(self, generation: int, batch: LogRange) -> None:
        """Apply the events of ``batch`` read from the log by the projection itself, and record ``batch.through``
        as its position (projections with :attr:`reads_log`)."""
        raise NotImplementedError(f"{type(self).__name__} does not read the log itself")

    def applied_position(self, generation: int) -> int | None:
        """The position ``generation`` itself says it holds, or None when it keeps no position of its own.

        The runtime compares it with the checkpoint in PostgreSQL: a read model behind its checkpoint
        lost writes (a Redis restart without its data) and is replayed from its own position.
        """
        return None

    @abstractmethod
    def activate(self, generation: int) -> None:
        """Make ``generation`` the one readers use (atomically)."""

    @abstractmethod
    def discard(self, generation: int) -> None:
        """Delete a generation nobody reads any more."""

    @abstractmethod
    def snapshot(self, generation: int) -> Any:
        """A canonical, comparable image of the read model (for verify and replay tests)."""


class CheckpointOwner(Projection):
    """A projection whose read model commits its checkpoint with its rows, in one transaction (the lake).

    That checkpoint, not the runtime's, is authoritative: whoever drains it aligns the runtime's checkpoint
    to it first (a batch committed but not yet recorded by the runtime is not replayed; a read model
    behind the runtime's checkpoint is caught up from its own) and tells it the drained position after.
    """

    @abstractmethod
    def checkpoint(self, generation: int) -> int | None:
        """The generation's own checkpoint; None when the generation does not exist."""

    @abstractmethod
    def known_checkpoint(self, generation: int) -> int | None:
        """The checkpoint this process last committed or read for ``generation`` (no I/O); None if unknown."""

    @abstractmethod
    def mark_drained(self, generation: int, position: int) -> None:
        """Every event up to ``position`` is applied or irrelevant here: move the checkpoint there
        (forward only; no commit when it is there already)."""


@dataclass(frozen=True)
class RuntimeCheckpoint:
    """The runtime's record of one projection: its active generation, the position applied to it, and the
    event log's head when that was read."""

    generation: int
    position: int
    head: int


class Bookkeeping(Protocol):
    """The runtime's bookkeeping as a projection's own orchestration (``warehouse.catch_up``) uses it: the
    runtime (``workers``) implements it, so no projection reads or writes the runtime's tables itself."""

    def checkpoint(self, name: str) -> RuntimeCheckpoint | None:
        """The runtime's checkpoint of ``name`` (one query), or None before its first drain."""

    def set_position(self, name: str, generation: int, position: int) -> None:
        """Set the runtime's checkpoint of ``name`` in ``generation`` (no-op if another is active now)."""

    def published(self, name: str) -> bool:
        """Whether readers have a published position of ``name``."""

    def drain_lock(self, name: str) -> contextlib.AbstractContextManager[bool]:
        """Hold the drain lock of ``name`` (yields False when another process holds it)."""

    def drain(self, name: str) -> None:
        """Bring the active generation of ``name`` up to the event log's head."""
