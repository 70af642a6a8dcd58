"""Every projection the runtime drives, by name. Adding a projection means adding it here."""

from __future__ import annotations

import functools

from kernel.projection import Projection


@functools.cache
def projections() -> dict[str, Projection]:
    from read_models.catalogue.projection import CatalogueProjection
    from search_index.engines import configured_engine
    from search_index.projection import SearchProjection

    found: list[Projection] = [SearchProjection(configured_engine()), CatalogueProjection()]
    return {p.name: p for p in found}


def projection(name: str) -> Projection:
    try:
        return projections()[name]
    except KeyError:
        raise KeyError(f"unknown projection {name!r}; known: {', '.join(sorted(projections()))}") from None
