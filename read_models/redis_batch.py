"""The Redis client of the read models and the batch every Redis projection writes through.

A :class:`Batch` reads through its own pending writes and applies them in one MULTI/EXEC, so a
projection's batch is atomic, and it only issues idempotent commands, so replaying it changes nothing.
"""

from __future__ import annotations

from typing import Any

import orjson
import redis

from infra.redis_client import redis_client

_DELETED = object()


def client() -> redis.Redis:
    return redis_client(timeout=5)


class Batch:
    """Reads that see this batch's own pending writes; writes applied atomically by :meth:`commit`."""

    def __init__(self, prefix: str) -> None:
        self.p = prefix
        self._docs: dict[str, Any] = {}
        self._ops: list[tuple[str, tuple[Any, ...]]] = []

    def get(self, key: str) -> Any:
        if key in self._docs:
            value = self._docs[key]
            return None if value is _DELETED else value
        raw = client().get(self.p + key)
        return orjson.loads(raw) if raw else None

    def put(self, key: str, doc: Any) -> None:
        self._docs[key] = doc
        self._ops.append(("set", (self.p + key, orjson.dumps(doc))))

    def delete(self, key: str) -> None:
        self._docs[key] = _DELETED
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

    def commit(self) -> None:
        if not self._ops:
            return
        pipe = client().pipeline(transaction=True)
        for name, args in self._ops:
            getattr(pipe, name)(*args)
        pipe.execute()
        self._ops, self._docs = [], {}
