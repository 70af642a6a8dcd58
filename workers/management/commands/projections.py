"""``python manage.py projections status | rebuild <name|all> | verify <name|all> | drain``."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from workers import registry, runtime


class Command(BaseCommand):
    help = "Inspect, rebuild and verify projections."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("status", help="position, lag and health of every projection")
        rebuild = sub.add_parser("rebuild", help="rebuild from event 0 into a new generation, then switch")
        rebuild.add_argument("name", help="a projection name or 'all'")
        verify = sub.add_parser("verify", help="compare the live projection with a fresh replay")
        verify.add_argument("name", help="a projection name or 'all'")
        sub.add_parser("drain", help="apply pending events now (what the workers do on each trigger)")

    def handle(self, *args, **options) -> None:
        # Piped or captured output gets the full table, not one squeezed into 80 columns.
        console = Console(file=self.stdout, soft_wrap=True, width=None if self.stdout.isatty() else 200)
        action = options["action"]
        if action == "status":
            self._status(console)
        elif action == "drain":
            for result in runtime.drain_all():
                console.print(f"{result.name}: {'busy' if not result.ran else f'at {result.applied_to}'}")
        elif action == "rebuild":
            names = list(registry.projections()) if options["name"] == "all" else [self._known(options["name"])]
            for name in names:
                self._rebuild(console, name)
        elif action == "verify":
            names = list(registry.projections()) if options["name"] == "all" else [self._known(options["name"])]
            failed = [name for name in names if not self._verify(console, name)]
            if failed:
                raise CommandError(f"live projection differs from a fresh replay: {', '.join(failed)}")

    def _known(self, name: str) -> str:
        if name not in registry.projections():
            raise CommandError(f"unknown projection {name!r}; known: {', '.join(sorted(registry.projections()))}")
        return name

    def _status(self, console: Console) -> None:
        table = Table(title="Projections")
        for column in ("name", "generation", "position", "store at", "head", "lag (events)", "lag (s)",
                       "last applied", "rebuilding", "health"):
            table.add_column(column)
        rows = runtime.status()
        for s in rows:
            building = f"g{s.building_generation} at {s.building_position}" if s.building_generation else "-"
            table.add_row(s.name, str(s.generation), str(s.position),
                          "-" if s.store_position is None else str(s.store_position), str(s.head),
                          str(s.lag_events), f"{s.lag_seconds:.3f}",
                          s.last_applied_at.isoformat() if s.last_applied_at else "-", building, s.health)
        console.print(table)
        unhealthy = [s.name for s in rows if s.store_behind]
        if unhealthy:
            raise CommandError(f"store behind its checkpoint (the next drain replays it): {', '.join(unhealthy)}")

    def _progress(self, console: Console) -> Progress:
        return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TaskProgressColumn(), TextColumn("{task.fields[rate]}"),
                        TextColumn("elapsed"), TimeElapsedColumn(), TextColumn("ETA {task.fields[eta]}"),
                        console=console)

    def _reporter(self, progress: Progress, task: TaskID):
        """A runtime progress callback updating ``task`` with events per second and time remaining.

        Rate and ETA are computed here from the start time rather than rich's sliding-window speed,
        which stays empty when a replay reports only a few large batches.
        """
        started = time.monotonic()

        def report(position: int, target: int) -> None:
            elapsed = max(time.monotonic() - started, 1e-6)
            rate = position / elapsed
            remaining = max(target - position, 0) / rate if rate > 0 else None
            progress.update(task, completed=position, total=max(target, 1),
                            rate=f"{rate:,.0f} ev/s", eta=_clock(remaining))

        return report

    def _rebuild(self, console: Console, name: str) -> None:
        with self._progress(console) as progress:
            task = progress.add_task(f"rebuild {name}", total=None, rate="- ev/s", eta="-:--:--")
            result = runtime.rebuild(name, progress=self._reporter(progress, task))
        console.print(f"{name}: generation {result.old_generation} → {result.new_generation} at position "
                      f"{result.position} ({result.events_per_second:,.0f} events/s)")

    def _verify(self, console: Console, name: str) -> bool:
        with self._progress(console) as progress:
            task = progress.add_task(f"verify {name}", total=None, rate="- ev/s", eta="-:--:--")
            result = runtime.verify(name, progress=self._reporter(progress, task))
        if result.matches:
            console.print(f"{name}: OK — live equals replay at position {result.position} "
                          f"({result.live_items} items)")
            return True
        console.print(f"{name}: MISMATCH — live differs from replay at position {result.position} "
                      f"(live {result.live_items} items, replay {result.replay_items}):")
        for line in result.differences:
            console.print(f"  {line}")
        return False


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "-:--:--"
    whole = int(round(seconds))
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"
