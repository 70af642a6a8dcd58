"""Accounts and tokens: register, login, refresh with rotation, me; stateless JWTs on the read API."""

from __future__ import annotations

import threading
from datetime import timedelta

import jwt
import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from tests.clients import authenticate, register
from write_api.accounts.models import User
from write_api.eventlog.models import Event

pytestmark = pytest.mark.django_db

PASSWORD = "a-strong-password-1"


FORGER_KEY = "not-the-signing-key-but-long-enough-for-hs256"


def claims(token: str) -> dict:
    return jwt.decode(token, settings.SIMPLE_JWT["SIGNING_KEY"], algorithms=["HS256"])


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert (body["status"], body["code"], body["data"]) == ("error", code, None)
    return body


def login(client: APIClient, email: str, password: str = PASSWORD):
    return client.post("/api/v1/auth/login/", {"email": email, "password": password}, format="json")


# --- register ---------------------------------------------------------------------------------------------


def test_register_creates_the_user_and_login_answers_with_tokens(write_api):
    response = write_api.post("/api/v1/auth/register/", {
        "email": "Ada@Example.com", "password": PASSWORD, "first_name": "Ada", "last_name": "Lovelace",
        "timezone": "Europe/London"}, format="json")
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["data"] == {"email": "ada@example.com"}
    assert body["message"].startswith("Registered: log in to get your tokens.")
    assert "X-Event-Position" not in response
    tokens = login(write_api, "ada@example.com").json()["data"]
    user = authenticate(write_api, tokens).get("/api/v1/auth/me/").json()["data"]
    assert {k: user[k] for k in ("email", "first_name", "last_name", "timezone", "is_staff", "practitioner_id")} == {
        "email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace", "timezone": "Europe/London",
        "is_staff": False, "practitioner_id": None}
    assert "password" not in user
    access = AccessToken(tokens["access"])
    refresh = RefreshToken(tokens["refresh"])
    assert (access["token_type"], refresh["token_type"]) == ("access", "refresh")
    assert access["user_id"] == refresh["user_id"] == user["id"]
    assert (access["is_staff"], access["practitioner_id"]) == (False, None)
    assert "email" not in access and "email" not in refresh  # no personal data in a readable token
    assert access["exp"] - access["iat"] == 30 * 60
    assert refresh["exp"] - refresh["iat"] == 7 * 24 * 3600
    stored = User.objects.get(id=user["id"])
    assert stored.check_password(PASSWORD) and stored.password != PASSWORD
    event = Event.objects.get()
    assert (event.type, str(event.aggregate_id)) == ("user.registered", user["id"])


def test_register_does_not_reveal_whether_an_email_is_taken(write_api):
    """A taken address (whatever its case) gets exactly the answer a new one gets, and its account is untouched."""
    register(write_api, email="taken@example.com")
    owner_hash = User.objects.get(email="taken@example.com").password

    def attempt(email: str):
        response = write_api.post("/api/v1/auth/register/", {"email": email, "password": "another-password-9"},
                                  format="json")
        headers = {k: v for k, v in response.items() if k not in ("X-Request-ID", "Date", "Content-Length")}
        body = response.json()
        return response.status_code, headers, {**body, "data": {"email": "…"}}

    assert attempt("TAKEN@example.com") == attempt("fresh@example.com")
    assert User.objects.get(email="taken@example.com").password == owner_hash
    assert login(write_api, "taken@example.com", "another-password-9").status_code == 401
    assert User.objects.filter(email="fresh@example.com").exists()


@pytest.mark.parametrize(("password", "fragment"), [
    ("short1!", "too short"),
    ("password123", "too common"),
    ("83749201938", "entirely numeric"),
    ("lovelace-ada", "too similar"),
    ("", "may not be blank"),
])
def test_weak_password_is_400(write_api, password, fragment):
    response = write_api.post("/api/v1/auth/register/", {"email": "lovelace-ada@example.com", "password": password,
                                                         "first_name": "Ada", "last_name": "Lovelace"},
                              format="json")
    body = assert_error(response, 400, "validation_error")
    assert list(body["errors"]) == ["password"]
    assert any(fragment in message for message in body["errors"]["password"]), body["errors"]
    assert not User.objects.exists()


@pytest.mark.parametrize(("field", "value"), [
    ("timezone", "Mars/Olympus_Mons"), ("timezone", "utc "), ("timezone", ""), ("timezone", 5),
    ("email", "not-an-email"), ("email", "a" * 250 + "@example.com"), ("first_name", "x" * 151),
])
def test_bad_registration_fields_are_400(write_api, field, value):
    response = write_api.post("/api/v1/auth/register/", {"email": "ada@example.com", "password": PASSWORD,
                                                         field: value}, format="json")
    assert list(assert_error(response, 400, "validation_error")["errors"]) == [field]


def test_register_accepts_a_long_email(write_api):
    email = "a" * 180 + "@example.com"  # longer than Django's 150-character username
    assert register(write_api, email=email)["user"]["email"] == email
    assert login(write_api, email).status_code == 200


# --- login ------------------------------------------------------------------------------------------------


def test_login_answers_like_register_with_the_user_and_a_token_pair(write_api):
    user = register(write_api, email="ada@example.com")["user"]
    response = login(write_api, "ADA@example.com")
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["user"] == user
    assert set(data["tokens"]) == {"access", "refresh"}
    assert claims(data["tokens"]["access"])["user_id"] == user["id"]


@pytest.mark.parametrize(("email", "password"), [("ada@example.com", "wrong-password-1"),
                                                 ("nobody@example.com", PASSWORD)])
def test_login_with_wrong_credentials_is_401(write_api, email, password):
    register(write_api, email="ada@example.com")
    body = assert_error(login(write_api, email, password), 401, "invalid_credentials")
    assert body["message"] == "Email or password is incorrect."


def test_disabled_account_cannot_log_in_or_refresh(write_api):
    tokens = register(write_api, email="ada@example.com")["tokens"]
    User.objects.filter(email="ada@example.com").update(is_active=False)
    assert_error(login(write_api, "ada@example.com"), 401, "invalid_credentials")
    response = write_api.post("/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]}, format="json")
    assert_error(response, 401, "token_not_valid")


# --- refresh ----------------------------------------------------------------------------------------------


def refresh_with(client: APIClient, token: str):
    return client.post("/api/v1/auth/token/refresh/", {"refresh": token}, format="json")


def test_refresh_rotates_the_pair_and_revokes_the_old_refresh_token(write_api):
    first = register(write_api)["tokens"]
    response = refresh_with(write_api, first["refresh"])
    assert response.status_code == 200, response.content
    second = response.json()["data"]["tokens"]
    assert set(second) == {"access", "refresh"}
    assert second["refresh"] != first["refresh"] and second["access"] != first["access"]
    assert claims(second["refresh"])["jti"] != claims(first["refresh"])["jti"]
    assert_error(refresh_with(write_api, first["refresh"]), 401, "token_not_valid")
    assert refresh_with(write_api, second["refresh"]).status_code == 200
    authenticate(write_api, second)
    assert write_api.get("/api/v1/auth/me/").status_code == 200


@pytest.mark.parametrize("token", ["garbage", "a.b.c", ""])
def test_refresh_with_a_malformed_token_is_4xx(write_api, token):
    response = refresh_with(write_api, token)
    assert response.status_code == (400 if token == "" else 401)


def test_an_access_token_is_not_a_refresh_token(write_api):
    tokens = register(write_api)["tokens"]
    assert_error(refresh_with(write_api, tokens["access"]), 401, "token_not_valid")


@pytest.mark.django_db(transaction=True)  # real commits, one connection per thread
def test_parallel_refreshes_of_one_token_let_exactly_one_through(write_api):
    token = register(write_api)["tokens"]["refresh"]
    attempts = 4
    barrier = threading.Barrier(attempts)
    statuses: list[int] = []

    def attempt() -> None:
        client = APIClient()
        barrier.wait()
        try:
            statuses.append(refresh_with(client, token).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] + [401] * (attempts - 1)


def test_refresh_after_becoming_a_practitioner_carries_the_new_claim(write_api):
    tokens = register(write_api)["tokens"]
    authenticate(write_api, tokens)
    response = write_api.post("/api/v1/practitioners/", {"display_name": "Ada", "timezone": "Europe/London"},
                              format="json")
    assert response.status_code == 201, response.content
    practitioner_id = response.json()["data"]["practitioner"]["id"]
    assert claims(response.json()["data"]["tokens"]["access"])["practitioner_id"] == practitioner_id
    # An older refresh token yields tokens with the claims as they are now.
    refreshed = refresh_with(write_api, tokens["refresh"]).json()["data"]
    assert claims(refreshed["access"])["practitioner_id"] == practitioner_id


# --- me ---------------------------------------------------------------------------------------------------


def test_me_requires_a_token(write_api):
    assert_error(write_api.get("/api/v1/auth/me/"), 401, "not_authenticated")
    write_api.credentials(HTTP_AUTHORIZATION="Bearer not-a-jwt")
    response = write_api.get("/api/v1/auth/me/")
    body = assert_error(response, 401, "not_authenticated")
    assert body["message"] == "Given token not valid for any token type"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_me_reads_and_updates_the_profile(write_api):
    user = register(write_api, email="ada@example.com")
    authenticate(write_api, user["tokens"])
    assert write_api.get("/api/v1/auth/me/").json()["data"] == user["user"]
    response = write_api.patch("/api/v1/auth/me/", {"first_name": "Ada", "timezone": "Asia/Tokyo"}, format="json")
    assert response.status_code == 200
    assert response.json()["message"] == "Updated."
    updated = write_api.get("/api/v1/auth/me/").json()["data"]
    assert {**user["user"], "first_name": "Ada", "timezone": "Asia/Tokyo"} == updated
    stored = User.objects.get(id=user["user"]["id"])
    assert (stored.first_name, stored.last_name, stored.timezone) == ("Ada", "", "Asia/Tokyo")


@pytest.mark.parametrize(("payload", "field"), [
    ({"timezone": "Nowhere/Land"}, "timezone"), ({"email": "new@example.com"}, "email"),
    ({"is_staff": True}, "is_staff"), ({"first_name": None}, "first_name"), ({"password": "x"}, "password"),
])
def test_me_patch_rejects_bad_or_forbidden_fields(write_api, payload, field):
    user = register(write_api)
    authenticate(write_api, user["tokens"])
    body = assert_error(write_api.patch("/api/v1/auth/me/", payload, format="json"), 400, "validation_error")
    assert list(body["errors"]) == [field]
    stored = User.objects.get(id=user["user"]["id"])
    assert (stored.email, stored.is_staff, stored.timezone) == (user["user"]["email"], False, "UTC")


def test_becoming_a_practitioner_shows_in_me(write_api, practitioner):
    me = write_api.get("/api/v1/auth/me/").json()["data"]
    assert me["practitioner_id"] == practitioner["practitioner"]["id"]
    assert claims(practitioner["tokens"]["access"])["practitioner_id"] == practitioner["practitioner"]["id"]


# --- the read API: stateless JWTs, staff-only operations ----------------------------------------------------


def staff_tokens(write_api: APIClient) -> dict:
    User.objects.create_user(email="ops@example.com", password=PASSWORD, is_staff=True)
    response = login(write_api, "ops@example.com")
    assert response.status_code == 200
    return response.json()["data"]


def test_read_api_authenticates_without_any_database_query(write_api, read_api, django_assert_num_queries):
    authenticate(read_api, staff_tokens(write_api))
    with django_assert_num_queries(0):
        response = read_api.get("/api/v1/projections/")
    assert response.status_code == 200, response.content
    # The same staff user deleted from the write database: the read API never asked it.
    User.objects.filter(email="ops@example.com").delete()
    assert read_api.get("/api/v1/projections/").status_code == 200


def test_projections_are_staff_only(write_api, read_api):
    assert_error(read_api.get("/api/v1/projections/"), 401, "not_authenticated")
    authenticate(read_api, register(write_api)["tokens"])
    assert_error(read_api.get("/api/v1/projections/"), 403, "permission_denied")
    authenticate(read_api, staff_tokens(write_api))
    response = read_api.get("/api/v1/projections/")
    assert response.status_code == 200
    assert isinstance(response.json()["data"], list)
    assert "X-Projection-Position" in response


def tamper(token: str) -> str:
    header, payload, signature = token.split(".")
    forged = claims(token) | {"is_staff": True}
    forged_payload = jwt.encode(forged, FORGER_KEY, algorithm="HS256").split(".")[1]
    return ".".join([header, forged_payload, signature])


@pytest.mark.parametrize("mangle", [
    tamper,
    lambda token: jwt.encode(claims(token) | {"is_staff": True}, FORGER_KEY, algorithm="HS256"),
    lambda token: jwt.encode(claims(token), None, algorithm="none"),
    lambda token: token[:-3],
])
def test_read_api_rejects_forged_tokens_with_401(write_api, read_api, mangle):
    tokens = register(write_api)["tokens"]
    read_api.credentials(HTTP_AUTHORIZATION=f"Bearer {mangle(tokens['access'])}")
    response = read_api.get("/api/v1/search/")
    body = assert_error(response, 401, "not_authenticated")
    assert body["message"] == "Given token not valid for any token type"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_read_api_rejects_expired_and_refresh_tokens(write_api, read_api):
    tokens = register(write_api)["tokens"]
    authenticate(read_api, tokens)
    assert read_api.get("/api/v1/search/").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        assert_error(read_api.get("/api/v1/search/"), 401, "not_authenticated")
    read_api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['refresh']}")
    assert_error(read_api.get("/api/v1/search/"), 401, "not_authenticated")


def test_write_api_rejects_expired_access_tokens(write_api):
    authenticate(write_api, register(write_api)["tokens"])
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        assert_error(write_api.get("/api/v1/auth/me/"), 401, "not_authenticated")

