"""Run one command with the configured or embedded servers available.

``python -m infra.with_services -- pytest -q`` starts embedded PostgreSQL/Redis when their URLs are
unset, exports the URLs and the secret keys (generated once into ``DATA_DIR/keys.env`` when the
environment sets none, see ``infra.keys``) to the command, forwards SIGINT/SIGTERM to it and stops the servers after it.
A signal that arrives while the servers are still starting stops them again before exiting.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from infra.embedded import embedded_services
from infra.environment import data_path
from infra.keys import ensure_keys


class _Interrupted(BaseException):
    """SIGINT/SIGTERM before the command started: unwind so the embedded servers are stopped."""


def main(argv: list[str]) -> int:
    if argv and argv[0] == "--":
        argv = argv[1:]
    if not argv:
        print("usage: python -m infra.with_services -- COMMAND [ARGS...]", file=sys.stderr)
        return 2
    state: dict = {"child": None, "spawning": False, "pending": None}

    def on_signal(signum: int, _frame: object) -> None:
        if state["child"] is not None:
            state["child"].send_signal(signum)
        elif state["spawning"]:
            state["pending"] = signum  # forwarded as soon as Popen returns
        else:
            raise _Interrupted(signum)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        with embedded_services(data_path()) as exported:
            state["spawning"] = True
            child = state["child"] = subprocess.Popen(argv, env={**os.environ, **ensure_keys(data_path()),
                                                                 **exported})
            if state["pending"] is not None:
                child.send_signal(state["pending"])
            return child.wait()
    except _Interrupted as interrupted:
        return 128 + int(interrupted.args[0])

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
