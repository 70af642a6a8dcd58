"""Prometheus metrics: request latency per route, plus scrape-time collectors an API registers.

Under gunicorn every worker is a separate process. With ``PROMETHEUS_MULTIPROC_DIR`` set (``make
run`` sets it), prometheus_client keeps each process's samples in files there and ``/metrics``
aggregates all of them through a ``MultiProcessCollector``; scrape-time collectors (projection lag
read from Redis) are added to that registry, so every worker answers with the same figures.
"""

from __future__ import annotations

import hmac
import ipaddress
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from api_conventions.health import read_only
from api_conventions.middleware import envelope_response
from infra.environment import env

REQUEST_LATENCY = Histogram(
    "http_request_duration_seconds",
    "Latency of HTTP requests by API, method, route and status.",
    ["api", "method", "route", "status"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_scrape_collectors: list[Collector] = []


def register_scrape_collector(collector: Collector) -> None:
    """A collector computed at scrape time (not per process); registered once per process."""
    _scrape_collectors.append(collector)
    REGISTRY.register(collector)


def scrape_registry() -> CollectorRegistry:
    directory = env("PROMETHEUS_MULTIPROC_DIR")
    if not directory:
        return REGISTRY
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=directory)
    for collector in _scrape_collectors:
        registry.register(collector)
    return registry


class MetricsMiddleware:
    api_name = "api"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        route = match.route if match is not None and match.route else "unmatched"
        method = request.method if request.method in _METHODS else "other"  # bounded label values
        REQUEST_LATENCY.labels(self.api_name, method, route, str(response.status_code)).observe(
            time.perf_counter() - started
        )
        return response


def scrape_allowed(request: HttpRequest) -> bool:
    """``/metrics`` answers a scraper on this machine (loopback), or one sending ``Authorization: Bearer
    <METRICS_TOKEN>`` when that is set; nobody else (figures about traffic and lag are not public)."""
    token = env("METRICS_TOKEN")
    if token:
        sent = request.headers.get("Authorization", "")
        if hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
            return True
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


@read_only
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not scrape_allowed(request):
        return envelope_response(403, "permission_denied", "Metrics are served to this machine or with "
                                 "`Authorization: Bearer <METRICS_TOKEN>` only.")
    return HttpResponse(generate_latest(scrape_registry()), content_type=CONTENT_TYPE_LATEST)
