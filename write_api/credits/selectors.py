"""Reads of the caller's own credits (the write API serves them: they are the caller's own data)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet, Sum

from write_api.credits.models import CreditAccount, CreditTransaction


def credits_account(*, user_id: Any) -> CreditAccount | None:
    return CreditAccount.objects.filter(user_id=user_id).first()


def credits_transactions(*, user_id: Any, kind: str | None = None) -> QuerySet[CreditTransaction]:
    """The user's ledger, newest first."""
    rows = CreditTransaction.objects.filter(user_id=user_id)
    if kind:
        rows = rows.filter(kind=kind)
    return rows.order_by("-sequence")


def credits_ledger_sum(*, user_id: Any) -> int:
    total = CreditTransaction.objects.filter(user_id=user_id).aggregate(total=Sum("amount_cents"))["total"]
    return int(total or 0)
