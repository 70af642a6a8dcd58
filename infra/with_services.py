"""Run one command with the configured or embedded servers available.

``python -m infra.with_services -- pytest -q`` starts embedded PostgreSQL/Redis when their URLs are
unset, exports the URLs to the command, forwards SIGINT/SIGTERM to it and stops the servers after it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from infra.embedded import embedded_services
from infra.environment import data_path


def main(argv: list[str]) -> int:
    if argv and argv[0] == "--":
        argv = argv[1:]
    if not argv:
        print("usage: python -m infra.with_services -- COMMAND [ARGS...]", file=sys.stderr)
        return 2
    with embedded_services(data_path()) as exported:
        child = subprocess.Popen(argv, env={**os.environ, **exported})

        def forward(signum: int, _frame: object) -> None:
            child.send_signal(signum)

        signal.signal(signal.SIGINT, forward)
        signal.signal(signal.SIGTERM, forward)
        return child.wait()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
