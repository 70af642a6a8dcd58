"""Named dataset scales and the load each scenario applies at that scale."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    name: str
    # dataset
    practitioners: int
    services: int
    clients: int
    bookings: int
    streams: int
    heavy_future_bookings: int  # future bookings of the time-slot practitioner (issue 3: 500)
    history_days: int
    # load
    requests_per_run: int  # per scenario, per run (API and baseline each)
    concurrency: int  # concurrent clients
    runs: int  # measured runs per scenario; figures are medians over them
    rebuild_runs: int  # full rebuilds per projection (a rebuild replays every event)
    lag_writes_per_second: float
    lag_seconds: float
    contention_requests: int  # booking attempts per run, all for overlapping slots of a few practitioners
    # Longest a measured run may take (API or one baseline): a slow baseline at the large scale answers
    # fewer than ``requests_per_run`` requests, and its count says how many. None: no limit.
    run_seconds: float | None = None


SCALES: dict[str, Scale] = {
    "smoke": Scale("smoke", practitioners=24, services=120, clients=70, bookings=600, streams=20,
                   heavy_future_bookings=40, history_days=90, requests_per_run=20, concurrency=4, runs=5,
                   rebuild_runs=5, lag_writes_per_second=10, lag_seconds=1.0, contention_requests=16),
    "medium": Scale("medium", practitioners=2_000, services=20_000, clients=10_000, bookings=50_000, streams=2_000,
                    heavy_future_bookings=500, history_days=365, requests_per_run=200, concurrency=8, runs=5,
                    rebuild_runs=5, lag_writes_per_second=20, lag_seconds=10, contention_requests=80),
    # Issue 5's search bench: the catalogue at 100k services, 20k practitioners and 20k streams, with a
    # modest booking history (popularity, ratings) so that its load and builds take minutes, not an hour.
    "search": Scale("search", practitioners=20_000, services=100_000, clients=20_000, bookings=200_000,
                    streams=20_000, heavy_future_bookings=500, history_days=365, requests_per_run=1_000,
                    concurrency=16, runs=5, rebuild_runs=1, lag_writes_per_second=20, lag_seconds=20,
                    contention_requests=200, run_seconds=15),
    "large": Scale("large", practitioners=20_000, services=200_000, clients=100_000, bookings=5_000_000,
                   streams=20_000, heavy_future_bookings=500, history_days=730, requests_per_run=1_000,
                   concurrency=16, runs=5, rebuild_runs=0, lag_writes_per_second=20, lag_seconds=20,
                   contention_requests=200, run_seconds=15),
}
