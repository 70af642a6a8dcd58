from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from api_conventions.pagination import PageQuery, PageRequest, pagination_meta
from api_conventions.payloads import example
from api_conventions.responses import created, ok
from api_conventions.serializers import StrictInput
from write_api.credits import selectors, services
from write_api.credits.models import CreditTransaction
from write_api.eventlog.idempotency import idempotent


class CentsField(serializers.IntegerField):
    """A JSON integer only: ``"100"``, ``100.0`` and ``true`` are refused rather than coerced."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


def money(cents: int) -> str:
    return str(Decimal(cents).scaleb(-2))


def transaction_out(row: CreditTransaction) -> dict[str, Any]:
    reference = {"type": row.reference_type, "id": row.reference_id} if row.reference_type else None
    return {"id": str(row.id), "kind": row.kind, "amount_cents": row.amount_cents, "amount": money(row.amount_cents),
            "balance_after_cents": row.balance_after_cents, "reference": reference, "description": row.description,
            "created_at": row.created_at.isoformat()}


class ReferenceOut(serializers.Serializer):
    type = serializers.CharField()
    id = serializers.CharField()


class TransactionOut(serializers.Serializer):
    id = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=CreditTransaction.Kind.choices)
    amount_cents = serializers.IntegerField(help_text="Signed: credits in are positive, credits out negative.")
    amount = serializers.CharField(help_text="The same in major units, e.g. `-12.50`.")
    balance_after_cents = serializers.IntegerField()
    reference = ReferenceOut(allow_null=True, help_text="What it paid for or came from (booking, payment, stream).")
    description = serializers.CharField()
    created_at = serializers.DateTimeField()


class BalanceOut(serializers.Serializer):
    balance_cents = serializers.IntegerField()
    balance = serializers.CharField()
    updated_at = serializers.DateTimeField(allow_null=True)


class PurchaseOut(serializers.Serializer):
    transaction = TransactionOut()
    balance_cents = serializers.IntegerField()


_PURCHASE = {"id": "6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7b8c9d", "kind": "purchase", "amount_cents": 5000, "amount": "50.00",
             "balance_after_cents": 9500, "reference": {"type": "payment", "id": "ch_test_1"},
             "description": "Credits bought", "created_at": "2026-03-02T09:00:00+00:00"}
example(TransactionOut, _PURCHASE)
example(BalanceOut, {"balance_cents": 9500, "balance": "95.00", "updated_at": "2026-03-02T09:00:00+00:00"})
example(PurchaseOut, {"transaction": _PURCHASE, "balance_cents": 9500})

PAYMENT_ERRORS = {402: "`payment_declined`: the payment provider declined; nothing was charged.",
                  503: "`payment_provider_unavailable`: nothing was charged; retry shortly."}


class BalanceApi(APIView):
    permission_classes = [IsAuthenticated]
    output_serializer = BalanceOut

    @extend_schema(summary="My credit balance")
    def get(self, request):
        account = selectors.credits_account(user_id=request.user.id)
        balance = account.balance_cents if account else 0
        return ok({"balance_cents": balance, "balance": money(balance),
                   "updated_at": account.updated_at.isoformat() if account else None})


class TransactionListApi(APIView):
    permission_classes = [IsAuthenticated]
    output_serializer = TransactionOut(many=True)

    class Query(serializers.Serializer):
        kind = serializers.ChoiceField(choices=CreditTransaction.Kind.choices, required=False)

    query_serializer = (Query, PageQuery)

    @extend_schema(summary="My credit ledger, newest first")
    def get(self, request):
        page = PageRequest.from_query(request.query_params)
        query = self.Query(data={k: v for k, v in request.query_params.items() if k == "kind"})
        query.is_valid(raise_exception=True)
        kind = query.validated_data.get("kind")
        rows = selectors.credits_transactions(user_id=request.user.id, kind=kind)
        count = rows.count()
        items = [transaction_out(r) for r in rows[page.offset:page.offset + page.page_size]]
        filters = {"kind": kind} if kind else {}
        return ok(items, meta={"pagination": pagination_meta(request, page, count), "filters_applied": filters})


class PurchaseApi(APIView):
    permission_classes = [IsAuthenticated]
    output_serializer = PurchaseOut
    other_errors = PAYMENT_ERRORS

    class Input(StrictInput):
        amount_cents = CentsField(min_value=1, max_value=services.MAX_PURCHASE_CENTS)
        payment_token = serializers.CharField(max_length=200, help_text=(
            "From the payment provider's client SDK. Test mode (NOT FOR PRODUCTION): `tok_test_success` "
            "succeeds, `tok_test_declined` is declined (402 `payment_declined`)."))

    @extend_schema(summary="Buy credits", description=(
        "Charges the payment provider, then credits the balance. Declined: 402 `payment_declined`. "
        "Honours `Idempotency-Key`: a retry with the same key and body returns the original answer "
        "without charging again."))
    @idempotent
    def post(self, request):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        row = services.credits_purchase(user=request.user, **data.validated_data)
        return created({"transaction": transaction_out(row), "balance_cents": row.balance_after_cents},
                       message="Credits bought.")
