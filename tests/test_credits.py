"""Credits: the ledger, the balance, purchase through the test-mode provider, spends and refunds under concurrency."""

from __future__ import annotations

import functools
import uuid
from collections import Counter

import pytest
from django.db import IntegrityError, transaction
from rest_framework.test import APIClient

from api_conventions.errors import Conflict, PermissionDenied
from tests.clients import authenticate
from tests.concurrency import in_parallel
from write_api.accounts.models import User
from write_api.accounts.tokens import token_pair_for
from write_api.credits.models import CreditAccount, CreditTransaction
from write_api.credits.payments import Charge, PaymentDeclined
from write_api.credits.selectors import credits_ledger_sum
from write_api.credits.services import (
    credits_adjust,
    credits_purchase,
    credits_purchase_record,
    credits_refund,
    credits_spend,
)
from write_api.eventlog.models import Event
from write_api.eventlog.services import event_append

pytestmark = pytest.mark.django_db(transaction=True)

PURCHASE = "/api/v1/credits/purchase/"


def make_user(**fields) -> User:
    return User.objects.create_user(email=f"c-{uuid.uuid4().hex[:10]}@example.com", password=None, **fields)


def client_for(user: User) -> APIClient:
    return authenticate(APIClient(), token_pair_for(user))


def balance(user: User) -> int:
    account = CreditAccount.objects.filter(user=user).first()
    return account.balance_cents if account else 0


def assert_ledger_consistent(user: User) -> None:
    rows = list(CreditTransaction.objects.filter(user=user).order_by("sequence"))
    assert balance(user) == credits_ledger_sum(user_id=user.id) == sum(r.amount_cents for r in rows)
    assert [r.sequence for r in rows] == list(range(1, len(rows) + 1))
    running = 0
    for row in rows:
        running += row.amount_cents
        assert row.balance_after_cents == running >= 0


def spend_in_own_command(user: User, amount: int, key: str):
    with transaction.atomic(durable=True):
        return credits_spend(user=user, amount_cents=amount, reference={"type": "booking", "id": key}, dedupe_key=key)


def refund_in_own_command(user: User, amount: int, key: str):
    with transaction.atomic(durable=True):
        return credits_refund(user=user, amount_cents=amount, reference={"type": "booking", "id": "b1"},
                              dedupe_key=key)


# --- concurrency --------------------------------------------------------------------------------


def test_twenty_parallel_spends_on_a_balance_for_seven_let_exactly_seven_through():
    user = make_user()
    credits_purchase(user=user, amount_cents=7000, payment_token="tok_test_success")
    results = in_parallel([functools.partial(spend_in_own_command, user, 1000, f"spend-{i}") for i in range(20)])
    outcomes = Counter(type(r).__name__ for r in results)
    assert outcomes == {"CreditTransaction": 7, "InsufficientCredits": 13}
    assert {r.code for r in results if isinstance(r, Conflict)} == {"insufficient_credits"}
    assert balance(user) == 0
    assert CreditTransaction.objects.filter(user=user, kind="spend").count() == 7
    assert_ledger_consistent(user)
    spent = Event.objects.filter(type="credits.spent", aggregate_id=user.id)
    assert spent.count() == 7
    assert sorted(e.payload["balance_after_cents"] for e in spent) == [0, 1000, 2000, 3000, 4000, 5000, 6000]


def test_parallel_refunds_with_one_dedupe_key_refund_once():
    user = make_user()
    results = in_parallel([lambda: refund_in_own_command(user, 2500, "refund:booking-1") for _ in range(10)])
    assert all(isinstance(r, CreditTransaction) for r in results), results
    assert len({r.id for r in results}) == 1
    assert balance(user) == 2500
    assert CreditTransaction.objects.filter(user=user, kind="refund").count() == 1
    assert Event.objects.filter(type="credits.refunded", aggregate_id=user.id).count() == 1
    assert_ledger_consistent(user)


def test_first_movements_of_a_new_user_in_parallel_create_one_account():
    user = make_user()
    results = in_parallel([functools.partial(refund_in_own_command, user, 100, f"r-{i}") for i in range(8)])
    assert all(isinstance(r, CreditTransaction) for r in results), results
    assert CreditAccount.objects.filter(user=user).count() == 1
    assert balance(user) == 800
    assert_ledger_consistent(user)


# --- spend and refund inside another command -------------------------------------------------------


def test_spend_belongs_to_the_callers_transaction_and_rolls_back_with_it():
    user = make_user()
    credits_purchase(user=user, amount_cents=5000, payment_token="tok_test_success")
    events_before = Event.objects.count()
    with pytest.raises(RuntimeError, match="booking failed later"), transaction.atomic(durable=True):
        credits_spend(user=user, amount_cents=3000, reference={"type": "booking", "id": "x"}, dedupe_key="k1")
        raise RuntimeError("booking failed later")
    assert balance(user) == 5000
    assert not CreditTransaction.objects.filter(dedupe_key="k1").exists()
    assert Event.objects.count() == events_before


def test_insufficient_credits_is_a_409_conflict_and_changes_nothing():
    user = make_user()
    credits_purchase(user=user, amount_cents=999, payment_token="tok_test_success")
    with pytest.raises(Conflict) as raised:
        spend_in_own_command(user, 1000, "too-much")
    assert (raised.value.status_code, raised.value.code) == (409, "insufficient_credits")
    assert raised.value.errors == {"balance_cents": 999, "required_cents": 1000}
    assert balance(user) == 999
    assert CreditTransaction.objects.filter(user=user).count() == 1


def test_events_can_be_collected_into_the_callers_own_append():
    user = make_user()
    credits_purchase(user=user, amount_cents=5000, payment_token="tok_test_success")
    head_before = Event.objects.order_by("-position").values_list("position", flat=True).first()
    with transaction.atomic(durable=True):
        events: list = []
        row = credits_spend(user=user, amount_cents=1200, reference={"type": "stream", "id": "s1"},
                            dedupe_key="unlock-1", events=events)
        assert Event.objects.order_by("-position").values_list("position", flat=True).first() == head_before
        assert [e.event_type for e in events] == ["credits.spent"]
        position = event_append(events, actor_id=user.id)
    stored = Event.objects.get(position=position)
    assert stored.type == "credits.spent"
    assert stored.payload == {"transaction_id": str(row.id), "user_id": str(user.id), "sequence": 2,
                              "amount_cents": -1200, "balance_after_cents": 3800, "reference_type": "stream",
                              "reference_id": "s1", "created_at": row.created_at.isoformat()}


def test_a_dedupe_key_reused_with_other_details_is_refused():
    user = make_user()
    refund_in_own_command(user, 500, "refund:b2")
    with pytest.raises(Conflict) as raised:
        refund_in_own_command(user, 700, "refund:b2")
    assert raised.value.code == "credits_dedupe_conflict"
    assert balance(user) == 500


def test_internal_amounts_must_be_positive_whole_cents():
    user = make_user()
    for amount in (0, -5, 1.5, True):
        with pytest.raises(ValueError):
            spend_in_own_command(user, amount, f"bad-{amount}")  # type: ignore[arg-type]  # wrong on purpose
    assert not CreditTransaction.objects.filter(user=user).exists()


# --- the ledger is append-only and the balance never negative ------------------------------------------


def test_the_database_refuses_to_change_or_delete_ledger_rows():
    user = make_user()
    row = credits_purchase(user=user, amount_cents=1000, payment_token="tok_test_success")
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        CreditTransaction.objects.filter(id=row.id).update(amount_cents=5)
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        CreditTransaction.objects.filter(id=row.id).delete()
    with pytest.raises(IntegrityError, match="credit_balance_not_negative"), transaction.atomic():
        CreditAccount.objects.filter(user=user).update(balance_cents=-1)
    assert CreditTransaction.objects.get(id=row.id).amount_cents == 1000


def test_balance_equals_the_ledger_sum_after_every_kind_of_movement():
    user = make_user()
    staff = make_user(is_staff=True)
    credits_purchase(user=user, amount_cents=10_000, payment_token="tok_test_success")
    spend_in_own_command(user, 4000, "s1")
    refund_in_own_command(user, 4000, "r1")
    credits_adjust(actor=staff, user=user, amount_cents=-2500, reason="Duplicate purchase reversed")
    credits_adjust(actor=staff, user=user, amount_cents=300, reason="Goodwill")
    assert balance(user) == 10_000 - 4000 + 4000 - 2500 + 300
    assert_ledger_consistent(user)
    assert list(CreditTransaction.objects.filter(user=user).order_by("sequence").values_list("kind", flat=True)) == [
        "purchase", "spend", "refund", "adjustment", "adjustment"]
    adjusted = Event.objects.filter(type="credits.adjusted", aggregate_id=user.id).order_by("position")
    assert [(e.payload["amount_cents"], e.payload["reason"], e.actor_id) for e in adjusted] == [
        (-2500, "Duplicate purchase reversed", staff.id), (300, "Goodwill", staff.id)]


def test_adjustments_are_for_staff_and_cannot_go_below_zero():
    user = make_user()
    staff = make_user(is_staff=True)
    with pytest.raises(PermissionDenied):
        credits_adjust(actor=user, user=user, amount_cents=1000, reason="Free money")
    with pytest.raises(Conflict) as raised:
        credits_adjust(actor=staff, user=user, amount_cents=-1, reason="Correction")
    assert raised.value.code == "insufficient_credits"
    assert not CreditTransaction.objects.filter(user=user).exists()


# --- purchase ---------------------------------------------------------------------------------------


def test_purchase_records_credits_and_an_event():
    user = make_user()
    api = client_for(user)
    response = api.post(PURCHASE, {"amount_cents": 2550, "payment_token": "tok_test_success"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "success"
    tx = body["data"]["transaction"]
    assert (tx["kind"], tx["amount_cents"], tx["amount"]) == ("purchase", 2550, "25.50")
    assert tx["balance_after_cents"] == 2550
    assert tx["reference"]["type"] == "payment" and tx["reference"]["id"].startswith("ch_test_")
    assert body["data"]["balance_cents"] == 2550
    event = Event.objects.get(position=int(response["X-Event-Position"]))
    assert (event.type, event.aggregate_type, event.aggregate_id, event.actor_id) == (
        "credits.purchased", "credit_account", user.id, user.id)
    assert event.payload["amount_cents"] == 2550 and event.payload["provider"] == "test"
    assert event.payload["reference_id"] == tx["reference"]["id"]
    assert api.get("/api/v1/credits/balance/").json()["data"]["balance_cents"] == 2550
    assert api.get("/api/v1/credits/balance/").json()["data"]["balance"] == "25.50"


def test_declined_purchase_is_402_and_records_nothing():
    user = make_user()
    response = client_for(user).post(PURCHASE, {"amount_cents": 1000, "payment_token": "tok_test_declined"},
                                     format="json")
    assert response.status_code == 402
    assert (response.json()["status"], response.json()["code"]) == ("error", "payment_declined")
    assert "X-Event-Position" not in response
    assert not CreditTransaction.objects.filter(user=user).exists()
    with pytest.raises(PaymentDeclined):
        credits_purchase(user=user, amount_cents=1000, payment_token="tok_test_declined")


def test_unknown_token_is_400_and_unavailable_provider_is_503():
    api = client_for(make_user())
    unknown = api.post(PURCHASE, {"amount_cents": 1000, "payment_token": "tok_live_123"}, format="json")
    assert unknown.status_code == 400
    assert unknown.json()["code"] == "validation_error" and "payment_token" in unknown.json()["errors"]
    down = api.post(PURCHASE, {"amount_cents": 1000, "payment_token": "tok_test_unavailable"}, format="json")
    assert (down.status_code, down.json()["code"]) == (503, "payment_provider_unavailable")
    assert not CreditTransaction.objects.exists()


def test_recording_a_charge_twice_credits_once():
    user = make_user()
    charge = Charge(provider="test", charge_id="ch_test_fixed", amount_cents=4200)
    first = credits_purchase_record(user=user, charge=charge)
    second = credits_purchase_record(user=user, charge=charge)
    assert first.id == second.id
    assert balance(user) == 4200
    assert Event.objects.filter(type="credits.purchased", aggregate_id=user.id).count() == 1


def test_purchase_refuses_to_call_the_provider_inside_a_transaction():
    user = make_user()
    with pytest.raises(RuntimeError, match="must not run inside a transaction"), transaction.atomic():
        credits_purchase(user=user, amount_cents=1000, payment_token="tok_test_success")
    assert not CreditTransaction.objects.exists()


BAD_PURCHASES = [
    ({"amount_cents": -100, "payment_token": "tok_test_success"}, "amount_cents"),
    ({"amount_cents": 0, "payment_token": "tok_test_success"}, "amount_cents"),
    ({"amount_cents": 1_000_001, "payment_token": "tok_test_success"}, "amount_cents"),
    ({"amount_cents": 10**30, "payment_token": "tok_test_success"}, "amount_cents"),
    ({"amount_cents": 10.5, "payment_token": "tok_test_success"}, "amount_cents"),
    ({"amount_cents": 100.0, "payment_token": "tok_test_success"}, "amount_cents"),
    ({"amount_cents": "100", "payment_token": "tok_test_success"}, "amount_cents"),
    ({"amount_cents": True, "payment_token": "tok_test_success"}, "amount_cents"),
    ({"amount_cents": None, "payment_token": "tok_test_success"}, "amount_cents"),
    ({"payment_token": "tok_test_success"}, "amount_cents"),
    ({"amount_cents": 100}, "payment_token"),
    ({"amount_cents": 100, "payment_token": ""}, "payment_token"),
    ({"amount_cents": 100, "payment_token": 12}, "payment_token"),
    ({"amount_cents": 100, "payment_token": "x" * 201}, "payment_token"),
    ({"amount_cents": 100, "payment_token": "tok_test_success", "currency": "usd"}, "currency"),
]


def test_bad_purchase_input_is_a_400_envelope_naming_the_field():
    user = make_user()
    api = client_for(user)
    for body, field in BAD_PURCHASES:
        response = api.post(PURCHASE, body, format="json")
        assert response.status_code == 400, (body, response.content)
        payload = response.json()
        assert (payload["status"], payload["code"], list(payload["errors"])) == ("error", "validation_error", [field])
    assert not CreditTransaction.objects.filter(user=user).exists()


def test_malformed_json_and_non_object_bodies_are_400():
    api = client_for(make_user())
    broken = api.post(PURCHASE, data=b'{"amount_cents": 1', content_type="application/json")
    assert (broken.status_code, broken.json()["code"]) == (400, "malformed_request")
    listed = api.post(PURCHASE, data=b"[1, 2]", content_type="application/json")
    assert (listed.status_code, listed.json()["status"]) == (400, "error")


def test_credits_endpoints_require_authentication():
    anonymous = APIClient()
    responses = [anonymous.get("/api/v1/credits/balance/"), anonymous.get("/api/v1/credits/transactions/"),
                 anonymous.post(PURCHASE, {"amount_cents": 100, "payment_token": "tok_test_success"}, format="json")]
    for response in responses:
        assert response.status_code == 401
        assert (response.json()["status"], response.json()["code"]) == ("error", "not_authenticated")
    assert not CreditTransaction.objects.exists()


# --- reads --------------------------------------------------------------------------------------------


def test_balance_of_a_user_without_credits_is_zero():
    response = client_for(make_user()).get("/api/v1/credits/balance/")
    assert response.status_code == 200
    assert response.json()["data"] == {"balance_cents": 0, "balance": "0.00", "updated_at": None}


def test_transactions_are_mine_newest_first_paginated_and_filterable():
    user, other = make_user(), make_user()
    credits_purchase(user=user, amount_cents=5000, payment_token="tok_test_success")
    credits_purchase(user=other, amount_cents=7000, payment_token="tok_test_success")
    for i in range(3):
        spend_in_own_command(user, 100 * (i + 1), f"sp-{i}")
    refund_in_own_command(user, 300, "rf-1")
    api = client_for(user)

    first = api.get("/api/v1/credits/transactions/?page_size=2").json()
    assert [(t["kind"], t["amount_cents"]) for t in first["data"]] == [("refund", 300), ("spend", -300)]
    assert first["meta"]["pagination"]["count"] == 5
    assert first["meta"]["pagination"]["total_pages"] == 3
    assert first["meta"]["pagination"]["next"].endswith("page=2&page_size=2")
    assert first["meta"]["filters_applied"] == {}
    last = api.get("/api/v1/credits/transactions/?page_size=2&page=3").json()
    assert [(t["kind"], t["amount_cents"], t["amount"]) for t in last["data"]] == [("purchase", 5000, "50.00")]

    spends = api.get("/api/v1/credits/transactions/?kind=spend").json()
    assert [t["amount_cents"] for t in spends["data"]] == [-300, -200, -100]
    assert [t["balance_after_cents"] for t in spends["data"]] == [4400, 4700, 4900]
    assert spends["data"][0]["reference"] == {"type": "booking", "id": "sp-2"}
    assert spends["meta"]["filters_applied"] == {"kind": "spend"}
    assert spends["meta"]["pagination"]["count"] == 3


def test_bad_transaction_filters_are_400():
    api = client_for(make_user())
    for query in ["kind=gift", "kind=", "page=0", "page_size=101", "page=abc"]:
        response = api.get(f"/api/v1/credits/transactions/?{query}")
        assert (response.status_code, response.json()["code"]) == (400, "validation_error"), query
