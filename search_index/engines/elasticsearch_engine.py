"""Elasticsearch (``ELASTICSEARCH_URL``, production) through the official ``elasticsearch`` client.

Same index definitions, bodies and alias protocol as OpenSearch (:mod:`search_index.engines.rest_engine`);
only the client calls differ (the 9.x client takes named body parameters: ``operations``, ``settings``,
``mappings``, ``actions``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import elastic_transport
from elasticsearch import ApiError, BadRequestError, Elasticsearch, NotFoundError

from search_index.engine import SearchUnavailable
from search_index.engines.rest_engine import RestSearchEngine

TIMEOUT_SECONDS = 10


class ElasticsearchEngine(RestSearchEngine):
    name = "elasticsearch"

    def __init__(self, url: str, *, prefix: str) -> None:
        super().__init__(prefix=prefix)
        self.url = url
        self.client = Elasticsearch(url, request_timeout=TIMEOUT_SECONDS, max_retries=1, retry_on_timeout=False)

    def _call(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except elastic_transport.TransportError as exc:  # connection refused, timeout, TLS
            raise SearchUnavailable(f"Elasticsearch at {self.url} is unreachable: {exc}") from exc
        except ApiError as exc:
            if exc.meta.status >= 500:
                raise SearchUnavailable(f"Elasticsearch answered {exc.meta.status}: {exc.message}") from exc
            raise

    def _create_index(self, name: str, body: dict[str, Any]) -> None:
        if self._call(self.client.indices.exists, index=name):
            return
        try:
            self._call(self.client.indices.create, index=name, settings=body["settings"], mappings=body["mappings"])
        except BadRequestError as exc:
            if exc.error != "resource_already_exists_exception":
                raise

    def _delete_index(self, name: str) -> None:
        with contextlib.suppress(NotFoundError):
            self._call(self.client.indices.delete, index=name)

    def _bulk(self, operations: list[dict[str, Any]]) -> dict[str, Any]:
        answer: dict[str, Any] = self._call(self.client.bulk, operations=operations, refresh=True).body
        return answer

    def _search(self, indices: list[str], body: dict[str, Any]) -> dict[str, Any]:
        answer: dict[str, Any] = self._call(self.client.search, index=indices, body=body, ignore_unavailable=True,
                                            allow_no_indices=True).body
        return answer

    def _get(self, index: str, doc_id: str) -> dict[str, Any] | None:
        try:
            source: dict[str, Any] = self._call(self.client.get, index=index, id=doc_id).body["_source"]
            return source
        except NotFoundError:
            return None

    def _alias_targets(self, aliases: list[str]) -> dict[str, list[str]]:
        try:
            found = self._call(self.client.indices.get_alias, name=aliases).body
        except NotFoundError:
            return {}
        out: dict[str, list[str]] = {}
        for index, entry in found.items():
            for alias in entry.get("aliases", {}):
                if alias in aliases:
                    out.setdefault(alias, []).append(index)
        return out

    def _update_aliases(self, actions: list[dict[str, Any]]) -> None:
        self._call(self.client.indices.update_aliases, actions=actions)

    def _ping(self) -> None:
        self._call(self.client.info)
