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

from typing import Any

import orjson

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
