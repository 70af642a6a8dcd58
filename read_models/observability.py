"""Read-API metrics: request latency (shared middleware) and projection lag from Redis."""

from __future__ import annotations

import time
from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily

from api_conventions.metrics import MetricsMiddleware, register_scrape_collector
from read_models import positions


class ReadMetricsMiddleware(MetricsMiddleware):
    api_name = "read"


class ProjectionLagCollector:
    """Reads positions at scrape time, so every API process reports the same figures."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        events = GaugeMetricFamily("projection_lag_events", "Events committed but not yet applied.",
                                   labels=["projection"])
        seconds = GaugeMetricFamily("projection_seconds_since_update",
                                    "Seconds since the projection last published its position.",
                                    labels=["projection"])
        try:
            head = positions.head()
            for name, state in positions.all_projections().items():
                events.add_metric([name], max(head - state.position, 0))
                seconds.add_metric([name], max(time.time() - state.updated_at, 0.0))
        except Exception:  # noqa: BLE001 - a scrape must not fail because Redis blinked
            pass
        yield events
        yield seconds


register_scrape_collector(ProjectionLagCollector())
