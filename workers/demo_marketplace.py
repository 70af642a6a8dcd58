"""The demo marketplace: four months of history and an upcoming week, made through the real commands.

Every row comes from the same command the API uses, so every event is in the log and every read
model (search, catalogue, reviews, streams, notifications, the analytics warehouse) shows it. The
past is made by running each command with the clock set to when it happened (``time-machine``,
only inside :func:`load`): bookings made days ahead, attended and completed, reviewed and replied
to, cancelled early (refunded) or late (not refunded) or by the practitioner; credits bought
monthly; streams published, liked, saved and unlocked.

Deterministic: one seeded random generator, every instant an offset from ``anchor`` (midnight UTC of
the loading day by default), so two loads with the same anchor make the same marketplace.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypedDict
from zoneinfo import ZoneInfo

import time_machine

from api_conventions.errors import ApplicationError
from write_api.accounts.models import User
from write_api.accounts.services import user_register
from write_api.bookings.models import Booking
from write_api.bookings.services import booking_cancel, booking_complete, booking_create
from write_api.catalogue.models import Service
from write_api.catalogue.services import service_create
from write_api.credits.services import credits_purchase
from write_api.favorites.services import favorite_add
from write_api.practitioners.services import practitioner_register
from write_api.reviews.services import review_create, review_reply
from write_api.scheduling.services import schedule_replace
from write_api.sessions.services import session_create
from write_api.streams.models import Stream
from write_api.streams.services import stream_like, stream_publish, stream_save, stream_unlock

PASSWORD = "demo-password-1"
SEED = 14
HISTORY_DAYS = 120
WEEKDAYS_9_TO_5 = [{"weekday": d, "start_minute": 9 * 60, "end_minute": 17 * 60} for d in range(5)]
SESSION_HOURS = (9, 11, 13, 15)  # local starts of 1:1 sessions: an hour each, buffers never overlap

class _PractitionerSpec(TypedDict):
    email: str
    name: str
    title: str
    zone: str
    location: tuple[float, float, str] | None  # latitude, longitude, address; None: online only
    modalities: list[str]
    services: list[tuple[str, str, int, str, str, list[str]]]  # title, type, price, format, category, modalities
    streams: list[tuple[str, str, int]]  # title, access, price


PRACTITIONERS: list[_PractitionerSpec] = [
    {"email": "maya@demo.example", "name": "Maya Okafor", "title": "Yoga teacher", "zone": "Europe/London",
     "location": (51.5074, -0.1278, "Shoreditch, London"), "modalities": ["yoga", "breathwork"],
     "services": [("Vinyasa flow for beginners", "session", 4500, "in_person", "movement", ["yoga"]),
                  ("Weekend yoga retreat workshop", "workshop", 12000, "in_person", "movement", ["yoga"])],
     "streams": [("Morning sun salutation", "free", 0), ("Deep hip opening sequence", "premium", 400)]},
    {"email": "li@demo.example", "name": "Li Wei", "title": "Mindfulness coach", "zone": "Asia/Kolkata",
     "location": None, "modalities": ["meditation", "mindfulness"],
     "services": [("Mindfulness meditation 1:1", "session", 6000, "online", "mind", ["mindfulness"]),
                  ("Eight-week stress reduction course", "course", 32000, "online", "mind", ["meditation"])],
     "streams": [("Ten-minute body scan", "free", 0), ("Sleep meditation series", "premium", 500)]},
    {"email": "sam@demo.example", "name": "Sam Rivera", "title": "Nutritionist", "zone": "America/New_York",
     "location": (40.7128, -74.0060, "Brooklyn, New York"), "modalities": ["nutrition-coaching"],
     "services": [("Nutrition consultation", "session", 8000, "hybrid", "nutrition", ["nutrition-coaching"])],
     "streams": [("Five pantry staples for a calm gut", "free", 0), ("Meal prep masterclass", "premium", 300)]},
]
CLIENTS = [("client@demo.example", "Casey", "Client", "Europe/Berlin"),
           ("ana@demo.example", "Ana", "Souza", "Europe/Lisbon"),
           ("ben@demo.example", "Ben", "Carter", "America/New_York"),
           ("chloe@demo.example", "Chloe", "Martin", "Europe/Paris"),
           ("dev@demo.example", "Dev", "Patel", "Asia/Kolkata"),
           ("emma@demo.example", "Emma", "Larsen", "Europe/Oslo")]
COMMENTS = {5: ["Wonderful session, I left feeling lighter.", "Exactly what I needed this week.",
                "Clear, warm and practical. Booking again."],
            4: ["Very good, a little rushed at the end.", "Helpful and kind; the room was a bit cold."],
            3: ["Fine, but not quite what I expected."]}
REPLIES = ["Thank you so much, see you next time!", "Thanks for the kind words.",
           "Thank you for the feedback, noted for next time."]


@dataclass(order=True)
class _Step:
    at: datetime
    order: int
    run: Callable[[], object] = field(compare=False)


@dataclass
class Summary:
    practitioners: int = 0
    clients: int = 0
    bookings: int = 0
    completed: int = 0
    cancelled: int = 0
    reviews: int = 0
    replies: int = 0
    streams: int = 0
    unlocks: int = 0


class _Timeline:
    """Commands to run at given instants, run in time order with the clock set to each instant."""

    def __init__(self, until: datetime) -> None:
        self.until, self.now = until, datetime.min.replace(tzinfo=UTC)
        self._steps: list[_Step] = []
        self._order = itertools.count()

    def at(self, when: datetime, run: Callable[[], object]) -> None:
        """Run ``run`` at ``when``, or a minute from now if ``when`` already passed; never at or after ``until``."""
        when = max(when, self.now + timedelta(minutes=1))
        if when < self.until:
            heapq.heappush(self._steps, _Step(when, next(self._order), run))

    def run(self) -> None:
        while self._steps:
            step = heapq.heappop(self._steps)
            self.now = step.at
            with time_machine.travel(step.at, tick=False):
                step.run()


def default_anchor() -> date:
    return datetime.now(UTC).date()


def load(*, anchor: date | None = None) -> Summary:
    """Make the demo marketplace; history ends at ``anchor`` (midnight UTC), upcoming sessions follow it."""
    midnight = datetime.combine(anchor or default_anchor(), time(), tzinfo=UTC)
    rng = random.Random(SEED)
    summary = Summary()
    start = midnight - timedelta(days=HISTORY_DAYS)
    timeline = _Timeline(until=midnight)
    cast: dict[str, Any] = {}

    def setup() -> None:
        cast["practitioners"] = [_practitioner(spec) for spec in PRACTITIONERS]
        cast["clients"] = [_register(email, first, last, zone) for email, first, last, zone in CLIENTS]
        summary.practitioners, summary.clients = len(PRACTITIONERS), len(CLIENTS)

    timeline.at(start - timedelta(days=3), setup)
    for month in range(HISTORY_DAYS // 30 + 1):
        for i in range(len(CLIENTS)):
            def buy(i: int = i) -> None:
                credits_purchase(user=cast["clients"][i], amount_cents=100_000, payment_token="tok_test_success")

            timeline.at(start - timedelta(days=2) + timedelta(days=30 * month, minutes=i), buy)
    _streams(timeline, rng, start, cast, summary)
    for day in range(HISTORY_DAYS):
        when = start + timedelta(days=day, hours=7)
        for n in range(rng.choice((1, 2, 2, 3))):
            _booking(timeline, rng, when + timedelta(minutes=7 * n), cast, summary)
    _workshops(timeline, rng, start, midnight, cast, summary)
    timeline.run()
    _upcoming(midnight, cast, summary)
    return summary


def _register(email: str, first: str, last: str, zone: str) -> User:
    user = user_register(email=email, password=PASSWORD, first_name=first, last_name=last, timezone=zone)
    if user is None:
        raise ValueError(f"{email} already has an account: the demo loads into an empty database")
    return user


def _practitioner(spec: _PractitionerSpec) -> User:
    first, last = spec["name"].split()
    user = _register(spec["email"], first, last, spec["zone"])
    location = spec["location"]
    extra = ({"latitude": location[0], "longitude": location[1], "address": location[2], "online_only": False}
             if location else {"online_only": True})
    practitioner_register(user=user, display_name=spec["name"], title=spec["title"], timezone=spec["zone"],
                          bio=f"{spec['title']} offering sessions on the marketplace.",
                          modalities=spec["modalities"], **extra)
    schedule_replace(actor=user, windows=WEEKDAYS_9_TO_5)
    for title, kind, price, fmt, category, modalities in spec["services"]:
        service_create(actor=user, title=title, service_type=kind, price_cents=price, format=fmt, category=category,
                       modalities=modalities, capacity=12, description=f"{title} with {spec['name']}.")
    user.refresh_from_db()
    return user


def _service(owner: User, kind: str) -> Service:
    return owner.practitioner.services.get(service_type=kind)


def _booking(timeline: _Timeline, rng: random.Random, when: datetime, cast: dict[str, Any],
             summary: Summary) -> None:
    """A client books a 1:1 session days ahead; what happens next is drawn now (deterministic)."""
    client_index, owner_index = rng.randrange(len(CLIENTS)), rng.randrange(len(PRACTITIONERS))
    lead_days, hours = rng.randint(2, 12), rng.sample(SESSION_HOURS, len(SESSION_HOURS))
    fate = rng.choices(["completed", "early", "late", "practitioner", "no_review"], weights=(62, 10, 7, 5, 16))[0]
    rating = rng.choices((5, 4, 3), weights=(6, 3, 1))[0]
    comment, reply = rng.choice(COMMENTS[rating]), rng.choice(REPLIES) if rng.random() < 0.6 else None

    def book() -> None:
        client, owner = cast["clients"][client_index], cast["practitioners"][owner_index]
        zone = ZoneInfo(owner.practitioner.timezone)
        day = when.astimezone(zone).date() + timedelta(days=lead_days)
        while day.weekday() >= 5:
            day += timedelta(days=1)
        for hour in hours:
            start_at = datetime.combine(day, time(hour), tzinfo=zone)
            try:
                booking = booking_create(client=client, service_id=_service(owner, "session").id, start_at=start_at)
                break
            except ApplicationError:
                continue
        else:
            return
        summary.bookings += 1
        _follow_up(timeline, booking, client, owner, fate, rating, comment, reply, summary)

    timeline.at(when, book)


def _follow_up(timeline: _Timeline, booking: Booking, client: User, owner: User, fate: str, rating: int,
               comment: str, reply: str | None, summary: Summary) -> None:
    start_at, end_at = booking.start_at, booking.end_at
    assert start_at is not None and end_at is not None

    def cancel(actor: User, reason: str) -> Callable[[], None]:
        def run() -> None:
            booking_cancel(booking_id=booking.id, actor=actor, reason=reason)
            summary.cancelled += 1
        return run

    if fate == "early":
        timeline.at(start_at - timedelta(days=2, hours=3), cancel(client, "Something came up, sorry."))
    elif fate == "late":
        timeline.at(start_at - timedelta(hours=5), cancel(client, "Overslept my train."))
    elif fate == "practitioner":
        timeline.at(start_at - timedelta(days=1, hours=6), cancel(owner, "Unwell today; fully refunded."))
    else:
        def complete() -> None:
            booking_complete(booking_id=booking.id, actor=owner)
            summary.completed += 1

        timeline.at(end_at + timedelta(minutes=30), complete)
        if fate == "completed":
            def review() -> None:
                made = review_create(booking_id=booking.id, actor=client, rating=rating, comment=comment)
                summary.reviews += 1
                if reply:
                    def answer() -> None:
                        review_reply(review_id=made.id, actor=owner, reply=reply)
                        summary.replies += 1
                    timeline.at(end_at + timedelta(days=1, hours=9), answer)

            timeline.at(end_at + timedelta(hours=20), review)


def _workshops(timeline: _Timeline, rng: random.Random, start: datetime, midnight: datetime,
               cast: dict[str, Any], summary: Summary) -> None:
    """Maya's Saturday workshop every other week: scheduled three weeks ahead, seats taken, then completed."""
    london = ZoneInfo(PRACTITIONERS[0]["zone"])
    first = start.astimezone(london).date() + timedelta(days=21)
    first += timedelta(days=(5 - first.weekday()) % 7)
    for week in range(0, HISTORY_DAYS // 7 - 2, 2):
        session_start = datetime.combine(first + timedelta(weeks=week), time(10), tzinfo=london)
        if session_start >= midnight:
            break
        attendees = rng.sample(range(len(CLIENTS)), rng.randint(2, 4))

        def schedule(session_start: datetime = session_start, attendees: list[int] = attendees) -> None:
            owner = cast["practitioners"][0]
            workshop = _service(owner, "workshop")
            session = session_create(service_id=workshop.id, actor=owner, start_at=session_start)
            for i, client_index in enumerate(attendees):
                def seat(client_index: int = client_index) -> None:
                    booking = booking_create(client=cast["clients"][client_index], service_id=workshop.id,
                                             session_id=session.id)
                    summary.bookings += 1
                    assert booking.end_at is not None  # a seat in a scheduled session
                    timeline.at(booking.end_at + timedelta(hours=1), lambda: _complete(booking, owner, summary))
                timeline.at(session_start - timedelta(days=12 - 2 * i, hours=3), seat)

        timeline.at(session_start - timedelta(days=21), schedule)


def _complete(booking: Booking, owner: User, summary: Summary) -> None:
    booking_complete(booking_id=booking.id, actor=owner)
    summary.completed += 1


def _streams(timeline: _Timeline, rng: random.Random, start: datetime, cast: dict[str, Any],
             summary: Summary) -> None:
    """Each practitioner publishes a free and a premium stream; clients like, save and unlock them over time."""
    for p, spec in enumerate(PRACTITIONERS):
        for s, (title, access, price) in enumerate(spec["streams"]):
            published = start + timedelta(days=5 + 17 * p + 31 * s, hours=8)

            def publish(p: int = p, title: str = title, access: str = access, price: int = price) -> None:
                stream_publish(actor=cast["practitioners"][p], title=title, access=access, price_cents=price,
                               description=f"{title}, by {PRACTITIONERS[p]['name']}.",
                               body=f"The full {title.lower()}.", media_url="https://media.example.com/demo.mp4",
                               tags=PRACTITIONERS[p]["modalities"][:1], modalities=PRACTITIONERS[p]["modalities"])
                summary.streams += 1

            timeline.at(published, publish)
            for client_index in range(len(CLIENTS)):
                later = published + timedelta(days=rng.randint(1, 20), hours=rng.randint(0, 12))
                likes, saves = rng.random() < 0.7, rng.random() < 0.4
                unlocks = access == "premium" and rng.random() < 0.5
                timeline.at(later, functools.partial(_engage, cast, summary, p, title, client_index, likes, saves,
                                                     unlocks))


def _engage(cast: dict[str, Any], summary: Summary, p: int, title: str, client_index: int, likes: bool,
            saves: bool, unlocks: bool) -> None:
    user = cast["clients"][client_index]
    stream = Stream.objects.get(practitioner=cast["practitioners"][p].practitioner, title=title)
    if unlocks:
        stream_unlock(stream_id=stream.id, user=user)
        summary.unlocks += 1
    if likes:
        stream_like(stream_id=stream.id, user=user)
    if saves:
        stream_save(stream_id=stream.id, user=user)


def _upcoming(midnight: datetime, cast: dict[str, Any], summary: Summary) -> None:
    """Now: sessions of the workshop and the course ahead, Sam's 10-session pass, Casey's seat, streams and
    favourites."""
    maya, li, sam = cast["practitioners"]
    casey = cast["clients"][0]
    for owner, kind, weeks in ((maya, "workshop", 1), (li, "course", 4)):
        service = _service(owner, kind)
        for week in range(1, weeks + 1):
            session_create(service_id=service.id, actor=owner,
                           start_at=midnight + timedelta(days=7 * week + (kind == "course"), hours=18))
    service_create(actor=sam, title="Healthy habits 10-session pass", service_type="bundle", price_cents=70000,
                   format="online", category="nutrition",
                   children=[{"service_id": str(_service(sam, "session").id), "quantity": 10}],
                   description="Ten nutrition consultations, used within six months.")
    workshop = _service(maya, "workshop")
    next_session = workshop.sessions.filter(start_at__gt=midnight).order_by("start_at").first()
    assert next_session is not None  # scheduled just above
    booking_create(client=casey, service_id=workshop.id, session_id=next_session.id)
    summary.bookings += 1
    # The demo login has a premium stream unlocked and one saved (unlocking twice charges nothing).
    stream_unlock(stream_id=Stream.objects.get(practitioner=maya.practitioner, access="premium").id, user=casey)
    stream_save(stream_id=Stream.objects.get(practitioner=li.practitioner, access="free").id, user=casey)
    first_stream = Stream.objects.filter(practitioner=sam.practitioner).order_by("created_at").first()
    assert first_stream is not None
    for object_type, object_id in (("practitioner", maya.practitioner.id), ("service", _service(li, "session").id),
                                   ("stream", first_stream.id)):
        favorite_add(user=casey, object_type=object_type, object_id=object_id)
