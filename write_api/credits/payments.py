"""How credits are bought: a payment-provider interface and the built-in test-mode provider.

A provider turns a client-side payment token into a captured charge, or refuses it. It talks to the
outside world, so it is called **outside any database transaction** (ARCHITECTURE §3); the
purchase is then recorded in its own durable transaction, idempotently by the provider's charge id.

The provider is chosen by the Django setting ``CREDITS_PAYMENT_PROVIDER`` (a dotted path; default:
:class:`TestModePaymentProvider`).
"""

from __future__ import annotations

import functools
import logging
import uuid
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from api_conventions.errors import ApplicationError, ServiceUnavailable, ValidationFailed
from kernel.vocabulary import ErrorCode

log = logging.getLogger(__name__)

DEFAULT_PROVIDER = "write_api.credits.payments.TestModePaymentProvider"


@dataclass(frozen=True)
class Charge:
    """A captured payment: ``amount_cents`` were taken; ``charge_id`` is unique within ``provider``."""

    provider: str
    charge_id: str
    amount_cents: int


class PaymentDeclined(ApplicationError):
    status_code = 402
    code = ErrorCode.PAYMENT_DECLINED
    default_message = "The payment was declined; no credits were bought."


class PaymentTokenInvalid(ValidationFailed):
    default_message = "The payment token is not valid."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(errors={"payment_token": [message or self.default_message]})


class PaymentProviderUnavailable(ServiceUnavailable):
    code = ErrorCode.PAYMENT_PROVIDER_UNAVAILABLE
    default_message = "The payment provider is unavailable; nothing was charged. Retry shortly."


class PaymentProvider(Protocol):
    """Captures a payment. Raises :class:`PaymentDeclined`, :class:`PaymentTokenInvalid` or
    :class:`PaymentProviderUnavailable` (nothing was charged in each case)."""

    name: str
    live: bool  # False: no real money moves

    def charge(self, *, amount_cents: int, token: str, description: str) -> Charge: ...


class TestModePaymentProvider:
    """NOT FOR PRODUCTION: moves no money and accepts anyone who knows the documented test tokens.

    Tokens:

    - ``tok_test_success`` — the charge succeeds (a new ``ch_test_…`` id each time);
    - ``tok_test_declined`` — declined: 402 ``payment_declined``;
    - ``tok_test_unavailable`` — the provider is down: 503 ``payment_provider_unavailable``;
    - anything else — 400 ``validation_error`` on ``payment_token``.
    """

    __test__ = False  # not a pytest test class, despite the name
    name = "test"
    live = False
    SUCCESS_TOKEN = "tok_test_success"
    DECLINED_TOKEN = "tok_test_declined"
    UNAVAILABLE_TOKEN = "tok_test_unavailable"

    def charge(self, *, amount_cents: int, token: str, description: str) -> Charge:
        if token == self.SUCCESS_TOKEN:
            return Charge(provider=self.name, charge_id=f"ch_test_{uuid.uuid4().hex}", amount_cents=amount_cents)
        if token == self.DECLINED_TOKEN:
            raise PaymentDeclined()
        if token == self.UNAVAILABLE_TOKEN:
            raise PaymentProviderUnavailable()
        raise PaymentTokenInvalid(
            f"Unknown test token; the test-mode provider accepts {self.SUCCESS_TOKEN!r} and {self.DECLINED_TOKEN!r}.")


@functools.cache
def payment_provider() -> PaymentProvider:
    provider: PaymentProvider = import_string(getattr(settings, "CREDITS_PAYMENT_PROVIDER", DEFAULT_PROVIDER))()
    if not provider.live:
        log.warning("credits are bought through the %r payment provider, which is NOT FOR PRODUCTION", provider.name)
    return provider
