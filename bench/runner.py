"""``python -m bench``: load a scale, build the projections, start the stack, run every scenario, report.

Must run with the database and Redis available (``python -m infra.with_services -- python -m bench …``,
which ``make bench`` does). It owns its ``DATA_DIR``: project tables are emptied (reference data kept),
the Redis database is flushed, the warehouse's catalog database dropped and the search and warehouse
directories removed before loading.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import sys
import time
import traceback
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import django
import orjson
import redis
from django.core.management import call_command
from django.db import connection

from bench.django_orm import schema as orm_schema
from bench.machine import machine
from bench.report import render
from bench.scales import SCALES
from bench.scenarios import SCENARIOS
from bench.scenarios.base import Context, Scenario, ScenarioResult
from bench.stack import running_stack
from infra.environment import data_path, database_url, env, redis_url
from warehouse import lake

BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_SEED = 20261123


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--scale", choices=sorted(SCALES), default="smoke")
    parser.add_argument("--runs", type=int, help="measured runs per scenario (default: the scale's, at least 5)")
    parser.add_argument("--requests", type=int, help="requests per run and scenario (default: the scale's)")
    parser.add_argument("--concurrency", type=int, help="concurrent clients (default: the scale's)")
    parser.add_argument("--rebuild-runs", type=int, help="full rebuilds per projection (default: the scale's)")
    parser.add_argument("--run-seconds", type=float,
                        help="longest a measured run may take; fewer requests are counted (default: the scale's)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--anchor", type=date.fromisoformat, help="last day of the generated history (default: today)")
    parser.add_argument("--only", nargs="*",
                        help="scenario names to run, or their prefix (`analytics`: every analytics_*); default: all")
    parser.add_argument("--reuse", action="store_true",
                        help="keep the dataset and projections DATA_DIR holds from an earlier run of this scale: skip "
                             "loading and the offline scenarios, merge the new figures into the scale's results")
    parser.add_argument("--keep-dataset", action="store_true",
                        help="use the dataset DATA_DIR holds (e.g. from a run stopped after loading): build every "
                             "projection from event 0 and run the scenarios, offline ones included")
    parser.add_argument("--merge", action="store_true",
                        help="merge the new figures into the scale's earlier results (scenarios not run keep theirs), "
                             "e.g. `--keep-dataset --merge --only projection_rebuild` after a projection got faster")
    parser.add_argument("--results-dir", type=Path, default=BENCH_DIR / "results")
    parser.add_argument("--report", type=Path, default=BENCH_DIR / "RESULTS.md")
    parser.add_argument("--charts-dir", type=Path, default=BENCH_DIR / "charts")
    args = parser.parse_args(argv)
    if args.merge and not args.keep_dataset:
        parser.error("--merge re-measures on the dataset an earlier run loaded: use it with --keep-dataset "
                     "(--reuse merges by itself)")
    return args


def _reset_read_side(redis_url: str, data_dir: Path) -> None:
    redis.Redis.from_url(redis_url).flushdb()
    lake.drop_catalog()
    for name in ("search", "warehouse"):
        shutil.rmtree(data_dir / name, ignore_errors=True)


def _say(message: str) -> None:
    print(f"[bench {datetime.now():%H:%M:%S}] {message}", flush=True)


def main(argv: list[str]) -> int:
    args = _arguments(argv)
    if not os.environ.get("DATA_DIR"):
        print("python -m bench empties its database: set DATA_DIR to a directory of its own "
              "(make bench uses var/bench)", file=sys.stderr)
        return 2
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workers.settings")
    django.setup()
    # These import models, which need the app registry that setup() fills (and settings need DATA_DIR).
    from bench.dataset import Manifest  # noqa: PLC0415 - after django.setup()
    from bench.load import load_dataset  # noqa: PLC0415 - after django.setup()
    from workers.registry import projections  # noqa: PLC0415 - after django.setup()

    scale = SCALES[args.scale]
    if args.rebuild_runs is not None:
        scale = dataclasses.replace(scale, rebuild_runs=args.rebuild_runs)
    if args.run_seconds:
        scale = dataclasses.replace(scale, run_seconds=args.run_seconds)
    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    data_dir = data_path()
    host = machine(database_url(), redis_url())
    manifest_file = data_dir / "bench-manifest.json"
    previous = _previous(args.results_dir / f"{scale.name}.json") if args.reuse or args.merge else None
    if args.reuse:
        manifest, _ = _saved_manifest(manifest_file, Manifest)
        if manifest is None or manifest.scale != scale.name or previous is None:
            raise SystemExit(f"--reuse needs this scale's earlier results and the dataset in {data_dir}")
        anchor, load_seconds = date.fromisoformat(previous["anchor"]), previous["dataset"]["load_seconds"]
        _say(f"reusing the {scale.name} dataset in {data_dir} ({manifest.events} events)")
    elif args.keep_dataset:
        manifest, load_seconds = _saved_manifest(manifest_file, Manifest)
        if manifest is None or manifest.scale != scale.name:
            raise SystemExit(f"--keep-dataset needs a {scale.name} dataset loaded in {data_dir}")
        anchor = datetime.fromisoformat(manifest.anchor).date()
        _reset_read_side(redis_url(), data_dir)
        with connection.cursor() as cursor:  # projections start from event 0 again
            cursor.execute("TRUNCATE projection_state")
        _say(f"keeping the {scale.name} dataset in {data_dir} ({manifest.events} events); projections from zero")
    else:
        _reset_read_side(redis_url(), data_dir)
        manifest_file.unlink(missing_ok=True)
        anchor = args.anchor or datetime.now(UTC).date()
        _say(f"loading scale {scale.name} (seed {args.seed}, anchor {anchor})")
        manifest, load_seconds = load_dataset(database_url(), scale, seed=args.seed, anchor=anchor)
        manifest_file.write_bytes(orjson.dumps({**manifest.to_dict(), "load_seconds": load_seconds}))
        _say(f"loaded {manifest.events} events and {sum(manifest.rows.values()) - manifest.events} rows "
             f"in {load_seconds:.1f}s")
    ctx = Context(scale=scale, manifest=manifest.to_dict(), database_url=database_url(), redis_url=redis_url(),
                  runs=args.runs or scale.runs, requests_per_run=args.requests or scale.requests_per_run,
                  concurrency=args.concurrency or scale.concurrency, seed=args.seed)
    selected = [s for s in SCENARIOS if not args.only or any(s.name == o or s.name.startswith(f"{o}_")
                                                             for o in args.only)]
    results: list = []
    path = args.results_dir / f"{scale.name}.json"

    def save() -> dict:
        """Write the figures so far (a run stopped half-way keeps the scenarios it finished) and the report."""
        document = {
            "scale": dataclasses.asdict(scale), "seed": args.seed, "anchor": anchor.isoformat(),
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"), "machine": host,
            "runs": ctx.runs, "requests_per_run": ctx.requests_per_run, "concurrency": ctx.concurrency,
            "projections": sorted(projections()) if env("PROJECTIONS") else None, "only": args.only or [],
            "dataset": {"events": manifest.events, "rows": manifest.rows, "load_seconds": load_seconds,
                        "slots_future_bookings": manifest.slots_future_bookings,
                        "heavy_practitioner_bookings": manifest.heavy_practitioner_bookings},
            "scenarios": [r.to_dict() for r in results],
            "seconds": time.perf_counter() - started,
        }
        if previous is not None:
            fresh = {s["name"] for s in document["scenarios"]}
            order = [s.name for s in SCENARIOS]
            document["scenarios"] = sorted(
                [s for s in previous["scenarios"] if s["name"] not in fresh] + document["scenarios"],
                key=lambda s: order.index(s["name"]) if s["name"] in order else len(order))
            document["seconds"] += previous["seconds"]
            document["reused_at"] = document["measured_at"]
            document["remeasured"] = sorted(fresh | set(previous.get("remeasured", [])))
            earlier = previous.get("only") or []
            document["only"] = sorted(set(earlier) | set(document["only"])) if earlier and document["only"] else []
            document["measured_at"] = previous["measured_at"]
            document["machine"], document["dataset"] = previous["machine"], previous["dataset"]
        args.results_dir.mkdir(parents=True, exist_ok=True)
        path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2))
        render(args.results_dir, args.report, args.charts_dir)
        return document

    for scenario in [s for s in selected if s.offline and not args.reuse]:
        results.append(_run(scenario, ctx))
        save()
    online = [s for s in selected if not s.offline]
    if online:
        orm = any(getattr(s, "orm", None) for s in online)
        if orm:
            prepared = time.perf_counter()
            host["pg_trgm"] = orm_schema.prepare(database_url())
            _say(f"django_orm baseline: search vectors and indexes ready in {time.perf_counter() - prepared:.1f}s "
                 f"(pg_trgm {'used' if host['pg_trgm'] else 'not available'})")
        with running_stack(database_url=database_url(), redis_url=redis_url(), data_dir=data_dir,
                           log=data_dir / "bench-stack.log", orm=orm) as stack:
            ctx.write_url, ctx.read_url, ctx.orm_url = stack.write_url, stack.read_url, stack.orm_url
            _say(f"stack up: write {stack.write_url}, read {stack.read_url}"
                 + (f", django_orm {stack.orm_url}" if orm else ""))
            for scenario in online:
                results.append(_run(scenario, ctx))
                save()
    document = save()
    _say(f"results: {path}; report: {args.report} ({document['seconds']:.0f}s in all)")
    failed = [r.name for r in results if r.status == "failed"]
    return 1 if failed else 0


def _saved_manifest(path: Path, manifest_type: type) -> tuple[Any, float | None]:
    """The manifest a load wrote next to its dataset (None when there is none) and the load's seconds."""
    if not path.exists():
        return None, None
    saved = orjson.loads(path.read_bytes())
    load_seconds = saved.pop("load_seconds", None)
    return manifest_type(**saved), load_seconds


def _previous(path: Path) -> dict | None:
    return orjson.loads(path.read_bytes()) if path.exists() else None


def _run(scenario: Scenario, ctx: Context) -> ScenarioResult:
    started = time.perf_counter()
    try:
        result = scenario.run(ctx)
    except Exception:  # noqa: BLE001 - one broken scenario must not hide the others' figures
        result = scenario.result()
        result.status, result.note = "failed", traceback.format_exc()[-3000:]
    line = f"{scenario.name}: {result.status}"
    if result.status != "ok":
        line += f" — {result.note.strip().splitlines()[-1] if result.note else ''}"
    _say(f"{line} ({time.perf_counter() - started:.1f}s)")
    return result


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
