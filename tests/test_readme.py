"""The README stays true to the code: its variable table is exactly ``infra.environment.VARIABLES``."""

from __future__ import annotations

import re

from infra.environment import PROJECT_ROOT, VARIABLES

README = PROJECT_ROOT / "README.md"
ROW = re.compile(r"^\| `(?P<name>[A-Z][A-Z0-9_]*)` \| (?P<default>[^|]+?) \| (?P<meaning>.+) \|$")


def _variable_rows() -> list[re.Match]:
    text = README.read_text()
    section = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    return [m for m in (ROW.match(line) for line in section.splitlines()) if m]


def test_readme_starts_with_the_two_commands():
    text = README.read_text()
    first_block = text.split("```sh\n", 1)[1].split("```", 1)[0]
    assert [line.split()[:2] for line in first_block.splitlines()] == [["make", "run"], ["make", "test"]]


def test_variable_table_lists_exactly_the_declared_variables_in_order():
    names = [m["name"] for m in _variable_rows()]
    assert names == [v.name for v in VARIABLES]


def test_variable_table_shows_each_default():
    defaults = {m["name"]: m["default"] for m in _variable_rows()}
    for variable in VARIABLES:
        expected = f"`{variable.default}`" if variable.default is not None else "—"
        assert defaults[variable.name] == expected, variable.name


def test_every_variable_has_a_meaning():
    assert all(len(m["meaning"].strip()) > 10 for m in _variable_rows())
