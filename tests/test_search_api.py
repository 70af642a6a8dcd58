"""The search HTTP layer: search, suggestions, browsing, practitioner profiles; validation and errors.

Data goes in through the write API and the projection runtime, answers come from the read API (the
default embedded engine). Engine behaviour itself is covered by ``test_search_conformance.py``.
"""

from __future__ import annotations

import io
import time
import uuid
from collections import Counter

import pytest
import time_machine
from django.core.management import call_command

from api_conventions.errors import ValidationFailed
from read_models import positions
from read_models.search import popular_queries
from read_models.search.params import MAX_RESULT_WINDOW, check_window, parse
from search_index.engines import configured_engine
from search_index.geo import Point, haversine_km
from tests.clients import authenticate, register
from workers import registry, runtime
from write_api.accounts.models import User

database = pytest.mark.django_db(transaction=True)  # real commits; validation tests need no database

LONDON = Point(51.5074, -0.1278)
CAMDEN = Point(51.5390, -0.1426)


def create_service(client, **fields) -> dict:
    body = {"service_type": "session", "price_cents": 4000, **fields}
    response = client.post("/api/v1/services/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()["data"]


def become_practitioner(client, name: str, **profile) -> dict:
    authenticate(client, register(client)["tokens"])
    made = client.post("/api/v1/practitioners/", {"display_name": name, "timezone": "Europe/London", **profile},
                       format="json")
    assert made.status_code == 201, made.content
    body = made.json()["data"]
    authenticate(client, body["tokens"])
    return body["practitioner"]


@pytest.fixture
def catalogue(write_api, practitioner):
    """Ada (in Camden) with three services, and Bruno (online only) with one."""
    ada = practitioner["practitioner"]
    moved = write_api.patch(f"/api/v1/practitioners/{ada['id']}/", {
        "online_only": False, "latitude": CAMDEN.latitude, "longitude": CAMDEN.longitude,
        "address": "Camden, London", "modalities": ["breathwork"]}, format="json")
    assert moved.status_code == 200, moved.content
    services = {
        "breath": create_service(write_api, title="Holotropic breathwork circle", price_cents=5500,
                                 category="mind", modalities=["breathwork"],
                                 description="Deep breathing practice in a safe circle."),
        "sound": create_service(write_api, title="Sound bath relaxation", service_type="workshop",
                                format="in_person", price_cents=2500, category="spiritual",
                                modalities=["sound-healing"], description="Gongs & singing bowls <live>."),
        "yoga": create_service(write_api, title="Yin yoga for beginners", format="hybrid", price_cents=3000,
                               category="movement", modalities=["yoga"]),
    }
    other = type(write_api)()
    bruno = become_practitioner(other, "Bruno Díaz", title="Yoga teacher", modalities=["yoga"])
    services["online"] = create_service(other, title="Online yoga flow", price_cents=2000, category="movement",
                                        modalities=["yoga"])
    runtime.drain_all()
    return {"ada": ada, "bruno": bruno, "services": services, "bruno_client": other}


@database
def test_search_answers_cards_facets_snippets_and_the_filters_it_applied(read_api, catalogue):
    response = read_api.get("/api/v1/search/", {"q": "Breathwork", "latitude": "51.5074", "longitude": "-0.1278"})
    assert response.status_code == 200, response.content
    body = response.json()
    breath = catalogue["services"]["breath"]
    assert [(h["type"], h["id"]) for h in body["data"]] == [("service", breath["id"]),
                                                            ("practitioner", catalogue["ada"]["id"])]
    card = body["data"][0]
    assert card["title"] == "Holotropic breathwork circle"
    assert card["price_cents"] == 5500 and card["price"] == "55.00"
    assert card["category"] == {"slug": "mind", "name": "Mind & mental health"}
    assert card["modalities"] == ["breathwork"]
    assert card["practitioner_name"] == "Ada Lovelace"
    assert card["rating"] is None and card["review_count"] == 0
    assert card["highlights"]["title"] == "Holotropic <em>breathwork</em> circle"
    assert card["snippet"] == "Deep breathing practice in a safe circle."
    assert card["distance_km"] == round(haversine_km(LONDON, CAMDEN), 3)
    meta = body["meta"]
    assert meta["filters_applied"] == {"q": "Breathwork", "type": "all", "latitude": 51.5074, "longitude": -0.1278}
    assert meta["ordering"] == "relevance"
    assert meta["facets"] == {"type": {"practitioner": 1, "service": 1}, "service_type": {"session": 1},
                              "format": {"online": 1}, "category": {"mind": 1}}
    assert meta["pagination"]["count"] == 2


@database
def test_snippets_are_html_escaped(read_api, catalogue):
    hit = read_api.get("/api/v1/search/", {"q": "gongs"}).json()["data"][0]
    assert hit["snippet"] == "<em>Gongs</em> &amp; singing bowls &lt;live&gt;."


@database
def test_every_filter_and_facet_counts_match_the_hits(read_api, catalogue):
    services = catalogue["services"]
    query = {"type": "service", "price_min": "20", "price_max": "45.5", "ordering": "price"}
    body = read_api.get("/api/v1/search/", query).json()
    assert [h["id"] for h in body["data"]] == [services[k]["id"] for k in ("online", "sound", "yoga")]
    assert body["meta"]["filters_applied"] == {"q": "", "type": "service", "price_min": 20.0, "price_max": 45.5}
    facets = body["meta"]["facets"]
    for facet, field in (("service_type", "service_type"), ("format", "format")):
        assert facets[facet] == dict(Counter(h[field] for h in body["data"]))
    assert facets["category"] == {"movement": 2, "spiritual": 1}

    def found(**params):
        response = read_api.get("/api/v1/search/", {"type": "service", **params})
        assert response.status_code == 200, response.content
        return {h["id"] for h in response.json()["data"]}

    assert found(service_type="workshop") == {services["sound"]["id"]}
    assert found(format="hybrid") == {services["yoga"]["id"]}
    assert found(category="movement") == {services["yoga"]["id"], services["online"]["id"]}
    assert found(modality="sound-healing") == {services["sound"]["id"]}
    assert found(practitioner=catalogue["bruno"]["id"]) == {services["online"]["id"]}
    assert found(rating_min="1") == set()
    assert found(latitude="51.5074", longitude="-0.1278", distance="5") == {
        services[k]["id"] for k in ("breath", "sound", "yoga")}
    assert found(latitude="51.5074", longitude="-0.1278", distance="3") == set()  # Camden is 3.7 km away


@database
def test_orderings_and_pages(read_api, catalogue):
    services = catalogue["services"]
    newest = read_api.get("/api/v1/services/", {"ordering": "newest"}).json()["data"]
    assert [h["id"] for h in newest] == [services[k]["id"] for k in ("online", "yoga", "sound", "breath")]
    by_price = read_api.get("/api/v1/services/", {"ordering": "-price"}).json()["data"]
    assert [h["price_cents"] for h in by_price] == [5500, 3000, 2500, 2000]
    nearest = read_api.get("/api/v1/search/", {"ordering": "distance", "latitude": "51.5", "longitude": "-0.1",
                                               "type": "service"}).json()["data"]
    assert nearest[-1]["id"] == services["online"]["id"] and nearest[-1]["distance_km"] is None
    first = read_api.get("/api/v1/services/", {"ordering": "price", "page_size": "3"}).json()
    second = read_api.get("/api/v1/services/", {"ordering": "price", "page_size": "3", "page": "2"}).json()
    assert [h["price_cents"] for h in first["data"] + second["data"]] == [2000, 2500, 3000, 5500]
    assert first["meta"]["pagination"]["count"] == 4 and first["meta"]["pagination"]["total_pages"] == 2
    assert first["meta"]["pagination"]["next"].endswith("ordering=price&page=2&page_size=3")
    assert second["meta"]["pagination"]["next"] is None


@database
def test_browsing_services_needs_no_query_and_echoes_its_filters(read_api, catalogue):
    response = read_api.get("/api/v1/services/", {"format": "online", "ordering": "price"})
    assert response.status_code == 200
    body = response.json()
    assert [h["id"] for h in body["data"]] == [catalogue["services"][k]["id"] for k in ("online", "breath")]
    assert body["meta"]["filters_applied"] == {"format": "online"}
    assert body["meta"]["facets"]["type"] == {"service": 2}


def search_as(read_api, tokens: dict | None, q: str) -> int:
    """One search by a signed-in user (or anonymously); the number of hits."""
    if tokens is None:
        read_api.credentials()
    else:
        authenticate(read_api, tokens)
    try:
        response = read_api.get("/api/v1/search/", {"q": q})
        assert response.status_code == 200, response.content
        return response.json()["meta"]["pagination"]["count"]
    finally:
        read_api.credentials()


@database
def test_suggestions_by_prefix_typo_and_popular_queries(write_api, read_api, catalogue):
    services = catalogue["services"]

    def suggest(q, **params):
        response = read_api.get("/api/v1/search/suggestions/", {"q": q, **params})
        assert response.status_code == 200, response.content
        return response.json()["data"]

    assert suggest("so") == [{"text": "Sound bath relaxation", "type": "service", "id": services["sound"]["id"]}]
    # Both have a word starting "yo" and no bookings yet: alphabetical by title.
    assert [s["id"] for s in suggest("yo")] == [services["online"]["id"], services["yoga"]["id"]]
    assert [s["id"] for s in suggest("hlotropic")] == [services["breath"]["id"]]  # one letter missing
    assert [s["text"] for s in suggest("Bru")] == ["Bruno Díaz"]
    assert suggest("yo", limit="1") == [{"text": "Online yoga flow", "type": "service",
                                         "id": services["online"]["id"]}]
    assert suggest("   ") == []

    first, second, third = (register(write_api)["tokens"] for _ in range(3))
    for _ in range(5):  # one user, however often, is one user
        assert search_as(read_api, first, "Sound  Bath") == 1
    assert search_as(read_api, second, "sound bath") == 1
    for tokens in (first, second, third):
        search_as(read_api, tokens, "solar panels")  # no hits: never recorded
    search_as(read_api, third, "sound healing")  # one user: not popular
    assert [s["type"] for s in suggest("so")] == ["service"]  # two users so far
    with time_machine.travel(time.time() + popular_queries.MIN_SPAN_SECONDS + 1):  # over time: a third user
        assert search_as(read_api, third, "sound bath") == 1
    # Same match quality; searched twice beats booked never.
    assert suggest("so") == [
        {"text": "sound bath", "type": "query", "id": None},
        {"text": "Sound bath relaxation", "type": "service", "id": services["sound"]["id"]},
    ]
    assert suggest("so", limit="1") == [{"text": "sound bath", "type": "query", "id": None}]
    assert suggest("sound bath r") == [
        {"text": "Sound bath relaxation", "type": "service", "id": services["sound"]["id"]}]


@database
def test_one_client_repeating_a_query_100_times_changes_no_one_elses_suggestions(write_api, read_api, catalogue):
    """Neither one account nor one anonymous client (one IP) can put a query in everyone's suggestions."""
    attacker, victim = register(write_api)["tokens"], register(write_api)["tokens"]

    def suggestions_of_victim(q: str) -> list:
        authenticate(read_api, victim)
        try:
            return read_api.get("/api/v1/search/suggestions/", {"q": q}).json()["data"]
        finally:
            read_api.credentials()

    before = {q: suggestions_of_victim(q) for q in ("yo", "med", "so")}
    for _ in range(100):
        assert search_as(read_api, attacker, "yoga") >= 1
        search_as(read_api, None, "yoga")
        search_as(read_api, attacker, "meditaton")  # a typo that still finds something (fuzzy)
    with time_machine.travel(time.time() + popular_queries.MIN_SPAN_SECONDS + 1):
        for _ in range(100):
            search_as(read_api, attacker, "yoga")
            search_as(read_api, None, "sound bath")
    assert {q: suggestions_of_victim(q) for q in before} == before
    assert popular_queries.shown() == []


@pytest.mark.parametrize(("q", "expected"), [
    ("Sound  Bath", "sound bath"), ("Tai-chi for beginners", "tai-chi for beginners".replace("-", " ")),
    ("café crème", "cafe creme"), ("yoga AND", None), ("NOT yoga", None), ('"yoga"', None), ("yog*", None),
    ("title:yoga", None), ("http://spam.example", None), ("me@spam.example", None), ("yoga and", None),
    ("the yoga", None), ("12345", None), ("a b c d e f", None), ("x" * 21, None), ("y", None),
    ("<script>", None),
])
def test_operators_and_junk_are_never_suggestible(q, expected):
    assert popular_queries.suggestible(q) == expected


@database
def test_staff_remove_a_shown_query_for_good(write_api, read_api, catalogue):
    users = [register(write_api)["tokens"] for _ in range(popular_queries.MIN_USERS)]
    search_as(read_api, users[0], "sound bath")
    with time_machine.travel(time.time() + popular_queries.MIN_SPAN_SECONDS + 1):
        for tokens in users[1:]:
            search_as(read_api, tokens, "sound bath")
    assert [(p.text, p.count) for p in popular_queries.shown()] == [("sound bath", 3)]
    out = io.StringIO()
    call_command("suggestions", "list", stdout=out)
    assert out.getvalue().split() == ["3", "sound", "bath"]
    call_command("suggestions", "remove", "Sound Bath", stdout=out)
    assert popular_queries.shown() == []
    assert "sound bath" not in [s["text"] for s in read_api.get("/api/v1/search/suggestions/", {"q": "so"}).json()[
        "data"]]
    search_as(read_api, register(write_api)["tokens"], "sound bath")  # more searches do not bring it back
    assert popular_queries.shown() == []


@database
def test_search_text_is_literal_text(read_api, catalogue):
    """Symbols are not query syntax: text without a word finds nothing, regex/query characters never fail."""
    for q in ("*", "🧘", "()", "<>"):
        response = read_api.get("/api/v1/search/", {"q": q})
        assert response.status_code == 200, response.content
        assert (response.json()["data"], response.json()["meta"]["pagination"]["count"]) == ([], 0), q
    for q in ("<3", "a>b", "yo.*", "[", "\\", "^yo$", "(yo", "yo~", 'yo"', "🧘 yo"):
        response = read_api.get("/api/v1/search/suggestions/", {"q": q})
        assert response.status_code == 200, (q, response.content)
        assert read_api.get("/api/v1/search/", {"q": q}).status_code == 200, q
    # "yo.*" is the words "yo" (a prefix of "yoga"), not a pattern matching every title starting with "yo".
    found = read_api.get("/api/v1/search/suggestions/", {"q": "yo.*"}).json()["data"]
    services = catalogue["services"]
    assert {s["id"] for s in found if s["type"] == "service"} == {services["online"]["id"], services["yoga"]["id"]}


@database
def test_a_page_past_the_last_hit_is_empty_however_deep(read_api, catalogue):
    for page in ("3", "999", "10000"):
        response = read_api.get("/api/v1/search/", {"q": "yoga", "type": "service", "page": page})
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["data"] == []
        assert (body["meta"]["pagination"]["count"], body["meta"]["pagination"]["total_pages"]) == (2, 1)


def test_a_page_with_hits_past_the_result_window_is_400():
    parsed = parse({"q": "yoga", "page": "200", "page_size": "100"})
    assert parsed.beyond_window and (parsed.request.offset, parsed.request.limit) == (0, 0)  # counts only
    check_window(parsed, 19_900)  # page 200 holds hits 19,901.. : none
    with pytest.raises(ValidationFailed) as raised:
        check_window(parsed, 19_901)
    assert raised.value.errors == {"page": [f"Only the first {MAX_RESULT_WINDOW} results can be paged through; "
                                            "narrow the search."]}


@database
def test_suggestions_never_repeat_a_title(read_api, catalogue):
    twin = create_service(catalogue["bruno_client"], title="Sound Bath Relaxation", price_cents=900)
    runtime.drain_all()
    found = read_api.get("/api/v1/search/suggestions/", {"q": "sound"}).json()["data"]
    assert [s["text"].lower() for s in found] == ["sound bath relaxation"]
    assert found[0]["id"] in {catalogue["services"]["sound"]["id"], twin["id"]}


@database
def test_practitioner_profile_lists_active_services_and_hides_suspended_practitioners(write_api, read_api,
                                                                                   catalogue):
    ada, services = catalogue["ada"], catalogue["services"]
    archived = write_api.delete(f"/api/v1/services/{services['yoga']['id']}/")
    assert archived.status_code == 200
    runtime.drain_all()
    profile = read_api.get(f"/api/v1/practitioners/{ada['id']}/", HTTP_X_MIN_POSITION=archived["X-Event-Position"])
    assert profile.status_code == 200, profile.content
    data = profile.json()["data"]
    assert data["display_name"] == "Ada Lovelace" and data["title"] == "Breathwork coach"
    assert data["location"] == {"lat": CAMDEN.latitude, "lon": CAMDEN.longitude}
    assert data["modalities"] == ["breathwork"]
    assert data["rating"] is None and data["review_count"] == 0
    assert [s["id"] for s in data["services"]] == [services["sound"]["id"], services["breath"]["id"]]
    assert data["service_count"] == 2

    staff = register(write_api)
    User.objects.filter(id=staff["user"]["id"]).update(is_staff=True)
    authenticate(write_api, staff["tokens"])
    suspended = write_api.patch(f"/api/v1/practitioners/{ada['id']}/", {"is_active": False}, format="json")
    assert suspended.status_code == 200, suspended.content
    runtime.drain_all()
    position = suspended["X-Event-Position"]
    gone = read_api.get(f"/api/v1/practitioners/{ada['id']}/", HTTP_X_MIN_POSITION=position)
    assert gone.status_code == 404 and gone.json()["code"] == "not_found"
    remaining = read_api.get("/api/v1/search/", {"q": "breathwork sound yoga"}).json()["data"]
    assert {h["id"] for h in read_api.get("/api/v1/services/").json()["data"]} == {services["online"]["id"]}
    assert remaining == []
    missing = read_api.get("/api/v1/practitioners/00000000-0000-0000-0000-000000000000/")
    assert missing.status_code == 404


@database
def test_deactivated_service_leaves_browsing(write_api, read_api, catalogue):
    sound = catalogue["services"]["sound"]
    changed = write_api.patch(f"/api/v1/services/{sound['id']}/", {"status": "inactive"}, format="json")
    assert changed.status_code == 200, changed.content
    runtime.drain_all()
    listed = read_api.get("/api/v1/services/", HTTP_X_MIN_POSITION=changed["X-Event-Position"]).json()["data"]
    assert sound["id"] not in {h["id"] for h in listed} and len(listed) == 3
    assert read_api.get("/api/v1/search/suggestions/", {"q": "sound"}).json()["data"] == []


@pytest.mark.parametrize("path, params, field", [
    ("/api/v1/search/", {"q": "x" * 1000}, "q"),
    ("/api/v1/search/", {"q": "x" * 201}, "q"),
    ("/api/v1/search/", {"type": "podcast"}, "type"),
    ("/api/v1/search/", {"distance": "10"}, "distance"),
    ("/api/v1/search/", {"latitude": "51.5", "distance": "10"}, "longitude"),
    ("/api/v1/search/", {"latitude": "91", "longitude": "0"}, "latitude"),
    ("/api/v1/search/", {"latitude": "nan", "longitude": "0"}, "latitude"),
    ("/api/v1/search/", {"latitude": "1", "longitude": "0", "distance": "-3"}, "distance"),
    ("/api/v1/search/", {"price_min": "cheap"}, "price_min"),
    ("/api/v1/search/", {"price_max": "NaN"}, "price_max"),
    ("/api/v1/search/", {"price_min": "-1"}, "price_min"),
    ("/api/v1/search/", {"price_min": "50", "price_max": "10"}, "price_min"),
    ("/api/v1/search/", {"price_min": "1.234"}, "price_min"),
    ("/api/v1/search/", {"ordering": "distance"}, "ordering"),
    ("/api/v1/search/", {"ordering": "cheapest"}, "ordering"),
    ("/api/v1/search/", {"service_type": "massage"}, "service_type"),
    ("/api/v1/search/", {"format": "telepathy"}, "format"),
    ("/api/v1/search/", {"rating_min": "6"}, "rating_min"),
    ("/api/v1/search/", {"practitioner": "not-a-uuid"}, "practitioner"),
    ("/api/v1/search/", {"page_size": "101"}, "page_size"),
    ("/api/v1/search/", {"q": "a\x00b"}, "q"),
    ("/api/v1/services/", {"price_max": "abc"}, "price_max"),
    ("/api/v1/services/", {"distance": "5"}, "distance"),
    ("/api/v1/search/suggestions/", {"q": "yo", "limit": "0"}, "limit"),
    ("/api/v1/search/suggestions/", {"q": "yo", "limit": "many"}, "limit"),
    ("/api/v1/search/suggestions/", {"q": "y" * 1000}, "q"),
])
def test_bad_parameters_are_400_envelopes(read_api, path, params, field):
    response = read_api.get(path, params)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["status"] == "error" and body["code"] == "validation_error"
    assert field in body["errors"], body["errors"]


def test_an_unreachable_engine_is_a_503_search_unavailable(read_api, monkeypatch):
    monkeypatch.setenv("SEARCH_ENGINE", "opensearch")
    monkeypatch.setenv("OPENSEARCH_URL", "http://127.0.0.1:9")
    configured_engine.cache_clear()
    try:
        for path in ("/api/v1/search/?q=yoga", "/api/v1/services/", "/api/v1/search/suggestions/?q=yo"):
            response = read_api.get(path)
            assert response.status_code == 503, response.content
            assert response.json()["code"] == "search_unavailable"
    finally:
        configured_engine.cache_clear()


@database
def test_the_endpoints_answer_alike_on_opensearch(request, read_api, catalogue, monkeypatch):
    """The same requests, first on tantivy, then after a rebuild into OpenSearch (osmem-server)."""
    requests = [
        ("/api/v1/search/", {"q": "yoga"}),
        ("/api/v1/search/", {"q": "breathwrok", "type": "service"}),
        ("/api/v1/search/", {"latitude": "51.5074", "longitude": "-0.1278", "distance": "5", "ordering": "price"}),
        ("/api/v1/search/", {"type": "practitioner", "ordering": "newest"}),
        ("/api/v1/services/", {"format": "in_person"}),
        ("/api/v1/services/", {"ordering": "-price", "page_size": "2", "page": "2"}),
        ("/api/v1/search/suggestions/", {"q": "yo"}),
        ("/api/v1/search/suggestions/", {"q": "relaxaton"}),
        (f"/api/v1/practitioners/{catalogue['ada']['id']}/", {}),
    ]

    def answers() -> list:
        positions.client().delete(popular_queries.COUNT_KEY, popular_queries.LEX_KEY)  # each pass starts afresh
        out = []
        for path, params in requests:
            response = read_api.get(path, params)
            assert response.status_code == 200, response.content
            body = response.json()
            data = body["data"]
            if isinstance(data, dict):  # a profile
                data = {**data, "services": [(s["id"], s["price_cents"]) for s in data["services"]]}
            else:
                data = [(d.get("type"), d.get("id"), d.get("text") or d.get("title"), d.get("distance_km"))
                        for d in data]
            meta = {k: v for k, v in body["meta"].items() if k in ("facets", "filters_applied", "ordering")}
            out.append((path, data, meta, body["meta"].get("pagination", {}).get("count")))
        return out

    on_tantivy = answers()
    assert all(data for _, data, _, _ in on_tantivy)  # every request finds something
    monkeypatch.setenv("SEARCH_ENGINE", "opensearch")
    monkeypatch.setenv("OPENSEARCH_URL", request.getfixturevalue("opensearch_url"))
    monkeypatch.setenv("SEARCH_INDEX_PREFIX", f"api_{uuid.uuid4().hex[:8]}")
    configured_engine.cache_clear()
    registry.projections.cache_clear()
    request.addfinalizer(configured_engine.cache_clear)
    request.addfinalizer(registry.projections.cache_clear)
    runtime.rebuild("search", grace=0)
    assert configured_engine().name == "opensearch"
    on_opensearch = answers()
    assert on_opensearch == on_tantivy
