"""Projection build and rebuild rate (events per second) per projection, before the stack starts.

Runs ``python -m bench.rebuild`` in a child process: the first build of every projection by the normal
drain, then ``runs`` full rebuilds of each (``workers.runtime.rebuild``: replay from event 0 into a new
generation while the old one serves, then switch). Baseline: reading the whole event log in the same
batches without applying anything — the ceiling no projection can beat.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import orjson

from bench.scenarios.base import Context, Scenario, ScenarioResult
from infra.environment import PROJECT_ROOT


class ProjectionRebuildScenario(Scenario):
    name = "projection_rebuild"
    title = "Projection build and rebuild rate"
    endpoint = "python manage.py projections rebuild <name>"
    baseline = "reading the event log alone, in the projectors' batches"
    offline = True

    def run(self, ctx: Context) -> ScenarioResult:
        result = self.result()
        result.baseline_descriptions = {"event_log_read": self.baseline}
        runs = min(ctx.runs, ctx.scale.rebuild_runs)  # 0: the first build is the only replay measured
        with tempfile.TemporaryDirectory() as scratch:
            output = Path(scratch) / "rebuild.json"
            completed = subprocess.run([sys.executable, "-m", "bench.rebuild", "--runs", str(runs), "--output",
                                        str(output)], cwd=PROJECT_ROOT, capture_output=True, text=True)
            if completed.returncode != 0:
                result.status, result.note = "failed", completed.stderr[-2000:]
                return result
            figures = orjson.loads(output.read_bytes())
        result.extra = {
            "events": figures["events"], "runs": runs,
            "initial_events_per_second": {n: f["events_per_second"] for n, f in figures["initial"].items()},
            "initial_seconds": {n: f["seconds"] for n, f in figures["initial"].items()},
            "rebuild_events_per_second": {n: statistics.median(r["events_per_second"] for r in rs)
                                          for n, rs in figures["rebuilds"].items()},
            "rebuild_seconds": {n: statistics.median(r["seconds"] for r in rs)
                                for n, rs in figures["rebuilds"].items()},
            "read_events_per_second": statistics.median(r["events_per_second"] for r in figures["read"]),
        }
        return result
