"""Decisions every engine shares about a query, made once in Python.

* **Words.** Every word of ``q`` must match some full-text field (AND across words): exactly after
  stemming, or unstemmed within one edit if the word has at least four letters; the last word may also match as the
  prefix of a title word (search-as-you-type).
* **Order.** Each ordering is a list of sort keys ending with the id, missing values last, so that every
  engine returns the same order and pages never overlap.
* **Literal text.** ``q`` is plain text on every engine: it is cut into words in Python, never handed to an
  engine's query syntax or built into a regular expression unescaped. Text with no word at all (``*``,
  ``🧘``) matches nothing (:func:`matches_nothing`) rather than everything.
* **Suggestions.** Three tiers of match quality: the whole title starts with the typed text (3), every
  typed word starts a word of the title (2), the same with one typo per word of four or more letters (1);
  within a tier, more popular first, then title, then id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from search_index.engine import SearchRequest, SuggestRequest
from search_index.text import FUZZY_MIN_LENGTH, PREFIX_MAX_LENGTH, fold, query_words, words

SUGGEST_FUZZY_MIN_LENGTH = 4


@dataclass(frozen=True)
class WordClause:
    word: str  # folded, unstemmed; each engine stems it with its own analyzer
    fuzzy: bool
    prefix: str | None  # the last word, cut to the indexed edge n-gram length


@dataclass(frozen=True)
class SortKey:
    field: str  # a document field, or "_score" / "_distance"
    descending: bool


ORDER_KEYS: dict[str, tuple[SortKey, ...]] = {
    "relevance": (SortKey("_score", True), SortKey("popularity", True), SortKey("created_at", True)),
    "price": (SortKey("price_cents", False),),
    "-price": (SortKey("price_cents", True),),
    "rating": (SortKey("rating", True), SortKey("review_count", True)),
    "newest": (SortKey("created_at", True),),
    "distance": (SortKey("_distance", False),),
}
TIE_BREAKER = SortKey("id", False)


def word_clauses(q: str) -> list[WordClause]:
    found = query_words(q)
    return [WordClause(word=w, fuzzy=len(w) >= FUZZY_MIN_LENGTH,
                       prefix=w[:PREFIX_MAX_LENGTH] if i == len(found) - 1 and len(w) >= 2 else None)
            for i, w in enumerate(found)]


def matches_nothing(request: SearchRequest) -> bool:
    """Text was typed but none of it is a word (``*``, ``<>``, ``🧘``): no document contains it."""
    return bool(request.q.strip()) and not word_clauses(request.q)


def sort_keys(request: SearchRequest) -> tuple[SortKey, ...]:
    return (*ORDER_KEYS[request.ordering], TIE_BREAKER)


@dataclass(frozen=True)
class SuggestPlan:
    phrase: str  # the folded text with single spaces: the whole-title prefix
    words: tuple[str, ...]  # each cut to the edge n-gram length
    fuzzy: tuple[bool, ...]  # per word: one typo tolerated


def suggest_plan(request: SuggestRequest) -> SuggestPlan | None:
    typed = words(request.q)
    if not typed:
        return None
    cut = tuple(w[:PREFIX_MAX_LENGTH] for w in typed[:8])
    return SuggestPlan(phrase=re.sub(r"\s+", " ", fold(request.q)).strip(), words=cut,
                       fuzzy=tuple(len(w) >= SUGGEST_FUZZY_MIN_LENGTH for w in cut))
