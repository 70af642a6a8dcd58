"""A real browser calls both APIs from another origin (SPEC §3 "Browsers").

Headless Chromium (Debian's ``chromium``, which ``make test`` installs when missing) loads a page from a
small HTTP server of its own port — an origin the stack admits through ``CORS_ALLOWED_ORIGINS`` — and
that page's JavaScript registers, becomes a practitioner, creates a service with an ``Idempotency-Key``,
reads ``X-Event-Position`` and finds the service through the read API with ``X-Min-Position``. Every
call with a token or a custom header is preflighted by the browser, so this fails unless both APIs
answer preflights without authentication, allow those request headers and expose the position headers.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.stack import Stack, free_port, http_call

pytestmark = [pytest.mark.processes, pytest.mark.django_db(transaction=True)]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

# What a frontend does, in the browser's own fetch: every header it reads must be exposed by CORS.
PAGE = b"""<!doctype html><meta charset="utf-8"><title>slice</title>
<script>
async function call(url, {method = "GET", body, token, headers = {}} = {}) {
  const all = {...headers};
  if (body !== undefined) all["Content-Type"] = "application/json";
  if (token) all["Authorization"] = "Bearer " + token;
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const response = await fetch(url, {method, headers: all, body: payload});
  return {status: response.status, headers: response.headers, body: await response.json()};
}
async function runSlice(write, read, email, title) {
  const registered = await call(write + "/api/v1/auth/register/",
                                {method: "POST", body: {email, password: "a-strong-password-1"}});
  const loggedIn = await call(write + "/api/v1/auth/login/",
                              {method: "POST", body: {email, password: "a-strong-password-1"}});
  const practitioner = await call(write + "/api/v1/practitioners/", {method: "POST",
      token: loggedIn.body.data.tokens.access,
      body: {display_name: "Browser Practitioner", title: "Kinhin teacher", timezone: "Europe/Berlin"}});
  const created = await call(write + "/api/v1/services/", {method: "POST",
      token: practitioner.body.data.tokens.access, headers: {"Idempotency-Key": crypto.randomUUID()},
      body: {title, service_type: "session", price_cents: 3100}});
  const position = created.headers.get("X-Event-Position");
  const found = await call(read + "/api/v1/search/?q=" + encodeURIComponent(title),
                           {headers: {"X-Min-Position": position}});
  return {statuses: [registered.status, loggedIn.status, practitioner.status, created.status, found.status],
          serviceId: created.body.data.id, eventPosition: position,
          requestId: created.headers.get("X-Request-ID"),
          projectionPosition: found.headers.get("X-Projection-Position"),
          hits: found.body.data.map(hit => hit.id)};
}
</script>"""


class _PageHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the http.server protocol
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def page_origin(monkeypatch) -> Iterator[str]:
    """The frontend's origin; the stack (started after this fixture) admits it and nothing else."""
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _PageHandler)
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv("CORS_ALLOWED_ORIGINS", origin)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield origin
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def browser_stack(page_origin: str, stack: Stack) -> Stack:  # noqa: F811 - ordered: origin first
    stack.wait_until("both APIs ready", lambda: http_call("GET", f"{stack.write_url}/health/ready/")[0] == 200
                     and http_call("GET", f"{stack.read_url}/health/ready/")[0] == 200)
    return stack


REFUSED_CALL = """(w) => fetch(w + "/api/v1/auth/register/", {method: "POST",
    headers: {"Content-Type": "application/json"}, body: "{}"}).then(r => "answered " + r.status, e => e.name)"""


def test_a_page_on_another_origin_writes_and_reads_its_own_write(page_origin: str, browser_stack: Stack) -> None:
    if not CHROMIUM.exists():
        pytest.skip("chromium is not installed (make test installs it with apt-get when run as root)")

    title = f"Kinhin walking meditation {uuid.uuid4().hex[:6]}"
    stranger = ThreadingHTTPServer(("127.0.0.1", free_port()), _PageHandler)  # an origin not admitted
    threading.Thread(target=stranger.serve_forever, daemon=True).start()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                page = browser.new_page()
                page.goto(page_origin + "/")
                result = page.evaluate("([w, r, e, t]) => runSlice(w, r, e, t)",
                                       [browser_stack.write_url, browser_stack.read_url,
                                        f"browser-{uuid.uuid4().hex[:8]}@example.com", title])
                page.goto(f"http://127.0.0.1:{stranger.server_address[1]}/")
                refused = page.evaluate(REFUSED_CALL, browser_stack.write_url)
            finally:
                browser.close()
    finally:
        stranger.shutdown()
        stranger.server_close()

    assert result["statuses"] == [202, 200, 201, 201, 200], (result, browser_stack.output())
    assert int(result["eventPosition"]) > 0
    assert result["requestId"]
    assert int(result["projectionPosition"]) >= int(result["eventPosition"])
    assert result["serviceId"] in result["hits"]
    # The same page on an origin the stack does not admit: the browser blocks the answer (fetch rejects).
    assert refused == "TypeError"
