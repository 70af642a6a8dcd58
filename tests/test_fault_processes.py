"""Faults on the real processes lose nothing and take nothing down (issue 16's acceptance).

* SIGKILL of the embedded Redis while writes flow: the watcher restarts it on the same address (with its
  append-only file); later Redis even loses everything (FLUSHALL); with no manual command every written
  object reaches the read models, ``projections status`` is healthy and ``projections verify all`` passes.
* A fresh run generates its own keys (mode 0600): a token signed with any key ever committed to the
  repository is refused by both APIs.
* SIGKILL of the warehouse writer: both APIs keep answering and the supervisor has the writer back (ready
  to consume) within 10 s.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import stat
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import jwt
import psutil
import pytest
import redis

from infra.environment import PROJECT_ROOT
from tests.stack import Stack, database_url, free_port, fresh_lake_catalog, http_call, is_alive, signed_up

pytestmark = [pytest.mark.processes, pytest.mark.django_db(transaction=True)]

HEAL_SECONDS = 90  # generous for a loaded 2-core machine: Celery reconnects to the broker with backoff


@pytest.fixture
def embedded_redis_stack(tmp_path: Path) -> Iterator[tuple[Stack, dict[str, str]]]:
    """``make run`` as it is on a laptop: ``infra.with_services`` starts its own Redis (the test database
    stands in for the embedded PostgreSQL) and runs the supervisor."""
    write_port, read_port = free_port(), free_port()
    # A fresh `make run`: no keys in the environment either (it generates its own into DATA_DIR).
    environment = {k: v for k, v in os.environ.items()
                   if k not in ("REDIS_URL", "CELERY_BROKER_URL", "SECRET_KEY", "JWT_SIGNING_KEY")}
    environment.update({
        "DATABASE_URL": database_url(), "WRITE_API_PORT": str(write_port),
        "READ_API_PORT": str(read_port), "BIND_HOST": "127.0.0.1", "DEMO_DATA": "0", "EVENT_DISPATCH": "celery",
        "WEB_CONCURRENCY": "1", "WORKER_CONCURRENCY": "1", "DATA_DIR": str(tmp_path / "data"),
        "MIN_POSITION_WAIT_SECONDS": "10", "THROTTLE_ANON": "100000/min", "THROTTLE_USER": "100000/min",
        "WAREHOUSE_CATALOG_URL": fresh_lake_catalog()})
    log = tmp_path / "run.log"
    with log.open("wb") as sink:
        owner = subprocess.Popen([sys.executable, "-m", "infra.with_services", "--", sys.executable, "-m",
                                  "infra.supervise"], cwd=PROJECT_ROOT, env=environment, stdout=sink,
                                 stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    running = Stack(owner, log, f"http://127.0.0.1:{write_port}", f"http://127.0.0.1:{read_port}")
    try:
        yield running, environment
    finally:
        running.descendants()
        if owner.poll() is None:
            owner.send_signal(signal.SIGTERM)
            try:
                owner.wait(timeout=30)
            except subprocess.TimeoutExpired:
                owner.kill()
                owner.wait()
        leftovers = [p for p in running.seen.values() if is_alive(p)]
        for process in leftovers:
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()
        psutil.wait_procs(leftovers, timeout=5)


def _redis_server(data_dir: Path) -> psutil.Process:
    for process in psutil.process_iter(["cmdline", "cwd"]):
        if "redis-server" in " ".join(process.info["cmdline"] or []) and process.info["cwd"] == str(data_dir / "redis"):
            return process
    raise LookupError("no redis-server for this DATA_DIR")


def _manage(environment: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    env = {**environment, "DJANGO_SETTINGS_MODULE": "workers.settings"}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=PROJECT_ROOT, env=env, capture_output=True,
                          text=True, timeout=180)


def test_redis_killed_and_emptied_during_writes_heals_with_no_manual_command(embedded_redis_stack) -> None:
    running, environment = embedded_redis_stack
    data_dir = Path(environment["DATA_DIR"])
    running.wait_until("both APIs ready", lambda: http_call("GET", f"{running.write_url}/health/ready/")[0] == 200
                       and http_call("GET", f"{running.read_url}/health/ready/")[0] == 200)
    _, auth = signed_up(running.write_url, "fault")
    status, _, body = http_call("POST", f"{running.write_url}/api/v1/practitioners/",
                            {"display_name": "Grace Hopper", "title": "Qigong teacher", "timezone": "Europe/Paris"},
                            auth)
    assert status == 201, body
    auth = {"Authorization": f"Bearer {body['data']['tokens']['access']}"}

    prices: dict[str, int] = {}
    killed = _redis_server(data_dir)
    for i in range(30):
        if i == 10:
            killed.kill()  # SIGKILL mid-stream
        if i == 20:
            # Redis comes back (the watcher), then loses everything it held, positions and pointers included.
            running.wait_until("Redis restarted", lambda: _redis_server(data_dir).pid != killed.pid, timeout=15)
            url = next(line.split("=", 1)[1] for line in (data_dir / "runtime.env").read_text().splitlines()
                       if line.startswith("REDIS_URL="))
            restarted = redis.Redis.from_url(url)
            running.wait_until("Redis answers", restarted.ping, timeout=15)
            restarted.flushall()
        status, _, body = http_call("POST", f"{running.write_url}/api/v1/services/",
                                {"title": f"Zhan zhuang qigong {i}", "service_type": "session",
                                 "price_cents": 4000 + i}, auth)
        assert status == 201, (i, body)
        service_id = body["data"]["id"]
        prices[service_id] = 4000 + i
        if i % 3 == 0:
            status, _, body = http_call("PATCH", f"{running.write_url}/api/v1/services/{service_id}/",
                                    {"price_cents": 5000 + i}, auth)
            assert status == 200, (i, body)
            prices[service_id] = 5000 + i

    def every_service_is_served() -> bool:
        for service_id, price in prices.items():
            status, _, body = http_call("GET", f"{running.read_url}/api/v1/services/{service_id}/")
            if status != 200 or body["data"]["price_cents"] != price:
                return False
        status, _, body = http_call("GET", f"{running.read_url}/api/v1/search/?q=qigong&type=service&page_size=100")
        return status == 200 and {hit["id"] for hit in body["data"]} == set(prices)

    writes_done = time.monotonic()
    running.wait_until("every written service in the read models", every_service_is_served, timeout=HEAL_SECONDS)
    print(f"every written service served {time.monotonic() - writes_done:.2f}s after the last write")
    # The services written before FLUSHALL are served again: the workers replayed what Redis lost.
    assert "embedded Redis died: restarting it" in running.log.read_text(errors="replace")

    listed = _manage(environment, "projections", "status")
    assert listed.returncode == 0, listed.stdout + listed.stderr
    verify = _manage(environment, "projections", "verify", "all")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert verify.stdout.count(": OK") == 6, verify.stdout


def _warehouse_leader(running: Stack) -> psutil.Process:
    for process in psutil.Process(running.supervisor.pid).children():
        if "worker --queues warehouse" in " ".join(process.cmdline()):
            return process
    raise LookupError("no warehouse writer")


def _warehouse_ready_lines(running: Stack) -> int:
    """Celery's "<hostname> ready." line, printed once the writer consumes its queue."""
    return sum(1 for line in running.log.read_text(errors="replace").splitlines()
               if line.startswith("warehouse") and line.endswith(" ready."))


def test_a_killed_warehouse_writer_is_back_within_10s_while_both_apis_answer(stack: Stack) -> None:  # noqa: F811
    stack.wait_until("both APIs ready", lambda: http_call("GET", f"{stack.write_url}/health/ready/")[0] == 200
                     and http_call("GET", f"{stack.read_url}/health/ready/")[0] == 200)
    stack.wait_until("the warehouse writer ready", lambda: _warehouse_ready_lines(stack) == 1)
    victim = _warehouse_leader(stack)
    victim.kill()
    killed_at = time.monotonic()
    answers: list[tuple[str, int]] = []
    back_after = None
    while time.monotonic() - killed_at < 15 and (back_after is None or len(answers) < 20):
        for url in (stack.write_url, stack.read_url):
            answers.append((url, http_call("GET", f"{url}/health/")[0]))
        with contextlib.suppress(LookupError, psutil.Error):
            if back_after is None and _warehouse_leader(stack).pid != victim.pid and _warehouse_ready_lines(stack) == 2:
                back_after = time.monotonic() - killed_at
        time.sleep(0.1)
    log = stack.log.read_text(errors="replace")
    print(f"warehouse writer back after {back_after:.2f}s" if back_after else "warehouse writer not back")
    assert back_after is not None and back_after <= 10, f"writer not back in 10 s ({back_after}):\n{stack.output()}"
    assert answers and all(code == 200 for _, code in answers), [a for a in answers if a[1] != 200]
    assert "warehouse exited with code -9; restarting it in 1s (the others keep running)" in log
    assert "stopping everything" not in log and stack.supervisor.poll() is None  # nothing else was stopped


_KEY_ASSIGNMENT = re.compile(r"""(?:SECRET_KEY|SIGNING_KEY)[^\n]*?(?:["']|:-)([A-Za-z0-9_\-]{16,})""")


def _committed_keys() -> set[str]:
    """Every literal ever assigned to a secret or signing key in this repository (its files and history)."""
    texts = [subprocess.run(["git", "grep", "-h", "-I", "-e", "SECRET_KEY", "-e", "SIGNING_KEY"], cwd=PROJECT_ROOT,
                            capture_output=True, text=True).stdout,
             subprocess.run(["git", "log", "-p", "--all", "-G", "SECRET_KEY|SIGNING_KEY"], cwd=PROJECT_ROOT,
                            capture_output=True, text=True).stdout]
    found = {match for text in texts for match in _KEY_ASSIGNMENT.findall(text)}
    # The development key the code once fell back to, in case this checkout has no history.
    found.add("dev-insecure-key-change-me-0123456789abcdef0123456789")
    return {key for key in found if not key.isupper()}  # not a variable name such as JWT_SIGNING_KEY


def _forged(key: str, user_id: str) -> str:
    now = int(time.time())
    claims = {"token_type": "access", "exp": now + 600, "iat": now, "jti": uuid.uuid4().hex, "user_id": user_id,
              "is_staff": True, "practitioner_id": None}
    return jwt.encode(claims, key, algorithm="HS256")


def test_a_fresh_run_refuses_tokens_signed_with_any_key_committed_in_the_repository(embedded_redis_stack) -> None:
    running, environment = embedded_redis_stack
    data_dir = Path(environment["DATA_DIR"])
    running.wait_until("both APIs ready", lambda: http_call("GET", f"{running.write_url}/health/ready/")[0] == 200
                       and http_call("GET", f"{running.read_url}/health/ready/")[0] == 200)
    assert stat.S_IMODE((data_dir / "keys.env").stat().st_mode) == 0o600
    assert stat.S_IMODE((data_dir / "runtime.env").stat().st_mode) == 0o600
    generated = (data_dir / "keys.env").read_text()
    user_id, genuine = signed_up(running.write_url, "keys")
    me = f"{running.write_url}/api/v1/auth/me/"
    assert http_call("GET", me, headers=genuine)[0] == 200
    # Control: the same forgery with this run's own key is accepted, so a refusal below is the key's doing.
    own = next(line.split("=", 1)[1] for line in generated.splitlines() if line.startswith("JWT_SIGNING_KEY="))
    assert http_call("GET", me, headers={"Authorization": f"Bearer {_forged(own, user_id)}"})[0] == 200

    keys = _committed_keys()
    assert len(keys) >= 3, keys  # the old code default and the two compose defaults at least
    for key in keys:
        assert key not in generated and key != own
        forged = {"Authorization": f"Bearer {_forged(key, user_id)}"}
        status, _, body = http_call("GET", f"{running.write_url}/api/v1/auth/me/", headers=forged)
        assert (status, body["code"]) == (401, "not_authenticated"), (key, body)
        status, _, body = http_call("GET", f"{running.read_url}/api/v1/projections/", headers=forged)
        assert (status, body["code"]) == (401, "not_authenticated"), (key, body)
