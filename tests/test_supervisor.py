"""``infra.supervise`` restarts a crashed process with backoff while the others keep running, and says so
loudly when one keeps crashing (real child processes)."""

from __future__ import annotations

import sys
import threading
import time

import pytest

from infra import supervise
from infra.supervise import ProcessSpec, StopRequest, Supervisor

pytestmark = pytest.mark.processes


def test_a_crashing_process_is_restarted_with_backoff_and_reported_loudly(monkeypatch, capsys):
    monkeypatch.setattr(supervise, "FIRST_BACKOFF_SECONDS", 0.1)
    monkeypatch.setattr(StopRequest, "signum", None)
    crashing = ProcessSpec("crasher", [sys.executable, "-c", "import sys; print('up', flush=True); sys.exit(3)"],
                           "workers.settings")
    steady = ProcessSpec("steady", [sys.executable, "-c", "import time; time.sleep(60)"], "workers.settings")
    supervisor = Supervisor([crashing, steady])
    supervisor.start()
    steady_pid = supervisor.children["steady"].pid
    runner = threading.Thread(target=supervisor.supervise)
    runner.start()
    try:
        deadline = time.monotonic() + 20
        while len(supervisor.crashes["crasher"].times) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        StopRequest.signum = 15
        runner.join(10)
        supervisor.stop()
    out = capsys.readouterr().out
    assert len(supervisor.crashes["crasher"].times) >= 4, out
    assert "crasher exited with code 3; restarting it in 0s" in out  # 0.1 s, then 0.2 s …
    assert "!!!!!!!!!!!! crasher HAS CRASHED 3 TIMES" in out
    assert out.count("crasher | up") >= 4  # it really ran again each time
    assert supervisor.crashes["steady"].times == [] and steady_pid == supervisor.children["steady"].pid
    # The backoff doubles while it keeps crashing.
    crashes = len(supervisor.crashes["crasher"].times)
    assert supervisor.crashes["crasher"].backoff() == pytest.approx(0.1 * 2 ** (crashes - 1))
