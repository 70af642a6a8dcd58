"""What Elasticsearch and OpenSearch share: versioned indices behind aliases, external versions, the
query bodies (:mod:`search_index.engines.rest_queries`) and the parsing of their answers.

Subclasses adapt one client library each (``opensearch-py``, ``elasticsearch``) through a handful of
primitive calls; everything else lives here once.

* Physical indices ``<prefix>_<kind>_g<generation>``; readers use the aliases ``<prefix>_<kind>``, and
  :meth:`activate` moves all of them in one ``_aliases`` request (atomic), so a rebuild swaps with zero
  downtime.
* Writes are one ``_bulk`` request per projection batch with ``version_type=external_gte`` and the event
  position as version (a replayed batch is harmless; an older state never overwrites a newer one),
  refreshed before returning so the projection's next batch and read-your-writes see them.
"""

from __future__ import annotations

import logging
import time
from abc import abstractmethod
from collections.abc import Collection, Iterable
from typing import Any

from search_index.documents import FACETS, KINDS, alias_name, index_body, index_name
from search_index.engine import (
    SearchEngine,
    SearchHit,
    SearchRequest,
    SearchResult,
    SearchUnavailable,
    Suggestion,
    SuggestRequest,
)
from search_index.engines.rest_queries import search_body, suggest_body
from search_index.query_plan import matches_nothing

log = logging.getLogger(__name__)

PAGE = 1000
READ_RETRIES = 3


class IndexMissing(Exception):
    """The index or alias addressed does not exist (yet)."""


class RestSearchEngine(SearchEngine):
    def __init__(self, *, prefix: str) -> None:
        self.prefix = prefix

    # --- primitives each client library implements ----------------------------------------------------
    @abstractmethod
    def _create_index(self, name: str, body: dict[str, Any]) -> None:
        """Create the index; do nothing if it exists."""

    @abstractmethod
    def _delete_index(self, name: str) -> None:
        """Delete the index; do nothing if it is missing."""

    @abstractmethod
    def _bulk(self, operations: list[dict[str, Any]]) -> dict[str, Any]:
        """One ``_bulk`` request, refreshed before it returns."""

    @abstractmethod
    def _search(self, indices: list[str], body: dict[str, Any]) -> dict[str, Any]:
        """Search the given indices or aliases, ignoring missing ones."""

    @abstractmethod
    def _get(self, index: str, doc_id: str) -> dict[str, Any] | None:
        """The ``_source`` of one document, or None."""

    @abstractmethod
    def _alias_targets(self, aliases: list[str]) -> dict[str, list[str]]:
        """alias → indices it points to (missing aliases absent)."""

    @abstractmethod
    def _update_aliases(self, actions: list[dict[str, Any]]) -> None: ...

    @abstractmethod
    def _ping(self) -> None: ...

    # --- write side ------------------------------------------------------------------------------------
    def _position_index(self, generation: int) -> str:
        """The generation's own position lives in an index of its own (no alias: readers never see it)."""
        return index_name(self.prefix, "position", generation)

    def prepare(self, generation: int) -> None:
        for kind in KINDS:
            self._create_index(index_name(self.prefix, kind, generation), index_body(self.prefix, kind, generation))
        self._create_index(self._position_index(generation),
                           {"settings": {"number_of_shards": 1}, "mappings": {"properties": {"position": {
                               "type": "long"}}}})

    def write(self, generation: int, documents: Iterable[dict[str, Any]], *, position: int | None = None) -> None:
        operations: list[dict[str, Any]] = []
        for doc in documents:
            operations.append({"index": {"_index": index_name(self.prefix, doc["kind"], generation),
                                         "_id": doc["id"], "version": int(doc["version"]),
                                         "version_type": "external_gte"}})
            operations.append(doc)
        if position is not None:
            # In the same refreshed bulk request as the documents, after them.
            operations.append({"index": {"_index": self._position_index(generation), "_id": "position",
                                         "version": position, "version_type": "external_gte"}})
            operations.append({"position": position})
        if not operations:
            return
        response = self._bulk(operations)
        if not response.get("errors"):
            return
        for item in response.get("items", []):
            outcome = next(iter(item.values()))
            if outcome.get("status", 200) >= 300 and outcome.get("status") != 409:  # 409: a newer version won
                raise RuntimeError(f"search index write failed: {outcome.get('error')}")

    def get(self, generation: int, kind: str, doc_id: str) -> dict[str, Any] | None:
        return self._get(index_name(self.prefix, kind, generation), doc_id)

    def applied_position(self, generation: int) -> int:
        found = self._get(self._position_index(generation), "position")
        return int(found["position"]) if found else 0

    def _scan(self, indices: list[str], query: dict[str, Any]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        after: list[Any] | None = None
        while True:
            body: dict[str, Any] = {"query": query, "size": PAGE, "sort": [{"id": {"order": "asc"}}]}
            if after is not None:
                body["search_after"] = after
            hits = self._search(indices, body)["hits"]["hits"]
            out.extend(h["_source"] for h in hits)
            if len(hits) < PAGE:
                return out
            after = hits[-1]["sort"]

    def get_many(self, generation: int, doc_ids: Collection[str]) -> dict[str, dict[str, Any]]:
        if not doc_ids:
            return {}
        indices = [index_name(self.prefix, kind, generation) for kind in KINDS]
        return {d["id"]: d for d in self._scan(indices, {"terms": {"id": sorted(doc_ids)}})}

    def practitioner_documents(self, generation: int, practitioner_id: str) -> list[dict[str, Any]]:
        indices = [index_name(self.prefix, kind, generation) for kind in KINDS if kind != "practitioner"]
        return self._scan(indices, {"term": {"practitioner_id": practitioner_id}})

    def all_documents(self, generation: int) -> list[dict[str, Any]]:
        docs = self._scan([index_name(self.prefix, kind, generation) for kind in KINDS], {"match_all": {}})
        return sorted(docs, key=lambda d: d["id"])

    def active_generation(self) -> int | None:
        targets = self._alias_targets([alias_name(self.prefix, KINDS[0])]).get(alias_name(self.prefix, KINDS[0]))
        if not targets:
            return None
        return int(targets[0].rsplit("_g", 1)[1])

    def activate(self, generation: int) -> None:
        aliases = [alias_name(self.prefix, kind) for kind in KINDS]
        current = self._alias_targets(aliases)
        actions: list[dict[str, Any]] = []
        for kind, alias in zip(KINDS, aliases, strict=True):
            target = index_name(self.prefix, kind, generation)
            actions.extend({"remove": {"index": old, "alias": alias}} for old in current.get(alias, [])
                           if old != target)
            actions.append({"add": {"index": target, "alias": alias}})
        self._update_aliases(actions)

    def discard(self, generation: int) -> None:
        if generation == self.active_generation():
            raise ValueError("refusing to discard the active generation")
        for kind in KINDS:
            self._delete_index(index_name(self.prefix, kind, generation))
        self._delete_index(self._position_index(generation))

    # --- read side -------------------------------------------------------------------------------------
    def _read(self, kinds: tuple[str, ...], body: dict[str, Any]) -> dict[str, Any]:
        """Search the aliases; retry when shards failed (an index deleted under a search by a rebuild)."""
        indices = [alias_name(self.prefix, kind) for kind in kinds]
        for attempt in range(READ_RETRIES):
            response = self._search(indices, body)
            if not response.get("_shards", {}).get("failed"):
                return response
            log.warning("search had failed shards (attempt %s): %s", attempt + 1, response["_shards"])
            time.sleep(0.05 * (attempt + 1))
        raise SearchUnavailable("search shards failed")

    def search(self, request: SearchRequest) -> SearchResult:
        if matches_nothing(request):
            return SearchResult(total=0)
        response = self._read(request.kinds, search_body(request))
        hits = []
        for raw in response["hits"]["hits"]:
            doc = raw["_source"]
            highlights = {name: fragments[0] for name, fragments in (raw.get("highlight") or {}).items()
                          if fragments}
            hits.append(SearchHit(kind=doc["kind"], id=doc["id"], score=float(raw.get("_score") or 0.0),
                                  document=doc, highlights=highlights))
        facets: dict[str, dict[str, int]] = {}
        if request.facets:
            aggregations = response.get("aggregations") or {}
            facets = {name: {str(b["key"]): int(b["doc_count"]) for b in aggregations.get(name, {}).get("buckets", [])}
                      for name in FACETS}
        total = response["hits"]["total"]
        return SearchResult(total=int(total["value"] if isinstance(total, dict) else total), hits=hits, facets=facets)

    def suggest(self, request: SuggestRequest) -> list[Suggestion]:
        body = suggest_body(request)
        if body is None or request.limit < 1:
            return []
        response = self._read(request.kinds, body)
        return [Suggestion(text=h["_source"]["title"], kind=h["_source"]["kind"], id=h["_source"]["id"],
                           quality=int(round(float(h["_score"] or 0))), popularity=int(h["_source"].get("popularity")
                                                                                         or 0))
                for h in response["hits"]["hits"]]

    def fetch(self, kind: str, doc_id: str) -> dict[str, Any] | None:
        response = self._read((kind,), {"query": {"ids": {"values": [doc_id]}}, "size": 1})
        hits = response["hits"]["hits"]
        return hits[0]["_source"] if hits else None

    def ping(self) -> None:
        self._ping()
