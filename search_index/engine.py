"""The interface every search engine implements, and the query/result types it speaks."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class SearchRequest:
    q: str = ""
    kinds: tuple[str, ...] = ("service", "practitioner")
    offset: int = 0
    limit: int = 20


@dataclass(frozen=True)
class SearchHit:
    kind: str
    id: str
    score: float
    document: dict[str, Any]
    snippet: str = ""


@dataclass(frozen=True)
class SearchResult:
    total: int
    hits: list[SearchHit] = field(default_factory=list)


class SearchEngine(ABC):
    """Generation-aware storage for search documents plus the query side."""

    name: str

    # --- write side (the projection) ---------------------------------------------------------
    @abstractmethod
    def prepare(self, generation: int) -> None: ...

    @abstractmethod
    def write(self, generation: int, documents: Iterable[dict[str, Any]]) -> None:
        """Upsert documents (by ``id``) durably, in one commit. ``version`` is the event position."""

    @abstractmethod
    def get(self, generation: int, doc_id: str) -> dict[str, Any] | None: ...

    @abstractmethod
    def find(self, generation: int, *, field_name: str, value: str) -> list[dict[str, Any]]: ...

    @abstractmethod
    def all_documents(self, generation: int) -> list[dict[str, Any]]: ...

    @abstractmethod
    def activate(self, generation: int) -> None: ...

    @abstractmethod
    def discard(self, generation: int) -> None: ...

    # --- read side (the read API) ---------------------------------------------------------------
    @abstractmethod
    def search(self, request: SearchRequest) -> SearchResult: ...

    @abstractmethod
    def ping(self) -> None: ...
