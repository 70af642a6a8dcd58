"""Streams and ratings reach the search index: stream search, premium bodies never indexed, ratings on cards."""

from __future__ import annotations

import pytest

from tests.engagement_fixtures import completed_booking, make_practitioner, make_service, make_stream, make_user
from workers import runtime

pytestmark = pytest.mark.django_db(transaction=True)


def test_published_streams_are_searchable_and_archived_ones_leave(read_api):
    owner = make_practitioner("Maya Okafor")
    stream = make_stream(owner, title="Sunrise breathwork practice", access="premium", price_cents=500,
                         body="secret-premium-script")
    runtime.drain_all()
    found = read_api.get("/api/v1/search/?q=breathwork&type=stream").json()["data"]
    assert [(h["type"], h["id"], h["access"], h["practitioner_name"]) for h in found] == [
        ("stream", stream["id"], "premium", "Maya Okafor")]
    assert read_api.get("/api/v1/search/?q=secret&type=stream").json()["data"] == []
    assert owner.write.delete(f"/api/v1/streams/{stream['id']}/").status_code == 200
    runtime.drain_all()
    assert read_api.get("/api/v1/search/?q=breathwork&type=stream").json()["data"] == []


def test_review_ratings_show_on_service_and_practitioner_cards(read_api):
    owner = make_practitioner("Li Wei")
    service = make_service(owner, title="Mindful walking")
    client = make_user()
    booking = completed_booking(client, service)
    response = client.write.post(f"/api/v1/bookings/{booking.id}/review/", {"rating": 4, "comment": "Calm."},
                                 format="json")
    assert response.status_code == 201, response.content
    runtime.drain_all()
    cards = {h["type"]: h for h in read_api.get("/api/v1/search/?q=mindful").json()["data"]}
    assert cards["service"]["rating"] == 4.0 and cards["service"]["review_count"] == 1
    practitioner = read_api.get("/api/v1/search/?q=li wei&type=practitioner").json()["data"][0]
    assert practitioner["rating"] == 4.0 and practitioner["review_count"] == 1
