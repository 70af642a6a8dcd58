"""Generational Redis read models for reviews and streams: key layout, batched idempotent writes, reads.

A read model named ``<ns>`` keeps generation ``g`` under ``rm:<ns>:g<g>:`` and names the generation
readers use in ``rm:<ns>:active``. Every write is idempotent (SET, DEL, SADD, SREM, ZADD, ZREM), so
replaying a batch changes nothing; a batch is written in one MULTI/EXEC.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from read_models import timing
from read_models.redis_batch import Batch, client


class GenerationStore:
    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        self.active_key = f"rm:{namespace}:active"

    def prefix(self, generation: int) -> str:
        return f"rm:{self.namespace}:g{generation}:"

    # --- generations ---------------------------------------------------------------------------------
    @timing.fetch
    def active_generation(self) -> int | None:
        raw = client().get(self.active_key)
        return int(raw) if raw else None

    def activate(self, generation: int) -> None:
        client().set(self.active_key, generation)

    def discard(self, generation: int) -> None:
        keys = list(client().scan_iter(match=self.prefix(generation) + "*", count=1000))
        for i in range(0, len(keys), 500):
            client().delete(*keys[i:i + 500])

    def snapshot(self, generation: int) -> dict[str, Any]:
        """Every key of the generation with a canonical value (for verify and replay tests)."""
        p = self.prefix(generation)
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
        return {k: v for k, v in out.items() if v not in ([], {})}

    def batch(self, generation: int) -> Batch:
        return Batch(self.prefix(generation))

    # --- reads (read API) ----------------------------------------------------------------------------
    @timing.fetch
    def doc(self, generation: int, key: str) -> Any:
        raw = client().get(self.prefix(generation) + key)
        return orjson.loads(raw) if raw else None

    @timing.fetch
    def docs(self, generation: int, keys: Iterable[str]) -> list[Any]:
        keys = list(keys)
        if not keys:
            return []
        raws = client().mget([self.prefix(generation) + k for k in keys])
        return [orjson.loads(r) if r else None for r in raws]

    @timing.fetch
    def is_member(self, generation: int, key: str, members: list[str]) -> list[bool]:
        if not members:
            return []
        return [bool(x) for x in client().smismember(self.prefix(generation) + key, members)]

    @timing.fetch
    def newest_first(self, generation: int, keys: list[str], offset: int, limit: int) -> tuple[list[str], int]:
        """A page of members of the intersection of sorted sets ``keys`` (highest score first), and the total."""
        p = self.prefix(generation)
        if len(keys) == 1:
            pipe = client().pipeline(transaction=False)
            pipe.zcard(p + keys[0])
            pipe.zrevrange(p + keys[0], offset, offset + limit - 1)
            total, members = pipe.execute()
            return [m.decode() for m in members], int(total)
        scored = client().zinter([p + k for k in keys], withscores=True, aggregate="MAX")
        ordered = sorted(scored, key=lambda ms: (-ms[1], ms[0]))
        return [m.decode() for m, _ in ordered[offset:offset + limit]], len(ordered)
