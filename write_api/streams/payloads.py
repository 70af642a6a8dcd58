"""The shapes of the streams' answers on the write API (see :mod:`api_conventions.payloads`); a stream itself
is :class:`api_conventions.shared_payloads.StreamPayload`, the same on both APIs."""

from __future__ import annotations

from typing import TypedDict

from api_conventions.payloads import example
from api_conventions.shared_payloads import StreamPayload

__all__ = ["LikePayload", "SavePayload", "StreamPayload"]


class LikePayload(TypedDict):
    liked: bool
    like_count: int


class SavePayload(TypedDict):
    saved: bool
    save_count: int


example(LikePayload, {"liked": True, "like_count": 13})
example(SavePayload, {"saved": True, "save_count": 5})
