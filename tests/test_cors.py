"""CORS on both APIs (SPEC §3 "Browsers"): the configured origins only, preflight before authentication,
the project's request headers allowed and its response headers exposed. The real browser proves the same
end to end in ``test_browser_cors.py``; these tests pin each header on every kind of answer."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

DEV_ORIGIN = "http://localhost:5173"
EXPOSED = {"x-event-position", "x-projection-position", "x-request-id", "idempotent-replayed", "deprecation",
           "sunset"}
# A path of each API that needs a token for a POST / a GET (so a preflight reaching DRF would be a 401).
PROTECTED = {"write": "/api/v1/services/", "read": "/api/v1/practitioner/analytics/revenue/"}


@pytest.fixture(params=["write", "read"])
def api(request) -> tuple[str, APIClient]:
    return request.param, request.getfixturevalue(f"{request.param}_api")


def preflight(client: APIClient, path: str, origin: str, method: str = "POST"):
    return client.options(path, HTTP_ORIGIN=origin, HTTP_ACCESS_CONTROL_REQUEST_METHOD=method,
                          HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type, idempotency-key, "
                                                              "x-min-position")


def header_set(value: str) -> set[str]:
    return {part.strip().lower() for part in value.split(",") if part.strip()}


@pytest.mark.parametrize("origin", ["http://localhost:3000", "http://127.0.0.1:5173"])
def test_preflight_from_a_default_dev_origin_is_answered_without_a_token(api, origin):
    name, client = api
    response = preflight(client, PROTECTED[name], origin)
    assert response.status_code == 200, response.content
    assert response["Access-Control-Allow-Origin"] == origin
    assert {"authorization", "content-type", "idempotency-key", "x-min-position"} <= header_set(
        response["Access-Control-Allow-Headers"])
    assert {"get", "post", "patch", "put", "delete"} <= header_set(response["Access-Control-Allow-Methods"])


def test_an_origin_not_configured_gets_no_cors_headers(api):
    name, client = api
    response = preflight(client, PROTECTED[name], "http://evil.example")
    assert "Access-Control-Allow-Origin" not in response
    answer = client.get("/health/", HTTP_ORIGIN="http://evil.example")
    assert "Access-Control-Allow-Origin" not in answer


def test_answers_and_errors_expose_the_project_headers(api):
    name, client = api
    for response in (client.get("/health/", HTTP_ORIGIN=DEV_ORIGIN),
                     client.get(PROTECTED[name], HTTP_ORIGIN=DEV_ORIGIN)):  # the second is a 401
        assert response["Access-Control-Allow-Origin"] == DEV_ORIGIN
        assert header_set(response["Access-Control-Expose-Headers"]) >= EXPOSED
    assert response.status_code == 401


def test_allowed_origins_follow_the_setting(api, settings):
    name, client = api
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example"]
    assert preflight(client, PROTECTED[name], "https://app.example")["Access-Control-Allow-Origin"] == (
        "https://app.example")
    assert "Access-Control-Allow-Origin" not in preflight(client, PROTECTED[name], DEV_ORIGIN)
