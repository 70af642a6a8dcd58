"""Oracle tests: every figure of every analytics endpoint equals the definition in docs/analytics.md,
computed independently in SQL on PostgreSQL from the write tables (``booking``, ``credit_transaction``,
``service``, ``stream``, ``accounts_user``, ``practitioner``).

The data are made through the real commands (bookings, cancellations by either side with and without
refunds, reschedules, package and bundle sessions, workshops, courses with a session cancelled by the
practitioner, completions, stream unlocks) over three months that include the DST changes of every
practitioner's zone, with the clock frozen at each command (``time_machine``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from tests.analytics_oracle import (
    ENDPOINTS,
    PARAMETER_SETS,
    Market,
    as_practitioner,
    assert_every_figure_matches,
    build_market,
    catch_up,
    oracle,
    sql,
)
from workers import event_reader
from write_api.bookings.models import Booking
from write_api.bookings.services import booking_create
from write_api.practitioners.models import Practitioner

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_lake")]  # an empty lake

# --- the tests ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("seed", "zones"), [
    (1, ("Europe/London", "America/New_York", "Asia/Kolkata")),
    (2, ("Australia/Sydney", "America/Los_Angeles", "Pacific/Chatham")),
])
def test_every_figure_of_every_endpoint_equals_the_definition_computed_in_postgresql(read_api, seed, zones):
    market = build_market(seed, zones)
    kinds = set(Booking.objects.values_list("status", flat=True))
    assert {"confirmed", "cancelled", "completed", "unscheduled"} <= kinds
    assert Booking.objects.filter(parent__isnull=False, status="cancelled").exists(), "a package session cancelled"
    assert Booking.objects.filter(parent__isnull=False, start_at__isnull=False).exists(), "a package session booked"
    assert sql("SELECT count(*) FROM credit_transaction WHERE kind = 'refund'", {})[0][0] > 5
    assert sql("SELECT count(*) FROM booking WHERE status = 'cancelled' AND refund_cents = 0", {})[0][0] > 0
    assert sql("SELECT count(*) FROM credit_transaction WHERE reference_type = 'stream'", {})[0][0] > 0
    assert sql("SELECT count(*) FROM event_log WHERE type = 'booking.rescheduled'", {})[0][0] > 0
    catch_up()
    compared = assert_every_figure_matches(read_api, market)
    assert compared > 5000


def test_one_practitioner_sees_only_their_own_figures(read_api):
    market = build_market(3, ("Europe/London", "Europe/London"), clients=4, days=40)
    catch_up()
    first, second = market.practitioners
    query = {"start": "2025-02-01", "end": "2025-04-30", "granularity": "month"}
    answers = []
    for p in (first, second):
        as_practitioner(read_api, p["user"])
        answers.append(read_api.get(ENDPOINTS["revenue"], query).json()["data"]["totals"])
    expected = [oracle("revenue", Practitioner.objects.get(id=p["practitioner"].id), query)["totals"]
                for p in (first, second)]
    assert answers == expected
    assert answers[0] != answers[1]
    everyone = sql("SELECT sum(-amount_cents) FILTER (WHERE kind = 'spend') FROM credit_transaction "
                   "WHERE reference_type IN ('booking', 'stream')", {})[0][0]
    assert answers[0]["gross_cents"] + answers[1]["gross_cents"] == everyone


def test_as_of_position_answers_as_the_figures_stood_after_that_event(read_api):
    """Half a market, caught up at position P, the oracle computed then; the other half; then every endpoint
    asked ``as_of_position=P`` equals the oracle of P, and without it the oracle of now."""
    market = Market(6, ("Europe/London", "America/New_York"), clients=5, days=40)
    try:
        market.setup()
        moments = market.moments()
        for moment in moments[: len(moments) // 2]:
            market.at(moment)
            market.act()
        catch_up()
        then = event_reader.head_position()
        p = market.practitioners[0]
        query = PARAMETER_SETS[1]
        expected_then = {e: oracle(e, Practitioner.objects.get(id=p["practitioner"].id), query) for e in ENDPOINTS}
        for moment in moments[len(moments) // 2:]:
            market.at(moment)
            market.act()
    finally:
        market.stop()
    catch_up()
    as_practitioner(read_api, p["user"])
    practitioner = Practitioner.objects.get(id=p["practitioner"].id)
    for endpoint, url in ENDPOINTS.items():
        old = read_api.get(url, {**query, "as_of_position": then})
        assert old.status_code == 200, old.content
        assert old["X-Projection-Position"] == str(then)
        assert old.json()["data"] == expected_then[endpoint]
        now = read_api.get(url, query)
        assert now.json()["data"] == oracle(endpoint, practitioner, query)
    assert now.json()["data"] != expected_then["trends"], "the second half changed the figures"
    beyond = read_api.get(ENDPOINTS["revenue"], {"as_of_position": event_reader.head_position() + 1})
    assert beyond.status_code == 400
    assert beyond.json()["errors"]["available"] == {"earliest": 0, "latest": event_reader.head_position()}


def test_figures_follow_new_events_after_the_next_publication(read_api):
    market = build_market(4, ("America/New_York",), clients=3, days=30)
    catch_up()
    p = market.practitioners[0]
    as_practitioner(read_api, p["user"])
    query = {"start": "2025-02-01", "end": "2025-04-30", "granularity": "week"}
    before = read_api.get(ENDPOINTS["revenue"], query)
    assert before["X-Cache"] == "miss"
    assert read_api.get(ENDPOINTS["revenue"], query)["X-Cache"] == "hit"
    with time_machine.travel(datetime(2025, 4, 20, 12, 0, tzinfo=UTC), tick=False):
        booking = booking_create(client=market.clients[0], service_id=p["sessions"][0].id,
                                 start_at=datetime(2025, 6, 10, 15, 0, tzinfo=UTC))
    assert booking.price_cents == 5000
    stale = read_api.get(ENDPOINTS["revenue"], query)
    assert stale["X-Cache"] == "hit" and stale.json() == before.json()  # not published yet
    catch_up()
    fresh = read_api.get(ENDPOINTS["revenue"], query)
    assert fresh["X-Cache"] == "miss"
    assert int(fresh["X-Projection-Position"]) > int(before["X-Projection-Position"])
    assert fresh.json()["data"]["totals"]["gross_cents"] == before.json()["data"]["totals"]["gross_cents"] + 5000
    assert fresh.json()["data"] == oracle("revenue", Practitioner.objects.get(id=p["practitioner"].id), query)


def test_dst_day_buckets_follow_the_local_clock(read_api):
    """Money moved at 23:30 and 00:30 London time around the spring-forward night lands on the local days."""
    market = Market(5, ("Europe/London",), clients=1)
    try:
        market.setup()
        p, client = market.practitioners[0], market.clients[0]
        moments = [datetime(2025, 3, 29, 23, 30, tzinfo=UTC),  # 23:30 GMT on the 29th
                   datetime(2025, 3, 30, 0, 30, tzinfo=UTC),  # 00:30 GMT on the 30th
                   datetime(2025, 3, 30, 23, 30, tzinfo=UTC)]  # 00:30 BST on the 31st
        for moment in moments:
            market.at(moment)
            booking_create(client=client, service_id=p["sessions"][0].id, start_at=moment + timedelta(days=3))
    finally:
        market.stop()
    catch_up()
    as_practitioner(read_api, p["user"])
    body = read_api.get(ENDPOINTS["revenue"], {"start": "2025-03-29", "end": "2025-03-31"}).json()
    assert [(x["period"], x["gross_cents"]) for x in body["data"]["periods"]] == [
        ("2025-03-29", 5000), ("2025-03-30", 5000), ("2025-03-31", 5000)]
    assert body["meta"]["range"] == {"start": "2025-03-29T00:00:00Z", "end": "2025-03-31T23:00:00Z"}
    utc = read_api.get(ENDPOINTS["revenue"], {"start": "2025-03-29", "end": "2025-03-31", "timezone": "UTC"}).json()
    assert [(x["period"], x["gross_cents"]) for x in utc["data"]["periods"]] == [
        ("2025-03-29", 5000), ("2025-03-30", 10000), ("2025-03-31", 0)]
    trends = read_api.get(ENDPOINTS["trends"], {"start": "2025-04-01", "end": "2025-04-03"}).json()["data"]
    # Starts three days later, in BST: Wednesday 00:30 and 01:30, Thursday 00:30 on the practitioner's clock.
    cells = trends["heat_map"]["cells"]
    assert {(d, h): cells[d][h] for d in range(7) for h in range(24) if cells[d][h]} == {
        (2, 0): 1, (2, 1): 1, (3, 0): 1}
