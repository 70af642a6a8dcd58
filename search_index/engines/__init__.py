"""Search engine implementations and the factory choosing one from the environment."""

from __future__ import annotations

import functools

from infra.environment import env, search_engine_name
from search_index.engine import SearchEngine


@functools.cache
def configured_engine() -> SearchEngine:
    prefix = env("SEARCH_INDEX_PREFIX") or "marketplace"
    name = search_engine_name()
    if name == "tantivy":
        from infra.environment import data_path
        from search_index.engines.tantivy_engine import TantivyEngine

        return TantivyEngine(data_path("search", "tantivy"), prefix=prefix)
    raise RuntimeError(f"search engine {name!r} is not available yet")
