from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models


def _username_for(email: str) -> str:
    # ``username`` is Django's legacy login name (150 chars); sign-in uses the email (254 chars).
    return email if len(email) <= 150 else f"user-{uuid.uuid4().hex}"


class MarketplaceUserManager(UserManager["User"]):
    # Email first (it is the login); Django's manager takes a username first: hence the overrides' ignores.
    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:  # type: ignore[override]
        extra.setdefault("username", _username_for(email.lower()))
        return super().create_user(email=email.lower(), password=password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:  # type: ignore[override]
        extra.setdefault("username", _username_for(email.lower()))
        return super().create_superuser(email=email.lower(), password=password, **extra)


class User(AbstractUser):
    """Everyone is a client; a practitioner profile makes a practitioner; ``is_staff`` makes staff."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(unique=True)
    timezone = models.CharField(max_length=64, default="UTC")

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = ["username"]

    objects: ClassVar[MarketplaceUserManager] = MarketplaceUserManager()

    class Meta:
        db_table = "accounts_user"
