"""The catalogue read model in Redis: key layout, generations, and batched idempotent writes.

Keys of generation ``g`` (all under ``rm:catalogue:g<g>:``):

* ``service:<id>`` / ``practitioner:<id>`` — JSON documents (event-carried state);
* ``practitioner:<id>:services`` — set of service ids;
* ``service:<id>:containers`` — set of package/bundle ids containing the service;
* ``service:<id>:sessions`` — sorted set of session ids by start (epoch seconds);
* ``session:<id>`` — JSON; ``session:<id>:seats`` — set of booking ids holding a seat;
* ``busy:<practitioner id>`` — sorted set ``<kind>:<id>`` by start, ``busyiv:<practitioner id>`` — hash of
  ``<kind>:<id>`` → ``start|end`` (epoch seconds): confirmed 1:1 bookings and scheduled group sessions;
* ``blocks:<practitioner id>`` / ``blockiv:<practitioner id>`` — the same for schedule blocks.

Every write is idempotent (SET, SADD, SREM, ZADD, HSET, DEL), so replaying a batch changes nothing.
A batch is written in one MULTI/EXEC, and ``rm:catalogue:active`` names the generation readers use.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from read_models import redis_batch, timing
from read_models.redis_batch import client

ACTIVE_KEY = "rm:catalogue:active"
LONGEST_BUSY_SECONDS = 24 * 3600  # no booking or session lasts longer; bounds interval look-ups


def prefix(generation: int) -> str:
    return f"rm:catalogue:g{generation}:"


@timing.fetch
def active_generation() -> int | None:
    raw = client().get(ACTIVE_KEY)
    return int(raw) if raw else None


class Batch(redis_batch.Batch):
    """A batch of generation ``generation``, plus the interval tables of busy time and blocks."""

    def __init__(self, generation: int) -> None:
        super().__init__(prefix(generation))

    def interval(self, kind_key: str, member: str, start: float, end: float) -> None:
        owner = kind_key.split(":", 1)[1]
        table = ("busyiv:" if kind_key.startswith("busy:") else "blockiv:") + owner
        self._ops.append(("zadd", (self.p + kind_key, {member: start})))
        self._ops.append(("hset", (self.p + table, member, f"{start}|{end}")))

    def drop_interval(self, kind_key: str, member: str) -> None:
        owner = kind_key.split(":", 1)[1]
        table = ("busyiv:" if kind_key.startswith("busy:") else "blockiv:") + owner
        self._ops.append(("zrem", (self.p + kind_key, member)))
        self._ops.append(("hdel", (self.p + table, member)))


# --- reads (read API) -------------------------------------------------------------------------------


@timing.fetch
def read_doc(generation: int, key: str) -> Any:
    raw = client().get(prefix(generation) + key)
    return orjson.loads(raw) if raw else None


@timing.fetch
def read_docs(generation: int, keys: Iterable[str]) -> list[Any]:
    keys = list(keys)
    if not keys:
        return []
    raws = client().mget([prefix(generation) + k for k in keys])
    return [orjson.loads(r) if r else None for r in raws]


@timing.fetch
def read_members(generation: int, key: str) -> set[str]:
    return {m.decode() for m in client().smembers(prefix(generation) + key)}


@timing.fetch
def read_intervals(generation: int, kind: str, owner: str, start: float, end: float) -> list[tuple[float, float]]:
    """Intervals of ``kind`` (``busy`` or ``blocks``) overlapping [start, end)."""
    p = prefix(generation)
    table = ("busyiv:" if kind == "busy" else "blockiv:") + owner
    longest = LONGEST_BUSY_SECONDS if kind == "busy" else 10 * 365 * 86400
    members = client().zrangebyscore(p + f"{kind}:{owner}", start - longest, f"({end}")
    if not members:
        return []
    out = []
    for raw in client().hmget(p + table, members):
        if raw:
            s, e = (float(x) for x in raw.decode().split("|"))
            if s < end and e > start:
                out.append((s, e))
    return sorted(out)


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


# --- generations -----------------------------------------------------------------------------------


def activate(generation: int) -> None:
    client().set(ACTIVE_KEY, generation)


def discard(generation: int) -> None:
    keys = list(client().scan_iter(match=prefix(generation) + "*", count=1000))
    for i in range(0, len(keys), 500):
        client().delete(*keys[i:i + 500])


def snapshot(generation: int) -> dict[str, Any]:
    """Every key of the generation with a canonical value (for verify and replay tests)."""
    p = prefix(generation)
    out: dict[str, Any] = {}
    for key in sorted(client().scan_iter(match=p + "*", count=1000)):
        name = key.decode()[len(p):]
        kind = client().type(key).decode()
        if kind == "string":
            out[name] = orjson.loads(client().get(key))
        elif kind == "set":
            out[name] = sorted(m.decode() for m in client().smembers(key))
        elif kind == "zset":
            out[name] = [(m.decode(), s) for m, s in client().zrange(key, 0, -1, withscores=True)]
        elif kind == "hash":
            out[name] = {k.decode(): v.decode() for k, v in sorted(client().hgetall(key).items())}
    return {k: v for k, v in out.items() if v not in ([], {})}
