"""What a scenario is: an endpoint, its request generator and its PostgreSQL baseline, measured in one run.

:class:`HttpVsSql` covers the common case: the API answers a stream of requests; each baseline answers
the same kind of question directly from PostgreSQL at request time, with the same concurrency. Both are
measured ``runs`` times, interleaved (API run 1, baselines run 1, API run 2…), after one warm-up pass;
the reported figures are medians over the runs. A scenario with an :attr:`HttpVsSql.orm` description is
also measured against ``django_orm`` (:mod:`bench.django_orm`): the same requests, over HTTP, answered by a
conventional Django + DRF app under the read API's gunicorn settings. An endpoint missing from the API's
OpenAPI schema is reported as not available (its baselines are still measured).
"""

from __future__ import annotations

import random
import statistics
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

import orjson

from bench.harness import HttpRequest, Job, drive_http, drive_sql
from bench.scales import Scale

FIGURES = ("p50_ms", "p95_ms", "p99_ms", "mean_ms", "throughput_rps")


@dataclass
class Context:
    scale: Scale
    manifest: dict[str, Any]
    database_url: str
    redis_url: str
    runs: int
    requests_per_run: int
    concurrency: int
    seed: int
    write_url: str = ""
    read_url: str = ""
    orm_url: str = ""  # the conventional Django + DRF baseline (bench.django_orm), when it runs
    _schemas: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    _tokens: dict[str, str] = field(default_factory=dict)

    @property
    def anchor(self) -> datetime:
        return datetime.fromisoformat(self.manifest["anchor"])

    def rng(self, name: str) -> random.Random:
        return random.Random(f"{self.seed}:{name}")

    def operations(self, api: str) -> dict[str, set[str]]:
        """``{path: {methods}}`` of an API, from its OpenAPI schema."""
        if api not in self._schemas:
            url = (self.read_url if api == "read" else self.write_url) + "/api/schema/?format=json"
            with urllib.request.urlopen(url, timeout=30) as response:
                schema = orjson.loads(response.read())
            self._schemas[api] = {path: {m.upper() for m in ops} for path, ops in schema.get("paths", {}).items()}
        return self._schemas[api]

    def has(self, api: str, method: str, path: str) -> bool:
        return method.upper() in self.operations(api).get(path, set())

    def token(self, user_id: str) -> str:
        """An access token for a generated user, minted with the APIs' signing key (logging in is not measured)."""
        if user_id not in self._tokens:
            # Models: bench.runner imports the scenarios before django.setup().
            from write_api.accounts.models import User  # noqa: PLC0415
            from write_api.accounts.tokens import token_pair_for  # noqa: PLC0415

            self._tokens[user_id] = token_pair_for(User.objects.get(id=user_id))["access"]
        return self._tokens[user_id]

    def bearer(self, user_id: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(user_id)}"}


@dataclass
class ScenarioResult:
    name: str
    title: str
    endpoint: str
    baseline: str
    status: str = "ok"  # ok | unavailable | failed
    note: str = ""
    api_runs: list[dict[str, Any]] = field(default_factory=list)
    baseline_runs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    baseline_descriptions: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items()}
        out["api"] = median_of(self.api_runs)
        out["baselines"] = {name: median_of(runs) for name, runs in self.baseline_runs.items()}
        out["ratios"] = {name: ratios(out["api"], b) for name, b in out["baselines"].items()}
        return out


def median_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Each figure's median over the runs; counts and errors summed."""
    if not runs:
        return {}
    out: dict[str, Any] = {"runs": len(runs), "count": sum(r["count"] for r in runs),
                           "errors": sum(r["errors"] for r in runs)}
    for figure in FIGURES:
        values = [r[figure] for r in runs if r.get(figure) is not None]
        out[figure] = statistics.median(values) if values else None
    return out


def ratios(api: dict[str, Any], baseline: dict[str, Any]) -> dict[str, float | None]:
    """``p50_speedup``: baseline p50 ÷ API p50 (above 1: the API is faster); likewise p95; throughput API ÷ baseline."""
    def divide(a: Any, b: Any) -> float | None:
        return a / b if a and b else None

    return {"p50_speedup": divide(baseline.get("p50_ms"), api.get("p50_ms")),
            "p95_speedup": divide(baseline.get("p95_ms"), api.get("p95_ms")),
            "throughput_ratio": divide(api.get("throughput_rps"), baseline.get("throughput_rps"))}


class Scenario:
    name: str  # a class attribute, or set per instance by scenarios built from parameters
    title: str
    endpoint: str  # "GET /api/v1/…" as in the OpenAPI schema
    baseline: ClassVar[str]  # what the PostgreSQL baseline computes
    api: ClassVar[str] = "read"
    offline: ClassVar[bool] = False  # runs before the stack starts (no HTTP)

    def result(self) -> ScenarioResult:
        return ScenarioResult(self.name, self.title, self.endpoint, self.baseline)

    def unavailable(self, ctx: Context) -> str | None:
        method, path = self.endpoint.split(" ", 1)
        if not ctx.has(self.api, method, path):
            return f"not available: {self.endpoint} is not in the {self.api} API's schema yet"
        return None

    def run(self, ctx: Context) -> ScenarioResult:
        raise NotImplementedError


ORM_BASELINE = "django_orm"

Baselines = dict[str, tuple[str, Callable[[random.Random], Iterator[Job]]]]
"""``{name: (description, jobs(rng))}``: a scenario's SQL baselines."""


class HttpVsSql(Scenario):
    """An API endpoint against one or more SQL baselines answering the same questions, and against the
    conventional Django app when :attr:`orm` describes how it answers them."""

    orm: ClassVar[str | None] = None

    def requests(self, ctx: Context, rng: random.Random) -> Iterator[HttpRequest]:
        raise NotImplementedError

    def baselines(self, ctx: Context) -> Baselines:
        """``{name: (description, jobs(rng))}``."""
        raise NotImplementedError

    def run(self, ctx: Context) -> ScenarioResult:
        result = self.result()
        missing = self.unavailable(ctx)
        if missing:
            result.status, result.note = "unavailable", missing
        baselines = self.baselines(ctx)
        result.baseline_descriptions = {name: description for name, (description, _) in baselines.items()}
        orm = self.orm is not None and bool(ctx.orm_url)
        if orm:
            result.baseline_descriptions = {ORM_BASELINE: f"{self.orm} (over HTTP, the read API's gunicorn "
                                                          "settings)", **result.baseline_descriptions}
        base = ctx.read_url if self.api == "read" else ctx.write_url
        n, c, budget = ctx.requests_per_run, ctx.concurrency, ctx.scale.run_seconds
        warm = max(c * 2, 8)
        if not missing:
            drive_http(base, self.requests(ctx, ctx.rng(f"{self.name}:warm")), total=warm, concurrency=c,
                       seconds=budget)
        if orm:
            drive_http(ctx.orm_url, self.requests(ctx, ctx.rng(f"{self.name}:orm:warm")), total=warm, concurrency=c,
                       seconds=budget)
        for name, (_, jobs) in baselines.items():
            drive_sql(ctx.database_url, jobs(ctx.rng(f"{self.name}:{name}:warm")), total=warm, concurrency=c,
                      seconds=budget)
        for run in range(ctx.runs):
            if not missing:
                measured = drive_http(base, self.requests(ctx, ctx.rng(f"{self.name}:{run}")), total=n, concurrency=c,
                                      seconds=budget)
                result.api_runs.append(measured.summary())
            if orm:
                measured = drive_http(ctx.orm_url, self.requests(ctx, ctx.rng(f"{self.name}:{run}")), total=n,
                                      concurrency=c, seconds=budget)
                result.baseline_runs.setdefault(ORM_BASELINE, []).append(measured.summary())
            for name, (_, jobs) in baselines.items():
                measured = drive_sql(ctx.database_url, jobs(ctx.rng(f"{self.name}:{name}:{run}")), total=n,
                                     concurrency=c, seconds=budget)
                result.baseline_runs.setdefault(name, []).append(measured.summary())
        return result


def forever(make: Callable[[], Any]) -> Iterator[Any]:
    while True:
        yield make()
