"""Credits: an append-only ledger per user and the balance it adds up to (SPEC §4 "Credits").

``CreditAccount`` holds the running balance; its row is locked (``SELECT … FOR UPDATE``) by every
movement, which serialises a user's spends and refunds. Each movement appends one
``CreditTransaction`` carrying the signed amount, the balance after it and the next per-user
``sequence``; so ``balance_cents == sum(amount_cents)`` and ``sequence`` runs 1, 2, 3… without gaps.
The database refuses a negative balance (CHECK) and any UPDATE or DELETE of a ledger row (trigger,
migration 0002).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class CreditAccount(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.PROTECT,
                                related_name="credit_account")
    balance_cents = models.BigIntegerField(default=0)
    last_sequence = models.BigIntegerField(default=0, help_text="Sequence of the user's latest ledger row.")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "credit_account"
        constraints = [models.CheckConstraint(condition=Q(balance_cents__gte=0), name="credit_balance_not_negative")]


class CreditTransaction(models.Model):
    class Kind(models.TextChoices):
        PURCHASE = "purchase"
        SPEND = "spend"
        REFUND = "refund"
        ADJUSTMENT = "adjustment"
        EXPIRY = "expiry"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="credit_transactions")
    sequence = models.BigIntegerField(help_text="1, 2, 3… per user, in the order the movements committed.")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    amount_cents = models.BigIntegerField(help_text="Signed: credits in are positive, credits out negative.")
    balance_after_cents = models.BigIntegerField()
    reference_type = models.CharField(max_length=40, blank=True, default="")
    reference_id = models.CharField(max_length=100, blank=True, default="")
    dedupe_key = models.CharField(max_length=200, unique=True,
                                  help_text="One movement per key: a retried refund or charge cannot repeat.")
    description = models.CharField(max_length=500, blank=True, default="")
    actor_id = models.UUIDField(null=True, help_text="Who caused it when not the user (staff adjustments).")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "credit_transaction"
        constraints = [
            models.UniqueConstraint(fields=["user", "sequence"], name="credit_transaction_user_sequence"),
            models.CheckConstraint(condition=~Q(amount_cents=0), name="credit_transaction_amount_not_zero"),
            models.CheckConstraint(condition=Q(balance_after_cents__gte=0),
                                   name="credit_transaction_balance_not_negative"),
            models.CheckConstraint(
                condition=Q(kind__in=["purchase", "refund"], amount_cents__gt=0)
                | Q(kind__in=["spend", "expiry"], amount_cents__lt=0)
                | Q(kind="adjustment"),
                name="credit_transaction_sign_matches_kind"),
        ]
        indexes = [models.Index(fields=["user", "kind", "-sequence"], name="credit_tx_user_kind_seq")]
