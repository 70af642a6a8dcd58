"""The interface every search engine implements, and the engine-neutral query it answers.

A :class:`SearchRequest` says *what* is wanted (words, filters, ordering, page); :mod:`search_index.query_plan`
turns it into decisions every engine shares (which words are fuzzy, which is a prefix, the sort keys and
their tie-breakers); each engine then executes that plan its own way. The conformance suite
(``tests/test_search_conformance.py``) holds them to the same answers.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from search_index.documents import KINDS
from search_index.geo import Point

ORDERINGS = ("relevance", "price", "-price", "rating", "newest", "distance")


class SearchUnavailable(Exception):
    """The engine cannot be reached or refused to answer (the read API maps this to 503)."""


@dataclass(frozen=True)
class SearchFilters:
    """Filters on documents; a filter on a field a document lacks excludes that document."""

    service_type: str | None = None
    format: str | None = None
    price_min_cents: int | None = None
    price_max_cents: int | None = None
    category: str | None = None
    modality: str | None = None
    rating_min: float | None = None
    practitioner_id: str | None = None
    near: Point | None = None
    distance_km: float | None = None  # only with ``near``: keep documents within this great-circle distance


@dataclass(frozen=True)
class SearchRequest:
    q: str = ""
    kinds: tuple[str, ...] = KINDS
    filters: SearchFilters = field(default_factory=SearchFilters)
    ordering: str = "relevance"  # one of ORDERINGS; ``distance`` needs ``filters.near``
    offset: int = 0
    limit: int = 20
    facets: bool = False
    highlight: bool = False


@dataclass(frozen=True)
class SearchHit:
    kind: str
    id: str
    score: float
    document: dict[str, Any]
    highlights: dict[str, str] = field(default_factory=dict)  # field → HTML fragment with <em> marks


@dataclass(frozen=True)
class SearchResult:
    total: int
    hits: list[SearchHit] = field(default_factory=list)
    facets: dict[str, dict[str, int]] = field(default_factory=dict)  # facet → value → count of all hits


@dataclass(frozen=True)
class SuggestRequest:
    q: str
    limit: int = 8
    kinds: tuple[str, ...] = KINDS


@dataclass(frozen=True)
class Suggestion:
    text: str
    kind: str
    id: str | None
    quality: int  # 3 whole title starts with the text, 2 every word is a word prefix, 1 with one typo
    popularity: int


class SearchEngine(ABC):
    """Generation-aware storage for search documents plus the query side."""

    name: str

    # --- write side (the projection) ---------------------------------------------------------
    @abstractmethod
    def prepare(self, generation: int) -> None:
        """Create the (empty) indices of ``generation`` if they do not exist."""

    @abstractmethod
    def write(self, generation: int, documents: Iterable[dict[str, Any]], *, position: int | None = None) -> None:
        """Upsert documents (by ``id``) durably and visibly, in one commit; ``version`` is the event position
        and a document never replaces one with a higher version. With ``position``, the same commit records
        that ``generation`` holds every event up to it (see :meth:`applied_position`)."""

    @abstractmethod
    def applied_position(self, generation: int) -> int:
        """The last position a :meth:`write` recorded with its documents (0: none, e.g. the index was lost)."""

    @abstractmethod
    def get(self, generation: int, kind: str, doc_id: str) -> dict[str, Any] | None: ...

    @abstractmethod
    def get_many(self, generation: int, doc_ids: Collection[str]) -> dict[str, dict[str, Any]]:
        """The documents of any kind with these ids, by id, in one query (absent ids are left out)."""

    @abstractmethod
    def practitioner_documents(self, generation: int, practitioner_id: str) -> list[dict[str, Any]]:
        """The services and streams of a practitioner (any visibility)."""

    @abstractmethod
    def all_documents(self, generation: int) -> list[dict[str, Any]]:
        """Every document of ``generation``, sorted by id (for verify and replay tests)."""

    @abstractmethod
    def activate(self, generation: int) -> None:
        """Make ``generation`` the one readers use, atomically."""

    @abstractmethod
    def discard(self, generation: int) -> None: ...

    # --- read side (the read API) ---------------------------------------------------------------
    @abstractmethod
    def search(self, request: SearchRequest) -> SearchResult: ...

    @abstractmethod
    def suggest(self, request: SuggestRequest) -> list[Suggestion]: ...

    @abstractmethod
    def fetch(self, kind: str, doc_id: str) -> dict[str, Any] | None:
        """One document of the active generation, whatever its visibility."""

    @abstractmethod
    def ping(self) -> None: ...
