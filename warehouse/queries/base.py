"""Named queries: an input (:class:`~warehouse.queries.window.Window`) → SQL with parameters → a typed result.

A query object owns one SQL statement over the warehouse schema and turns its rows into dataclasses.
Every query is registered in :mod:`warehouse.queries` (one place), and callers run them by object or name.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from typing import Any, ClassVar, Generic, TypeVar

import duckdb

from warehouse.queries.window import Window

Result = TypeVar("Result")
_PARAMETER = re.compile(r"\$([a-z_]+)")


class NamedQuery(ABC, Generic[Result]):
    name: ClassVar[str]
    sql: ClassVar[str]

    def parameters(self, window: Window) -> dict[str, Any]:
        """The window's parameters this query's SQL names (DuckDB refuses unused named parameters)."""
        available = window.parameters()
        return {name: available[name] for name in sorted(set(_PARAMETER.findall(self.sql)))}

    def run(self, connection: duckdb.DuckDBPyConnection, window: Window) -> Result:
        rows = connection.execute(self.sql, self.parameters(window)).fetchall()
        return self.result(rows, window)

    @abstractmethod
    def result(self, rows: list[tuple[Any, ...]], window: Window) -> Result:
        """Typed result from the statement's rows."""


# Reusable SQL fragments: the same definitions everywhere (docs/analytics.md names them).
LOCAL = "timezone($tz, {column} AT TIME ZONE 'UTC')"
PERIOD = "date_trunc($grain, " + LOCAL + ")::DATE"
PERIOD_SPINE = ("SELECT DISTINCT date_trunc($grain, date)::DATE AS period FROM dim_date "
                "WHERE date BETWEEN $start_date AND $end_date")
# A booking made: what the client booked and paid for (sessions, workshop seats, course enrolments,
# package/bundle purchases), not the sessions of a package.
MADE = "practitioner_id = $practitioner_id::UUID AND parent_id IS NULL"
KEPT = MADE + " AND status <> 'cancelled'"
IN_RANGE = "{column} >= $lo AND {column} < $hi"
REVENUE_MOVEMENT = "practitioner_id = $practitioner_id::UUID AND kind IN ('spend', 'refund')"


def local(column: str) -> str:
    return LOCAL.format(column=column)


def period(column: str) -> str:
    return PERIOD.format(column=column)


def in_range(column: str) -> str:
    return IN_RANGE.format(column=column)
