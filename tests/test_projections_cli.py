"""``python manage.py projections status | rebuild <name|all> | verify <name|all> | drain``."""

from __future__ import annotations

import io
import os
import random
import re
import subprocess
import sys

import pytest
import redis
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from infra.environment import PROJECT_ROOT, data_path
from read_models.catalogue import store
from tests.clients import authenticate
from tests.history import run_history
from tests.stack import database_url
from workers import event_reader, runtime, tasks
from workers.registry import projection as projection_named
from workers.registry import projections
from write_api.accounts.models import User
from write_api.accounts.tokens import token_pair_for
from write_api.eventlog.models import ProjectionState

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def no_grace_period(monkeypatch):
    monkeypatch.setattr(runtime, "RETIRED_GENERATION_GRACE_SECONDS", 0)


def projections_command(*args: str) -> str:
    out = io.StringIO()
    call_command("projections", *args, stdout=out)
    return out.getvalue()


def status_rows(output: str) -> dict[str, list[str]]:
    rows = {}
    for line in output.splitlines():
        cells = [c.strip() for c in line.strip().strip("│").split("│")]
        if len(cells) == 10 and cells[0] in projections():
            rows[cells[0]] = cells
    return rows


def test_status_shows_lag_until_drained_then_ok_with_lag_zero():
    run_history(random.Random(21), practitioners=1, clients=False)
    head = event_reader.head_position()
    before = status_rows(projections_command("status"))
    assert set(before) == set(projections())
    for name, (_, generation, position, stored, shown_head, lag, lag_seconds, last, building, health) in before.items():
        assert stored in ("-", "0"), name
        assert (generation, position, shown_head, lag, last, building, health) == (
            "1", "0", str(head), str(head), "-", "-", "catching up"), name
        assert float(lag_seconds) > 0

    assert projections_command("drain").splitlines() == [f"{name}: at {head}" for name in projections()]
    after = status_rows(projections_command("status"))
    for name, (_, generation, position, stored, shown_head, lag, lag_seconds, last, building, health) in after.items():
        assert stored in ("-", str(head)), name
        assert (generation, position, shown_head, lag, lag_seconds, building, health) == (
            "1", str(head), str(head), "0", "0.000", "-", "ok"), name
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT[\d:.]+\+00:00", last)


def test_status_shows_a_failing_projection_error():
    run_history(random.Random(22), practitioners=1, clients=False)
    name = next(iter(projections()))
    runtime.drain_all()
    ProjectionState.objects.filter(name=name).update(last_error="ValueError: boom")
    assert status_rows(projections_command("status"))[name][9] == "error: ValueError: boom"


def test_rebuild_all_switches_every_projection_with_a_progress_bar_showing_rate_and_eta():
    run_history(random.Random(23), practitioners=1, clients=False)
    runtime.drain_all()
    head = event_reader.head_position()
    output = projections_command("rebuild", "all")
    for name in projections():
        assert f"{name}: generation 1 → 2 at position {head} (" in output
        bar = re.search(rf"rebuild {name} .*? {head}/{head} 100% ([\d,]+) ev/s elapsed \d:\d\d:\d\d ETA (\d:\d\d:\d\d)",
                        output)
        assert bar, output
        assert int(bar.group(1).replace(",", "")) > 0
        assert bar.group(2) == "0:00:00"
        assert ProjectionState.objects.get(name=name).active_generation == 2
    after = status_rows(projections_command("status"))
    assert {row[1] for row in after.values()} == {"2"}
    assert {row[5] for row in after.values()} == {"0"}


def test_rebuild_one_leaves_the_others_alone():
    run_history(random.Random(24), practitioners=1, clients=False)
    runtime.drain_all()
    name = sorted(projections())[0]
    assert f"{name}: generation 1 → 2" in projections_command("rebuild", name)
    assert dict(ProjectionState.objects.values_list("name", "active_generation")) == {
        n: 2 if n == name else 1 for n in projections()}


def test_verify_passes_for_one_and_for_all():
    run_history(random.Random(25), practitioners=1, clients=False)
    runtime.drain_all()
    head = event_reader.head_position()
    name = sorted(projections())[0]
    assert re.search(rf"{name}: OK — live equals replay at position {head} \(\d+ items\)",
                     projections_command("verify", name))
    output = projections_command("verify", "all")
    for name in projections():
        assert f"{name}: OK — live equals replay at position {head}" in output


def test_verify_of_a_tampered_projection_lists_the_difference_and_fails():
    run_history(random.Random(26), practitioners=1, clients=False)
    runtime.drain_all()
    store.client().set(store.prefix(1) + "service:bogus", b'{"id": "bogus"}')
    out = io.StringIO()
    with pytest.raises(CommandError, match="differs from a fresh replay: catalogue"):
        call_command("projections", "verify", "all", stdout=out)
    assert "catalogue: MISMATCH" in out.getvalue()
    assert "  service:bogus: live={'id': 'bogus'} replay=None" in out.getvalue()
    for name in set(projections()) - {"catalogue"}:
        assert f"{name}: OK" in out.getvalue()


def test_verify_mismatch_exits_non_zero_from_the_command_line():
    run_history(random.Random(27), practitioners=1, clients=False)
    runtime.drain_all()
    store.client().set(store.prefix(1) + "service:bogus", b'{"id": "bogus"}')
    env = {**os.environ, "DATABASE_URL": database_url(), "REDIS_URL": settings.REDIS_URL,
           "DATA_DIR": str(data_path()), "DJANGO_SETTINGS_MODULE": "workers.settings"}
    done = subprocess.run([sys.executable, "manage.py", "projections", "verify", "catalogue"], cwd=PROJECT_ROOT,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "catalogue: MISMATCH" in done.stdout
    assert "CommandError: live projection differs from a fresh replay: catalogue" in done.stderr


@pytest.mark.parametrize("action", ["rebuild", "verify"])
def test_unknown_projection_is_a_command_error(action):
    with pytest.raises(CommandError, match=r"unknown projection 'nope'; known: .*search"):
        projections_command(action, "nope")


def test_an_action_is_required():
    with pytest.raises(CommandError):
        projections_command()


def test_a_store_that_lost_its_data_is_reported_unhealthy_and_the_next_drain_replays_it(read_api):
    """Redis lost writes its checkpoints count (a restart without them): status says so and exits non-zero,
    and the next drain (what the workers do every second) replays it from its own position."""
    run_history(random.Random(28), practitioners=2, clients=True)
    runtime.drain_all()
    head = event_reader.head_position()
    before = {name: projection_named(name).snapshot(1) for name in ("catalogue", "reviews", "streams")}
    assert before["catalogue"]
    redis.Redis.from_url(settings.REDIS_URL).flushdb()  # everything gone: data, positions, active pointers

    out = io.StringIO()
    with pytest.raises(CommandError, match="store behind its checkpoint .*catalogue"):
        call_command("projections", "status", stdout=out)
    rows = status_rows(out.getvalue())
    assert rows["catalogue"][3] == "0" and rows["catalogue"][2] == str(head)
    assert rows["catalogue"][9].startswith("unhealthy")
    tasks.publish_projection_status()  # what beat does every 5 s: staff see it on the read API too
    staff = User.objects.create_user(email="ops@example.com", password=None, is_staff=True)
    authenticate(read_api, token_pair_for(staff))
    shown = {row["name"]: row for row in read_api.get("/api/v1/projections/").json()["data"]}
    assert shown["catalogue"]["store_position"] == 0
    assert shown["catalogue"]["health"] == f"unhealthy: store at 0, checkpoint at {head}"

    runtime.drain_all()
    assert store.active_generation() == 1
    for name, snapshot in before.items():
        assert projection_named(name).snapshot(1) == snapshot, name
    rows = status_rows(projections_command("status"))
    assert rows["catalogue"][3] == str(head) and rows["catalogue"][9] == "ok"
    output = projections_command("verify", "all")
    for name in projections():
        assert f"{name}: OK" in output


def test_a_batch_in_flight_when_redis_loses_its_data_is_refused_not_written_over_the_gap():
    """A batch started before the loss would write a position over data the store no longer holds; its
    commit fails instead (the batch watches the position key), and the next drain replays everything."""
    run_history(random.Random(29), practitioners=1, clients=False)
    runtime.drain_all()
    head = event_reader.head_position()
    catalogue = projection_named("catalogue")
    before = catalogue.snapshot(1)
    batch = catalogue.new_batch(1)  # type: ignore[attr-defined]  # the catalogue's store batch
    batch.put("practitioner:late", {"id": "late"})
    batch.through(head)
    redis.Redis.from_url(settings.REDIS_URL).flushdb()  # Redis loses everything while the batch is built
    with pytest.raises(redis.WatchError):
        batch.commit()
    assert catalogue.applied_position(1) == 0  # nothing claims data that is not there
    runtime.drain_all()
    assert catalogue.snapshot(1) == before and catalogue.applied_position(1) == head
