"""The shapes of the accounts' answers that are not schema-only serializers (see :mod:`api_conventions.payloads`)."""

from __future__ import annotations

from typing import TypedDict

from api_conventions.payloads import example


class RegistrationPayload(TypedDict):
    """The address registered, and nothing else: the answer is the same whether or not it was taken."""

    email: str


example(RegistrationPayload, {"email": "casey@example.com"})
