"""Popular past queries in Redis, one source of suggestions — shown to everyone, so they cannot be poisoned.

A query becomes a shared suggestion only when all of these hold:

* it **returned results** (the search endpoint records first-page queries with hits only);
* it is **suggestible text** (:func:`suggestible`): a few plain words, no search operators (``AND``,
  ``OR``, ``NOT``), no punctuation or symbols, no leading or trailing stop word, nothing over-long;
* at least :data:`MIN_USERS` **distinct signed-in users** searched it (each account counts once, however
  often it searches; anonymous searches count for nothing, so one client or one IP cannot promote it);
* **over time**: the first and the latest of those users searched it at least :data:`MIN_SPAN_SECONDS`
  apart (a burst of fresh accounts is not popularity);
* staff have not removed it (``python manage.py suggestions remove "<text>"``; a removed query never
  comes back).

Keys: ``search:queries:users:<text>`` (sorted set: user id → first search time, expiring after
:data:`USERS_TTL_SECONDS` without searches), ``search:queries:count`` (text → distinct users),
``search:queries:lex`` (the *shown* queries, score 0, so ``ZRANGE … BYLEX`` finds those starting with a
prefix) and ``search:queries:removed``. All updates of one search run in one Lua script (atomic).
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass

from read_models import positions, timing
from search_index.text import STOPWORDS, normalised_query

log = logging.getLogger(__name__)

COUNT_KEY = "search:queries:count"
LEX_KEY = "search:queries:lex"
REMOVED_KEY = "search:queries:removed"
USERS_PREFIX = "search:queries:users:"
MIN_USERS = 3
MIN_SPAN_SECONDS = 600
USERS_TTL_SECONDS = 90 * 86400
MAX_QUERIES = 10_000
MAX_LENGTH = 60
MAX_WORDS = 5
MAX_WORD_LENGTH = 20
CANDIDATES = 200

_OPERATORS = frozenset({"AND", "OR", "NOT"})
_PLAIN = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*", re.UNICODE)  # a word, possibly with inner ' or -

# KEYS: users, count, lex, removed. ARGV: user, now, text, min users, min span, ttl.
_RECORD = """
if redis.call('SISMEMBER', KEYS[4], ARGV[3]) == 1 then return 0 end
redis.call('ZADD', KEYS[1], 'NX', ARGV[2], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[6])
local users = redis.call('ZCARD', KEYS[1])
redis.call('ZADD', KEYS[2], users, ARGV[3])
if users >= tonumber(ARGV[4]) then
  local first = tonumber(redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2])
  local last = tonumber(redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')[2])
  if last - first >= tonumber(ARGV[5]) then redis.call('ZADD', KEYS[3], 0, ARGV[3]) end
end
return users
"""


@dataclass(frozen=True)
class PopularQuery:
    text: str
    count: int


def suggestible(q: str) -> str | None:
    """The normalised text of ``q`` if it may ever be suggested to others; None for operators and junk."""
    tokens = q.split()
    if not tokens or len(tokens) > MAX_WORDS or any(t in _OPERATORS for t in tokens):
        return None
    if not all(_PLAIN.fullmatch(t) for t in tokens):
        return None  # quotes, wildcards, field:value, URLs, e-mail addresses, symbols
    text = normalised_query(q)
    found = text.split()
    if not 2 <= len(text) <= MAX_LENGTH or any(len(w) > MAX_WORD_LENGTH for w in found):
        return None
    if found[0] in STOPWORDS or found[-1] in STOPWORDS or all(w.isdigit() for w in found):
        return None
    return text


@timing.fetch
def record(q: str, *, user_id: str | None) -> None:
    """Count one search with results for ``q`` by ``user_id`` (None: anonymous, never counted); never fails
    the search that calls it."""
    text = suggestible(q)
    if text is None or not user_id:
        return
    try:
        client = positions.client()
        client.eval(_RECORD, 4, USERS_PREFIX + text, COUNT_KEY, LEX_KEY, REMOVED_KEY, str(user_id), time.time(),
                    text, MIN_USERS, MIN_SPAN_SECONDS, USERS_TTL_SECONDS)
        size = client.zcard(COUNT_KEY)
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
        pipe.delete(*(USERS_PREFIX.encode() + m for m in rarest))
        pipe.execute()


def remove(text: str) -> bool:
    """Staff: stop suggesting ``text`` (normalised) for good; whether it was being suggested."""
    normal = normalised_query(text)
    client = positions.client()
    pipe = client.pipeline(transaction=True)
    pipe.zrem(LEX_KEY, normal)
    pipe.zrem(COUNT_KEY, normal)
    pipe.delete(USERS_PREFIX + normal)
    pipe.sadd(REMOVED_KEY, normal)
    return bool(pipe.execute()[0])


def shown() -> list[PopularQuery]:
    """Every query currently suggested to everyone, most searched first."""
    client = positions.client()
    members = client.zrange(LEX_KEY, 0, -1)
    if not members:
        return []
    counts = client.zmscore(COUNT_KEY, members)
    found = [PopularQuery(m.decode(), int(c or 0)) for m, c in zip(members, counts, strict=True)]
    return sorted(found, key=lambda p: (-p.count, p.text))


@timing.fetch
def starting_with(prefix: str, limit: int) -> list[PopularQuery]:
    """The most searched shown queries starting with ``prefix`` (normalised), most searched first."""
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
    found = [PopularQuery(m.decode(), int(c)) for m, c in zip(members, counts, strict=True) if c is not None]
    found.sort(key=lambda p: (-p.count, p.text))
    return found[:limit]
