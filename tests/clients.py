"""Test clients and sign-up helpers shared by the suite (``conftest.py`` builds its fixtures on them): the read
API in-process, registering a user, and authenticating a client with a user's tokens."""

from __future__ import annotations

import uuid
from typing import Any

from django.test import override_settings
from rest_framework.test import APIClient

from read_models import settings as read_settings
from write_api.accounts.models import User
from write_api.accounts.views import user_out


class ReadApiClient(APIClient):
    """The read API in-process: each request runs with the read API's URLconf, middleware and DRF
    settings, so a test can talk to both APIs. (A separate-process test covers the real deployment.)"""

    def request(self, **kwargs: Any) -> Any:
        with override_settings(ROOT_URLCONF=read_settings.ROOT_URLCONF, MIDDLEWARE=read_settings.MIDDLEWARE,
                               REST_FRAMEWORK=read_settings.REST_FRAMEWORK,
                               SPECTACULAR_SETTINGS=read_settings.SPECTACULAR_SETTINGS):
            return super().request(**kwargs)


def register(client: APIClient, email: str | None = None, password: str = "a-strong-password-1") -> dict[str, Any]:
    """Register and log in (registration answers alike for new and taken addresses, without tokens):
    ``{"user": …, "tokens": …}``."""
    email = email or f"user-{uuid.uuid4().hex[:10]}@example.com"
    response = client.post("/api/v1/auth/register/", {"email": email, "password": password}, format="json")
    assert response.status_code == 202, response.content
    tokens = client.post("/api/v1/auth/login/", {"email": email, "password": password}, format="json")
    assert tokens.status_code == 200, tokens.content
    return {"user": user_out(User.objects.get(email=email.lower())), "tokens": tokens.json()["data"]}


def authenticate(client: APIClient, tokens: dict[str, Any]) -> APIClient:
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    return client
