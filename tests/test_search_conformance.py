"""One behaviour, every engine: the same events, the same queries, the same answers.

Runs on tantivy always, on OpenSearch through the in-memory ``osmem-server`` (started once per session
on a free port), and on Elasticsearch when ``ELASTICSEARCH_URL`` is set. Events go through the real
:class:`SearchProjection` into each engine; the assertions are exact (ids and order) wherever the order
is defined, and otherwise on sets.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kernel.events import (
    BookingConfirmed,
    DomainEvent,
    PractitionerRegistered,
    PractitionerUpdated,
    RecordedEvent,
    ServiceCreated,
    ServiceUpdated,
)
from search_index.documents import KINDS, index_name
from search_index.engine import SearchEngine, SearchFilters, SearchRequest, SuggestRequest
from search_index.engines import configured_engine
from search_index.engines.elasticsearch_engine import ElasticsearchEngine
from search_index.engines.opensearch_engine import OpenSearchEngine
from search_index.engines.tantivy_engine import TantivyEngine
from search_index.geo import Point, haversine_km
from search_index.projection import SearchProjection
from workers import registry, runtime

ENGINES = ["tantivy", "opensearch", "elasticsearch"]
ON_OSMEM: set[str] = set()  # index prefixes of engines talking to osmem-server
LONDON = Point(51.5074, -0.1278)


# --- engines ------------------------------------------------------------------------------------------
def _new_engine(name: str, request: pytest.FixtureRequest, root) -> SearchEngine:
    prefix = f"conf_{uuid.uuid4().hex[:10]}"
    if name == "tantivy":
        return TantivyEngine(root / prefix, prefix=prefix)
    if name == "opensearch":
        ON_OSMEM.add(prefix)
        return OpenSearchEngine(request.getfixturevalue("opensearch_url"), prefix=prefix)
    url = os.environ.get("ELASTICSEARCH_URL")
    if not url:
        pytest.skip("ELASTICSEARCH_URL is not set")

    return ElasticsearchEngine(url, prefix=prefix)


def _drop(engine: SearchEngine) -> None:
    if isinstance(engine, TantivyEngine):
        return
    for generation, kind in itertools.product(range(1, 4), (*KINDS, "position")):
        engine._delete_index(index_name(engine.prefix, kind, generation))  # type: ignore[attr-defined]  # server engines


# --- events -------------------------------------------------------------------------------------------
class Log:
    """Builds recorded events with increasing positions, as the event log would."""

    def __init__(self) -> None:
        self.position = 0
        self.events: list[RecordedEvent[Any]] = []
        self.clock = datetime(2024, 1, 1, tzinfo=UTC)

    def add(self, domain_event: DomainEvent) -> RecordedEvent[Any]:
        self.position += 1
        self.clock += timedelta(hours=1)
        recorded: RecordedEvent[Any] = RecordedEvent(
            position=self.position, event_id=uuid.uuid4(), type=domain_event.event_type,
            version=domain_event.version, aggregate_type=domain_event.aggregate_type,
            aggregate_id=domain_event.aggregate_id(), payload=domain_event.payload(),
            actor_id=None, request_id=None, recorded_at=self.clock)
        self.events.append(recorded)
        return recorded


def practitioner_state(pid, name, *, headline="", bio="", point: Point | None = None, modalities=(), active=True,
                       address=""):
    return dict(practitioner_id=pid, user_id=uuid.uuid4(), display_name=name, title=headline, bio=bio,
                timezone="Europe/London", is_active=active, online_only=point is None, address=address,
                latitude=point.latitude if point else None, longitude=point.longitude if point else None,
                modalities=tuple(modalities))


CATEGORY_NAMES = {"mind": "Mind & mental health", "movement": "Movement & fitness", "energy": "Energy healing",
                  "spiritual": "Spiritual practice"}


def service_state(sid, pid, title, *, service_type="session", fmt="online", price=1000, category=None,
                  modalities=(), created="2024-01-01", status="active", description=""):
    return dict(service_id=sid, practitioner_id=pid, title=title, description=description,
                service_type=service_type, format=fmt, status=status, price_cents=price, duration_minutes=60,
                created_at=datetime.fromisoformat(created).replace(tzinfo=UTC), category=category,
                category_name=CATEGORY_NAMES.get(category), modalities=tuple(modalities))


def booking(service_id, practitioner_id) -> BookingConfirmed:
    now = datetime(2024, 9, 1, tzinfo=UTC)
    return BookingConfirmed(booking_id=uuid.uuid4(), client_id=uuid.uuid4(), practitioner_id=practitioner_id,
                            service_id=service_id, service_type="session", status="confirmed", start_at=now,
                            end_at=now + timedelta(hours=1), price_cents=1000, session_ids=(), parent_id=None,
                            practitioner_timezone="Europe/London", created_at=now)


class Catalogue:
    """The shared data set: seven practitioners, eleven services, a few bookings."""

    def __init__(self) -> None:
        ids = {name: str(uuid.uuid4()) for name in ("ada", "bruno", "chloe", "dmitri", "eve", "farah", "gus")}
        self.p = ids
        self.points = {"ada": LONDON, "bruno": Point(48.8566, 2.3522), "dmitri": Point(52.2053, 0.1218),
                       "eve": Point(51.4613, -0.3037), "farah": Point(-33.8688, 151.2093),
                       "gus": Point(-13.8333, -171.7667)}
        self.states = {
            "ada": practitioner_state(ids["ada"], "Ada Lovelace", headline="Breathwork coach",
                                      bio="Calm breathing for busy people.", point=LONDON,
                                      modalities=("breathwork", "meditation"), address="Camden, London"),
            "bruno": practitioner_state(ids["bruno"], "Bruno Díaz", headline="Yoga teacher",
                                        point=self.points["bruno"], modalities=("yoga",), address="Paris"),
            "chloe": practitioner_state(ids["chloe"], "Chloé Martin", headline="Reiki master",
                                        modalities=("reiki",)),
            "dmitri": practitioner_state(ids["dmitri"], "Dmitri Volkov", headline="Sound therapist",
                                         point=self.points["dmitri"], address="Cambridge"),
            "eve": practitioner_state(ids["eve"], "Eve Okafor", headline="Tai chi instructor",
                                      point=self.points["eve"], modalities=("tai-chi",), address="Richmond"),
            "farah": practitioner_state(ids["farah"], "Farah Haddad", headline="Pilates", point=self.points["farah"],
                                        modalities=("pilates",), address="Sydney"),
            "gus": practitioner_state(ids["gus"], "Gus Tuilagi", headline="Massage", point=self.points["gus"],
                                      modalities=("massage",), address="Apia"),
        }
        self.s = {name: str(uuid.uuid4()) for name in (
            "holotropic", "mindfulness", "vinyasa", "retreat", "reiki", "soundbath", "cafe", "taichi", "draft",
            "pass", "pilates")}
        s, p = self.s, ids
        self.services = {
            "holotropic": service_state(s["holotropic"], p["ada"], "Holotropic breathwork circle", price=5500,
                                        category="mind", modalities=("breathwork",), created="2024-01-05",
                                        description="Deep breathing practice in a safe circle."),
            "mindfulness": service_state(s["mindfulness"], p["ada"], "Mindfulness meditation for beginners",
                                         service_type="workshop", fmt="hybrid", price=3000, category="mind",
                                         modalities=("meditation", "mindfulness"), created="2024-02-05",
                                         description="Learn to sit still and notice your thoughts."),
            "vinyasa": service_state(s["vinyasa"], p["bruno"], "Vinyasa yoga flow", fmt="in_person", price=4500,
                                     category="movement", modalities=("yoga",), created="2024-03-05",
                                     description="A dynamic class linking breath and movement."),
            "retreat": service_state(s["retreat"], p["bruno"], "Yoga retreat weekend in Provence",
                                     service_type="course", fmt="in_person", price=45000, category="movement",
                                     modalities=("yoga",), created="2024-04-05",
                                     description="Three days of yoga, food and sunshine."),
            "reiki": service_state(s["reiki"], p["chloe"], "Reiki energy healing", price=6000, category="energy",
                                   modalities=("reiki",), created="2024-05-05",
                                   description="Distance reiki sessions that help the body heal itself."),
            "soundbath": service_state(s["soundbath"], p["dmitri"], "Sound bath relaxation",
                                       service_type="workshop", fmt="in_person", price=2500, category="spiritual",
                                       modalities=("sound-healing",), created="2024-06-05",
                                       description="Gongs and singing bowls."),
            "cafe": service_state(s["cafe"], p["dmitri"], "Café yoga & brunch", fmt="in_person", price=3500,
                                  category="movement", modalities=("yoga",), created="2024-07-05",
                                  description="Gentle stretches, then coffee."),
            "taichi": service_state(s["taichi"], p["eve"], "Tai chi in the park", fmt="in_person", price=2000,
                                    category="movement", modalities=("tai-chi",), created="2024-08-05",
                                    description="Slow movement outdoors."),
            "draft": service_state(s["draft"], p["ada"], "Pranayama intensive", price=9000, status="draft",
                                   created="2024-08-06"),
            "pass": service_state(s["pass"], p["bruno"], "Yoga 10-class pass", service_type="bundle",
                                  fmt="in_person", price=40000, category="movement", modalities=("yoga",),
                                  created="2024-08-07", description="Ten Vinyasa classes."),
            "pilates": service_state(s["pilates"], p["farah"], "Reformer pilates", fmt="in_person", price=4000,
                                     category="movement", modalities=("pilates",), created="2024-08-08"),
        }

    def events(self) -> Log:
        log = Log()
        for name in ("ada", "bruno", "chloe", "dmitri", "eve", "farah", "gus"):
            log.add(PractitionerRegistered(**self.states[name]))
        for state in self.services.values():
            log.add(ServiceCreated(**state))
        # A practitioner update after their services exist re-denormalises them (name and place).
        log.add(PractitionerUpdated(**{**self.states["dmitri"], "display_name": "Dmitri Volkov-Smith"}))
        for name, count in (("vinyasa", 3), ("retreat", 2), ("cafe", 1)):
            service = self.services[name]
            for _ in range(count):
                log.add(booking(service["service_id"], service["practitioner_id"]))
        return log

    def located_visible(self) -> dict[str, Point]:
        """Every visible document with a location → its point (the test's own geo truth)."""
        out = {self.p[n]: pt for n, pt in self.points.items()}
        for name, state in self.services.items():
            owner = next(n for n, pid in self.p.items() if pid == state["practitioner_id"])
            if state["status"] == "active" and owner in self.points:
                out[self.s[name]] = self.points[owner]
        return out


def load(engine: SearchEngine, events: list[RecordedEvent[Any]], generation: int = 1, batch: int = 4) -> None:
    projection = SearchProjection(engine)
    projection.prepare(generation)
    for start in range(0, len(events), batch):
        # As the runtime does: each commit records its position too (a hidden document every query must skip).
        chunk = events[start:start + batch]
        projection.apply_through(chunk, generation, chunk[-1].position)
    projection.activate(generation)


@pytest.fixture(scope="module", params=ENGINES)
def loaded(request, tmp_path_factory):
    engine = _new_engine(request.param, request, tmp_path_factory.mktemp("conformance"))
    data = Catalogue()
    load(engine, data.events().events)
    yield engine, data
    _drop(engine)


def test_the_index_records_the_position_of_its_last_commit_and_hides_it(loaded):
    engine, data = loaded
    log = data.events()
    assert engine.applied_position(1) == log.position
    assert engine.applied_position(99) == 0  # a generation that holds nothing (say a lost index)
    assert "@position" not in {d["id"] for d in engine.all_documents(1)}
    assert {d["kind"] for d in engine.all_documents(1)} <= set(KINDS)
    assert all(hit.kind in KINDS for hit in everything(engine))


def ids(result) -> list[str]:
    return [h.id for h in result.hits]


def everything(engine: SearchEngine, **kwargs) -> list:
    result = engine.search(SearchRequest(limit=100, **kwargs))
    assert result.total == len(result.hits)
    return result.hits


# --- text ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("q, target", [
    ("meditaton", "mindfulness"),  # a letter missing
    ("breathwrok", "holotropic"),  # two letters swapped
    ("vinyassa", "vinyasa"),  # a letter too many
    ("provense", "retreat"),
])
def test_a_query_with_one_typo_finds_its_target_first(loaded, q, target):
    engine, data = loaded
    result = engine.search(SearchRequest(q=q, kinds=("service",)))
    assert ids(result)[:1] == [data.s[target]]


def test_words_are_folded_and_stemmed_and_all_must_match(loaded):
    engine, data = loaded
    # "CAFE" is "Café" folded; one edit away, "safe" (in a description) matches too, below the exact match.
    assert ids(engine.search(SearchRequest(q="CAFE", kinds=("service",)))) == [data.s["cafe"], data.s["holotropic"]]
    # "heals" and "healing" share the stem "heal" (the sound bath's modality is sound-healing).
    assert set(ids(engine.search(SearchRequest(q="heals", kinds=("service",))))) == {data.s["reiki"],
                                                                                    data.s["soundbath"]}
    assert set(ids(engine.search(SearchRequest(q="yoga provence")))) == {data.s["retreat"]}
    assert ids(engine.search(SearchRequest(q="yoga zanzibar"))) == []
    # Category names, modalities and the practitioner's name are searchable on a service.
    assert set(ids(engine.search(SearchRequest(q="energy healing", kinds=("service",))))) == {data.s["reiki"]}
    assert set(ids(engine.search(SearchRequest(q="lovelace", kinds=("service",))))) == {
        data.s["holotropic"], data.s["mindfulness"]}


def test_the_last_word_also_matches_as_a_title_prefix(loaded):
    engine, data = loaded
    assert set(ids(engine.search(SearchRequest(q="vin", kinds=("service",))))) == {data.s["vinyasa"]}
    assert set(ids(engine.search(SearchRequest(q="sound ba", kinds=("service",))))) == {data.s["soundbath"]}


def test_matches_are_highlighted(loaded):
    engine, data = loaded
    result = engine.search(SearchRequest(q="breathwork", kinds=("service",), highlight=True))
    hit = next(h for h in result.hits if h.id == data.s["holotropic"])
    assert "<em>breathwork</em>" in hit.highlights["title"].lower()
    assert "<em>" not in hit.highlights["description"]
    assert hit.highlights["description"].startswith("Deep breathing practice")


def test_unknown_or_hidden_documents_are_not_found(loaded):
    engine, data = loaded
    assert ids(engine.search(SearchRequest(q="pranayama"))) == []  # a draft
    assert engine.fetch("practitioner", data.p["ada"])["title"] == "Ada Lovelace"
    assert engine.fetch("service", data.p["ada"]) is None


def test_a_practitioner_change_reaches_their_services(loaded):
    engine, data = loaded
    hits = everything(engine, q="volkov smith")
    assert {h.id for h in hits} == {data.p["dmitri"], data.s["soundbath"], data.s["cafe"]}
    assert {h.document["practitioner_name"] for h in hits} == {"Dmitri Volkov-Smith"}


# --- filters, distance, facets ------------------------------------------------------------------------
# osmem-server's geo_distance filter is not exactly the great circle: measured against haversine with
# Lucene's mean Earth radius it deviates by up to ±0.104 % (its _geo_distance sort is exact). Documents
# within that band around the radius may fall either way there; everywhere else, and on every other
# engine, the answer must equal the great-circle computation exactly.
OSMEM_GEO_TOLERANCE = 0.0011


def _tolerance(engine: SearchEngine) -> float:
    return OSMEM_GEO_TOLERANCE if getattr(engine, "prefix", None) in ON_OSMEM else 0.0


@pytest.mark.parametrize("radius", [1, 14, 50, 80, 400, 17_000])
def test_distance_filter_agrees_with_the_great_circle(loaded, radius):
    engine, data = loaded
    tolerance = _tolerance(engine)
    distances = {i: haversine_km(LONDON, point) for i, point in data.located_visible().items()}
    inside = {i for i, d in distances.items() if d <= radius * (1 - tolerance)}
    undecided = {i for i, d in distances.items() if radius * (1 - tolerance) < d <= radius * (1 + tolerance)}
    hits = {h.id for h in everything(engine, filters=SearchFilters(near=LONDON, distance_km=radius))}
    assert hits - undecided == inside
    assert undecided == set() or tolerance > 0


def test_distance_across_the_antimeridian(loaded):
    engine, data = loaded
    fiji = Point(-17.7134, 178.0650)
    expected = {i for i, point in data.located_visible().items() if haversine_km(fiji, point) <= 3_500}
    hits = everything(engine, filters=SearchFilters(near=fiji, distance_km=3_500))
    assert {h.id for h in hits} == expected == {data.p["farah"], data.s["pilates"], data.p["gus"]}


@pytest.mark.parametrize("filters, expected", [
    (SearchFilters(service_type="workshop"), {"mindfulness", "soundbath"}),
    (SearchFilters(format="hybrid"), {"mindfulness"}),
    (SearchFilters(price_min_cents=3000, price_max_cents=4500), {"mindfulness", "vinyasa", "cafe", "pilates"}),
    (SearchFilters(category="mind"), {"holotropic", "mindfulness"}),
    (SearchFilters(modality="yoga"), {"vinyasa", "retreat", "cafe", "pass"}),
    (SearchFilters(rating_min=1), set()),
])
def test_service_filters(loaded, filters, expected):
    engine, data = loaded
    hits = everything(engine, kinds=("service",), filters=filters)
    assert {h.id for h in hits} == {data.s[name] for name in expected}


def test_practitioner_filter_and_kinds(loaded):
    engine, data = loaded
    hits = everything(engine, filters=SearchFilters(practitioner_id=data.p["ada"]))
    assert {h.id for h in hits} == {data.p["ada"], data.s["holotropic"], data.s["mindfulness"]}
    assert {h.kind for h in everything(engine, kinds=("practitioner",))} == {"practitioner"}
    assert everything(engine, kinds=("stream",)) == []


@pytest.mark.parametrize("kwargs", [
    {},
    {"q": "yoga"},
    {"kinds": ("service",), "filters": SearchFilters(format="in_person")},
    {"filters": SearchFilters(near=LONDON, distance_km=100)},
    {"q": "yoga", "filters": SearchFilters(near=LONDON, distance_km=400)},
])
def test_facet_counts_equal_the_counts_of_the_filtered_hits(loaded, kwargs):
    engine, _ = loaded
    result = engine.search(SearchRequest(limit=100, facets=True, **kwargs))
    assert result.total == len(result.hits) > 0
    for facet in ("kind", "service_type", "format", "category"):
        counted = Counter(h.document.get(facet) for h in result.hits if h.document.get(facet))
        assert result.facets[facet] == dict(counted), facet
    # A page of one still reports the facets of every hit.
    assert engine.search(SearchRequest(limit=1, facets=True, **kwargs)).facets == result.facets


# --- ordering and pages -------------------------------------------------------------------------------
def _expected_order(hits, key):
    return [h.id for h in sorted(hits, key=key)]


def test_sort_orders(loaded):
    engine, data = loaded
    services = everything(engine, kinds=("service",))
    by_price = _expected_order(services, lambda h: (h.document["price_cents"], h.id))
    assert ids(engine.search(SearchRequest(kinds=("service",), ordering="price", limit=100))) == by_price
    by_price_desc = _expected_order(services, lambda h: (-h.document["price_cents"], h.id))
    assert ids(engine.search(SearchRequest(kinds=("service",), ordering="-price", limit=100))) == by_price_desc
    newest = _expected_order(services, lambda h: (-datetime.fromisoformat(h.document["created_at"]).timestamp(),
                                                  h.id))
    assert ids(engine.search(SearchRequest(kinds=("service",), ordering="newest", limit=100))) == newest
    # Nobody is rated yet: rating order falls back to the id.
    assert ids(engine.search(SearchRequest(kinds=("service",), ordering="rating", limit=100))) == sorted(
        h.id for h in services)
    # Without words, relevance is popularity (confirmed bookings), then newest.
    top = ids(engine.search(SearchRequest(kinds=("service",), limit=3)))
    assert top == [data.s["vinyasa"], data.s["retreat"], data.s["cafe"]]
    # Prices on all kinds: practitioners have none and come last.
    mixed = ids(engine.search(SearchRequest(ordering="price", limit=100)))
    assert mixed[:len(by_price)] == by_price


def test_distance_order_puts_the_nearest_first_and_the_placeless_last(loaded):
    engine, data = loaded
    located = data.located_visible()
    result = engine.search(SearchRequest(ordering="distance", filters=SearchFilters(near=LONDON), limit=100))
    expected_located = sorted((i for i in located), key=lambda i: (round(haversine_km(LONDON, located[i]), 6), i))
    assert ids(result)[:len(expected_located)] == expected_located
    assert set(ids(result)[len(expected_located):]) == {data.p["chloe"], data.s["reiki"]}


@pytest.mark.parametrize("ordering", ["relevance", "price", "-price", "newest", "rating"])
def test_pages_partition_the_ordered_hits(loaded, ordering):
    engine, _ = loaded
    whole = ids(engine.search(SearchRequest(ordering=ordering, limit=100)))
    pages = []
    for offset in range(0, len(whole) + 3, 3):
        page = engine.search(SearchRequest(ordering=ordering, offset=offset, limit=3))
        assert page.total == len(whole)
        pages.extend(ids(page))
    assert pages == whole


@pytest.mark.parametrize("q", ["*", "🧘", "()", "<>", "\\", "--"])
def test_text_without_a_word_matches_nothing(loaded, q):
    engine, _ = loaded
    result = engine.search(SearchRequest(q=q, facets=True))
    assert (result.total, result.hits) == (0, [])
    assert engine.suggest(SuggestRequest(q=q, limit=8)) == []


@pytest.mark.parametrize("q", ["yo.*", "yo+", "[yo", "^yo", "yo$", "(yo)", "yo\\", 'yo"', "yo~", "yo#", "yo&",
                               "yo:", "yo/", "<yo", "yo>", "yo*"])
def test_query_syntax_is_literal_text(loaded, q):
    """Regex and query-language characters are text: only the word "yo" counts, and no title starts with the
    characters themselves (a whole-title match would be quality 3)."""
    engine, data = loaded
    suggestions = engine.suggest(SuggestRequest(q=q, limit=8))
    assert {s.id for s in suggestions} == {data.s[k] for k in ("retreat", "pass", "vinyasa", "cafe")}
    assert {s.quality for s in suggestions} == {2}
    assert ids(engine.search(SearchRequest(q=q))) == ids(engine.search(SearchRequest(q="yo")))


@pytest.mark.parametrize("q", ["<3", "a>b", "<", ">"])
def test_angle_brackets_are_text(loaded, q):
    engine, _ = loaded
    engine.suggest(SuggestRequest(q=q, limit=8))  # answers (tantivy refused an escaped "<" as a 500)
    engine.search(SearchRequest(q=q, highlight=True, facets=True))


# --- suggestions --------------------------------------------------------------------------------------
def test_a_two_letter_prefix_suggests_by_quality_then_popularity(loaded):
    engine, data = loaded
    suggestions = engine.suggest(SuggestRequest(q="yo", limit=8))
    # Titles starting with "yo" (retreat: 2 bookings, pass: 0), then titles with a word starting "yo"
    # (vinyasa: 3 bookings, café: 1).
    assert [s.id for s in suggestions] == [data.s["retreat"], data.s["pass"], data.s["vinyasa"], data.s["cafe"]]
    assert [s.quality for s in suggestions] == [3, 3, 2, 2]
    assert suggestions[0].text == "Yoga retreat weekend in Provence"
    assert [(s.kind, s.id) for s in engine.suggest(SuggestRequest(q="Ad", limit=8))] == [
        ("practitioner", data.p["ada"])]


def test_suggestions_tolerate_one_typo_and_respect_the_limit(loaded):
    engine, data = loaded
    suggestions = engine.suggest(SuggestRequest(q="yiga", limit=8))
    assert [s.id for s in suggestions] == [data.s["vinyasa"], data.s["retreat"], data.s["cafe"], data.s["pass"]]
    assert {s.quality for s in suggestions} == {1}
    assert [s.id for s in engine.suggest(SuggestRequest(q="yo", limit=2))] == [data.s["retreat"], data.s["pass"]]
    assert [s.text for s in engine.suggest(SuggestRequest(q="chlo", limit=8))] == ["Chloé Martin"]
    assert engine.suggest(SuggestRequest(q="pranay", limit=8)) == []  # drafts are never suggested


# --- visibility ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("engine_name", ENGINES)
def test_archiving_deactivating_and_suspending_remove_from_search(engine_name, request, tmp_path):
    engine = _new_engine(engine_name, request, tmp_path)
    try:
        data = Catalogue()
        log = data.events()
        load(engine, log.events)
        position = log.position
        tai = data.s["taichi"]
        assert ids(engine.search(SearchRequest(q="tai chi", kinds=("service",)))) == [tai]

        def apply(*domain_events):
            nonlocal position
            recorded = [log.add(e) for e in domain_events]
            SearchProjection(engine).apply(recorded, 1)
            position = recorded[-1].position

        apply(PractitionerUpdated(**{**data.states["eve"], "is_active": False}))
        assert everything(engine, q="tai chi") == []
        assert engine.suggest(SuggestRequest(q="tai", limit=8)) == []
        apply(PractitionerUpdated(**{**data.states["eve"], "is_active": True}))
        assert {h.id for h in everything(engine, q="tai chi")} == {tai, data.p["eve"]}

        apply(ServiceUpdated(**{**data.services["vinyasa"], "status": "archived"}),
              ServiceUpdated(**{**data.services["cafe"], "status": "inactive"}))
        assert data.s["vinyasa"] not in {h.id for h in everything(engine, q="yoga")}
        assert data.s["cafe"] not in {h.id for h in everything(engine, q="yoga")}
        assert {h.id for h in everything(engine, kinds=("service",), filters=SearchFilters(modality="yoga"))} == {
            data.s["retreat"], data.s["pass"]}
        # A replayed batch (at-least-once delivery) changes nothing, not even popularity.
        before = engine.all_documents(1)
        SearchProjection(engine).apply(log.events[-8:], 1)
        assert engine.all_documents(1) == before
    finally:
        _drop(engine)


def test_replay_equals_batch_by_batch_application(request, tmp_path):
    data = Catalogue()
    events = data.events().events
    one, other = (TantivyEngine(tmp_path / name, prefix=name) for name in ("one", "other"))
    load(one, events, batch=3)
    load(other, events, batch=len(events))
    assert one.all_documents(1) == other.all_documents(1)
    popular = {d["id"]: d["popularity"] for d in one.all_documents(1)}
    assert (popular[data.s["vinyasa"]], popular[data.p["bruno"]], popular[data.p["dmitri"]]) == (3, 5, 1)


# --- rebuild while reading --------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("engine_name", ENGINES)
def test_rebuild_while_a_reader_queries_in_a_loop_never_fails_nor_reads_empty(engine_name, request, monkeypatch,
                                                                                write_api, practitioner):
    if engine_name == "opensearch":
        monkeypatch.setenv("OPENSEARCH_URL", request.getfixturevalue("opensearch_url"))
    if engine_name == "elasticsearch" and not os.environ.get("ELASTICSEARCH_URL"):
        pytest.skip("ELASTICSEARCH_URL is not set")
    monkeypatch.setenv("SEARCH_ENGINE", engine_name)
    monkeypatch.setenv("SEARCH_INDEX_PREFIX", f"rebuild_{uuid.uuid4().hex[:8]}")
    configured_engine.cache_clear()
    registry.projections.cache_clear()
    request.addfinalizer(configured_engine.cache_clear)
    request.addfinalizer(registry.projections.cache_clear)

    for n in range(25):
        made = write_api.post("/api/v1/services/", {"title": f"Breathwork session {n}", "service_type": "session",
                                                    "price_cents": 1000 + n}, format="json")
        assert made.status_code == 201, made.content
    runtime.drain_all()
    engine = configured_engine()
    query = SearchRequest(q="breathwork", kinds=("service",), limit=5, facets=True)
    assert engine.search(query).total == 25

    failures: list[str] = []
    reads = 0
    stop = threading.Event()

    def reader() -> None:
        nonlocal reads
        while not stop.is_set():
            try:
                result = engine.search(query)
                if result.total != 25 or len(result.hits) != 5:
                    failures.append(f"read {reads}: total={result.total} hits={len(result.hits)}")
            except Exception as exc:  # noqa: BLE001 - every failure is a finding
                failures.append(f"read {reads}: {type(exc).__name__}: {exc}")
            reads += 1
            time.sleep(0.002)  # leave the GIL to the rebuild now and then

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        generations = []
        for _ in range(3):
            # No grace period: the old generation goes the moment readers are switched (the harshest case).
            generations.append(runtime.rebuild("search", grace=0).new_generation)
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(10)
    assert failures == []
    assert reads > 10
    assert generations == [2, 3, 4]
    if engine_name != "tantivy":
        for generation in range(1, 5):
            for kind in KINDS:
                engine._delete_index(index_name(engine.prefix, kind, generation))  # type: ignore[attr-defined]  # server engines


@pytest.mark.parametrize("engine_name", ENGINES)
def test_ties_are_broken_by_id_everywhere_and_pages_stay_disjoint(engine_name, request, tmp_path):
    engine = _new_engine(engine_name, request, tmp_path)
    try:
        log, owner = Log(), str(uuid.uuid4())
        log.add(PractitionerRegistered(**practitioner_state(owner, "Ida Twin", point=LONDON)))
        twins = sorted(str(uuid.uuid4()) for _ in range(25))
        for sid in twins:
            log.add(ServiceCreated(**service_state(sid, owner, "Identical yoga class", price=1000,
                                                   created="2024-05-01")))
        load(engine, log.events, batch=10)
        for ordering, q in (("relevance", "identical"), ("relevance", ""), ("price", ""), ("-price", ""),
                            ("newest", ""), ("rating", "yoga")):
            pages = []
            for offset in range(0, 28, 7):
                result = engine.search(SearchRequest(q=q, kinds=("service",), ordering=ordering, offset=offset,
                                                     limit=7))
                assert result.total == 25
                pages.extend(ids(result))
            assert pages == twins, ordering
    finally:
        _drop(engine)
