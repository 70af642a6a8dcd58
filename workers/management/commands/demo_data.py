"""``python manage.py demo_data [--if-empty]``: a few practitioners and services through the real commands."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from write_api.accounts.models import User
from write_api.accounts.services import user_register
from write_api.catalogue.services import service_create
from write_api.practitioners.services import practitioner_register

DEMO = [
    ("maya@demo.example", "Maya Okafor", "Yoga teacher", "Europe/London",
     [("Vinyasa flow for beginners", "session", 4500, "online"),
      ("Weekend yoga retreat workshop", "workshop", 12000, "in_person")]),
    ("li@demo.example", "Li Wei", "Mindfulness coach", "Asia/Kolkata",
     [("Mindfulness meditation 1:1", "session", 6000, "online"),
      ("Eight-week stress reduction course", "course", 32000, "hybrid")]),
    ("sam@demo.example", "Sam Rivera", "Nutritionist", "America/New_York",
     [("Nutrition consultation", "session", 8000, "online"),
      ("Healthy habits 10-session pass", "bundle", 70000, "online")]),
]


class Command(BaseCommand):
    help = "Load demo practitioners and services (through the commands, so events are appended)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--if-empty", action="store_true", help="do nothing when any user exists")

    def handle(self, *args, **options) -> None:
        if options["if_empty"] and User.objects.exists():
            self.stdout.write("database not empty: demo data skipped")
            return
        for email, name, title, zone, services in DEMO:
            user = user_register(email=email, password="demo-password-1", first_name=name.split()[0],
                                 last_name=name.split()[-1], timezone=zone)
            practitioner_register(user=user, display_name=name, title=title, timezone=zone,
                                  bio=f"{title} offering sessions on the marketplace.")
            for service_title, kind, price, fmt in services:
                service_create(actor=user, title=service_title, service_type=kind, price_cents=price, format=fmt,
                               description=f"{service_title} with {name}.")
        self.stdout.write(self.style.SUCCESS(f"demo data loaded: {len(DEMO)} practitioners"))
