"""JWTs carrying the claims the read API needs to authorise without a database round trip — and nothing
more: no e-mail address or other personal data (a token is readable by anyone who holds it)."""

from __future__ import annotations

from rest_framework_simplejwt.tokens import RefreshToken

from write_api.accounts.models import User


def practitioner_id_of(user: User) -> str | None:
    profile = getattr(user, "practitioner", None)
    return str(profile.id) if profile is not None else None


def token_pair_for(user: User) -> dict[str, str]:
    refresh = RefreshToken.for_user(user)
    refresh["is_staff"] = user.is_staff
    refresh["practitioner_id"] = practitioner_id_of(user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}
