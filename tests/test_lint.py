"""`make lint` inside the suite: ruff, the import contracts of ARCHITECTURE.md §1 and mypy.

Each tool runs from the virtualenv beside this interpreter. mypy keeps its incremental cache under
``var/`` so that a run after a small change takes seconds.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    # As a developer runs them: no SECRET_KEY needed (mypy's Django plugin loads infra.typecheck_settings).
    environment = {name: value for name, value in os.environ.items() if name != "SECRET_KEY"}
    return subprocess.run([str(BIN / command[0]), *command[1:]], cwd=ROOT, capture_output=True, text=True,
                          timeout=600, env=environment)


def test_ruff_is_clean() -> None:
    result = _run("ruff", "check", "--no-cache", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_import_boundaries_hold() -> None:
    result = _run("lint-imports", "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_mypy_finds_no_errors() -> None:
    result = _run("mypy")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("Success: no issues found"), result.stdout
