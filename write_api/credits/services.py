"""Credit movements: purchase, spend, refund, staff adjustment.

Every movement locks the user's ``CreditAccount`` row, appends one ledger row and moves the balance
by the same amount, so balance = sum of the ledger and spends never race each other below zero.
Each movement carries a ``dedupe_key``: a second movement with a key already in the ledger changes
nothing and returns the first row (a refund or charge retried by a worker or a replayed command
happens once).

``credits_spend`` and ``credits_refund`` run **inside** the calling command's transaction (a booking,
a cancellation, an unlock): they are not durable, and a failure (``insufficient_credits``) rolls the
whole command back. By default each appends its event at once; a command that takes more row locks
afterwards should pass ``events=`` (its own list) and append them with its own events as its last
step, so the event-log head lock is taken last (no lock-order deadlocks, shorter hold).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from api_conventions.errors import Conflict, PermissionDenied, ValidationFailed
from kernel.events import CreditsAdjusted, CreditsPurchased, CreditsRefunded, CreditsSpent, DomainEvent
from kernel.vocabulary import ErrorCode
from write_api.accounts.models import User
from write_api.credits.models import CreditAccount, CreditTransaction
from write_api.credits.payments import Charge, PaymentProvider, payment_provider
from write_api.eventlog.services import event_append

Kind = CreditTransaction.Kind

MAX_PURCHASE_CENTS = 1_000_000  # 10,000.00 per purchase
MAX_MOVEMENT_CENTS = 100_000_000  # any single spend, refund or adjustment

_ENSURE_ACCOUNT = ("INSERT INTO credit_account (user_id, balance_cents, last_sequence, updated_at) "
                   "VALUES (%s, 0, 0, %s) ON CONFLICT (user_id) DO NOTHING")


class InsufficientCredits(Conflict):
    code = ErrorCode.INSUFFICIENT_CREDITS
    default_message = "Your credit balance is too low for this."


def credits_purchase(*, user: User, amount_cents: int, payment_token: str,
                     provider: PaymentProvider | None = None) -> CreditTransaction:
    """Charge the provider, then record the credits. Must run outside any transaction.

    The provider call is a network call, so it comes first and alone; the record is its own durable
    transaction, idempotent by the charge id (see :func:`credits_purchase_record`).
    """
    _check_amount(amount_cents, maximum=MAX_PURCHASE_CENTS, field="amount_cents")
    if connection.in_atomic_block:
        raise RuntimeError("credits_purchase calls the payment provider and must not run inside a transaction")
    provider = provider or payment_provider()
    charge = provider.charge(amount_cents=amount_cents, token=payment_token,
                             description=f"Marketplace credits for user {user.id}")
    return credits_purchase_record(user=user, charge=charge)


@transaction.atomic(durable=True)
def credits_purchase_record(*, user: User, charge: Charge) -> CreditTransaction:
    """Record a captured charge as credits, once per charge (a second call returns the first row)."""
    events: list[DomainEvent] = []
    row = _move(user_id=user.id, kind=Kind.PURCHASE, amount_cents=charge.amount_cents,
                dedupe_key=f"purchase:{charge.provider}:{charge.charge_id}",
                reference={"type": "payment", "id": charge.charge_id}, events=events,
                description=f"Bought through the {charge.provider} payment provider.",
                event_extra={"provider": charge.provider})
    if events:
        event_append(events, actor_id=user.id)
    return row


def credits_spend(*, user: User, amount_cents: int, reference: Mapping[str, Any] | None, dedupe_key: str,
                  events: list[DomainEvent] | None = None) -> CreditTransaction:
    """Take ``amount_cents`` from the balance, inside the caller's transaction; 409 ``insufficient_credits``."""
    _check_internal_amount(amount_cents)
    with transaction.atomic():
        return _move_and_record(user_id=user.id, kind=Kind.SPEND, amount_cents=-amount_cents, dedupe_key=dedupe_key,
                                reference=reference, events=events, actor_id=user.id)


def credits_refund(*, user: User, amount_cents: int, reference: Mapping[str, Any] | None, dedupe_key: str,
                   events: list[DomainEvent] | None = None) -> CreditTransaction:
    """Give ``amount_cents`` back, exactly once per ``dedupe_key``, inside the caller's transaction."""
    _check_internal_amount(amount_cents)
    with transaction.atomic():
        return _move_and_record(user_id=user.id, kind=Kind.REFUND, amount_cents=amount_cents, dedupe_key=dedupe_key,
                                reference=reference, events=events, actor_id=None)


@transaction.atomic(durable=True)
def credits_adjust(*, actor: User, user: User, amount_cents: int, reason: str,
                   dedupe_key: str | None = None) -> CreditTransaction:
    """A staff correction of either sign; it cannot take the balance below zero."""
    if not actor.is_staff:
        raise PermissionDenied("Only staff can adjust credit balances.")
    if not _whole_cents(amount_cents) or not 0 < abs(amount_cents) <= MAX_MOVEMENT_CENTS:
        raise ValidationFailed(errors={"amount_cents": [f"A non-zero whole number of cents up to "
                                                        f"{MAX_MOVEMENT_CENTS} either way."]})
    reason = reason.strip()
    if not reason or len(reason) > 500:
        raise ValidationFailed(errors={"reason": ["Say why, in at most 500 characters."]})
    events: list[DomainEvent] = []
    row = _move(user_id=user.id, kind=Kind.ADJUSTMENT, amount_cents=amount_cents,
                dedupe_key=dedupe_key or f"adjustment:{uuid.uuid4()}", reference=None, events=events,
                description=reason, actor_id=actor.id, event_extra={"reason": reason})
    if events:
        event_append(events, actor_id=actor.id)
    return row


def credit_event(row: CreditTransaction, **extra: Any) -> DomainEvent:
    """The event describing one ledger row."""
    event_class = {Kind.PURCHASE: CreditsPurchased, Kind.SPEND: CreditsSpent, Kind.REFUND: CreditsRefunded,
                   Kind.ADJUSTMENT: CreditsAdjusted}[Kind(row.kind)]
    return event_class(transaction_id=row.id, user_id=row.user_id, sequence=row.sequence,
                       amount_cents=row.amount_cents, balance_after_cents=row.balance_after_cents,
                       reference_type=row.reference_type, reference_id=row.reference_id, created_at=row.created_at,
                       **extra)


def _move_and_record(*, events: list[DomainEvent] | None, actor_id: Any, **movement: Any) -> CreditTransaction:
    collected: list[DomainEvent] = []
    row = _move(events=collected, **movement)
    if events is not None:
        events.extend(collected)
    elif collected:
        event_append(collected, actor_id=actor_id)
    return row


def _move(*, user_id: Any, kind: str, amount_cents: int, dedupe_key: str, reference: Mapping[str, Any] | None,
          events: list[DomainEvent], description: str = "", actor_id: Any = None,
          event_extra: dict[str, Any] | None = None) -> CreditTransaction:
    """Lock the account, append one ledger row (unless ``dedupe_key`` is already in it), move the balance."""
    if not dedupe_key or len(dedupe_key) > 200:
        raise ValueError("dedupe_key must be 1 to 200 characters")
    account = _locked_account(user_id)
    existing = CreditTransaction.objects.filter(dedupe_key=dedupe_key).first()
    if existing is not None:
        if (existing.user_id, existing.kind, existing.amount_cents) != (user_id, kind, amount_cents):
            raise Conflict("This credit movement was already recorded with different details.",
                           code=ErrorCode.CREDITS_DEDUPE_CONFLICT)
        return existing
    balance_after = account.balance_cents + amount_cents
    if balance_after < 0:
        raise InsufficientCredits(errors={"balance_cents": account.balance_cents, "required_cents": -amount_cents})
    now = timezone.now()
    account.balance_cents = balance_after
    account.last_sequence += 1
    account.updated_at = now
    account.save(update_fields=["balance_cents", "last_sequence", "updated_at"])
    row = CreditTransaction.objects.create(
        user_id=user_id, sequence=account.last_sequence, kind=kind, amount_cents=amount_cents,
        balance_after_cents=balance_after, reference_type=str((reference or {}).get("type", ""))[:40],
        reference_id=str((reference or {}).get("id", ""))[:100], dedupe_key=dedupe_key,
        description=description[:500], actor_id=actor_id, created_at=now)
    events.append(credit_event(row, **(event_extra or {})))
    return row


def _locked_account(user_id: Any) -> CreditAccount:
    account = CreditAccount.objects.select_for_update().filter(user_id=user_id).first()
    if account is None:
        with connection.cursor() as cursor:
            cursor.execute(_ENSURE_ACCOUNT, [user_id, timezone.now()])
        account = CreditAccount.objects.select_for_update().get(user_id=user_id)
    return account


def _whole_cents(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_amount(amount_cents: Any, *, maximum: int, field: str) -> None:
    if not _whole_cents(amount_cents) or not 0 < amount_cents <= maximum:
        raise ValidationFailed(errors={field: [f"A whole number of cents from 1 to {maximum}."]})


def _check_internal_amount(amount_cents: Any) -> None:
    # Spends and refunds come from other commands, not from user input: a bad amount is a bug.
    if not _whole_cents(amount_cents) or not 0 < amount_cents <= MAX_MOVEMENT_CENTS:
        raise ValueError(f"amount_cents must be a whole number from 1 to {MAX_MOVEMENT_CENTS}, not {amount_cents!r}")
