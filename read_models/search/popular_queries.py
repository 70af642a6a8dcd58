"""Popular past queries in Redis, one source of suggestions.

The search endpoint records the normalised text of each first-page query that returned hits. Two
sorted sets hold them: ``search:queries:count`` (member → times searched) and ``search:queries:lex``
(every member with score 0, so ``ZRANGE … BYLEX`` finds those starting with a prefix). A query is
suggested only once it was searched :data:`MIN_COUNT` times, so one person's one-off query is never
shown to others; the sets keep the :data:`MAX_QUERIES` most searched.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from read_models import positions, timing
from search_index.text import normalised_query

log = logging.getLogger(__name__)

COUNT_KEY = "search:queries:count"
LEX_KEY = "search:queries:lex"
MIN_COUNT = 2
MAX_QUERIES = 10_000
MAX_LENGTH = 100
CANDIDATES = 200


@dataclass(frozen=True)
class PopularQuery:
    text: str
    count: int


@timing.fetch
def record(q: str) -> None:
    """Count one search for ``q``; never fails the search that calls it."""
    text = normalised_query(q)
    if len(text) < 2 or len(text) > MAX_LENGTH:
        return
    try:
        client = positions.client()
        pipe = client.pipeline(transaction=True)
        pipe.zincrby(COUNT_KEY, 1, text)
        pipe.zadd(LEX_KEY, {text: 0}, nx=True)
        pipe.zcard(COUNT_KEY)
        size = pipe.execute()[-1]
        if size > MAX_QUERIES:
            _trim(size - MAX_QUERIES)
    except Exception:  # noqa: BLE001 - popularity is a nicety; the search answer matters
        log.warning("could not record a search query", exc_info=True)


def _trim(excess: int) -> None:
    client = positions.client()
    rarest = client.zrange(COUNT_KEY, 0, excess - 1)
    if rarest:
        pipe = client.pipeline(transaction=True)
        pipe.zrem(COUNT_KEY, *rarest)
        pipe.zrem(LEX_KEY, *rarest)
        pipe.execute()


@timing.fetch
def starting_with(prefix: str, limit: int) -> list[PopularQuery]:
    """The most searched queries starting with ``prefix`` (normalised), most searched first."""
    text = normalised_query(prefix)
    if not text or limit < 1:
        return []
    try:
        client = positions.client()
        start, end = b"[" + text.encode(), b"[" + text.encode() + b"\xff"
        members = client.zrange(LEX_KEY, start, end, bylex=True, offset=0, num=CANDIDATES)
        if not members:
            return []
        counts = client.zmscore(COUNT_KEY, members)
    except Exception:  # noqa: BLE001
        log.warning("could not read popular queries", exc_info=True)
        return []
    found = [PopularQuery(m.decode(), int(c)) for m, c in zip(members, counts, strict=True)
             if c is not None and c >= MIN_COUNT]
    found.sort(key=lambda p: (-p.count, p.text))
    return found[:limit]
