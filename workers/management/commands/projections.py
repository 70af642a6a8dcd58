"""``python manage.py projections status | rebuild <name|all> | verify <name>``."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
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
        verify.add_argument("name")
        sub.add_parser("drain", help="apply pending events now (what the workers do on each trigger)")

    def handle(self, *args, **options) -> None:
        console = Console(file=self.stdout, soft_wrap=True)
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
            self._verify(console, self._known(options["name"]))

    def _known(self, name: str) -> str:
        if name not in registry.projections():
            raise CommandError(f"unknown projection {name!r}; known: {', '.join(sorted(registry.projections()))}")
        return name

    def _status(self, console: Console) -> None:
        table = Table(title="Projections")
        for column in ("name", "generation", "position", "head", "lag (events)", "lag (s)", "last applied",
                       "rebuilding", "health"):
            table.add_column(column)
        for s in runtime.status():
            building = f"g{s.building_generation} at {s.building_position}" if s.building_generation else "-"
            health = "error: " + s.last_error if s.last_error else ("ok" if s.lag_events == 0 else "catching up")
            table.add_row(s.name, str(s.generation), str(s.position), str(s.head), str(s.lag_events),
                          f"{s.lag_seconds:.3f}", s.last_applied_at.isoformat() if s.last_applied_at else "-",
                          building, health)
        console.print(table)

    def _progress(self, console: Console) -> Progress:
        return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TaskProgressColumn(), TextColumn("{task.fields[rate]}"),
                        TimeElapsedColumn(), TimeRemainingColumn(), console=console)

    def _rebuild(self, console: Console, name: str) -> None:
        with self._progress(console) as progress:
            task = progress.add_task(f"rebuild {name}", total=None, rate="")

            def report(position: int, target: int) -> None:
                speed = progress.tasks[task].speed
                progress.update(task, completed=position, total=target,
                                rate=f"{speed:,.0f} ev/s" if speed else "")

            result = runtime.rebuild(name, progress=report)
        console.print(f"{name}: generation {result.old_generation} → {result.new_generation} at position "
                      f"{result.position} ({result.events_per_second:,.0f} events/s)")

    def _verify(self, console: Console, name: str) -> None:
        with self._progress(console) as progress:
            task = progress.add_task(f"verify {name}", total=None, rate="")
            result = runtime.verify(name, progress=lambda p, t: progress.update(task, completed=p, total=t))
        if result.matches:
            console.print(f"{name}: OK — live equals replay at position {result.position} "
                          f"({result.live_items} items)")
            return
        for line in result.differences:
            console.print(f"  {line}")
        raise CommandError(f"{name}: live projection differs from replay at position {result.position}")
