"""What every Redis projection over a :class:`GenerationStore` shares: generations, batched apply, and
its own position written in the same MULTI/EXEC as each batch's data (so the runtime sees a store
that lost writes as behind, and replays it)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from kernel.events import RecordedEvent
from kernel.projection import Projection
from read_models.generation_store import Batch, GenerationStore


class StoreProjection(Projection):
    """A projection whose read model is one :class:`GenerationStore`; a batch is one MULTI/EXEC."""

    store: ClassVar[GenerationStore]

    def __init__(self) -> None:
        self.batch: Batch | None = None

    def new_batch(self, generation: int) -> Batch:
        return self.store.batch(generation)

    def prepare(self, generation: int) -> None:
        self.store.discard(generation)

    def activate(self, generation: int) -> None:
        self.store.activate(generation)

    def discard(self, generation: int) -> None:
        self.store.discard(generation)

    def snapshot(self, generation: int) -> dict[str, Any]:
        return self.store.snapshot(generation)

    def applied_position(self, generation: int) -> int:
        return self.store.applied_position(generation)

    def apply(self, events: Sequence[RecordedEvent], generation: int) -> None:
        self.apply_through(events, generation, None)

    def apply_through(self, events: Sequence[RecordedEvent], generation: int, position: int | None) -> None:
        self.batch = batch = self.new_batch(generation)
        try:
            for event in events:
                handler = self.handler_for(event.type)
                if handler is not None:
                    handler(event)
            if position is not None:
                batch.through(position)
            batch.commit()
        finally:
            batch.close()
            self.batch = None

    @property
    def b(self) -> Batch:
        assert self.batch is not None
        return self.batch
