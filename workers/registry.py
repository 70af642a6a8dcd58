"""Every projection the runtime drives, by name. Adding a projection means adding it here."""

from __future__ import annotations

import functools

from infra.environment import env
from kernel.projection import Projection
from read_models.catalogue.projection import CatalogueProjection
from read_models.engagement.reviews_projection import ReviewsProjection
from read_models.engagement.streams_projection import StreamsProjection
from search_index.engines import configured_engine
from search_index.projection import SearchProjection
from warehouse.projection import WarehouseProjection
from write_api.notifications.projection import NotificationsProjection


@functools.cache
def projections() -> dict[str, Projection]:
    """Every registered projection, or the subset ``PROJECTIONS`` names."""
    found: list[Projection] = [SearchProjection(configured_engine()), CatalogueProjection()]
    found += [ReviewsProjection(), StreamsProjection(), NotificationsProjection()]
    found += [WarehouseProjection()]
    every = {p.name: p for p in found}
    wanted = [name.strip() for name in (env("PROJECTIONS") or "").split(",") if name.strip()]
    unknown = sorted(set(wanted) - set(every))
    if unknown:
        raise ValueError(f"PROJECTIONS names unknown projections {', '.join(unknown)}; known: {', '.join(every)}")
    return {name: p for name, p in every.items() if not wanted or name in wanted}


def names_on_queue(queue: str) -> list[str]:
    """The projections the workers of ``queue`` drain: a projection may name its own queue
    (:attr:`Projection.queue`; the warehouse has one writer process), the others share ``projections``."""
    return [name for name, p in projections().items() if p.queue == queue]


def projection(name: str) -> Projection:
    try:
        return projections()[name]
    except KeyError:
        raise KeyError(f"unknown projection {name!r}; known: {', '.join(sorted(projections()))}") from None
