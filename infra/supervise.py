"""``make run``: migrate, load demo data into an empty database, then run every process until stopped.

Runs under :mod:`infra.with_services`, so the database and Redis URLs are already exported. The
processes (write API, read API, projector workers, beat) run under honcho's manager, which stops all
of them when any one exits or when SIGINT/SIGTERM arrives.
"""

from __future__ import annotations

import os
import subprocess
import sys

from honcho.manager import Manager

from infra.environment import data_path, env, env_bool

PYTHON = sys.executable
BIN = os.path.dirname(PYTHON)


def _manage(*args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], check=True)


def processes() -> dict[str, str]:
    host = env("BIND_HOST")
    web = env("WEB_CONCURRENCY")
    schedule = data_path("celery") / "beat-schedule"
    gunicorn = f"{BIN}/gunicorn --workers {web} --access-logfile - --graceful-timeout 10"
    return {
        "write-api": f"{gunicorn} --bind {host}:{env('WRITE_API_PORT')} write_api.wsgi:application",
        "read-api": f"{gunicorn} --bind {host}:{env('READ_API_PORT')} read_models.wsgi:application",
        "worker": f"{BIN}/celery -A workers.celery_app worker --queues projections,default "
                  f"--concurrency {env('WORKER_CONCURRENCY')} --loglevel {env('LOG_LEVEL')} --without-gossip "
                  "--without-mingle",
        "beat": f"{BIN}/celery -A workers.celery_app beat --loglevel {env('LOG_LEVEL')} --schedule {schedule}",
    }


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workers.settings")
    _manage("migrate", "--noinput")
    if env_bool("DEMO_DATA"):
        _manage("demo_data", "--if-empty")
    manager = Manager()
    for name, command in processes().items():
        manager.add_process(name, command, env=dict(os.environ))
    manager.loop()
    return manager.returncode or 0


if __name__ == "__main__":
    sys.exit(main())
