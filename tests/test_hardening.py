"""Smaller hardening of issue 16: draft sessions stay private, malformed token claims are 401 not 500,
security headers, ``/metrics`` not open, gunicorn's own refusals are envelopes too."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import orjson
import pytest
from django.conf import settings
from rest_framework.test import APIClient

from infra.environment import PROJECT_ROOT
from tests.clients import authenticate, register
from tests.stack import database_url, free_port

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_sessions_of_a_draft_service_are_its_owners_business(write_api, practitioner):
    workshop = write_api.post("/api/v1/services/", {"title": "Secret retreat", "service_type": "workshop",
                                                     "price_cents": 9000, "capacity": 5, "status": "draft"},
                              format="json").json()["data"]
    start = (datetime.now(UTC) + timedelta(days=5)).replace(microsecond=0).isoformat()
    assert write_api.post(f"/api/v1/services/{workshop['id']}/sessions/", {"start_at": start},
                          format="json").status_code == 201
    path = f"/api/v1/services/{workshop['id']}/sessions/"
    assert write_api.get(path).status_code == 200 and len(write_api.get(path).json()["data"]) == 1  # the owner
    anonymous = APIClient().get(path)
    assert (anonymous.status_code, anonymous.json()["code"]) == (404, "not_found")
    stranger = authenticate(APIClient(), register(APIClient())["tokens"]).get(path)
    assert stranger.status_code == 404
    activated = write_api.patch(f"/api/v1/services/{workshop['id']}/", {"status": "active"}, format="json")
    assert activated.status_code == 200
    assert APIClient().get(path).status_code == 200  # public once active


def _signed(**claims) -> str:
    now = int(time.time())
    base = {"token_type": "access", "exp": now + 600, "iat": now, "jti": uuid.uuid4().hex,
            "user_id": str(uuid.uuid4()), "is_staff": False, "practitioner_id": None}
    return jwt.encode({**base, **claims}, settings.SIMPLE_JWT["SIGNING_KEY"], algorithm="HS256")


@pytest.mark.parametrize("claims", [
    {"practitioner_id": "not-a-uuid"}, {"practitioner_id": 42}, {"user_id": "1 OR 1=1"}, {"user_id": None},
    {"is_staff": "yes"},
])
def test_a_validly_signed_token_with_malformed_claims_is_401_on_both_apis(read_api, write_api, claims):
    bearer = f"Bearer {_signed(**claims)}"
    for path in ("/api/v1/practitioner/analytics/revenue/", "/api/v1/projections/", "/api/v1/search/"):
        response = read_api.get(path, HTTP_AUTHORIZATION=bearer)
        assert (response.status_code, response.json()["code"]) == (401, "not_authenticated"), (path, response.content)
    response = write_api.get("/api/v1/auth/me/", HTTP_AUTHORIZATION=bearer)
    assert (response.status_code, response.json()["code"]) == (401, "not_authenticated")


def test_answers_forbid_framing_and_content_sniffing(write_api, read_api):
    for response in (write_api.get("/health/"), read_api.get("/api/v1/search/"), write_api.get("/admin/login/")):
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"


def test_metrics_answer_this_machine_or_the_token_only(write_api, read_api, monkeypatch):
    assert write_api.get("/metrics").status_code == 200  # the test client is 127.0.0.1
    remote = {"REMOTE_ADDR": "203.0.113.9"}
    for client in (write_api, read_api):
        refused = client.get("/metrics", **remote)
        assert (refused.status_code, refused.json()["code"]) == (403, "permission_denied")
    monkeypatch.setenv("METRICS_TOKEN", "scrape-secret-0123456789")
    assert read_api.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret-0123456789", **remote).status_code == 200
    assert read_api.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong", **remote).status_code == 403


def _raw(port: int, payload: bytes) -> tuple[int, dict]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(payload)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert b"content-type: application/json" in head.lower(), head
    return int(head.split()[1]), orjson.loads(body)


@pytest.mark.processes
def test_requests_gunicorn_refuses_itself_get_the_envelope_not_html(tmp_path: Path):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url(), "DATA_DIR": str(tmp_path),
           "DJANGO_SETTINGS_MODULE": "write_api.settings"}
    server = subprocess.Popen([os.path.join(os.path.dirname(sys.executable), "gunicorn"), "--config",
                               "python:infra.gunicorn_conf", "--bind", f"127.0.0.1:{port}", "--workers", "1",
                               "write_api.wsgi:application"], cwd=PROJECT_ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        status, body = _raw(port, b"GET /health/?" + b"q" * 10_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        assert (status, body["status"], body["code"]) == (414, "error", "request_line_too_long")
        status, body = _raw(port, b"GET /health/ HTTP/1.1\r\nHost: x\r\nX-Big: " + b"h" * 10_000 + b"\r\n\r\n")
        assert (status, body["code"]) == (431, "request_header_fields_too_large")
        status, body = _raw(port, b"GET /health/ HTTP/1.1\r\nHost: x\r\n" + b"".join(
            b"X-H%d: v\r\n" % i for i in range(150)) + b"\r\n")
        assert (status, body["code"]) == (431, "request_header_fields_too_large")
        status, body = _raw(port, b"NOT A REQUEST\r\n\r\n")
        assert status == 400 and body["code"] == "malformed_request"
    finally:
        server.terminate()
        server.wait(10)
