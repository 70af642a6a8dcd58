"""``Server-Timing`` of read responses: how long a request spent fetching from read models, computing, rendering.

A request's clock starts when its view is dispatched. Code that reads a read model (Redis, the search
engine, a published position) runs inside :func:`fetching`, which adds its duration to the request's
``fetch`` total; ``compute`` is the rest of the view's time until the response is finalised (parsing,
the framework's checks, assembling the answer, e.g. the availability kernel), and ``render`` is encoding
the body. Outside a request (projectors, tests calling store functions) :func:`fetching` costs one
context-variable lookup.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


@dataclass
class RequestClock:
    started: float
    fetch: float = 0.0


_clock: contextvars.ContextVar[RequestClock | None] = contextvars.ContextVar("read_request_clock", default=None)


def start() -> contextvars.Token:
    return _clock.set(RequestClock(time.perf_counter()))


def stop(token: contextvars.Token) -> None:
    _clock.reset(token)


@contextlib.contextmanager
def fetching() -> Iterator[None]:
    """Count the enclosed time as read-model fetch time of the current request."""
    clock = _clock.get()
    if clock is None:
        yield
        return
    began = time.perf_counter()
    try:
        yield
    finally:
        clock.fetch += time.perf_counter() - began


def fetch(function: Callable[P, R]) -> Callable[P, R]:
    """Decorator form of :func:`fetching`."""

    @functools.wraps(function)
    def timed(*args: P.args, **kwargs: P.kwargs) -> R:
        with fetching():
            return function(*args, **kwargs)

    return timed


def current() -> RequestClock | None:
    return _clock.get()


def header(clock: RequestClock, answered: float, rendered: float) -> str:
    """The ``Server-Timing`` value (milliseconds) of a request whose view answered at ``answered`` and whose
    body was rendered by ``rendered`` (``time.perf_counter`` values)."""
    compute = max(answered - clock.started - clock.fetch, 0.0)
    return (f"fetch;dur={clock.fetch * 1000:.2f};desc=\"read model\", compute;dur={compute * 1000:.2f}, "
            f"render;dur={max(rendered - answered, 0.0) * 1000:.2f}")
