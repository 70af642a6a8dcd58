"""The one store every Redis read model uses: generations, batched idempotent writes, its own position.

A read model named ``<ns>`` keeps generation ``g`` under ``rm:<ns>:g<g>:`` and names the generation
readers use in ``rm:<ns>:active``. Every write is idempotent (SET, DEL, SADD, SREM, ZADD, ZREM, HSET,
HDEL), so replaying a batch changes nothing; a batch is written in one MULTI/EXEC.

**Its own position.** A batch written with :meth:`Batch.commit` after :meth:`Batch.through` also sets
``rm:<ns>:g<g>:@position`` to the last event position the batch covers, *in the same MULTI/EXEC* as
its data. Redis persists a transaction whole or not at all (the append-only file drops a truncated
one), so after any loss the stored position never claims data the store does not hold: a store whose
position is behind the projection's checkpoint in PostgreSQL lost writes, and the runtime replays it
from its own position (``workers.runtime.drain``).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

import orjson
import redis
from django.conf import settings

from read_models import timing


@functools.cache
def client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=5, socket_connect_timeout=2)


POSITION_KEY = "@position"  # not a document key: every document key names its kind first ("service:…")


class Batch:
    """Reads that see this batch's own pending writes; writes applied atomically by :meth:`commit`.

    The batch WATCHes the generation's position key from its start: should Redis lose that key meanwhile
    (a flush, a restart without it), the commit fails with ``redis.WatchError`` instead of writing a
    position over data the store no longer holds; the drain then fails once and the next one replays.
    """

    _DELETED = object()

    def __init__(self, prefix: str) -> None:
        self.p = prefix
        self._docs: dict[str, Any] = {}
        self._ops: list[tuple[str, tuple[Any, ...]]] = []
        self._pipe = client().pipeline(transaction=True)
        self._pipe.watch(prefix + POSITION_KEY)

    def get(self, key: str) -> Any:
        if key in self._docs:
            value = self._docs[key]
            return None if value is self._DELETED else value
        raw = client().get(self.p + key)
        return orjson.loads(raw) if raw else None

    def put(self, key: str, doc: Any) -> None:
        self._docs[key] = doc
        self._ops.append(("set", (self.p + key, orjson.dumps(doc))))

    def delete(self, key: str) -> None:
        self._docs[key] = self._DELETED
        self._ops.append(("delete", (self.p + key,)))

    def sadd(self, key: str, *members: str) -> None:
        if members:
            self._ops.append(("sadd", (self.p + key, *members)))

    def srem(self, key: str, *members: str) -> None:
        if members:
            self._ops.append(("srem", (self.p + key, *members)))

    def zadd(self, key: str, member: str, score: float) -> None:
        self._ops.append(("zadd", (self.p + key, {member: score})))

    def zrem(self, key: str, member: str) -> None:
        self._ops.append(("zrem", (self.p + key, member)))

    def hset(self, key: str, field: str, value: str) -> None:
        self._ops.append(("hset", (self.p + key, field, value)))

    def hdel(self, key: str, field: str) -> None:
        self._ops.append(("hdel", (self.p + key, field)))

    def through(self, position: int) -> None:
        """Record that, with this batch, the store holds every event up to ``position``."""
        self._ops.append(("set", (self.p + POSITION_KEY, position)))

    def commit(self) -> None:
        try:
            if self._ops:
                self._pipe.multi()
                for name, args in self._ops:
                    getattr(self._pipe, name)(*args)
                self._pipe.execute()
        finally:
            self.close()
        self._ops, self._docs = [], {}

    def close(self) -> None:
        """Give the watching connection back (a batch abandoned by an error is closed like this)."""
        self._pipe.reset()


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

    def applied_position(self, generation: int) -> int:
        """The last position this generation recorded with its data (0: none, e.g. Redis lost it)."""
        raw = client().get(self.prefix(generation) + POSITION_KEY)
        return int(raw) if raw else 0

    def snapshot(self, generation: int) -> dict[str, Any]:
        """Every document key of the generation with a canonical value (for verify and replay tests)."""
        p = self.prefix(generation)
        out: dict[str, Any] = {}
        for key in sorted(client().scan_iter(match=p + "*", count=1000)):
            name = key.decode()[len(p):]
            if name == POSITION_KEY:
                continue
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
    def members(self, generation: int, key: str) -> set[str]:
        return {m.decode() for m in client().smembers(self.prefix(generation) + key)}

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
