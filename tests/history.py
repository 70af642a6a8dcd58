"""A realistic event history, made through the write side's real commands (every event type some projection
handles): the replay-equivalence and runtime tests and the ``projections`` CLI tests build on it."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from write_api.accounts.models import User
from write_api.accounts.services import user_register
from write_api.bookings.models import Booking
from write_api.bookings.services import (
    booking_cancel,
    booking_complete,
    booking_create,
    booking_reschedule,
    booking_schedule,
    bookings_autocomplete,
)
from write_api.catalogue.services import (
    service_archive,
    service_create,
    service_update,
)
from write_api.credits.services import credits_adjust, credits_purchase
from write_api.favorites.services import favorite_add, favorite_remove
from write_api.practitioners.models import Practitioner
from write_api.practitioners.services import practitioner_register, practitioner_update
from write_api.reference.models import Category, Modality
from write_api.reviews.services import review_create, review_delete, review_reply, review_update
from write_api.scheduling.services import block_add, block_remove, override_set, schedule_replace
from write_api.sessions.services import session_cancel, session_create, session_update
from write_api.streams.services import (
    stream_archive,
    stream_like,
    stream_publish,
    stream_save,
    stream_unlike,
    stream_unlock,
    stream_unsave,
    stream_update,
)


def ensure_reference_data() -> None:
    """Categories and modalities come from a data migration that transactional tests' flushes remove."""
    for slug, name in (("mind", "Mind & mental health"), ("movement", "Movement & fitness")):
        Category.objects.get_or_create(slug=slug, defaults={"name": name})
    for slug, name in (("yoga", "Yoga"), ("breathwork", "Breathwork"), ("meditation", "Meditation")):
        Modality.objects.get_or_create(slug=slug, defaults={"name": name})


def build_history(rng: random.Random, *, practitioners: int = 3, clients: bool = True) -> Iterator[str]:
    """Run commands like the API would; yield after each one (so callers can drain in between).

    ``clients=False`` leaves out bookings, credits, reviews, streams and favourites (a lighter history
    for tests about the runtime rather than about what each projection makes of every event)."""
    ensure_reference_data()
    staff = User.objects.create_user(email=f"staff-{uuid.uuid4().hex[:8]}@example.com", password="x",
                                     is_staff=True)
    base = timezone.now().replace(hour=9, minute=0, second=0, microsecond=0) + timedelta(days=10)
    people: list[tuple[User, Practitioner]] = []
    for i in range(practitioners):
        user = user_register(email=f"p{i}-{uuid.uuid4().hex[:8]}@example.com", password="a-strong-password-1")
        assert user is not None  # a new address registers
        yield "user registered"
        location: dict[str, Any] = ({"online_only": True} if i % 2 == 0 else
                    {"online_only": False, "address": f"{i} Main Street", "latitude": 51.5 + i / 10,
                     "longitude": -0.12 - i / 10})
        practitioner = practitioner_register(user=user, display_name=f"Practitioner {i}", title="Yoga teacher",
                                             bio="Calm and kind.", timezone="Europe/London",
                                             modalities=["yoga", "breathwork"][: 1 + i % 2], **location)
        people.append((user, practitioner))
        yield "practitioner registered"
        schedule_replace(actor=user, windows=[{"weekday": d, "start_minute": 480, "end_minute": 1080}
                                              for d in range(5)])
        yield "schedule"
        override_set(actor=user, day=date(2031, 1, 1 + i), windows=[])
        override_set(actor=user, day=date(2031, 2, 1 + i), windows=[(600, 720), (780, 900)])
        override_set(actor=user, day=date(2031, 1, 1 + i), windows=None)
        yield "overrides"
        block = block_add(actor=user, start_at=base + timedelta(days=40), end_at=base + timedelta(days=41))
        block_add(actor=user, start_at=base + timedelta(days=50), end_at=base + timedelta(days=50, hours=3),
                  reason="dentist")
        yield "blocks"
        block_remove(actor=user, block_id=block.id)
        yield "block removed"

    catalogue: list[dict[str, Any]] = []
    for i, (user, practitioner) in enumerate(people):
        day = base + timedelta(days=i * 7)
        flow = service_create(actor=user, title=f"Vinyasa flow {i}", service_type="session", price_cents=4500,
                              description="Breath-led yoga.", category="movement", modalities=["yoga"])
        calm = service_create(actor=user, title=f"Calm breathing {i}", service_type="session", price_cents=3000,
                              format=rng.choice(["online", "in_person", "hybrid"]), modalities=["breathwork"])
        yield "sessions"
        workshop = service_create(actor=user, title=f"Sunday workshop {i}", service_type="workshop",
                                  price_cents=2500, capacity=8, duration_minutes=90, category="mind")
        first = session_create(service_id=workshop.id, actor=user, start_at=day)
        session_create(service_id=workshop.id, actor=user, start_at=day + timedelta(days=1))
        yield "workshop"
        session_update(service_id=workshop.id, session_id=first.id, actor=user,
                       changes={"start_at": day + timedelta(hours=3), "capacity": 12})
        yield "session moved"
        course = service_create(actor=user, title=f"Six week course {i}", service_type="course", price_cents=20000,
                                capacity=10)
        for week in range(3):
            session_create(service_id=course.id, actor=user, start_at=day + timedelta(days=2 + week * 7))
        yield "course"
        bundle = service_create(actor=user, title=f"Five flows {i}", service_type="bundle", price_cents=20000,
                                children=[{"service_id": flow.id, "quantity": 5}])
        package = service_create(actor=user, title=f"Starter pack {i}", service_type="package", price_cents=7000,
                                 children=[{"service_id": flow.id, "quantity": 1},
                                           {"service_id": calm.id, "quantity": 2}])
        service_create(actor=user, title=f"Draft idea {i}", service_type="session", price_cents=100, status="draft")
        yield "containers"
        service_update(service_id=flow.id, actor=user, changes={"title": f"Vinyasa flow {i} (all levels)",
                                                                "price_cents": 5000, "modalities": ["yoga",
                                                                                                    "meditation"]})
        service_update(service_id=bundle.id, actor=user,
                       changes={"children": [{"service_id": flow.id, "quantity": 10}], "price_cents": 38000})
        yield "updates"
        service_update(service_id=calm.id, actor=user, changes={"status": "inactive"})
        if rng.random() < 0.5:
            service_update(service_id=calm.id, actor=user, changes={"status": "active", "description": "Back."})
        yield "status"
        service_archive(service_id=package.id, actor=user)
        yield "archived"
        practitioner_update(practitioner_id=practitioner.id, actor=user,
                            changes={"display_name": f"Practitioner {i} (RYT 500)", "bio": "Twenty years."})
        yield "profile"
        catalogue.append({"flow": flow, "workshop": workshop, "workshop_session": first, "course": course,
                          "bundle": bundle})

    if clients:
        yield from client_activity(rng, staff, people, catalogue)

    # Staff suspend one practitioner for good and another for a while (what PATCH is_active does).
    practitioner_update(practitioner_id=people[0][1].id, actor=staff, changes={"is_active": False})
    yield "suspended"
    practitioner_update(practitioner_id=people[-1][1].id, actor=staff, changes={"is_active": False})
    yield "suspended"
    practitioner_update(practitioner_id=people[-1][1].id, actor=staff, changes={"is_active": True})
    yield "reinstated"


def local_weekday(days_ahead: int, hour: int, zone: str = "Europe/London") -> datetime:
    """``hour`` o'clock local time on the first weekday at least ``days_ahead`` days from now, in UTC."""
    day = (timezone.now() + timedelta(days=days_ahead)).date()
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def client_activity(rng: random.Random, staff: User, people: list[tuple[User, Practitioner]],
                    catalogue: list[dict[str, Any]]) -> Iterator[str]:
    """Clients buy credits, book, reschedule, cancel, get completed, review; streams and favourites."""
    clients: list[User] = []
    for n in range(3):
        client = user_register(email=f"c{n}-{uuid.uuid4().hex[:8]}@example.com", password="a-strong-password-1")
        assert client is not None  # a new address registers
        clients.append(client)
    yield "clients"
    for client in clients:
        credits_adjust(actor=staff, user=client, amount_cents=500_000, reason="Welcome credit")
    credits_purchase(user=clients[0], amount_cents=5_000, payment_token="tok_test_success")
    yield "credits"
    for i, ((owner, practitioner), services) in enumerate(zip(people, catalogue, strict=True)):
        a, b, c = rng.sample(clients, 3)
        flow = services["flow"]
        first = booking_create(client=a, service_id=flow.id, start_at=local_weekday(3, 10))
        booking_reschedule(booking_id=first.id, actor=a, start_at=local_weekday(3, 12))
        yield "booked and rescheduled"
        doomed = booking_create(client=b, service_id=flow.id, start_at=local_weekday(4, 14))
        booking_cancel(booking_id=doomed.id, actor=b, reason="Plans changed")
        yield "cancelled"
        workshop_sessions = list(services["workshop"].sessions.order_by("start_at"))
        seat = booking_create(client=c, service_id=services["workshop"].id, session_id=workshop_sessions[-1].id)
        booking_create(client=b, service_id=services["workshop"].id, session_id=workshop_sessions[0].id)
        booking_create(client=b, service_id=services["course"].id)
        yield "group bookings"
        pack = booking_create(client=c, service_id=services["bundle"].id)
        child = pack.children.order_by("id")[0]
        booking_schedule(booking_id=child.id, actor=c, start_at=local_weekday(5, 16))
        yield "bundle"
        session_cancel(service_id=services["workshop"].id, session_id=workshop_sessions[-1].id, actor=owner)
        assert Booking.objects.get(id=seat.id).status == "cancelled"
        yield "session cancelled"
        first = Booking.objects.get(id=first.id)
        child = Booking.objects.get(id=child.id)
        assert first.end_at is not None and child.end_at is not None
        booking_complete(booking_id=first.id, actor=owner, now=first.end_at + timedelta(hours=1))
        bookings_autocomplete(now=child.end_at + timedelta(minutes=5))
        yield "completed"
        review = review_create(booking_id=first.id, actor=a, rating=4 + i % 2, comment="Lovely class.")
        review_update(review_id=review.id, actor=a, rating=5, comment="Lovely class, thank you.")
        review_reply(review_id=review.id, actor=owner, reply="Thank you!")
        other = review_create(booking_id=child.id, actor=c, rating=2, comment="Too fast.")
        review_delete(review_id=other.id, actor=c)
        yield "reviews"
        free = stream_publish(actor=owner, title=f"Morning breath {i}", modalities=["breathwork"], tags=["calm"],
                              description="Ten minutes.", body="Inhale.", media_url="https://example.com/a.mp4")
        premium = stream_publish(actor=owner, title=f"Deep practice {i}", tags=["deep"], description="An hour.",
                                 body="Full class.", media_url="https://example.com/b.mp4", access="premium",
                                 price_cents=900)
        stream_update(stream_id=free.id, actor=owner, changes={"title": f"Morning breath {i} (new)", "tags": ["am"]})
        yield "streams"
        stream_like(stream_id=free.id, user=a)
        stream_like(stream_id=free.id, user=b)
        stream_unlike(stream_id=free.id, user=b)
        stream_save(stream_id=premium.id, user=a)
        stream_save(stream_id=premium.id, user=c)
        stream_unsave(stream_id=premium.id, user=c)
        stream_unlock(stream_id=premium.id, user=a)
        yield "reactions"
        favorite_add(user=a, object_type="practitioner", object_id=practitioner.id)
        favorite_add(user=a, object_type="service", object_id=flow.id)
        favorite_add(user=b, object_type="stream", object_id=free.id)
        favorite_remove(user=a, object_type="service", object_id=flow.id)
        yield "favorites"
        if i % 2:
            stream_archive(stream_id=free.id, actor=owner)
            yield "stream archived"


def run_history(rng: random.Random, **kwargs: Any) -> None:
    for _ in build_history(rng, **kwargs):
        pass
