"""``python manage.py demo_data [--if-empty]``: the demo marketplace of :mod:`workers.demo_marketplace` —
four months of history and an upcoming week, made through the real commands so that every row has
its events and every projection (and so every screen) shows it."""

from __future__ import annotations

import time
from datetime import date

from django.core.management.base import BaseCommand

from workers import demo_marketplace
from write_api.accounts.models import User


class Command(BaseCommand):
    help = "Load the demo marketplace (practitioners, clients, four months of bookings, reviews, streams)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--if-empty", action="store_true", help="do nothing when any user exists")
        parser.add_argument("--anchor", type=date.fromisoformat, default=None,
                            help="the day the history ends (YYYY-MM-DD, UTC); default today")

    def handle(self, *args, **options) -> None:
        if options["if_empty"] and User.objects.exists():
            self.stdout.write("database not empty: demo data skipped")
            return
        started = time.monotonic()
        summary = demo_marketplace.load(anchor=options["anchor"])
        self.stdout.write(self.style.SUCCESS(
            f"demo data loaded in {time.monotonic() - started:.1f} s: {summary.practitioners} practitioners, "
            f"{summary.clients} clients, {summary.bookings} bookings ({summary.completed} completed, "
            f"{summary.cancelled} cancelled), {summary.reviews} reviews ({summary.replies} replied), "
            f"{summary.streams} streams ({summary.unlocks} unlocks). Log in as client@demo.example or "
            f"maya@demo.example, password {demo_marketplace.PASSWORD!r}."))
