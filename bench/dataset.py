"""The deterministic dataset: domain rows through ``COPY`` and the events the commands would have appended.

Same seed, scale and anchor day → the same rows, ids and events. The story the data tells runs from
``anchor - history_days`` to ``anchor`` (midnight UTC of the anchor day): practitioners register and
publish their schedule and services, clients register and buy credits, bookings are made every day
(skewed towards popular practitioners), paid from credits, then completed, cancelled (with the refund
rule) or still ahead; some completed bookings get reviews; streams are published. Every event is built
through its :mod:`kernel.events` dataclass and appended in time order, so projections are built from
the log the normal way.

The data keeps the invariants the commands keep: a practitioner's 1:1 bookings sit on a grid that
respects the buffer and never overlap each other or the group sessions (which lie outside the weekly
windows); seats never exceed capacity; a credit balance never goes negative (a top-up purchase comes
first when it would).

A few practitioners are set aside for scenarios (see :class:`Manifest`): one with exactly
``heavy_future_bookings`` future bookings (time slots), a few with no bookings and short notice
(booking contention), and one whose services the projection-lag scenario edits.
"""

from __future__ import annotations

import bisect
import functools
import heapq
import itertools
import random
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol
from uuid import UUID
from zoneinfo import ZoneInfo

import psycopg
from django.db.models import Model

from bench import vocabulary as words
from bench.scales import Scale
from kernel import events as ev
from kernel.vocabulary import Actor
from write_api.accounts.models import User
from write_api.bookings.models import Booking, Seat
from write_api.catalogue.models import Service, ServiceChild, ServiceSession
from write_api.credits.models import CreditAccount, CreditTransaction
from write_api.practitioners.models import Practitioner
from write_api.reviews.models import Review
from write_api.scheduling.models import WeeklyWindow
from write_api.streams.models import Stream

PASSWORD = "bench-password-1"
GRID_MINUTES = 75  # 1:1 sessions last at most 60 minutes; + the 15-minute buffer
SESSION_HOUR = 19  # group sessions start after the weekly windows end (18:00 at the latest)
CONTENTION_PRACTITIONERS = 4
SETUP_DAYS = 10
RATING_WEIGHTS = (2, 3, 10, 30, 55)


class Sink(Protocol):
    """Where generated rows and events go (:class:`bench.copy_sink.CopySink`, or a test's recorder)."""

    def add(self, model: type[Model], **values: Any) -> None: ...

    def event(self, domain_event: ev.DomainEvent, *, at: datetime, actor_id: UUID | None, event_id: UUID) -> int: ...


@dataclass
class Manifest:
    """What scenarios need to know about the generated data (written next to the results)."""

    scale: str
    seed: int
    anchor: str
    events: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    password: str = PASSWORD
    slots_practitioner_id: str = ""
    slots_service_id: str = ""
    slots_future_bookings: int = 0
    contention_practitioner_ids: list[str] = field(default_factory=list)
    contention_service_ids: list[str] = field(default_factory=list)
    contention_zones: list[str] = field(default_factory=list)
    lag_practitioner_user_id: str = ""
    lag_service_ids: list[str] = field(default_factory=list)
    heavy_practitioner_id: str = ""
    heavy_practitioner_user_id: str = ""
    heavy_practitioner_bookings: int = 0
    typical_practitioner_id: str = ""
    typical_practitioner_user_id: str = ""
    practitioner_zones: dict[str, str] = field(default_factory=dict)
    client_user_ids: list[str] = field(default_factory=list)
    public_service_ids: list[str] = field(default_factory=list)
    session_service_ids: list[str] = field(default_factory=list)
    search_terms: list[str] = field(default_factory=list)
    suggestion_prefixes: list[str] = field(default_factory=list)
    points: list[tuple[float, float]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(eq=False)
class _Practitioner:
    id: UUID
    user_id: UUID
    zone: str
    active: bool
    role: str
    weekdays: tuple[int, ...]
    window: tuple[int, int]  # minutes from local midnight
    grid_minutes: int = GRID_MINUTES
    buffer: int = 15
    online_only: bool = True
    services: list[_Service] = field(default_factory=list)
    grid: dict[int, int] = field(default_factory=dict)  # date ordinal → bitmask of taken grid slots
    bookings: int = 0
    ratings: list[int] = field(default_factory=lambda: [0] * 5)
    evening_slots: int = 0


@dataclass(eq=False)
class _Service:
    id: UUID
    practitioner: _Practitioner
    title: str
    service_type: str
    status: str
    price_cents: int
    duration: int
    created_at: datetime
    capacity: int = 1
    validity_days: int = 180
    children: list[tuple[_Service, int]] = field(default_factory=list)
    sessions: list[_Session] = field(default_factory=list)
    ratings: list[int] = field(default_factory=lambda: [0] * 5)

    @property
    def public(self) -> bool:
        return self.status == "active" and self.practitioner.active


@dataclass(eq=False)
class _Session:
    id: UUID
    start: datetime
    end: datetime
    capacity: int
    clients: set[UUID] = field(default_factory=set)


@dataclass(eq=False)
class _Client:
    id: UUID
    first_name: str
    last_name: str
    balance: int = 0
    sequence: int = 0


class DatasetGenerator:
    def __init__(self, scale: Scale, *, seed: int, anchor: date, sink: Sink, password_hash: str,
                 reference: dict[str, dict[str, tuple[UUID, str]]]) -> None:
        self.scale, self.seed, self.sink = scale, seed, sink
        self.rng = random.Random(seed)
        self.anchor = datetime.combine(anchor, time(0), tzinfo=UTC)
        self.genesis = self.anchor - timedelta(days=scale.history_days)
        self.password_hash = password_hash
        self.categories = reference["category"]  # slug → (id, name)
        self.modalities = reference["modality"]
        self.manifest = Manifest(scale=scale.name, seed=seed, anchor=self.anchor.isoformat())
        self._heap: list[tuple[datetime, int, Callable[..., None], tuple[Any, ...]]] = []
        self._seq = itertools.count()
        self.practitioners: list[_Practitioner] = []
        self.clients: list[_Client] = []
        self._pool: list[_Practitioner] = []
        self._pool_weights: list[float] = []
        self._sampled_public: list[str] = []
        self._sampled_sessions: list[str] = []
        # The first clients are kept for the booking scenarios: rich, and never booked by the generator.
        self._reserved = min(16, scale.clients // 4)

    # --- ids, time, events ------------------------------------------------------------------------
    def uuid(self) -> UUID:
        return UUID(int=self.rng.getrandbits(128), version=4)

    def at(self, when: datetime, action: Callable[..., None], *args: Any) -> None:
        heapq.heappush(self._heap, (when, next(self._seq), action, args))

    def run_until(self, limit: datetime) -> None:
        while self._heap and self._heap[0][0] <= limit:
            when, _, action, args = heapq.heappop(self._heap)
            action(when, *args)

    def emit(self, event: ev.DomainEvent, when: datetime, actor: UUID | None) -> None:
        self.sink.event(event, at=when, actor_id=actor, event_id=self.uuid())

    # --- the whole story ----------------------------------------------------------------------------
    def generate(self) -> Manifest:
        s = self.scale
        self._plan_practitioners()
        self._plan_clients()
        self._plan_streams()
        start = self.genesis + timedelta(days=SETUP_DAYS)
        days = max((self.anchor - start).days, 1)
        self._schedule_heavy_slots()
        per_day = s.bookings / days
        carry = 0.0
        for day in range(days):
            day_start = start + timedelta(days=day)
            carry += per_day * (1.2 if day_start.weekday() < 5 else 0.6) / (5 * 1.2 + 2 * 0.6) * 7
            count, carry = int(carry), carry - int(carry)
            for _ in range(count):
                self.at(day_start + timedelta(seconds=self.rng.randrange(86_400)), self._book)
            self.run_until(day_start + timedelta(days=1) - timedelta(microseconds=1))
        self.run_until(self.anchor)
        self._finish()
        return self.manifest

    # --- practitioners, schedules, services -------------------------------------------------------------
    def _plan_practitioners(self) -> None:
        s = self.scale
        per = max(s.services / max(s.practitioners, 1), 1.0)
        for i in range(s.practitioners):
            city, zone, lat, lng = self.rng.choice(words.CITIES)
            role = self._role(i)
            if role == "slots":
                weekdays, window, zone = tuple(range(7)), (7 * 60, 21 * 60), "Europe/London"
            elif role == "contention":
                weekdays, window = tuple(range(7)), (8 * 60, 20 * 60)
            else:
                weekdays = (0, 1, 2, 3, 4) if self.rng.random() < 0.6 else (0, 1, 2, 3, 4, 5)
                window = (self.rng.choice((8, 9, 10)) * 60, self.rng.choice((16, 17, 18)) * 60)
            p = _Practitioner(id=self.uuid(), user_id=self.uuid(), zone=zone, role=role, weekdays=weekdays,
                              window=window, active=role != "normal" or self.rng.random() < 0.97,
                              grid_minutes=45 if role == "slots" else GRID_MINUTES)
            self.practitioners.append(p)
            when = self.genesis + timedelta(seconds=self.rng.randrange(5 * 86_400))
            self.at(when, self._register_practitioner, p, i, role, (city, lat, lng))
            # round(), not int(): truncation left every scale ~10% under its nominal service count
            count = {"slots": 1, "contention": 1, "lag": 5}.get(role, max(1, round(self.rng.gauss(per, per / 3))))
            self._plan_services(p, role, count, when)
            if role == "normal":
                self._pool.append(p)
        # Popularity is skewed (Zipf-like): a few practitioners get most bookings, up to their capacity.
        self._pool_weights = list(itertools.accumulate(1 / (rank + 1) ** 0.6 for rank in range(len(self._pool))))

    def _role(self, index: int) -> str:
        if index == 0:
            return "slots"
        if index <= CONTENTION_PRACTITIONERS:
            return "contention"
        if index == CONTENTION_PRACTITIONERS + 1:
            return "lag"
        return "normal"

    def _register_practitioner(self, when: datetime, p: _Practitioner, index: int, role: str,
                               place: tuple[str, float, float]) -> None:
        first, last = self.rng.choice(words.FIRST_NAMES), self.rng.choice(words.LAST_NAMES)
        email = f"practitioner{index}@bench.example"
        self._user(p.user_id, email, first, last, p.zone, when)
        city, lat, lng = place
        online_only = p.online_only = role != "normal" or self.rng.random() < 0.3
        latitude = None if online_only else round(lat + self.rng.uniform(-0.15, 0.15), 5)
        longitude = None if online_only else round(lng + self.rng.uniform(-0.15, 0.15), 5)
        address = "" if online_only else f"{self.rng.randint(1, 200)} Main Street, {city}"
        title = self.rng.choice(words.TITLES)
        modalities = sorted(self.rng.sample(sorted(self.modalities), self.rng.randint(1, 3)))
        bio = f"{title} based in {city}, practising {', '.join(m.replace('-', ' ') for m in modalities)}."
        min_notice = 60 if role == "contention" else 1440
        max_advance = 90 if role == "slots" else 60
        display_name = f"{first} {last}"
        self.sink.add(Practitioner, id=p.id, user_id=p.user_id, display_name=display_name, title=title, bio=bio,
                      timezone=p.zone, is_active=p.active, online_only=online_only, address=address, latitude=latitude,
                      longitude=longitude, buffer_minutes=p.buffer, min_notice_minutes=min_notice,
                      max_advance_days=max_advance, created_at=when, updated_at=when)
        for slug in modalities:
            self.sink.add(Practitioner.modalities.through, practitioner_id=p.id, modality_id=self.modalities[slug][0])
        self.emit(ev.PractitionerRegistered(
            practitioner_id=p.id, user_id=p.user_id, display_name=display_name, title=title, bio=bio,
            timezone=p.zone, is_active=p.active, online_only=online_only, address=address, latitude=latitude,
            longitude=longitude, modalities=tuple(modalities), buffer_minutes=p.buffer, min_notice_minutes=min_notice,
            max_advance_days=max_advance), when, p.user_id)
        windows = tuple({"weekday": d, "start_minute": p.window[0], "end_minute": p.window[1]} for d in p.weekdays)
        for w in windows:
            self.sink.add(WeeklyWindow, practitioner_id=p.id, **w)
        self.emit(ev.ScheduleUpdated(practitioner_id=p.id, timezone=p.zone, windows=windows), when, p.user_id)
        if role == "slots":
            self.manifest.slots_practitioner_id = str(p.id)
        elif role == "lag":
            self.manifest.lag_practitioner_user_id = str(p.user_id)

    def _user(self, user_id: UUID, email: str, first: str, last: str, zone: str, when: datetime) -> None:
        self.sink.add(User, id=user_id, password=self.password_hash, username=email, email=email, first_name=first,
                      last_name=last, timezone=zone, date_joined=when)
        self.emit(ev.UserRegistered(user_id=user_id, email=email, first_name=first, last_name=last), when, user_id)

    def _plan_services(self, p: _Practitioner, role: str, count: int, registered: datetime) -> None:
        sessions_only = role != "normal"
        for j in range(count):
            kind = "session" if sessions_only or j == 0 else self.rng.choices(
                ("session", "workshop", "course", "package", "bundle"), (70, 12, 4, 7, 7))[0]
            if kind in ("package", "bundle") and not [c for c in p.services if c.service_type == "session"]:
                kind = "session"
            created = registered + timedelta(minutes=5 + j * 7, seconds=self.rng.randrange(3600))
            status = "active" if sessions_only else self.rng.choices(("active", "draft", "inactive"), (94, 3, 3))[0]
            service = _Service(id=self.uuid(), practitioner=p, title="", service_type=kind, status=status,
                               price_cents=self.rng.randrange(20, 200) * 100, created_at=created,
                               duration={"contention": 60, "slots": 30}.get(role) or self.rng.choice((30, 45, 60)))
            if kind == "workshop":
                service.duration, service.capacity = 90, self.rng.randint(8, 20)
            elif kind == "course":
                service.duration, service.capacity = 60, self.rng.randint(6, 12)
                service.price_cents *= 4
            elif kind in ("package", "bundle"):
                singles = [c for c in p.services if c.service_type == "session"]
                if kind == "bundle" or len(singles) < 2:
                    kind = service.service_type = "bundle"
                    service.children = [(self.rng.choice(singles), self.rng.choice((5, 10)))]
                else:
                    service.children = [(c, 1) for c in self.rng.sample(singles, 2)]
                service.price_cents = int(sum(c.price_cents * q for c, q in service.children) * 0.85)
            p.services.append(service)
            self.at(created, self._create_service, service)

    def _service_title(self, service: _Service, modality: str) -> str:
        practices = words.PRACTICES.get(modality) or (self.modalities[modality][1].lower(),)
        parts = [self.rng.choice(words.ADJECTIVES), self.rng.choice(practices),
                 self.rng.choice(words.SUFFIXES[service.service_type]), self.rng.choice(words.AUDIENCES)]
        return " ".join(x for x in parts if x)[:200]

    def _create_service(self, when: datetime, service: _Service) -> None:
        p = service.practitioner
        modalities = sorted(self.rng.sample(sorted(self.modalities), self.rng.randint(1, 2)))
        category = self.rng.choice(sorted(self.categories))
        service.title = self._service_title(service, modalities[0])
        description = (f"{service.title}. A {service.duration}-minute {service.service_type} with a certified "
                       f"practitioner: {', '.join(m.replace('-', ' ') for m in modalities)}.")
        service_format = "online" if p.online_only else self.rng.choice(("in_person", "hybrid", "online"))
        self.sink.add(Service, id=service.id, practitioner_id=p.id, title=service.title, description=description,
                      service_type=service.service_type, format=service_format, status=service.status,
                      price_cents=service.price_cents, duration_minutes=service.duration,
                      category_id=self.categories[category][0], step_minutes=15, capacity=service.capacity,
                      validity_days=service.validity_days, created_at=when, updated_at=when)
        for slug in modalities:
            self.sink.add(Service.modalities.through, service_id=service.id, modality_id=self.modalities[slug][0])
        children = sorted(service.children, key=lambda c: str(c[0].id))
        for child, quantity in children:
            self.sink.add(ServiceChild, parent_id=service.id, child_id=child.id, quantity=quantity)
        self.emit(ev.ServiceCreated(
            service_id=service.id, practitioner_id=p.id, title=service.title, description=description,
            service_type=service.service_type, format=service_format, status=service.status,
            price_cents=service.price_cents, duration_minutes=service.duration, created_at=when, category=category,
            category_name=self.categories[category][1], modalities=tuple(modalities), step_minutes=15,
            capacity=service.capacity, validity_days=service.validity_days,
            children=tuple({"service_id": str(c.id), "quantity": q} for c, q in children)), when, p.user_id)
        if service.service_type in ("workshop", "course"):
            self._create_sessions(when, service)
        if service.public:
            self._sample(self._sampled_public, str(service.id), 2_000)
            if service.service_type == "session" and p.role == "normal":
                self._sample(self._sampled_sessions, str(service.id), 1_000)

    def _sample(self, bucket: list[str], item: str, limit: int) -> None:
        if len(bucket) < limit:
            bucket.append(item)
        else:
            k = self.rng.randrange(limit * 4)
            if k < limit:
                bucket[k] = item

    def _create_sessions(self, when: datetime, service: _Service) -> None:
        """Weekly sessions from 90 days before the anchor to 60 days after, in an evening slot of their own."""
        p = service.practitioner
        slot = p.evening_slots
        p.evening_slots += 1
        if slot >= 14:
            return  # the practitioner's evenings are full; this one has no dates yet
        weekday, hour = slot % 7, SESSION_HOUR + 2 * (slot // 7)
        first = max(self.anchor - timedelta(days=90), when + timedelta(days=1)).date()
        first += timedelta(days=(weekday - first.weekday()) % 7)
        last = (self.anchor + timedelta(days=60)).date()
        count = 4 if service.service_type == "course" else None
        day = first
        while day <= last and (count is None or len(service.sessions) < count):
            start = _local(day, hour * 60, p.zone)
            session = _Session(id=self.uuid(), start=start, end=start + timedelta(minutes=service.duration),
                               capacity=service.capacity)
            service.sessions.append(session)
            self.sink.add(ServiceSession, id=session.id, service_id=service.id, start_at=session.start,
                          end_at=session.end, capacity=session.capacity, status="scheduled", created_at=when)
            self.emit(ev.ServiceSessionScheduled(session_id=session.id, service_id=service.id, practitioner_id=p.id,
                                                 start_at=session.start, end_at=session.end,
                                                 capacity=session.capacity, status="scheduled"), when, p.user_id)
            day += timedelta(days=7)

    # --- clients and streams --------------------------------------------------------------------------
    def _plan_clients(self) -> None:
        for i in range(self.scale.clients):
            client = _Client(id=self.uuid(), first_name=self.rng.choice(words.FIRST_NAMES),
                             last_name=self.rng.choice(words.LAST_NAMES))
            self.clients.append(client)
            when = self.genesis + timedelta(seconds=self.rng.randrange(SETUP_DAYS * 86_400))
            self.at(when, self._register_client, client, i)
            if i < self._reserved:
                self.manifest.client_user_ids.append(str(client.id))

    def _register_client(self, when: datetime, client: _Client, index: int) -> None:
        self._user(client.id, f"client{index}@bench.example", client.first_name, client.last_name,
                   self.rng.choice(words.CITIES)[1], when)
        self._purchase(client, 1_000_000 if index < self._reserved else self.rng.randrange(200, 2_000) * 100, when)

    def _purchase(self, client: _Client, amount: int, when: datetime) -> None:
        charge = f"ch_bench_{self.uuid().hex[:16]}"
        row = self._ledger(client, "purchase", amount, "payment", charge, f"purchase:test:{charge}", when)
        self.emit(ev.CreditsPurchased(**row, provider="test"), when, client.id)

    def _ledger(self, client: _Client, kind: str, amount: int, ref_type: str, ref_id: str, dedupe: str,
                when: datetime) -> dict[str, Any]:
        client.balance += amount
        client.sequence += 1
        assert client.balance >= 0
        transaction_id = self.uuid()
        self.sink.add(CreditTransaction, id=transaction_id, user_id=client.id, sequence=client.sequence, kind=kind,
                      amount_cents=amount, balance_after_cents=client.balance, reference_type=ref_type,
                      reference_id=ref_id, dedupe_key=dedupe, description="", actor_id=None, created_at=when)
        return {"transaction_id": transaction_id, "user_id": client.id, "sequence": client.sequence,
                "amount_cents": amount, "balance_after_cents": client.balance, "reference_type": ref_type,
                "reference_id": ref_id, "created_at": when}

    def _plan_streams(self) -> None:
        for _ in range(self.scale.streams):
            p = self.rng.choice(self.practitioners)
            when = self.genesis + timedelta(days=SETUP_DAYS, seconds=self.rng.randrange(
                max((self.scale.history_days - SETUP_DAYS) * 86_400, 1)))
            self.at(when, self._publish_stream, p)

    def _publish_stream(self, when: datetime, p: _Practitioner) -> None:
        modalities = sorted(self.rng.sample(sorted(self.modalities), self.rng.randint(1, 2)))
        practice = self.rng.choice(words.PRACTICES.get(modalities[0]) or (self.modalities[modalities[0]][1].lower(),))
        title = f"{self.rng.choice(words.STREAM_TOPICS)} {practice}"
        premium = self.rng.random() < 0.3
        price = self.rng.randrange(3, 15) * 100 if premium else 0
        stream_id = self.uuid()
        tags = sorted({modalities[0], practice.split()[-1]})
        values: dict[str, Any] = {"title": title, "description": f"{title}: a short practice you can follow at home.",
                  "body": f"Full notes for {title.lower()}.", "media_url": f"https://media.bench.example/{stream_id}.mp4",
                  "access": "premium" if premium else "free", "price_cents": price, "status": "published",
                  "like_count": 0, "save_count": 0}
        self.sink.add(Stream, id=stream_id, practitioner_id=p.id, tags=tags, created_at=when, updated_at=when,
                      **values)
        for slug in modalities:
            self.sink.add(Stream.modalities.through, stream_id=stream_id, modality_id=self.modalities[slug][0])
        self.emit(ev.StreamPublished(stream_id=stream_id, practitioner_id=p.id, tags=tuple(tags),
                                     modalities=tuple(modalities), created_at=when, updated_at=when, **values),
                  when, p.user_id)

    # --- bookings -----------------------------------------------------------------------------------------
    def _schedule_heavy_slots(self) -> None:
        """The time-slot practitioner: exactly ``heavy_future_bookings`` future bookings, made last month."""
        p = self.practitioners[0]
        service = p.services[0]
        self.manifest.slots_service_id = str(service.id)
        for _ in range(self.scale.heavy_future_bookings):
            when = self.anchor - timedelta(days=30) + timedelta(seconds=self.rng.randrange(30 * 86_400 - 60))
            self.at(when, self._book_heavy, p, service)

    def _book_heavy(self, when: datetime, p: _Practitioner, service: _Service) -> None:
        day = (self.anchor + timedelta(days=1 + self.rng.randrange(31))).date()
        start = self._grid_slot(p, day, service.duration, search_days=58)
        if start is None or start <= self.anchor + timedelta(days=1):
            return
        self._book_single(when, p, service, self._bookable_client(), start, outcome="keep")
        self.manifest.slots_future_bookings += 1

    def _bookable_client(self) -> _Client:
        """A client the generator may book for (the same draw as ``rng.choice`` of the unreserved slice,
        without copying a list of 100k clients per booking)."""
        return self.clients[self._reserved + self.rng.randrange(len(self.clients) - self._reserved)]

    def _pick_practitioner(self) -> _Practitioner:
        x = self.rng.random() * self._pool_weights[-1]
        return self._pool[bisect.bisect_left(self._pool_weights, x)]

    def _book(self, when: datetime) -> None:
        for _ in range(6):  # a fully booked practitioner sends the client elsewhere
            p = self._pick_practitioner()
            if not p.active:
                continue
            public = [s for s in p.services if s.public]
            if not public:
                continue
            client = self._bookable_client()
            roll = self.rng.random()
            if roll < 0.10 and self._book_workshop(when, p, client, public):
                return
            if roll > 0.96 and self._book_container(when, p, client, public):
                return
            singles = [s for s in public if s.service_type == "session"]
            if not singles:
                continue
            service = self.rng.choice(singles)
            lead = int(self.rng.expovariate(1 / 10)) + 1
            start = self._grid_slot(p, (when + timedelta(days=lead)).date(), service.duration)
            if start is not None and start > when + timedelta(hours=24):
                self._book_single(when, p, service, client, start)
                return

    def _grid_slot(self, p: _Practitioner, day: date, duration: int, search_days: int = 14) -> datetime | None:
        # Every grid cell fits the practitioner's longest 1:1 service, so durations can mix on one day.
        per_day = (p.window[1] - p.window[0] - p.grid_minutes + p.buffer) // p.grid_minutes + 1
        assert duration + p.buffer <= p.grid_minutes
        for offset in range(search_days):
            d = day + timedelta(days=offset)
            if d.weekday() not in p.weekdays:
                continue
            taken = p.grid.get(d.toordinal(), 0)
            free = [k for k in range(per_day) if not taken >> k & 1]
            if not free:
                continue
            k = self.rng.choice(free)
            p.grid[d.toordinal()] = taken | (1 << k)
            return _local(d, p.window[0] + k * p.grid_minutes, p.zone)
        return None

    def _state(self, booking: dict[str, Any], status: str) -> dict[str, Any]:
        return {"booking_id": booking["id"], "client_id": booking["client_id"],
                "practitioner_id": booking["practitioner_id"], "service_id": booking["service_id"],
                "service_type": booking["service_type"], "status": status, "start_at": booking["start_at"],
                "end_at": booking["end_at"], "price_cents": booking["price_cents"],
                "session_ids": booking["session_ids"], "parent_id": booking["parent_id"],
                "practitioner_timezone": booking["zone"], "created_at": booking["created_at"]}

    def _charge(self, client: _Client, booking_id: UUID, amount: int, when: datetime) -> None:
        if client.balance < amount:
            self._purchase(client, max(amount, 100_000), when)
        row = self._ledger(client, "spend", -amount, "booking", str(booking_id), f"booking-charge:{booking_id}", when)
        self.emit(ev.CreditsSpent(**row), when, client.id)

    def _book_single(self, when: datetime, p: _Practitioner, service: _Service, client: _Client, start: datetime,
                     *, outcome: str = "random", session: _Session | None = None) -> None:
        end = start + timedelta(minutes=service.duration) if session is None else session.end
        booking: dict[str, Any] = {"id": self.uuid(), "client_id": client.id, "practitioner_id": p.id,
                                   "service_id": service.id,
                   "service_type": service.service_type, "start_at": start, "end_at": end,
                   "price_cents": service.price_cents, "session_ids": (str(session.id),) if session else (),
                   "parent_id": None, "zone": p.zone, "created_at": when}
        self._charge(client, booking["id"], service.price_cents, when)
        self.emit(ev.BookingConfirmed(**self._state(booking, "confirmed")), when, client.id)
        p.bookings += 1
        row: dict[str, Any] = {"status": "confirmed", "cancelled_at": None, "cancelled_by": "", "refund_cents": 0,
               "completed_at": None, "completed_by": ""}
        cancel_at = when + (start - when) * self.rng.random()
        if outcome == "random" and self.rng.random() < 0.12 and cancel_at <= self.anchor:
            by = Actor.CLIENT if self.rng.random() < 0.8 else Actor.PRACTITIONER
            refund = service.price_cents if by == "practitioner" or start - cancel_at >= timedelta(hours=24) else 0
            row.update(status="cancelled", cancelled_at=cancel_at, cancelled_by=by, refund_cents=refund)
            self.at(cancel_at, self._cancel, booking, client, p, by, refund, session)
        elif outcome == "random" and end + timedelta(minutes=5) <= self.anchor:
            done = end + timedelta(minutes=5)
            row.update(status="completed", completed_at=done, completed_by=Actor.SYSTEM)
            self.at(done, self._complete, booking, client, p, service)
        self.sink.add(Booking, id=booking["id"], client_id=client.id, practitioner_id=p.id, service_id=service.id,
                      parent_id=None, start_at=start, end_at=end, price_cents=service.price_cents,
                      charged_cents=service.price_cents, valid_until=None, cancellation_reason="",
                      created_at=when, updated_at=row["cancelled_at"] or row["completed_at"] or when, **row)
        if session is not None:
            self.sink.add(Seat, booking_id=booking["id"], session_id=session.id, client_id=client.id,
                          active=row["status"] != "cancelled")

    def _cancel(self, when: datetime, booking: dict[str, Any], client: _Client, p: _Practitioner, by: Actor,
                refund: int, session: _Session | None) -> None:
        if session is not None:
            session.clients.discard(client.id)  # the seat is free again from now on
        if refund:
            row = self._ledger(client, "refund", refund, "booking", str(booking["id"]),
                               f"booking-refund:{booking['id']}", when)
            self.emit(ev.CreditsRefunded(**row), when, None)
        actor = client.id if by == "client" else p.user_id
        self.emit(ev.BookingCancelled(**self._state(booking, "cancelled"), cancelled_by=by, refund_cents=refund,
                                      reason=""), when, actor)

    def _complete(self, when: datetime, booking: dict[str, Any], client: _Client, p: _Practitioner,
                  service: _Service) -> None:
        self.emit(ev.BookingCompleted(**self._state(booking, "completed"), completed_by=Actor.SYSTEM), when, None)
        reviewed = when + timedelta(minutes=self.rng.randrange(60, 3 * 24 * 60))
        if self.rng.random() < 0.25 and reviewed <= self.anchor:
            self.at(reviewed, self._review, booking, client, p, service)

    def _review(self, when: datetime, booking: dict[str, Any], client: _Client, p: _Practitioner,
                service: _Service) -> None:
        rating = self.rng.choices((1, 2, 3, 4, 5), RATING_WEIGHTS)[0]
        service.ratings[rating - 1] += 1
        p.ratings[rating - 1] += 1
        review_id = self.uuid()
        comment = self.rng.choice(("Wonderful session.", "Very helpful, thank you!", "Good, but started late.",
                                   "Calm and professional.", ""))
        self.sink.add(Review, id=review_id, booking_id=booking["id"], client_id=client.id, practitioner_id=p.id,
                      service_id=service.id, rating=rating, comment=comment, status="published", reply="",
                      replied_at=None, created_at=when, updated_at=when, deleted_at=None)
        self.emit(ev.ReviewPublished(
            review_id=review_id, booking_id=booking["id"], client_id=client.id, practitioner_id=p.id,
            service_id=service.id, service_title=service.title,
            reviewer_name=f"{client.first_name} {client.last_name[0]}.", rating=rating, comment=comment,
            status="published", reply="", replied_at=None, created_at=when, updated_at=when,
            service_rating=_summary(service.ratings), practitioner_rating=_summary(p.ratings)), when, client.id)

    def _book_workshop(self, when: datetime, p: _Practitioner, client: _Client, public: list[_Service]) -> bool:
        workshops = [s for s in public if s.service_type == "workshop" and s.sessions]
        self.rng.shuffle(workshops)
        for service in workshops:
            for session in service.sessions:
                if session.start > when + timedelta(hours=2) and len(session.clients) < session.capacity \
                        and client.id not in session.clients:
                    session.clients.add(client.id)
                    self._book_single(when, p, service, client, session.start, session=session)
                    return True
        return False

    def _book_container(self, when: datetime, p: _Practitioner, client: _Client, public: list[_Service]) -> bool:
        containers = [s for s in public if s.service_type in ("package", "bundle")]
        if not containers:
            return False
        service = self.rng.choice(containers)
        valid_until = when + timedelta(days=service.validity_days)
        parent: dict[str, Any] = {"id": self.uuid(), "client_id": client.id, "practitioner_id": p.id,
                                  "service_id": service.id,
                  "service_type": service.service_type, "start_at": None, "end_at": None,
                  "price_cents": service.price_cents, "session_ids": (), "parent_id": None, "zone": p.zone,
                  "created_at": when}
        self._charge(client, parent["id"], service.price_cents, when)
        units = [child for child, quantity in sorted(service.children, key=lambda c: str(c[0].id))
                 for _ in range(quantity)]
        shares = _shares(service.price_cents, [u.price_cents for u in units])
        events: list[ev.DomainEvent] = [ev.BookingConfirmed(**self._state(parent, "confirmed"))]
        self.sink.add(Booking, id=parent["id"], client_id=client.id, practitioner_id=p.id, service_id=service.id,
                      parent_id=None, status="confirmed", start_at=None, end_at=None, price_cents=service.price_cents,
                      charged_cents=service.price_cents, valid_until=valid_until, cancelled_at=None, cancelled_by="",
                      cancellation_reason="", refund_cents=0, completed_at=None, completed_by="", created_at=when,
                      updated_at=when)
        for unit, share in zip(units, shares, strict=True):
            child = {**parent, "id": self.uuid(), "service_id": unit.id, "service_type": unit.service_type,
                     "price_cents": share, "parent_id": parent["id"]}
            self.sink.add(Booking, id=child["id"], client_id=client.id, practitioner_id=p.id, service_id=unit.id,
                          parent_id=parent["id"], status="unscheduled", start_at=None, end_at=None,
                          price_cents=share, charged_cents=0, valid_until=valid_until, cancelled_at=None,
                          cancelled_by="", cancellation_reason="", refund_cents=0, completed_at=None,
                          completed_by="", created_at=when, updated_at=when)
            events.append(ev.BookingCreatedUnscheduled(**self._state(child, "unscheduled"), valid_until=valid_until))
        for event in events:
            self.emit(event, when, client.id)
        p.bookings += 1
        return True

    # --- the end: balances, manifest -------------------------------------------------------------------
    def _finish(self) -> None:
        for client in self.clients:
            if client.sequence:
                self.sink.add(CreditAccount, user_id=client.id, balance_cents=client.balance,
                              last_sequence=client.sequence, updated_at=self.anchor)
        m = self.manifest
        pool = sorted(self._pool, key=lambda p: (-p.bookings, str(p.id)))
        heavy = pool[0]
        typical = pool[len(pool) // 2]
        m.heavy_practitioner_id, m.heavy_practitioner_user_id = str(heavy.id), str(heavy.user_id)
        m.heavy_practitioner_bookings = heavy.bookings
        m.typical_practitioner_id, m.typical_practitioner_user_id = str(typical.id), str(typical.user_id)
        m.practitioner_zones = {str(p.id): p.zone for p in (heavy, typical, *self.practitioners[:6])}
        contention = self.practitioners[1:CONTENTION_PRACTITIONERS + 1]
        m.contention_practitioner_ids = [str(p.id) for p in contention]
        m.contention_service_ids = [str(p.services[0].id) for p in contention]
        m.contention_zones = [p.zone for p in contention]
        m.lag_service_ids = [str(s.id) for s in self.practitioners[CONTENTION_PRACTITIONERS + 1].services]
        m.public_service_ids = sorted(self._sampled_public)
        m.session_service_ids = sorted(self._sampled_sessions)
        terms = sorted({phrase for phrases in words.PRACTICES.values() for phrase in phrases})
        m.search_terms = terms + sorted({t.split()[-1] for t in terms})
        m.suggestion_prefixes = sorted({t[:n] for t in terms for n in (2, 3, 5) if len(t) > n})
        m.points = [(lat, lng) for _, _, lat, lng in words.CITIES]


@functools.cache
def _zone(name: str) -> ZoneInfo:
    """ZoneInfo keeps only a few zones strongly cached; the generator cycles through dozens."""
    return ZoneInfo(name)


def _local(day: date, minutes: int, zone: str) -> datetime:
    """``minutes`` after local midnight of ``day`` in ``zone`` (wall-clock time), as UTC."""
    local = datetime.combine(day, time(0), tzinfo=_zone(zone)) + timedelta(minutes=minutes)
    return local.astimezone(UTC)


def _summary(counts: list[int]) -> dict[str, Any]:
    """The rating summary the review commands compute (``write_api.reviews.services.rating_summary``)."""
    count = sum(counts)
    total = sum((i + 1) * n for i, n in enumerate(counts))
    return {"average": round(total / count, 2) if count else None, "count": count,
            "distribution": {str(i + 1): n for i, n in enumerate(counts)}}


def _shares(total: int, weights: list[int]) -> list[int]:
    """A package's price split over its sessions (``write_api.bookings.services._shares``: largest remainder)."""
    if sum(weights) == 0:
        base, extra = divmod(total, len(weights))
        return [base + (1 if i < extra else 0) for i in range(len(weights))]
    raw = [total * w / sum(weights) for w in weights]
    shares = [int(r) for r in raw]
    for i in sorted(range(len(raw)), key=lambda i: raw[i] - shares[i], reverse=True)[:total - sum(shares)]:
        shares[i] += 1
    return shares


def load_reference(connection: psycopg.Connection) -> dict[str, dict[str, tuple[UUID, str]]]:
    out: dict[str, dict[str, tuple[UUID, str]]] = {}
    for table in ("category", "modality"):
        rows = connection.execute(f'SELECT slug, id, name FROM "{table}" ORDER BY slug').fetchall()
        out[table] = {slug: (row_id, name) for slug, row_id, name in rows}
    return out
