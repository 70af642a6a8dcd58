"""``Idempotency-Key`` (SPEC §3), exercised through POST /api/v1/credits/purchase/ against real PostgreSQL."""

from __future__ import annotations

import functools
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
import time_machine
from django.db import connection
from rest_framework.test import APIClient

from tests.concurrency import in_parallel
from tests.conftest import authenticate
from tests.test_projection_runtime import database_url_for_tests
from write_api.accounts.models import User
from write_api.accounts.tokens import token_pair_for
from write_api.credits.models import CreditTransaction
from write_api.eventlog import idempotency
from write_api.eventlog.models import Event, IdempotencyRecord

pytestmark = pytest.mark.django_db(transaction=True)

PURCHASE = "/api/v1/credits/purchase/"
BODY = {"amount_cents": 1500, "payment_token": "tok_test_success"}


def make_user() -> User:
    return User.objects.create_user(email=f"i-{uuid.uuid4().hex[:10]}@example.com", password=None)


def client_for(user: User) -> APIClient:
    return authenticate(APIClient(), token_pair_for(user))


def purchase(api: APIClient, key: str | None, body: dict | None = None):
    headers: dict[str, Any] = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return api.post(PURCHASE, body or BODY, format="json", **headers)


def test_a_repeat_returns_the_original_response_without_charging_again():
    user = make_user()
    api = client_for(user)
    first = purchase(api, "purchase-1")
    second = purchase(api, "purchase-1")
    assert first.status_code == second.status_code == 201
    assert second.content == first.content
    assert second["X-Event-Position"] == first["X-Event-Position"]
    assert second["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert CreditTransaction.objects.filter(user=user).count() == 1
    assert Event.objects.filter(type="credits.purchased", aggregate_id=user.id).count() == 1


def test_the_same_body_in_another_key_order_or_formatting_is_the_same_request():
    user = make_user()
    api = client_for(user)
    first = api.post(PURCHASE, data=b'{"amount_cents": 1500, "payment_token": "tok_test_success"}',
                     content_type="application/json", HTTP_IDEMPOTENCY_KEY="k")
    second = api.post(PURCHASE, data=b'{ "payment_token":"tok_test_success",\n "amount_cents":1500 }',
                      content_type="application/json", HTTP_IDEMPOTENCY_KEY="k")
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.content == first.content
    assert CreditTransaction.objects.filter(user=user).count() == 1


def test_the_same_key_with_another_body_is_409_idempotency_key_reused():
    user = make_user()
    api = client_for(user)
    assert purchase(api, "k-1").status_code == 201
    reused = purchase(api, "k-1", {"amount_cents": 9900, "payment_token": "tok_test_success"})
    assert reused.status_code == 409
    assert (reused.json()["status"], reused.json()["code"]) == ("error", "idempotency_key_reused")
    assert "X-Event-Position" not in reused
    assert CreditTransaction.objects.filter(user=user).count() == 1


def test_without_a_key_every_post_executes():
    user = make_user()
    api = client_for(user)
    assert [purchase(api, None).status_code for _ in range(2)] == [201, 201]
    assert CreditTransaction.objects.filter(user=user).count() == 2
    assert not IdempotencyRecord.objects.exists()


def test_keys_are_scoped_per_user():
    alice, bob = make_user(), make_user()
    a = purchase(client_for(alice), "shared-key")
    b = purchase(client_for(bob), "shared-key", {"amount_cents": 700, "payment_token": "tok_test_success"})
    assert (a.status_code, b.status_code) == (201, 201)
    assert a.json()["data"]["transaction"]["id"] != b.json()["data"]["transaction"]["id"]
    assert CreditTransaction.objects.filter(user=bob).get().amount_cents == 700


def test_ten_parallel_identical_purchases_with_one_key_charge_once():
    user = make_user()
    clients = [client_for(user) for _ in range(10)]
    responses = in_parallel([functools.partial(purchase, c, "parallel-key") for c in clients])
    assert Counter(r.status_code for r in responses) == {201: 10}
    assert len({r.content for r in responses}) == 1
    assert len({r["X-Event-Position"] for r in responses}) == 1
    assert Counter(r.get("Idempotent-Replayed") for r in responses) == {None: 1, "true": 9}
    assert CreditTransaction.objects.filter(user=user).count() == 1
    assert Event.objects.filter(type="credits.purchased", aggregate_id=user.id).count() == 1


def _held_by_another_session(user: User, key: str):
    """A database session holding ``key``'s lock, as a request still running the command does."""
    scope = idempotency._Scope(key=key, user_id=user.id, route=f"POST {PURCHASE}", request_hash="")
    other = psycopg.connect(database_url_for_tests(), autocommit=True)
    other.execute("SELECT pg_advisory_lock(%s)", [idempotency._lock_key(scope)])
    return other


def test_a_duplicate_waits_for_a_running_first_request_then_gives_up_with_409(monkeypatch):
    monkeypatch.setattr(idempotency, "WAIT_FOR_FIRST", 0.3)
    user = make_user()
    api = client_for(user)
    first = purchase(api, "running")
    # The first request is still "running": its claim has no response yet and its session holds the lock.
    IdempotencyRecord.objects.filter(key="running").update(status_code=None, response_body=None)
    running = _held_by_another_session(user, "running")
    request_finished = running.close
    busy = purchase(api, "running")
    assert (busy.status_code, busy.json()["code"]) == (409, "idempotency_key_in_progress")
    other_body = purchase(api, "running", {"amount_cents": 1, "payment_token": "tok_test_success"})
    assert other_body.json()["code"] == "idempotency_key_reused"
    assert first.status_code == 201
    assert CreditTransaction.objects.filter(user=user).count() == 1
    request_finished()


def test_an_abandoned_claim_is_taken_over_at_once():
    """A claim without a response whose session is gone (crash, failed transaction) belongs to nobody."""
    user = make_user()
    api = client_for(user)
    IdempotencyRecord.objects.create(key="crashed", user_id=user.id, route=f"POST {PURCHASE}",
                                     request_hash="0" * 64, claim_token=uuid.uuid4())
    response = purchase(api, "crashed")
    assert response.status_code == 201
    record = IdempotencyRecord.objects.get(key="crashed")
    assert record.status_code == 201 and record.event_position == int(response["X-Event-Position"])
    assert purchase(api, "crashed").content == response.content


def test_a_declined_payment_is_remembered_as_the_original_answer():
    user = make_user()
    api = client_for(user)
    declined = {"amount_cents": 1500, "payment_token": "tok_test_declined"}
    first = purchase(api, "declined", declined)
    again = purchase(api, "declined", declined)
    assert (first.status_code, again.status_code) == (402, 402)
    assert again.content == first.content and again["Idempotent-Replayed"] == "true"
    assert purchase(api, "declined").json()["code"] == "idempotency_key_reused"
    assert not CreditTransaction.objects.filter(user=user).exists()


def test_validation_errors_and_server_failures_release_the_key():
    user = make_user()
    api = client_for(user)
    invalid = purchase(api, "retry-me", {"amount_cents": -1, "payment_token": "tok_test_success"})
    assert invalid.status_code == 400
    assert not IdempotencyRecord.objects.filter(key="retry-me").exists()
    down = purchase(api, "retry-me", {"amount_cents": 1500, "payment_token": "tok_test_unavailable"})
    assert down.status_code == 503
    assert not IdempotencyRecord.objects.filter(key="retry-me").exists()
    fixed = purchase(api, "retry-me")
    assert fixed.status_code == 201 and "Idempotent-Replayed" not in fixed
    assert CreditTransaction.objects.filter(user=user).count() == 1


def test_a_bad_key_is_a_400_and_nothing_runs():
    user = make_user()
    api = client_for(user)
    for key in ["", "x" * 256, "has space", "tab\tkey", "ключ"]:
        response = api.post(PURCHASE, BODY, format="json", HTTP_IDEMPOTENCY_KEY=key)
        assert response.status_code == 400, key
        payload = response.json()
        assert (payload["code"], list(payload["errors"])) == ("validation_error", ["Idempotency-Key"])
    assert not CreditTransaction.objects.filter(user=user).exists()
    assert not IdempotencyRecord.objects.exists()


def test_a_key_of_255_visible_characters_is_accepted():
    user = make_user()
    key = "K" * 254 + "~"
    first = purchase(client_for(user), key)
    assert first.status_code == 201
    assert purchase(client_for(user), key).content == first.content


def test_records_expire_after_24_hours_and_the_purge_deletes_them():
    user = make_user()
    api = APIClient()
    api.force_authenticate(user)
    start = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        first = purchase(api, "day-old")
        assert first.status_code == 201
    with time_machine.travel(start + timedelta(hours=23, minutes=59), tick=False):
        assert purchase(api, "day-old").content == first.content
        purchase(api, "younger")
    with time_machine.travel(start + timedelta(hours=24, minutes=1), tick=False):
        fresh = purchase(api, "day-old", {"amount_cents": 800, "payment_token": "tok_test_success"})
        assert fresh.status_code == 201 and "Idempotent-Replayed" not in fresh
        assert CreditTransaction.objects.filter(user=user).count() == 3
    IdempotencyRecord.objects.create(key="stale", user_id=user.id, route=f"POST {PURCHASE}", request_hash="0" * 64)
    IdempotencyRecord.objects.filter(key="stale").update(created_at=start - timedelta(days=3))
    purged = idempotency.idempotency_records_purge(now=start + timedelta(hours=25))
    assert purged == 1
    assert set(IdempotencyRecord.objects.values_list("key", flat=True)) == {"day-old", "younger"}
    assert idempotency.idempotency_records_purge(now=start + timedelta(hours=49)) == 2
    assert idempotency.idempotency_records_purge(now=start + timedelta(hours=49)) == 0


def test_unauthenticated_requests_are_refused_before_any_claim():
    response = APIClient().post(PURCHASE, BODY, format="json", HTTP_IDEMPOTENCY_KEY="anon")
    assert response.status_code == 401
    assert not IdempotencyRecord.objects.exists()


def test_a_claim_is_free_at_once_when_the_database_connection_dies_mid_request():
    """PostgreSQL goes away under a running request (its backend is terminated while the command waits
    for a row lock): the retry with the same key runs at once and charges exactly once."""
    user = make_user()
    client_for(user)  # the account exists
    purchase(client_for(user), None, {"amount_cents": 100, "payment_token": "tok_test_success"})
    blocker = psycopg.connect(database_url_for_tests())
    blocker.execute("SELECT 1 FROM credit_account WHERE user_id = %s FOR UPDATE", [user.id])
    blocker_pid = blocker.info.backend_pid
    outcome: dict = {}

    def first_attempt() -> None:
        try:
            outcome["response"] = purchase(client_for(user), "cut-off")
        finally:
            connection.close()

    thread = threading.Thread(target=first_attempt)
    thread.start()
    with psycopg.connect(database_url_for_tests(), autocommit=True) as admin:
        deadline = time.monotonic() + 10
        victims: list = []
        while not victims and time.monotonic() < deadline:
            victims = admin.execute("SELECT pid FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))",
                                    [blocker_pid]).fetchall()
            time.sleep(0.02)
        assert victims, "the first attempt never waited for the row lock"
        admin.execute("SELECT pg_terminate_backend(%s)", [victims[0][0]])
    thread.join(30)
    blocker.rollback()
    blocker.close()
    failed = outcome["response"]
    assert failed.status_code >= 500, failed.content
    failed_at = time.monotonic()
    retry = purchase(client_for(user), "cut-off")
    assert retry.status_code == 201, retry.content
    assert time.monotonic() - failed_at < 10
    assert CreditTransaction.objects.filter(user=user, amount_cents=int(str(BODY["amount_cents"]))).count() == 1
    assert purchase(client_for(user), "cut-off").content == retry.content  # and it is remembered now


def test_a_command_applied_whose_response_was_lost_is_never_run_again():
    """The command commits, then storing its response fails (a real PostgreSQL error raised by a trigger on
    that exact UPDATE, as when the connection dies between the two): a retry with the key must not charge
    again. It gets 409 ``idempotency_response_lost`` with the command's event position, every time."""
    user = make_user()
    api = client_for(user)
    with connection.cursor() as cursor:
        cursor.execute("""
            CREATE FUNCTION refuse_idempotent_response() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'storing the response failed'; END $$;
            CREATE TRIGGER refuse_idempotent_response BEFORE UPDATE ON idempotency_record
              FOR EACH ROW WHEN (NEW.status_code IS NOT NULL) EXECUTE FUNCTION refuse_idempotent_response();
        """)
    try:
        first = purchase(api, "lost-response")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER refuse_idempotent_response ON idempotency_record; "
                           "DROP FUNCTION refuse_idempotent_response()")
    assert first.status_code == 201, first.content  # the command committed; the client may never see this
    record = IdempotencyRecord.objects.get(key="lost-response")
    assert record.status_code is None and record.applied_position == int(first["X-Event-Position"])
    for _ in range(2):
        retry = purchase(api, "lost-response")
        assert (retry.status_code, retry.json()["code"]) == (409, "idempotency_response_lost"), retry.content
        assert retry.json()["errors"]["event_position"] == int(first["X-Event-Position"])
    assert purchase(api, "lost-response", {"amount_cents": 1, "payment_token": "tok_test_success"}).json()[
        "code"] == "idempotency_key_reused"
    assert CreditTransaction.objects.filter(user=user).count() == 1
    assert Event.objects.filter(type="credits.purchased", aggregate_id=user.id).count() == 1
