"""``python -m bench.rebuild --runs N --output FILE``: build every projection from the event log, then rebuild each.

Runs in its own process (no open index writer, DuckDB file or connection is left behind for the stack
started afterwards) and writes one JSON document:

* ``initial`` — the first build of each projection by the normal drain (``workers.runtime.drain``);
* ``rebuilds`` — events per second of ``workers.runtime.rebuild(name)`` (replay from event 0 into a new
  generation, then switch), ``runs`` times per projection (0: the first build is the only replay measured);
* ``read`` — the baseline: reading the whole log in the projectors' batches without applying anything.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import orjson


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.rebuild")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--output", required=True, help="where to write the JSON figures")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workers.settings")
    import django

    django.setup()
    from workers import event_reader, runtime
    from workers.registry import projections

    head = event_reader.head_position()
    out: dict = {"events": head, "initial": {}, "rebuilds": {}, "read": []}
    for name in projections():
        started = time.perf_counter()
        runtime.drain(name)
        seconds = time.perf_counter() - started
        out["initial"][name] = {"seconds": seconds, "events_per_second": head / seconds if seconds else None}
    for run in range(max(args.runs, 1)):
        for name in projections() if run < args.runs else ():
            started = time.perf_counter()
            result = runtime.rebuild(name, grace=0)
            out["rebuilds"].setdefault(name, []).append(
                {"events_per_second": result.events_per_second, "seconds": time.perf_counter() - started})
        started = time.perf_counter()
        position, size = 0, runtime.batch_size()
        while batch := event_reader.events_after(position, limit=size):
            position = batch[-1].position
        seconds = time.perf_counter() - started
        out["read"].append({"events_per_second": head / seconds if seconds else None, "seconds": seconds})
    with open(args.output, "wb") as sink:
        sink.write(orjson.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
