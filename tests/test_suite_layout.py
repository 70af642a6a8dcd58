"""Test modules share fixtures through ``conftest.py`` and helpers through the helper modules of ``tests``
(``clients``, ``clock``, ``concurrency``, ``stack``, ``history``, ``analytics_oracle``, ``booking_fixtures``…),
never by importing one another or ``conftest.py``: a test module imported by another runs its module-level
code twice and hands its fixtures over by accident, and a helper kept in a test module is found by nobody."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def _is_test_module(name: str) -> bool:
    """``name`` (dotted, relative to ``tests`` or the repository) names a test module or ``conftest``."""
    parts = name.split(".")
    if parts[0] == "tests":
        parts = parts[1:]
    return bool(parts) and (parts[0].startswith("test_") or parts[0] == "conftest")


def imported_test_modules(source: str) -> list[str]:
    """The test modules (and ``conftest``) that ``source`` imports, anywhere in it."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if _is_test_module(alias.name)]
        elif isinstance(node, ast.ImportFrom):
            if node.module is not None and _is_test_module(node.module):
                found.append(node.module)
            elif node.module in (None, "tests"):  # `from tests import test_x`, `from . import test_x`
                found += [alias.name for alias in node.names if _is_test_module(alias.name)]
    return found


def test_no_test_module_imports_another_test_module_or_conftest() -> None:
    offenders = {path.name: found for path in sorted(TESTS.glob("*.py"))
                 if (found := imported_test_modules(path.read_text()))}
    assert offenders == {}, ("move what these share into conftest.py (fixtures) or a helper module of tests "
                             f"(helpers): {offenders}")


def test_the_check_sees_every_form_of_import() -> None:
    source = ("from tests.test_processes import stack\nimport tests.test_warehouse\nfrom tests import test_x\n"
              "from . import conftest\nfrom tests.conftest import register\n"
              "def f() -> None:\n    from tests.test_search_conformance import opensearch_url\n"
              "from tests.stack import Stack\nfrom tests.clients import register\nimport tests.history\n")
    assert imported_test_modules(source) == ["tests.test_processes", "tests.test_warehouse", "test_x", "conftest",
                                             "tests.conftest", "tests.test_search_conformance"]
