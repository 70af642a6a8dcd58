"""``python -m bench.rebuild --runs N --output FILE``: build every projection from the event log, then rebuild each.

Runs in its own process (no open index writer, lake attachment or connection is left behind for the stack
started afterwards) and writes one JSON document:

* ``initial`` — the first build of each projection by the normal drain (``workers.runtime.drain``), all
  projections at once in a process each (as a deployment's workers build them);
* ``rebuilds`` — events per second of ``workers.runtime.rebuild(name)`` (replay from event 0 into a new
  generation, then switch), ``runs`` times per projection (0: the first build is the only replay measured);
* ``read`` — the baseline: reading the whole log in the projectors' batches without applying anything.
"""

from __future__ import annotations

import argparse
import dataclasses
import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor

import django
import orjson
from django.db import connections

from warehouse import lake, maintenance
from workers import event_reader


def _first_build(name: str) -> tuple[str, float]:
    """In a child process of its own: drain ``name`` from its checkpoint (0 after a load) to the head."""
    django.setup()
    from workers import runtime  # noqa: PLC0415 - imports models: after django.setup()

    started = time.perf_counter()
    runtime.drain(name)
    return name, time.perf_counter() - started


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.rebuild")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--output", required=True, help="where to write the JSON figures")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workers.settings")
    django.setup()
    from workers import runtime  # noqa: PLC0415 - imports models: after django.setup()
    from workers.registry import projections  # noqa: PLC0415 - imports models: after django.setup()

    head = event_reader.head_position()
    out: dict = {"events": head, "initial": {}, "rebuilds": {}, "read": []}
    # First builds run concurrently, one process per projection, as the deployment's workers would (the
    # warehouse has a worker of its own): the wall time of the whole build is what an operator waits for.
    connections.close_all()
    names = list(projections())
    with ProcessPoolExecutor(max_workers=len(names), mp_context=multiprocessing.get_context("spawn")) as pool:
        for name, seconds in pool.map(_first_build, names):
            out["initial"][name] = {"seconds": seconds, "events_per_second": head / seconds if seconds else None}
    for _ in range(args.runs):
        for name in projections():
            started = time.perf_counter()
            result = runtime.rebuild(name, grace=0)
            out["rebuilds"].setdefault(name, []).append(
                {"events_per_second": result.events_per_second, "seconds": time.perf_counter() - started})
    for _ in range(max(args.runs, 1)):  # the read baseline is measured even when no rebuild is
        started = time.perf_counter()
        position, size = 0, runtime.batch_size()
        while batch := event_reader.events_after(position, limit=size):
            position = batch[-1].position
        seconds = time.perf_counter() - started
        out["read"].append({"events_per_second": head / seconds if seconds else None, "seconds": seconds})
    if "warehouse" in projections():
        # The stack's maintenance job would compact the lake within WAREHOUSE_MAINTENANCE_SECONDS of a build;
        # the scenarios measure the lake as it leaves it, not the batches' files of the last replay.
        out["warehouse_compaction"] = dataclasses.asdict(maintenance.compact())
        lake.close_all()
    with open(args.output, "wb") as sink:
        sink.write(orjson.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
