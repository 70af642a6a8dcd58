"""Every named warehouse query, registered in one place (``QUERIES``), run by name or object."""

from __future__ import annotations

from typing import Any

import duckdb

from warehouse.queries.base import NamedQuery
from warehouse.queries.clients import ClientsByPeriod, ClientTotalsQuery, RetentionCohorts, TopClients
from warehouse.queries.revenue import RevenueByPeriod, RevenueTotalsQuery
from warehouse.queries.trends import (
    BookingsByPeriod,
    BookingTotalsQuery,
    HeatMap,
    LeadTimeDistribution,
    TopServices,
)
from warehouse.queries.window import GRANULARITIES, Window

QUERIES: dict[str, NamedQuery[Any]] = {
    query.name: query
    for query in (
        RevenueByPeriod(), RevenueTotalsQuery(),
        ClientTotalsQuery(), ClientsByPeriod(), RetentionCohorts(), TopClients(),
        BookingsByPeriod(), BookingTotalsQuery(), HeatMap(), LeadTimeDistribution(), TopServices(),
    )
}

PRACTITIONER_ZONE = "SELECT timezone FROM dim_practitioner WHERE practitioner_id = $practitioner_id::UUID"


def run(name: str, connection: duckdb.DuckDBPyConnection, window: Window) -> Any:
    return QUERIES[name].run(connection, window)


def practitioner_zone(connection: duckdb.DuckDBPyConnection, practitioner_id: str) -> str | None:
    row = connection.execute(PRACTITIONER_ZONE, {"practitioner_id": practitioner_id}).fetchone()
    return row[0] if row else None


__all__ = ["GRANULARITIES", "QUERIES", "NamedQuery", "Window", "practitioner_zone", "run"]
