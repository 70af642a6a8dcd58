"""Clients: unique, new and returning, repeat rate, monthly retention cohorts, top clients."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from warehouse.queries.base import KEPT, PERIOD_SPINE, REVENUE_MOVEMENT, NamedQuery, in_range, local, period
from warehouse.queries.window import Window

TOP_CLIENTS = 10


@dataclass(frozen=True)
class ClientTotals:
    unique_clients: int
    new_clients: int
    repeat_clients: int

    @property
    def returning_clients(self) -> int:
        return self.unique_clients - self.new_clients


@dataclass(frozen=True)
class ClientPeriod:
    period: date
    unique_clients: int
    new_clients: int


@dataclass(frozen=True)
class CohortCell:
    cohort: date
    month_offset: int
    active_clients: int


@dataclass(frozen=True)
class TopClient:
    client_id: str
    name: str
    bookings: int
    net_cents: int


class ClientTotalsQuery(NamedQuery[ClientTotals]):
    name = "client_totals"
    sql = f"""
    WITH kept AS (
        SELECT client_id, created_at FROM fact_booking WHERE {KEPT}
    ), firsts AS (
        SELECT client_id, min(created_at) AS first_at FROM kept GROUP BY client_id
    ), active AS (
        SELECT client_id, count(*) AS bookings FROM kept WHERE {in_range('created_at')} GROUP BY client_id
    )
    SELECT count(*), count(*) FILTER (WHERE f.first_at >= $lo), count(*) FILTER (WHERE a.bookings >= 2)
    FROM active a JOIN firsts f USING (client_id)
    """

    def result(self, rows: list[tuple[Any, ...]], window: Window) -> ClientTotals:
        return ClientTotals(int(rows[0][0]), int(rows[0][1]), int(rows[0][2]))


class ClientsByPeriod(NamedQuery[list[ClientPeriod]]):
    name = "clients_by_period"
    sql = f"""
    WITH periods AS ({PERIOD_SPINE}),
    kept AS (
        SELECT client_id, created_at, {period('created_at')} AS period FROM fact_booking WHERE {KEPT}
    ), firsts AS (
        SELECT client_id, min(created_at) AS first_at, min(period) AS first_period FROM kept GROUP BY client_id
    ), active AS (
        SELECT DISTINCT period, client_id FROM kept WHERE {in_range('created_at')}
    )
    SELECT p.period, count(a.client_id),
           count(a.client_id) FILTER (WHERE f.first_at >= $lo AND f.first_period = p.period)
    FROM periods p LEFT JOIN active a ON a.period = p.period LEFT JOIN firsts f ON f.client_id = a.client_id
    GROUP BY p.period ORDER BY p.period
    """

    def result(self, rows: list[tuple[Any, ...]], window: Window) -> list[ClientPeriod]:
        return [ClientPeriod(r[0], int(r[1]), int(r[2])) for r in rows]


class RetentionCohorts(NamedQuery[list[CohortCell]]):
    """Per cohort month (first kept booking) and month offset: clients with a kept booking that month."""

    name = "retention_cohorts"
    sql = f"""
    WITH kept AS (
        SELECT client_id, date_trunc('month', {local('created_at')})::DATE AS month FROM fact_booking WHERE {KEPT}
    ), cohorts AS (
        SELECT client_id, min(month) AS cohort FROM kept GROUP BY client_id
    ), activity AS (
        SELECT DISTINCT client_id, month FROM kept
    )
    SELECT c.cohort, datediff('month', c.cohort, a.month)::INTEGER AS month_offset, count(*)
    FROM cohorts c JOIN activity a USING (client_id)
    WHERE c.cohort BETWEEN $first_month AND $last_month AND a.month <= $last_month
    GROUP BY ALL ORDER BY 1, 2
    """

    def result(self, rows: list[tuple[Any, ...]], window: Window) -> list[CohortCell]:
        return [CohortCell(r[0], int(r[1]), int(r[2])) for r in rows]


class TopClients(NamedQuery[list[TopClient]]):
    name = "top_clients"
    sql = f"""
    WITH active AS (
        SELECT client_id, count(*) AS bookings FROM fact_booking WHERE {KEPT} AND {in_range('created_at')}
        GROUP BY client_id
    ), money AS (
        SELECT user_id AS client_id, sum(-amount_cents) AS net_cents FROM fact_credit_movement
        WHERE {REVENUE_MOVEMENT} AND {in_range('occurred_at')} GROUP BY user_id
    )
    SELECT a.client_id::VARCHAR AS client, coalesce(d.name, ''), a.bookings, coalesce(m.net_cents, 0)::BIGINT AS net
    FROM active a LEFT JOIN money m USING (client_id) LEFT JOIN dim_client d USING (client_id)
    ORDER BY net DESC, a.bookings DESC, client
    LIMIT {TOP_CLIENTS}
    """

    def result(self, rows: list[tuple[Any, ...]], window: Window) -> list[TopClient]:
        return [TopClient(r[0], r[1], int(r[2]), int(r[3])) for r in rows]
