"""OpenSearch (``OPENSEARCH_URL``) through ``opensearch-py``; also the engine tests run against ``osmem-server``."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from opensearchpy import OpenSearch
from opensearchpy import exceptions as errors

from search_index.engine import SearchUnavailable
from search_index.engines.rest_engine import RestSearchEngine

TIMEOUT_SECONDS = 10


class OpenSearchEngine(RestSearchEngine):
    name = "opensearch"

    def __init__(self, url: str, *, prefix: str) -> None:
        super().__init__(prefix=prefix)
        self.url = url
        self.client = OpenSearch(hosts=[url], timeout=TIMEOUT_SECONDS, max_retries=1, retry_on_timeout=False)

    def _call(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except (errors.ConnectionError, errors.ConnectionTimeout) as exc:
            raise SearchUnavailable(f"OpenSearch at {self.url} is unreachable: {exc}") from exc
        except errors.TransportError as exc:
            if isinstance(exc.status_code, int) and exc.status_code >= 500:
                raise SearchUnavailable(f"OpenSearch answered {exc.status_code}: {exc.error}") from exc
            raise

    def _create_index(self, name: str, body: dict[str, Any]) -> None:
        if not self._call(self.client.indices.exists, index=name):
            try:
                self._call(self.client.indices.create, index=name, body=body)
            except errors.RequestError as exc:
                if "already_exists" not in str(exc.error):
                    raise

    def _delete_index(self, name: str) -> None:
        with contextlib.suppress(errors.NotFoundError):
            self._call(self.client.indices.delete, index=name)

    def _bulk(self, operations: list[dict[str, Any]]) -> dict[str, Any]:
        answer: dict[str, Any] = self._call(self.client.bulk, body=operations, refresh="true")
        return answer

    def _search(self, indices: list[str], body: dict[str, Any]) -> dict[str, Any]:
        answer: dict[str, Any] = self._call(self.client.search, index=",".join(indices), body=body,
                                            ignore_unavailable="true", allow_no_indices="true")
        return answer

    def _get(self, index: str, doc_id: str) -> dict[str, Any] | None:
        try:
            source: dict[str, Any] = self._call(self.client.get, index=index, id=doc_id)["_source"]
            return source
        except errors.NotFoundError:
            return None

    def _alias_targets(self, aliases: list[str]) -> dict[str, list[str]]:
        try:
            found = self._call(self.client.indices.get_alias, name=",".join(aliases))
        except errors.NotFoundError:
            return {}
        out: dict[str, list[str]] = {}
        for index, entry in found.items():
            for alias in entry.get("aliases", {}):
                if alias in aliases:
                    out.setdefault(alias, []).append(index)
        return out

    def _update_aliases(self, actions: list[dict[str, Any]]) -> None:
        self._call(self.client.indices.update_aliases, body={"actions": actions})

    def _ping(self) -> None:
        self._call(self.client.info)
