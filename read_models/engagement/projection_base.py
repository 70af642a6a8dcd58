"""What every Redis projection over a :class:`GenerationStore` shares: generations and batched apply."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from kernel.events import RecordedEvent
from kernel.projection import Projection
from read_models.engagement.store import Batch, GenerationStore


class StoreProjection(Projection):
    """A projection whose read model is one :class:`GenerationStore`; a batch is one MULTI/EXEC."""

    store: ClassVar[GenerationStore]

    def __init__(self) -> None:
        self.batch: Batch | None = None

    def prepare(self, generation: int) -> None:
        self.store.discard(generation)

    def activate(self, generation: int) -> None:
        self.store.activate(generation)

    def discard(self, generation: int) -> None:
        self.store.discard(generation)

    def snapshot(self, generation: int) -> dict[str, Any]:
        return self.store.snapshot(generation)

    def apply(self, events: Sequence[RecordedEvent[Any]], generation: int) -> None:
        self.batch = self.store.batch(generation)
        for event in events:
            handler = self.handler_for(event.type)
            if handler is not None:
                handler(event)
        self.batch.commit()
        self.batch = None

    @property
    def b(self) -> Batch:
        assert self.batch is not None
        return self.batch
