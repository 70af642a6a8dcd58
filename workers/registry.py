"""Every projection the runtime drives, by name. Adding a projection means adding it here."""

from __future__ import annotations

import functools

from kernel.projection import Projection


@functools.cache
def projections() -> dict[str, Projection]:
    from read_models.catalogue.projection import CatalogueProjection
    from read_models.engagement.reviews_projection import ReviewsProjection
    from read_models.engagement.streams_projection import StreamsProjection
    from search_index.engines import configured_engine
    from search_index.projection import SearchProjection
    from warehouse.projection import WarehouseProjection
    from write_api.notifications.projection import NotificationsProjection

    found: list[Projection] = [SearchProjection(configured_engine()), CatalogueProjection()]
    found += [ReviewsProjection(), StreamsProjection(), NotificationsProjection()]
    found += [WarehouseProjection()]
    return {p.name: p for p in found}


DEFAULT_QUEUE = "projections"


def names_on_queue(queue: str) -> list[str]:
    """The projections the workers of ``queue`` drain: a projection may name its own queue (``queue``
    attribute; the DuckDB warehouse has one writer process), the others share ``projections``."""
    return [name for name, p in projections().items() if getattr(p, "queue", DEFAULT_QUEUE) == queue]


def projection(name: str) -> Projection:
    try:
        return projections()[name]
    except KeyError:
        raise KeyError(f"unknown projection {name!r}; known: {', '.join(sorted(projections()))}") from None
