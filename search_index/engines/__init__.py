"""Search engine implementations and the factory choosing one from the environment."""

from __future__ import annotations

import functools

from infra.environment import data_path, env, search_engine_name
from search_index.engine import SearchEngine


def engine_named(name: str, *, prefix: str) -> SearchEngine:
    # Each engine's client library is imported only where that engine is configured.
    if name == "tantivy":
        from search_index.engines.tantivy_engine import TantivyEngine  # noqa: PLC0415 - (see above)

        return TantivyEngine(data_path("search", "tantivy"), prefix=prefix)
    if name == "opensearch":
        from search_index.engines.opensearch_engine import OpenSearchEngine  # noqa: PLC0415 - (see above)

        return OpenSearchEngine(_required("OPENSEARCH_URL"), prefix=prefix)
    if name == "elasticsearch":
        from search_index.engines.elasticsearch_engine import ElasticsearchEngine  # noqa: PLC0415 - (see above)

        return ElasticsearchEngine(_required("ELASTICSEARCH_URL"), prefix=prefix)
    raise RuntimeError(f"unknown search engine {name!r}; choose tantivy, opensearch or elasticsearch")


def _required(variable: str) -> str:
    value = env(variable)
    if not value:
        raise RuntimeError(f"{variable} must be set for this search engine")
    return value


@functools.cache
def configured_engine() -> SearchEngine:
    return engine_named(search_engine_name(), prefix=env("SEARCH_INDEX_PREFIX") or "marketplace")
