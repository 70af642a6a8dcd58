"""The real deployment: ``python -m infra.supervise`` runs both APIs (gunicorn), the projector worker, the
warehouse writer and beat as separate processes. Over real HTTP a write is projected by the worker
(Celery trigger on commit) and found by the read API with read-your-writes; SIGTERM then stops every
process, leaving no orphan. Also: the embedded servers of ``infra.with_services`` are shared, adopted
and stopped as documented."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil
import pytest
import redis
from django.conf import settings

from infra.environment import PROJECT_ROOT, data_path
from tests.stack import STARTUP_SECONDS, STOP_SECONDS, Stack, http_call, is_alive, signed_up

pytestmark = [pytest.mark.processes, pytest.mark.django_db(transaction=True)]



def test_supervised_stack_serves_the_slice_over_http_and_stops_without_orphans(stack: Stack) -> None:
    stack.wait_until("both APIs ready", lambda: http_call("GET", f"{stack.write_url}/health/ready/")[0] == 200
                     and http_call("GET", f"{stack.read_url}/health/ready/")[0] == 200)
    # The worker drains on every beat tick and publishes its position: once it shows, worker and beat run.
    positions = redis.Redis.from_url(settings.REDIS_URL)
    stack.wait_until("the projector worker", lambda: positions.exists("projection:search") == 1)

    _, auth = signed_up(stack.write_url)
    status, _, body = http_call("POST", f"{stack.write_url}/api/v1/practitioners/",
                            {"display_name": "Grace Hopper", "title": "Qigong teacher", "timezone": "Europe/Paris"},
                            auth)
    assert status == 201, body
    auth = {"Authorization": f"Bearer {body['data']['tokens']['access']}"}
    status, headers, body = http_call("POST", f"{stack.write_url}/api/v1/services/",
                                  {"title": "Zhan zhuang standing qigong", "service_type": "session",
                                   "price_cents": 4200}, auth)
    assert status == 201, body
    service_id = body["data"]["id"]
    position = int(headers["X-Event-Position"])

    status, headers, body = http_call("GET", f"{stack.read_url}/api/v1/search/?q=qigong",
                                  headers={"X-Min-Position": str(position)})
    if status != 200:
        pytest.fail(f"search answered {status}: {body}\n{stack.output()}")
    assert int(headers["X-Projection-Position"]) >= position
    hits = {hit["id"]: hit for hit in body["data"]}
    assert service_id in hits
    assert hits[service_id]["type"] == "service"
    assert hits[service_id]["practitioner_name"] == "Grace Hopper"
    assert hits[service_id]["price_cents"] == 4200

    # A booking shows in the practitioner's revenue as soon as the lake has committed it (X-Min-Position):
    # analytics read the lake the warehouse writer process commits to, nothing is published in between.
    status, _, body = http_call("PUT", f"{stack.write_url}/api/v1/practitioner/schedule/", {"windows": [
        {"weekday": d, "start_minute": 0, "end_minute": 1440} for d in range(7)]}, auth)
    assert status == 200, body
    _, client = signed_up(stack.write_url, "client")
    status, _, body = http_call("POST", f"{stack.write_url}/api/v1/credits/purchase/",
                            {"amount_cents": 10_000, "payment_token": "tok_test_success"}, client)
    assert status == 201, body
    start = (datetime.now(UTC) + timedelta(days=3)).replace(hour=10, minute=0, second=0, microsecond=0)
    status, headers, body = http_call("POST", f"{stack.write_url}/api/v1/bookings/",
                                  {"service_id": service_id, "start_at": start.isoformat()}, client)
    assert status == 201, body
    position = int(headers["X-Event-Position"])
    today = datetime.now(UTC).date()
    status, headers, body = http_call(
        "GET", f"{stack.read_url}/api/v1/practitioner/analytics/revenue/?start={today - timedelta(days=1)}"
               f"&end={today + timedelta(days=1)}&timezone=UTC", headers={**auth, "X-Min-Position": str(position)})
    if status != 200:
        pytest.fail(f"revenue answered {status}: {body}\n{stack.output()}")
    assert int(headers["X-Projection-Position"]) >= position
    assert body["data"]["totals"] == {"gross_cents": 4200, "refunds_cents": 0, "net_cents": 4200}

    processes = stack.descendants()
    commands = [" ".join(p.cmdline()) for p in processes]
    for expected in ("write_api.wsgi:application", "read_models.wsgi:application",
                     "worker --queues projections,default", "worker --queues warehouse",
                     "celery -A workers.celery_app beat"):
        assert any(expected in command for command in commands), commands
    # Each gunicorn: a master and one worker; the projector worker: its main process and one pool process; the
    # warehouse writer: one process (solo pool); beat.
    assert len(processes) >= 8, commands

    started = time.monotonic()
    stack.supervisor.send_signal(signal.SIGTERM)
    assert stack.supervisor.wait(timeout=STOP_SECONDS) == 0, stack.output()
    _, alive = psutil.wait_procs(processes, timeout=max(STOP_SECONDS - (time.monotonic() - started), 0.1))
    survivors = [p for p in alive if is_alive(p)]
    assert survivors == [], [(p.pid, p.cmdline()) for p in survivors]
    assert "all processes stopped" in stack.output()


def _with_services(data_dir: Path, *command: str, **kwargs) -> subprocess.Popen:
    environment = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")}
    return subprocess.Popen([sys.executable, "-m", "infra.with_services", "--", *command], cwd=PROJECT_ROOT,
                            env={**environment, "DATA_DIR": str(data_dir)}, start_new_session=True, **kwargs)


def _marker(data_dir: Path) -> dict[str, str]:
    path = data_dir / "runtime.env"
    return dict(line.split("=", 1) for line in path.read_text().splitlines()) if path.exists() else {}


def _server_processes(data_dir: Path) -> list[psutil.Process]:
    """The embedded PostgreSQL postmaster and redis-server serving ``data_dir``."""
    found = []
    for process in psutil.process_iter(["cmdline", "cwd"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if (f"-D {data_dir}/postgres" in cmdline or ("redis-server" in cmdline
                                                      and process.info["cwd"] == str(data_dir / "redis"))):
            found.append(process)
    return found


def test_embedded_servers_are_shared_while_their_owner_runs_and_adopted_after_it_is_killed() -> None:
    data_dir = data_path("with-services-test")  # kept between runs: initdb only the first time
    owner = _with_services(data_dir, "sleep", "60")
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while {"DATABASE_URL", "REDIS_URL"} - set(_marker(data_dir)) and time.monotonic() < deadline:
            time.sleep(0.1)
        urls = _marker(data_dir)
        assert urls.get("OWNER_PID") == str(owner.pid), urls
        servers = _server_processes(data_dir)
        assert len(servers) == 2, servers

        # A second command on the same DATA_DIR uses the running servers and leaves them running.
        borrower = _with_services(data_dir, "sh", "-c", 'echo "$DATABASE_URL $REDIS_URL"', stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)
        out, err = borrower.communicate(timeout=STARTUP_SECONDS)
        assert borrower.returncode == 0, err.decode()
        assert out.decode().split() == [urls["DATABASE_URL"], urls["REDIS_URL"]]
        assert all(is_alive(p) for p in servers)

        # The owner dies without cleaning up: the servers outlive it, and its marker stays behind.
        os.killpg(owner.pid, signal.SIGKILL)
        owner.wait()
        assert all(is_alive(p) for p in servers) and _marker(data_dir)["OWNER_PID"] == str(owner.pid)

        # The next command adopts them (same Redis, data intact) and stops them when it ends.
        probe = ("import os, psycopg, redis; psycopg.connect(os.environ['DATABASE_URL']).execute('SELECT 1'); "
                 "print(redis.Redis.from_url(os.environ['REDIS_URL']).ping(), os.environ['REDIS_URL'])")
        adopter = _with_services(data_dir, sys.executable, "-c", probe, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = adopter.communicate(timeout=STARTUP_SECONDS)
        assert adopter.returncode == 0, err.decode()
        assert out.decode().split() == ["True", urls["REDIS_URL"]]
        _, alive = psutil.wait_procs(servers, timeout=STOP_SECONDS)
        assert [p for p in alive if is_alive(p)] == []
        assert not (data_dir / "runtime.env").exists()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(owner.pid, signal.SIGKILL)
        for process in _server_processes(data_dir):
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()
