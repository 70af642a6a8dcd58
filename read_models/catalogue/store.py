"""The catalogue read model's key layout, over the shared :class:`~read_models.generation_store.GenerationStore`.

Keys of generation ``g`` (all under ``rm:catalogue:g<g>:``):

* ``service:<id>`` / ``practitioner:<id>`` — JSON documents (event-carried state);
* ``practitioner:<id>:services`` — set of service ids;
* ``service:<id>:containers`` — set of package/bundle ids containing the service;
* ``service:<id>:sessions`` — sorted set of session ids by start (epoch seconds);
* ``session:<id>`` — JSON; ``session:<id>:seats`` — set of booking ids holding a seat;
* ``busy:<practitioner id>`` — sorted set ``<kind>:<id>`` by start, ``busyiv:<practitioner id>`` — hash of
  ``<kind>:<id>`` → ``start|end`` (epoch seconds): confirmed 1:1 bookings and scheduled group sessions;
* ``blocks:<practitioner id>`` / ``blockiv:<practitioner id>`` — the same for schedule blocks.
"""

from __future__ import annotations

import functools
from typing import Any

import orjson
import redis
from redis.commands.core import Script

from read_models import generation_store, timing
from read_models.generation_store import GenerationStore, client

STORE = GenerationStore("catalogue")
LONGEST_BUSY_SECONDS = 24 * 3600  # no booking or session lasts longer; bounds interval look-ups

prefix = STORE.prefix
active_generation = STORE.active_generation
read_doc = STORE.doc
read_docs = STORE.docs
read_members = STORE.members


def _table(kind_key: str) -> str:
    owner = kind_key.split(":", 1)[1]
    return ("busyiv:" if kind_key.startswith("busy:") else "blockiv:") + owner


class Batch(generation_store.Batch):
    """A catalogue batch: the store's writes plus the interval tables of busy time and blocks."""

    def interval(self, kind_key: str, member: str, start: float, end: float) -> None:
        self.zadd(kind_key, member, start)
        self.hset(_table(kind_key), member, f"{start}|{end}")

    def drop_interval(self, kind_key: str, member: str) -> None:
        self.zrem(kind_key, member)
        self.hdel(_table(kind_key), member)


# KEYS: for busy time then blocks, the sorted set by start and the interval table; ARGV: the lowest start
# of each (the range's start minus the longest interval), then the range's end (exclusive). Returns the
# ``start|end`` values of each, joined by commas (one string to parse, not one reply per interval), in one
# round trip. A table of up to 512 entries is a ziplist (a listpack
# from Redis 7), where HMGET scans the table once per field it asks for (31 days of a practitioner with
# 500 future bookings: 500 × 500 comparisons, ~1.3 ms of Redis time), so for more than a few fields such
# a table is read whole and matched here.
_CALENDAR = """
local out = {}
for kind = 0, 1 do
  local zset, ivs = KEYS[2 * kind + 1], KEYS[2 * kind + 2]
  local members = redis.call('ZRANGEBYSCORE', zset, ARGV[kind + 1], '(' .. ARGV[3])
  local found = {}
  if #members > 0 then
    if #members > 16 and redis.call('HLEN', ivs) <= 512 then
      local wanted = {}
      for _, member in ipairs(members) do wanted[member] = true end
      local all = redis.call('HGETALL', ivs)
      for i = 1, #all, 2 do
        if wanted[all[i]] then found[#found + 1] = all[i + 1] end
      end
    else
      for first = 1, #members, 1000 do
        local chunk = redis.call('HMGET', ivs, unpack(members, first, math.min(first + 999, #members)))
        for _, value in ipairs(chunk) do
          if value then found[#found + 1] = value end
        end
      end
    end
  end
  out[kind + 1] = table.concat(found, ',')
end
return out
"""
_BLOCKS_LONGEST_SECONDS = 10 * 365 * 86400


@functools.cache
def _calendar_script(_client: redis.Redis) -> Script:
    return _client.register_script(_CALENDAR)


def _overlapping(joined: bytes, start: float, end: float) -> list[tuple[float, float]]:
    out = []
    for raw in joined.decode().split(",") if joined else ():
        s, _, e = raw.partition("|")
        interval = (float(s), float(e))
        if interval[0] < end and interval[1] > start:
            out.append(interval)
    return sorted(out)


@timing.fetch
def read_calendar(generation: int, owner: str, start: float,
                  end: float) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """A practitioner's busy intervals and blocks overlapping [start, end), sorted, in one round trip."""
    p = prefix(generation)
    keys = [p + f"busy:{owner}", p + f"busyiv:{owner}", p + f"blocks:{owner}", p + f"blockiv:{owner}"]
    busy, blocks = _calendar_script(client())(
        keys=keys, args=[repr(start - LONGEST_BUSY_SECONDS), repr(start - _BLOCKS_LONGEST_SECONDS), repr(end)])
    return _overlapping(busy, start, end), _overlapping(blocks, start, end)


@timing.fetch
def read_sessions(generation: int, service_id: str, start: float, end: float) -> list[dict[str, Any]]:
    p = prefix(generation)
    ids = [m.decode() for m in client().zrangebyscore(p + f"service:{service_id}:sessions", start, f"({end}")]
    if not ids:
        return []
    pipe = client().pipeline(transaction=False)
    for session_id in ids:
        pipe.get(p + f"session:{session_id}")
        pipe.scard(p + f"session:{session_id}:seats")
    raw = pipe.execute()
    out = []
    for i in range(0, len(raw), 2):
        if raw[i]:
            doc = orjson.loads(raw[i])
            doc["seats_taken"] = int(raw[i + 1])
            out.append(doc)
    return out
