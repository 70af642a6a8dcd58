"""The contract every projection implements; the runtime in ``workers`` drives it.

A projection is one ordered consumer of the event log. It writes into a *generation* of its read
model so that a rebuild can fill a new generation while the active one keeps serving, then switch.
``apply`` must be idempotent: the runtime delivers at least once (a crash between applying a batch
and saving the checkpoint replays that batch).
"""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from kernel.events import RecordedEvent


class Projection(ABC):
    name: ClassVar[str]
    description: ClassVar[str] = ""

    def handler_for(self, event_type: str) -> Callable[[RecordedEvent], Any] | None:
        """``on_<type with dots as underscores>``, e.g. ``on_service_created``; None when ignored."""
        return getattr(self, "on_" + event_type.replace(".", "_"), None)

    def handles(self, event_type: str) -> bool:
        return self.handler_for(event_type) is not None

    def holding(self, generation: int) -> contextlib.AbstractContextManager[None]:
        """Keep what this projection opens for ``generation`` open across the batches of one replay."""
        return contextlib.nullcontext()

    @abstractmethod
    def prepare(self, generation: int) -> None:
        """Create an empty read model for ``generation`` (idempotent)."""

    @abstractmethod
    def apply(self, events: Sequence[RecordedEvent], generation: int) -> None:
        """Apply a batch, in order, durably. Idempotent per event."""

    def apply_through(self, events: Sequence[RecordedEvent], generation: int, position: int | None) -> None:
        """Apply a batch (possibly empty) that brings ``generation`` to ``position``.

        A read model that keeps its own position (see :meth:`applied_position`) records ``position`` (when
        given) in the same atomic write as the batch's data; the default just applies the events.
        """
        if events:
            self.apply(events, generation)

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
