"""Commands of the identity context."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from api_conventions.errors import NotAuthenticated
from kernel.events import UserRegistered
from write_api.accounts.models import User
from write_api.accounts.tokens import token_pair_for
from write_api.eventlog.services import event_append


@transaction.atomic(durable=True)
def user_register(*, email: str, password: str, first_name: str = "", last_name: str = "",
                  timezone: str = "UTC") -> User | None:
    """Create the account; None when the address already has one (which the caller must not reveal: it
    answers alike either way, and this function spends the same password-hashing time either way)."""
    email = email.lower()
    if User.objects.filter(email=email).exists():
        make_password(password)  # the same work as a registration: the time taken must not tell either
        return None
    try:
        with transaction.atomic():
            user = User.objects.create_user(email=email, password=password, first_name=first_name,
                                            last_name=last_name, timezone=timezone)
    except IntegrityError:
        return None  # registered by a concurrent request a moment ago
    event_append(
        [UserRegistered(user_id=user.id, email=user.email, first_name=first_name, last_name=last_name)],
        actor_id=user.id,
    )
    return user


def user_login(*, email: str, password: str) -> User:
    """The active user with these credentials (the caller issues the tokens), else 401 ``invalid_credentials``."""
    user = authenticate(username=email.lower(), password=password)
    if user is None or not user.is_active:
        raise NotAuthenticated("Email or password is incorrect.", code="invalid_credentials")
    return user


@transaction.atomic(durable=True)
def token_refresh(*, refresh: str) -> dict[str, str]:
    """Rotate: the presented refresh token is blacklisted, a fresh pair with current claims issued."""
    try:
        token = RefreshToken(refresh)
    except TokenError as exc:
        raise NotAuthenticated(str(exc), code="token_not_valid")
    # Lock the token's row so two parallel refreshes with one token cannot both rotate it.
    OutstandingToken.objects.select_for_update().filter(jti=token["jti"]).first()
    try:
        token.check_blacklist()
    except TokenError as exc:
        raise NotAuthenticated(str(exc), code="token_not_valid")
    user = User.objects.filter(id=token["user_id"], is_active=True).first()
    if user is None:
        raise NotAuthenticated("The account no longer exists or is disabled.", code="token_not_valid")
    try:
        token.blacklist()
    except TokenError as exc:
        raise NotAuthenticated(str(exc), code="token_not_valid")
    return token_pair_for(user)


@transaction.atomic(durable=True)
def user_update(*, user: User, first_name: str | None = None, last_name: str | None = None,
                timezone: str | None = None) -> User:
    changed = []
    for field, value in (("first_name", first_name), ("last_name", last_name), ("timezone", timezone)):
        if value is not None:
            setattr(user, field, value)
            changed.append(field)
    if changed:
        user.save(update_fields=changed)
    return user
