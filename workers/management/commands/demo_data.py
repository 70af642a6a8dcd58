"""``python manage.py demo_data [--if-empty]``: practitioners, schedules, services and a booking, made
through the real commands so every row has its events and every projection shows it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from write_api.accounts.models import User
from write_api.accounts.services import user_register
from write_api.bookings.services import booking_create
from write_api.catalogue.services import service_create
from write_api.credits.services import credits_purchase
from write_api.practitioners.services import practitioner_register
from write_api.scheduling.services import schedule_replace
from write_api.sessions.services import session_create

PASSWORD = "demo-password-1"
WEEKDAYS_9_TO_5 = [{"weekday": d, "start_minute": 9 * 60, "end_minute": 17 * 60} for d in range(5)]

DEMO: list[dict[str, Any]] = [
    {"email": "maya@demo.example", "name": "Maya Okafor", "title": "Yoga teacher", "zone": "Europe/London",
     "location": (51.5074, -0.1278, "Shoreditch, London"), "modalities": ["yoga", "breathwork"],
     "services": [("Vinyasa flow for beginners", "session", 4500, "in_person", "movement", ["yoga"]),
                  ("Weekend yoga retreat workshop", "workshop", 12000, "in_person", "movement", ["yoga"])]},
    {"email": "li@demo.example", "name": "Li Wei", "title": "Mindfulness coach", "zone": "Asia/Kolkata",
     "location": None, "modalities": ["meditation", "mindfulness"],
     "services": [("Mindfulness meditation 1:1", "session", 6000, "online", "mind", ["mindfulness"]),
                  ("Eight-week stress reduction course", "course", 32000, "online", "mind", ["meditation"])]},
    {"email": "sam@demo.example", "name": "Sam Rivera", "title": "Nutritionist", "zone": "America/New_York",
     "location": (40.7128, -74.0060, "Brooklyn, New York"), "modalities": ["nutrition-coaching"],
     "services": [("Nutrition consultation", "session", 8000, "hybrid", "nutrition", ["nutrition-coaching"])]},
]


class Command(BaseCommand):
    help = "Load demo practitioners, schedules, services, sessions and one booking (through the commands)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--if-empty", action="store_true", help="do nothing when any user exists")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and User.objects.exists():
            self.stdout.write("database not empty: demo data skipped")
            return
        now = timezone.now().replace(minute=0, second=0, microsecond=0)
        for spec in DEMO:
            user = self._practitioner(spec)
            made = {}
            for title, kind, price, fmt, category, modalities in spec["services"]:
                made[kind] = service_create(actor=user, title=title, service_type=kind, price_cents=price,
                                            format=fmt, category=category, modalities=modalities, capacity=12,
                                            description=f"{title} with {spec['name']}.")
            for kind in ("workshop", "course"):
                if kind in made:
                    for week in range(1, 5 if kind == "course" else 2):
                        session_create(service_id=made[kind].id, actor=user,
                                       start_at=now + timedelta(days=7 * week, hours=2))
            if spec["email"].startswith("sam"):
                service_create(actor=user, title="Healthy habits 10-session pass", service_type="bundle",
                               price_cents=70000, format="online", category="nutrition",
                               children=[{"service_id": str(made["session"].id), "quantity": 10}],
                               description="Ten nutrition consultations, used within six months.")
        client = user_register(email="client@demo.example", password=PASSWORD, first_name="Casey",
                               last_name="Client", timezone="Europe/Berlin")
        assert client is not None  # a new address registers
        credits_purchase(user=client, amount_cents=50000, payment_token="tok_test_success")
        workshop = User.objects.get(email="maya@demo.example").practitioner.services.get(service_type="workshop")
        booking_create(client=client, service_id=workshop.id, session_id=workshop.sessions.all()[0].id)
        self.stdout.write(self.style.SUCCESS(
            f"demo data loaded: {len(DEMO)} practitioners and client@demo.example (password {PASSWORD!r})"))

    def _practitioner(self, spec: dict[str, Any]) -> User:
        first, last = spec["name"].split()
        user = user_register(email=spec["email"], password=PASSWORD, first_name=first, last_name=last,
                             timezone=spec["zone"])
        assert user is not None  # a new address registers
        location = spec["location"]
        extra = ({"latitude": location[0], "longitude": location[1], "address": location[2], "online_only": False}
                 if location else {"online_only": True})
        practitioner_register(user=user, display_name=spec["name"], title=spec["title"], timezone=spec["zone"],
                              bio=f"{spec['title']} offering sessions on the marketplace.",
                              modalities=spec["modalities"], **extra)
        schedule_replace(actor=user, windows=WEEKDAYS_9_TO_5)
        return user
