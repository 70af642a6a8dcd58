"""``X-Min-Position`` cannot be abused: a position beyond the head is refused at once with the head, and
waiting requests are bounded per process so that they never hold every thread of a read-API worker."""

from __future__ import annotations

import time

import pytest

from read_models import positions
from workers import runtime

pytestmark = pytest.mark.django_db(transaction=True)


def _create_service(write_api) -> int:
    response = write_api.post("/api/v1/services/", {"title": "Sound bath", "service_type": "session",
                                                    "price_cents": 3000}, format="json")
    assert response.status_code == 201, response.content
    return int(response["X-Event-Position"])


def test_a_position_beyond_the_head_is_refused_at_once_with_the_head(write_api, read_api, practitioner, settings):
    settings.MIN_POSITION_WAIT_SECONDS = 5  # a wait would be noticed
    head = _create_service(write_api)
    runtime.drain_all()
    started = time.monotonic()
    response = read_api.get("/api/v1/search/?q=sound", HTTP_X_MIN_POSITION="999999999999")
    elapsed = time.monotonic() - started
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "position_beyond_head"
    assert body["errors"]["head"] == head
    assert body["errors"]["requested_position"] == 999999999999
    assert elapsed < 0.1, f"refused after {elapsed:.3f}s: it waited"
    # The head itself is reachable: answered normally.
    assert read_api.get("/api/v1/search/?q=sound", HTTP_X_MIN_POSITION=str(head)).status_code == 200


def test_a_full_wait_pool_answers_503_without_waiting(write_api, read_api, practitioner, settings):
    settings.MIN_POSITION_WAIT_SECONDS = 5
    position = _create_service(write_api)  # committed, not yet projected: reachable, so a request would wait
    pool = positions._wait_pool()
    assert pool is not None and positions.waiting_slots() >= 1
    held = 0
    while pool.acquire(blocking=False):  # other requests are waiting in every slot
        held += 1
    try:
        assert held == positions.waiting_slots()
        started = time.monotonic()
        response = read_api.get("/api/v1/search/?q=sound",
                                HTTP_X_MIN_POSITION=str(position))
        elapsed = time.monotonic() - started
        assert response.status_code == 503 and response.json()["code"] == "projection_lagging"
        assert elapsed < 0.1, f"answered after {elapsed:.3f}s: it waited"
    finally:
        for _ in range(held):
            pool.release()
    # With a free slot the same request waits (bounded) instead.
    settings.MIN_POSITION_WAIT_SECONDS = 0.3
    started = time.monotonic()
    assert read_api.get("/api/v1/search/?q=sound", HTTP_X_MIN_POSITION=str(position)).status_code == 503
    assert time.monotonic() - started >= 0.3
    runtime.drain_all()
    assert read_api.get("/api/v1/search/?q=sound", HTTP_X_MIN_POSITION=str(position)).status_code == 200
