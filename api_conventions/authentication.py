"""JWT authentication of both APIs, refusing tokens whose claims are not what the write API issues.

A token can be validly signed and still malformed (issued by an older release, or forged by whoever
learnt a key): a ``user_id`` or ``practitioner_id`` that is not a UUID, an ``is_staff`` that is not a
boolean. Such a token is refused here, at authentication (401 ``not_authenticated``), so no view ever
turns its claims into a 500.
"""

from __future__ import annotations

import uuid
from typing import Any

from rest_framework_simplejwt.authentication import JWTAuthentication, JWTStatelessUserAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken


def _is_uuid(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def check_claims(token: Any) -> None:
    """Raise :class:`InvalidToken` unless the identity claims have the types the write API issues."""
    if not _is_uuid(token.get("user_id")):
        raise InvalidToken("The token's user_id is not a valid id.")
    practitioner_id = token.get("practitioner_id")
    if practitioner_id is not None and not _is_uuid(practitioner_id):
        raise InvalidToken("The token's practitioner_id is not a valid id.")
    if not isinstance(token.get("is_staff", False), bool):
        raise InvalidToken("The token's is_staff claim is not a boolean.")


class CheckedJWTAuthentication(JWTAuthentication):
    """The write API's: the user is loaded from the database, after the claims are checked."""

    def get_validated_token(self, raw_token: bytes) -> Any:
        token = super().get_validated_token(raw_token)
        check_claims(token)
        return token


class CheckedStatelessJWTAuthentication(JWTStatelessUserAuthentication):
    """The read API's: the token is the identity (no database), so its claims must be well formed."""

    def get_validated_token(self, raw_token: bytes) -> Any:
        token = super().get_validated_token(raw_token)
        check_claims(token)
        return token
