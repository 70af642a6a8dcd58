"""The position protocol in Redis, shared by whoever writes and reads it.

* ``eventlog:head`` — the newest committed event position (the write side's dispatch raises it after each
  commit; the projectors republish the head they drained to);
* ``projection:<name>`` — a hash ``{generation, position, updated_at}`` per projection (the runtime in
  ``workers`` publishes it after each batch; the read API's ``X-Min-Position`` waits on it).
"""

from __future__ import annotations

HEAD_KEY = "eventlog:head"
PROJECTION_KEY_PATTERN = "projection:*"
"""Matches every projection's position key (for ``SCAN``)."""

_PROJECTION_PREFIX = "projection:"


def projection_key(name: str) -> str:
    """The hash holding projection ``name``'s published generation and position."""
    return f"{_PROJECTION_PREFIX}{name}"


def projection_name(key: bytes | str) -> str:
    """The projection a key matching :data:`PROJECTION_KEY_PATTERN` belongs to."""
    text = key.decode() if isinstance(key, bytes) else key
    return text.removeprefix(_PROJECTION_PREFIX)
