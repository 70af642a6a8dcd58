"""SPEC §3 conventions on both APIs: envelopes for every outcome, pagination, OpenAPI, health, metrics, ids.

Most tests run once per API (the ``api`` fixture). The read API's real routes are all GETs, so the
body-handling tests use the test-only ``test/echo/`` route that ``tests.urls_*_extra`` add to both.
"""

from __future__ import annotations

import logging
import re
import subprocess
import sys
import textwrap
import uuid

import orjson
import pytest
from django.test import Client
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from api_conventions import throttling
from infra.environment import PROJECT_ROOT
from infra.redis_client import redis_client
from read_models import settings as read_settings
from tests.clients import authenticate, register
from tests.urls_extra import SECRET
from workers import runtime
from write_api.accounts.models import User
from write_api.eventlog.models import Event

pytestmark = pytest.mark.django_db

SUCCESS_KEYS = {"status", "data", "message", "errors", "meta"}
ERROR_KEYS = SUCCESS_KEYS | {"code"}
DEAD_REDIS = "redis://127.0.0.1:1/0"


@pytest.fixture
def write(write_api: APIClient, settings) -> APIClient:
    settings.ROOT_URLCONF = "tests.urls_write_extra"
    write_api.raise_request_exception = False
    return write_api


@pytest.fixture
def read(read_api: APIClient, monkeypatch) -> APIClient:
    monkeypatch.setattr(read_settings, "ROOT_URLCONF", "tests.urls_read_extra")
    read_api.raise_request_exception = False
    return read_api


@pytest.fixture(params=["write", "read"])
def api(request) -> APIClient:
    client = request.getfixturevalue(request.param)
    client.name = request.param
    return client


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == ERROR_KEYS
    assert (body["status"], body["code"], body["data"]) == ("error", code, None)
    assert isinstance(body["message"], str) and body["message"]
    return body


def post_json(client: APIClient, path: str, raw: bytes | str, **extra):
    return client.generic("POST", path, raw, content_type="application/json", **extra)  # type: ignore[arg-type]  # bytes go through as they are


# --- envelopes of success and of each kind of bad input -------------------------------------------------


def test_success_is_an_envelope(api):
    response = post_json(api, "/test/echo/", orjson.dumps({"name": "ada", "count": 3, "tags": ["a"]}))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == SUCCESS_KEYS
    assert body == {"status": "success", "data": {"name": "ada", "count": 3, "tags": ["a"]}, "message": "OK",
                    "errors": {}, "meta": {}}


@pytest.mark.parametrize("raw", [b'{"name": ', b"{'name': 'ada'}", b'{"count": NaN}', b"\xff\xfe", b"[1, 2,]"])
def test_malformed_json_is_400(api, raw):
    body = assert_error(post_json(api, "/test/echo/", raw), 400, "malformed_request")
    assert body["message"].startswith("JSON parse error")


def test_malformed_json_on_a_real_write_endpoint_is_400(write):
    assert_error(post_json(write, "/api/v1/auth/register/", b'{"email": "a@example.com",'), 400, "malformed_request")


@pytest.mark.parametrize(("content_type", "raw"), [
    ("application/x-www-form-urlencoded", "name=ada&count=3"),
    ("multipart/form-data; boundary=xyz", '--xyz\r\nContent-Disposition: form-data; name="name"\r\n\r\nada\r\n--xyz--'),
    ("text/plain", '{"name": "ada", "count": 3}'),
    ("application/xml", "<name>ada</name>"),
])
def test_wrong_content_type_is_415(api, content_type, raw):
    response = api.generic("POST", "/test/echo/", raw, content_type=content_type)
    body = assert_error(response, 415, "unsupported_media_type")
    assert content_type.split(";")[0] in body["message"]


def test_wrong_field_types_are_400_with_per_field_errors(api):
    response = post_json(api, "/test/echo/", orjson.dumps(
        {"name": ["ada"], "count": "many", "tags": "not-a-list", "starts_at": "yesterday"}))
    body = assert_error(response, 400, "validation_error")
    assert set(body["errors"]) == {"name", "count", "tags", "starts_at"}
    assert body["errors"]["count"] == ["A valid integer is required."]
    assert all(isinstance(m, str) for messages in body["errors"].values() for m in messages)


def test_missing_and_out_of_range_fields_are_400(api):
    body = assert_error(post_json(api, "/test/echo/", orjson.dumps({"count": 101, "tags": ["a"] * 4})),
                        400, "validation_error")
    assert body["errors"] == {"name": ["This field is required."],
                              "count": ["Ensure this value is less than or equal to 100."],
                              "tags": ["Ensure this field has no more than 3 elements."]}


def test_unknown_fields_are_400(api):
    body = assert_error(post_json(api, "/test/echo/", orjson.dumps(
        {"name": "ada", "count": 1, "colour": "red", "is_staff": True})), 400, "validation_error")
    assert body["errors"] == {"colour": ["Unknown field."], "is_staff": ["Unknown field."]}


def test_unknown_field_cannot_smuggle_privileges_into_register(write):
    response = write.post("/api/v1/auth/register/", {"email": "eve@example.com", "password": "a-strong-password-1",
                                                     "is_staff": True}, format="json")
    assert assert_error(response, 400, "validation_error")["errors"] == {"is_staff": ["Unknown field."]}


@pytest.mark.parametrize("raw", [b"[]", b'[{"name": "ada", "count": 1}]', b'"ada"', b"42", b"true", b"null"])
def test_body_that_is_not_an_object_is_400(api, raw):
    body = assert_error(post_json(api, "/test/echo/", raw), 400, "validation_error")
    assert list(body["errors"]) == ["non_field_errors"]


@pytest.mark.parametrize(("raw", "code"), [
    (b'{"name": "ada", "count": 1e400}', "malformed_request"),        # overflows a double
    (b'{"name": "ada", "count": -1e400}', "malformed_request"),
    (b'{"name": "ada", "count": ' + b"9" * 5000 + b"}", "malformed_request"),
    (b'{"name": "ada", "count": 123456789012345678901234567890}', "validation_error"),
    (b'{"name": "ada", "count": 1.5}', "validation_error"),
    (b'{"name": "' + b"x" * 100_000 + b'", "count": 1}', "validation_error"),
])
def test_huge_values_are_400(api, raw, code):
    assert_error(post_json(api, "/test/echo/", raw), 400, code)


@pytest.mark.parametrize(("depth", "code"), [(100_000, "malformed_request"), (500, "validation_error")])
def test_deeply_nested_body_is_400_not_a_recursion_error(api, depth, code):
    raw = b'{"name": ' + b"[" * depth + b"]" * depth + b', "count": 1}'
    assert_error(post_json(api, "/test/echo/", raw), 400, code)


def test_deeply_nested_body_on_a_real_write_endpoint_is_400(write):
    raw = b'{"email": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    assert_error(post_json(write, "/api/v1/auth/register/", raw), 400, "malformed_request")


@pytest.mark.parametrize("path", ["/test/echo/", "/api/v1/auth/register/", "/api/v1/no-such-route/"])
def test_oversize_body_is_413_before_anything_reads_it(api, settings, path):
    raw = b'{"name": "' + b"x" * settings.MAX_BODY_BYTES + b'"}'
    body = assert_error(post_json(api, path, raw), 413, "payload_too_large")
    assert str(settings.MAX_BODY_BYTES) in body["message"]


def test_body_limit_follows_the_setting(api, settings):
    settings.MAX_BODY_BYTES = settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    assert post_json(api, "/test/echo/", orjson.dumps({"name": "ada", "count": 1})).status_code == 200
    assert_error(post_json(api, "/test/echo/", orjson.dumps({"name": "a" * 90, "count": 1})), 413, "payload_too_large")


@pytest.mark.parametrize("length", ["abc", "-5", "1e3"])
def test_nonsense_content_length_is_400(api, length):
    response = post_json(api, "/test/echo/", b'{"name": "ada", "count": 1}', CONTENT_LENGTH=length)
    assert_error(response, 400, "malformed_request")


# --- routing, methods, server errors -------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/nope", "/api/v1/", "/api/v1/no-such-route/", "/api/v2/search/",
                                  "/api/v1/search", "/api/v1/practitioners/not-a-uuid/", "/static/missing.js"])
def test_unknown_route_is_404_envelope(api, path):
    response = api.get(path)
    body = assert_error(response, 404, "not_found")
    assert path in body["message"]
    assert response["X-Request-ID"]


@pytest.mark.parametrize(("api_name", "method", "path", "allowed"), [
    ("write", "delete", "/api/v1/auth/register/", "POST, OPTIONS"),
    ("write", "get", "/api/v1/auth/login/", "POST, OPTIONS"),
    ("read", "post", "/api/v1/search/", "GET, HEAD, OPTIONS"),
    ("read", "put", "/api/v1/search/", "GET, HEAD, OPTIONS"),
    ("write", "post", "/health/", "GET, HEAD"),
    ("read", "put", "/health/ready/", "GET, HEAD"),
    ("write", "delete", "/metrics", "GET, HEAD"),
    ("read", "post", "/metrics", "GET, HEAD"),
])
def test_wrong_method_is_405_envelope(request, api_name, method, path, allowed):
    client = request.getfixturevalue(api_name)
    response = getattr(client, method)(path)
    body = assert_error(response, 405, "method_not_allowed")
    assert method.upper() in body["message"]
    assert response["Allow"] == allowed


@pytest.mark.parametrize("path", ["/test/explode/drf/", "/test/explode/django/"])
def test_unhandled_exception_is_500_envelope_without_traceback(api, path, caplog):
    with caplog.at_level(logging.ERROR):
        response = api.get(path, HTTP_X_REQUEST_ID="boom-1")
    body = assert_error(response, 500, "server_error")
    assert body["message"] == "Internal server error."
    assert body["errors"] == {}
    for leak in (SECRET.encode(), b"Traceback", b"RuntimeError", b".py"):
        assert leak not in response.content
    assert response["X-Request-ID"] == "boom-1"
    # The failure is logged, with its traceback and the request id, for the operators.
    logged = [r for r in caplog.records if r.exc_info and SECRET in str(r.exc_info[1])]
    assert logged and all(r.request_id == "boom-1" for r in logged)


@pytest.mark.parametrize(("kind", "status", "code"), [
    ("integrity", 409, "conflict"),
    ("data", 400, "validation_error"),
    ("database_down", 503, "service_unavailable"),
    ("redis_down", 503, "service_unavailable"),
    ("django_validation", 400, "validation_error"),
    ("suspicious", 400, "bad_request"),
    ("http404", 404, "not_found"),
    ("django_permission", 403, "permission_denied"),
])
def test_framework_and_driver_errors_get_their_own_status_without_details(api, kind, status, code):
    body = assert_error(api.get(f"/test/fail/{kind}/"), status, code)
    assert SECRET not in body["message"] and SECRET.encode() not in orjson.dumps(body)
    if kind == "django_validation":
        assert body["errors"] == {"start_at": ["Must be in the future."]}


def test_unacceptable_accept_header_is_406_envelope(api):
    response = api.get("/test/log/", HTTP_ACCEPT="text/html")
    assert_error(response, 406, "not_acceptable")


# --- throttling -------------------------------------------------------------------------------------------


@pytest.fixture
def throttle_rates(settings, monkeypatch):
    """Set rates on both APIs' DRF settings (the read client applies the read API's on each request)."""

    def apply(**rates: str) -> None:
        for owner, name in ((settings, "REST_FRAMEWORK"), (read_settings, "REST_FRAMEWORK")):
            current = getattr(owner, name)
            new = {**current, "DEFAULT_THROTTLE_RATES": {**current["DEFAULT_THROTTLE_RATES"], **rates}}
            if owner is settings:
                settings.REST_FRAMEWORK = new
            else:
                monkeypatch.setattr(read_settings, name, new)

    return apply


def assert_throttled(response) -> None:
    body = assert_error(response, 429, "throttled")
    retry_after = int(response["Retry-After"])
    assert 1 <= retry_after <= 60
    assert body["errors"] == {"retry_after_seconds": retry_after}


@pytest.mark.parametrize(("api_name", "path", "ok_status"), [
    ("write", f"/api/v1/practitioners/{uuid.uuid4()}/", 404),
    ("read", "/api/v1/search/?q=yoga", 200),
])
def test_anonymous_requests_are_throttled_per_ip(request, throttle_rates, api_name, path, ok_status):
    client = request.getfixturevalue(api_name)
    throttle_rates(anon="2/min")
    assert [client.get(path).status_code for _ in range(2)] == [ok_status, ok_status]
    assert_throttled(client.get(path))
    # Another client address has its own budget; a forged X-Forwarded-For does not give one.
    assert client.get(path, REMOTE_ADDR="10.0.0.9").status_code == ok_status
    assert_throttled(client.get(path, HTTP_X_FORWARDED_FOR="10.1.2.3"))


def test_authenticated_requests_are_throttled_per_user_on_the_read_api(write_api, read_api, throttle_rates):
    first, second = register(write_api), register(write_api)
    throttle_rates(user="2/min")
    authenticate(read_api, first["tokens"])
    assert [read_api.get("/api/v1/search/").status_code for _ in range(2)] == [200, 200]
    assert_throttled(read_api.get("/api/v1/search/"))
    authenticate(read_api, second["tokens"])
    assert read_api.get("/api/v1/search/").status_code == 200


def test_auth_endpoints_have_their_own_rate(write_api, throttle_rates):
    User.objects.create_user(email="ada@example.com", password="a-strong-password-1")
    throttle_rates(auth="2/min")
    wrong = {"email": "ada@example.com", "password": "not-the-password"}
    assert [write_api.post("/api/v1/auth/login/", wrong, format="json").status_code for _ in range(2)] == [401, 401]
    assert_throttled(write_api.post("/api/v1/auth/login/", wrong, format="json"))
    assert_throttled(write_api.post("/api/v1/auth/token/refresh/", {"refresh": "x"}, format="json"))


def test_throttling_still_limits_when_its_cache_is_down(write_api, read_api, throttle_rates, settings):
    """Redis down must not lift the limits (the login rate above all): the process counts in memory."""
    throttling._LOCAL_COUNTS.clear()
    throttle_rates(anon="2/min", auth="2/min")
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": DEAD_REDIS}}
    assert [read_api.get("/api/v1/search/").status_code for _ in range(2)] == [200, 200]
    assert_throttled(read_api.get("/api/v1/search/"))
    wrong = {"email": "nobody@example.com", "password": "not-the-password"}
    assert [write_api.post("/api/v1/auth/login/", wrong, format="json").status_code for _ in range(2)] == [401, 401]
    assert_throttled(write_api.post("/api/v1/auth/login/", wrong, format="json"))
    throttling._LOCAL_COUNTS.clear()


def test_the_admin_login_form_is_throttled_like_the_api_login(write_api, throttle_rates):
    User.objects.create_superuser(email="root@example.com", password="a-strong-password-1")
    throttle_rates(auth="2/min")
    client = Client()
    wrong = {"username": "root@example.com", "password": "not-the-password", "next": "/admin/"}
    assert [client.post("/admin/login/", wrong).status_code for _ in range(2)] == [200, 200]  # the form again
    refused = client.post("/admin/login/", {**wrong, "password": "a-strong-password-1"})
    assert refused.status_code == 429 and refused.json()["code"] == "throttled"
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert client.get("/admin/login/").status_code == 200  # showing the form costs no password hash
    # Attempts through the API count against the same budget: the API login is refused too.
    assert_throttled(write_api.post("/api/v1/auth/login/", wrong, format="json"))


# --- pagination and filters -------------------------------------------------------------------------------


def test_search_list_has_pagination_and_filters_meta(read_api):
    body = read_api.get("/api/v1/search/?q=%20%20Breathwork%20&type=service").json()
    assert body["data"] == []
    assert body["meta"]["pagination"] == {"page": 1, "page_size": 20, "count": 0, "total_pages": 0,
                                          "next": None, "previous": None}
    assert body["meta"]["filters_applied"] == {"q": "Breathwork", "type": "service"}


@pytest.mark.parametrize(("query", "field", "message"), [
    ("page_size=101", "page_size", "Must be at most 100."),
    ("page_size=0", "page_size", "Must be at least 1."),
    ("page=abc", "page", "Must be a whole number."),
    ("page=-1", "page", "Must be at least 1."),
    ("page=10001", "page", "Must be at most 10000."),
    ("page=1.5", "page", "Must be a whole number."),
    ("page=" + "9" * 5000, "page", "Must be a whole number."),
    ("type=everything", "type", '"everything" is not a valid choice.'),
    ("q=" + "x" * 201, "q", "Ensure this field has no more than 200 characters."),
])
def test_bad_list_parameters_are_400(read_api, query, field, message):
    body = assert_error(read_api.get(f"/api/v1/search/?{query}"), 400, "validation_error")
    assert body["errors"] == {field: [message]}


def test_search_pagination_walks_the_pages(write_api, read_api, practitioner):
    for title in ("Breathwork basics", "Breathwork deep dive", "Breathwork for sleep"):
        response = write_api.post("/api/v1/services/", {"title": title, "service_type": "session",
                                                        "price_cents": 1000}, format="json")
        assert response.status_code == 201, response.content
    runtime.drain_all()
    first = read_api.get("/api/v1/search/?q=breathwork&type=service&page_size=2").json()
    assert len(first["data"]) == 2
    pagination = first["meta"]["pagination"]
    assert {k: pagination[k] for k in ("page", "page_size", "count", "total_pages", "previous")} == {
        "page": 1, "page_size": 2, "count": 3, "total_pages": 2, "previous": None}
    assert pagination["next"] == "http://testserver/api/v1/search/?page=2&page_size=2&q=breathwork&type=service"
    second = read_api.get(pagination["next"]).json()
    assert len(second["data"]) == 1
    assert second["meta"]["pagination"]["next"] is None
    assert second["meta"]["pagination"]["previous"].endswith("?page=1&page_size=2&q=breathwork&type=service")
    assert {h["id"] for h in first["data"]}.isdisjoint(h["id"] for h in second["data"])
    beyond = read_api.get("/api/v1/search/?q=breathwork&type=service&page_size=2&page=3").json()
    assert beyond["data"] == []
    assert beyond["meta"]["pagination"]["previous"].endswith("?page=2&page_size=2&q=breathwork&type=service")


# --- OpenAPI and the docs page ----------------------------------------------------------------------------


def schema_of(client: APIClient) -> dict:
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    document = response.json()
    validate_schema(document)
    return document


def test_write_schema_is_valid_openapi_and_documents_the_endpoints(write_api):
    document = schema_of(write_api)
    assert document["openapi"].startswith("3.")
    paths = document["paths"]
    for path, method in [("/api/v1/auth/register/", "post"), ("/api/v1/auth/login/", "post"),
                         ("/api/v1/auth/token/refresh/", "post"), ("/api/v1/auth/me/", "get"),
                         ("/api/v1/auth/me/", "patch"), ("/api/v1/practitioners/", "post"),
                         ("/api/v1/practitioners/{practitioner_id}/", "patch"), ("/api/v1/services/", "post"),
                         ("/api/v1/services/{service_id}/", "patch")]:
        assert method in paths[path], (path, method)
    assert not any(p.startswith("/api/v1/search") for p in paths)
    schemas = document["components"]["schemas"]

    def request_schema(path: str, method: str) -> dict:
        ref = paths[path][method]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        return schemas[ref.rsplit("/", 1)[1]]

    register_in = request_schema("/api/v1/auth/register/", "post")
    assert set(register_in["properties"]) == {"email", "password", "first_name", "last_name", "timezone"}
    assert set(register_in["required"]) == {"email", "password"}
    assert "required" not in request_schema("/api/v1/auth/me/", "patch")
    assert {"display_name", "timezone"} <= set(request_schema("/api/v1/practitioners/", "post")["properties"])
    assert {"title", "service_type", "price_cents"} <= set(request_schema("/api/v1/services/", "post")["properties"])

    register_op = paths["/api/v1/auth/register/"]["post"]
    accepted = register_op["responses"]["202"]["content"]["application/json"]["schema"]
    assert accepted["properties"]["data"] == {"$ref": "#/components/schemas/RegistrationPayload"}
    assert {"400", "413", "415", "429"} <= set(register_op["responses"])
    login_responses = paths["/api/v1/auth/login/"]["post"]["responses"]
    assert login_responses["200"]["content"]["application/json"]["schema"]["properties"]["data"] == {
        "$ref": "#/components/schemas/LoginOut"}
    assert login_responses["401"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorEnvelope"}
    assert paths["/api/v1/auth/register/"]["post"]["tags"] == ["auth"]
    assert document["components"]["securitySchemes"]["jwtAuth"]["scheme"] == "bearer"


def test_documented_user_matches_the_response(write_api):
    user = register(write_api)["user"]
    properties = schema_of(write_api)["components"]["schemas"]["UserOut"]["properties"]
    assert set(properties) == set(user)


def test_read_schema_is_valid_openapi_and_documents_search_parameters(read_api):
    document = schema_of(read_api)
    paths = document["paths"]
    assert set(paths) >= {"/api/v1/search/", "/api/v1/projections/"}
    assert not any(p.startswith("/api/v1/auth") for p in paths)
    search = paths["/api/v1/search/"]["get"]
    parameters = {(p["in"], p["name"]): p for p in search["parameters"]}
    assert set(parameters) >= {("query", "q"), ("query", "type"), ("query", "page"), ("query", "page_size"),
                               ("header", "X-Min-Position")}
    assert parameters[("query", "page_size")]["schema"]["maximum"] == 100
    assert {"200", "400", "401", "429", "503"} <= set(search["responses"])
    assert "X-Projection-Position" in search["responses"]["200"]["headers"]
    projections = paths["/api/v1/projections/"]["get"]["responses"]
    assert projections["200"]["content"]["application/json"]["schema"]["properties"]["data"]["type"] == "array"
    assert "403" in projections


ASSET = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")


@pytest.mark.parametrize("page", ["/api/docs/", "/api/redoc/"])
def test_docs_pages_load_every_asset_locally(api, page):
    response = api.get(page)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", html, re.IGNORECASE), "the page loads from a CDN"
    assets = set(ASSET.findall(html))
    assert any(a.endswith(".js") for a in assets) and (page == "/api/redoc/" or any(a.endswith(".css") for a in assets))
    for asset in assets:
        assert asset.startswith("/static/"), asset
        served = api.get(asset)
        assert served.status_code == 200, asset
        assert len(b"".join(served.streaming_content)) > 100, asset
    assert "/api/schema/" in html


# --- health, metrics ----------------------------------------------------------------------------------------


def test_liveness(api):
    response = api.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "success", "data": {"alive": True}, "message": "OK", "errors": {},
                               "meta": {}}


@pytest.mark.parametrize(("api_name", "checks"), [("write", {"database", "redis"}),
                                                      ("read", {"redis", "search", "warehouse"})])
def test_readiness_checks_each_dependency(request, api_name, checks):
    response = request.getfixturevalue(api_name).get("/health/ready/")
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert data["ready"] is True
    assert set(data["checks"]) == checks
    assert all(check["ok"] for check in data["checks"].values())


@pytest.fixture
def dead_redis(settings):
    settings.REDIS_URL = DEAD_REDIS
    redis_client.cache_clear()
    yield
    redis_client.cache_clear()


@pytest.mark.parametrize("api_name", ["write", "read"])
def test_readiness_is_503_envelope_when_redis_is_down(request, dead_redis, api_name):
    body = assert_error(request.getfixturevalue(api_name).get("/health/ready/"), 503, "not_ready")
    assert body["errors"]["redis"]["ok"] is False
    assert body["errors"]["redis"]["error"] == "ConnectionError"
    assert all(check["ok"] for name, check in body["errors"].items() if name != "redis")


def test_metrics_report_request_latency(api):
    api.get("/health/")
    response = api.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    text = response.content.decode()
    assert "# TYPE http_request_duration_seconds histogram" in text
    assert re.search(rf'http_request_duration_seconds_count\{{api="{api.name}",method="GET",route="health/",'
                     r'status="200"\} [1-9]', text)


@pytest.mark.django_db(transaction=True)  # the event log head is published on commit
def test_read_metrics_report_projection_lag(write_api, read_api):
    register(write_api)
    runtime.drain_all()
    register(write_api)  # committed, not yet projected
    text = read_api.get("/metrics").content.decode()
    assert "# TYPE projection_lag_events gauge" in text
    assert 'projection_lag_events{projection="search"} 1.0' in text
    runtime.drain_all()
    assert 'projection_lag_events{projection="search"} 0.0' in read_api.get("/metrics").content.decode()


def test_metrics_add_up_across_worker_processes(tmp_path):
    """Gunicorn workers are processes: with PROMETHEUS_MULTIPROC_DIR each one's samples are summed."""
    observe = textwrap.dedent("""
        from api_conventions.metrics import REQUEST_LATENCY
        REQUEST_LATENCY.labels("read", "GET", "api/v1/search/", "200").observe(0.01)
    """)
    scrape = textwrap.dedent("""
        from prometheus_client import generate_latest
        from api_conventions.metrics import scrape_registry
        print(generate_latest(scrape_registry()).decode())
    """)
    env = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    for _ in range(2):
        subprocess.run([sys.executable, "-c", observe], env=env, check=True, cwd=PROJECT_ROOT)
    out = subprocess.run([sys.executable, "-c", scrape], env=env, check=True, capture_output=True, text=True,
                         cwd=PROJECT_ROOT).stdout
    assert ('http_request_duration_seconds_count{api="read",method="GET",route="api/v1/search/",status="200"} 2.0'
            in out)


# --- request ids ------------------------------------------------------------------------------------------


def test_valid_request_id_is_echoed(api):
    assert api.get("/health/", HTTP_X_REQUEST_ID="client-42.a:b_c").get("X-Request-ID") == "client-42.a:b_c"


@pytest.mark.parametrize("incoming", ["", "has space", "x" * 65, "semi;colon", "ünïcode", "a\tb"])
def test_invalid_request_id_is_replaced(api, incoming):
    ids = {api.get("/health/", HTTP_X_REQUEST_ID=incoming)["X-Request-ID"] for _ in range(2)}
    assert len(ids) == 2
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)


def test_request_id_is_on_every_log_record_of_the_request(api, caplog):
    with caplog.at_level(logging.INFO):
        api.get("/test/log/", HTTP_X_REQUEST_ID="trace-me")
        logging.getLogger("tests.extra").warning("after the request")
    inside, after = [r for r in caplog.records if r.name == "tests.extra"]
    assert inside.request_id == "trace-me"
    assert after.request_id == "-"


def test_error_log_lines_carry_the_request_id(api, caplog):
    """Django logs a 5xx after the middleware returned; that line must carry the id too."""
    with caplog.at_level(logging.ERROR):
        api.get("/test/explode/django/", HTTP_X_REQUEST_ID="late-line")
    django_lines = [r for r in caplog.records if r.name == "django.request"]
    assert django_lines and all(r.request_id == "late-line" for r in django_lines)


def test_events_record_the_request_id_of_their_command(write_api):
    write_api.post("/api/v1/auth/register/", {"email": "rid@example.com", "password": "a-strong-password-1"},
                   format="json", HTTP_X_REQUEST_ID="register-77")
    assert list(Event.objects.values_list("request_id", flat=True)) == ["register-77"]
