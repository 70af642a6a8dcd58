"""Revenue: credits spent on the practitioner's bookings and streams, refunds credited back, net."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from warehouse.queries.base import PERIOD_SPINE, REVENUE_MOVEMENT, NamedQuery, in_range, period
from warehouse.queries.window import Window


@dataclass(frozen=True)
class RevenueCell:
    period: date
    revenue_type: str | None  # None: a period without any movement
    gross_cents: int
    refunds_cents: int


@dataclass(frozen=True)
class RevenueTotals:
    gross_cents: int
    refunds_cents: int

    @property
    def net_cents(self) -> int:
        return self.gross_cents - self.refunds_cents


class RevenueByPeriod(NamedQuery[list[RevenueCell]]):
    """Gross and refunds per period (every period of the window, empty ones included) and revenue type."""

    name = "revenue_by_period"
    sql = f"""
    WITH periods AS ({PERIOD_SPINE}),
    movements AS (
        SELECT {period('occurred_at')} AS period, revenue_type,
               CASE WHEN kind = 'spend' THEN -amount_cents ELSE 0 END AS gross_cents,
               CASE WHEN kind = 'refund' THEN amount_cents ELSE 0 END AS refunds_cents
        FROM fact_credit_movement
        WHERE {REVENUE_MOVEMENT} AND {in_range('occurred_at')}
    )
    SELECT p.period, m.revenue_type, coalesce(sum(m.gross_cents), 0)::BIGINT,
           coalesce(sum(m.refunds_cents), 0)::BIGINT
    FROM periods p LEFT JOIN movements m ON m.period = p.period
    GROUP BY p.period, m.revenue_type
    ORDER BY p.period, m.revenue_type NULLS FIRST
    """

    def result(self, rows: list[tuple[Any, ...]], window: Window) -> list[RevenueCell]:
        return [RevenueCell(r[0], r[1], int(r[2]), int(r[3])) for r in rows]


class RevenueTotalsQuery(NamedQuery[RevenueTotals]):
    """Gross and refunds over the whole window (the ``compare=previous`` figures)."""

    name = "revenue_totals"
    sql = f"""
    SELECT coalesce(sum(-amount_cents) FILTER (WHERE kind = 'spend'), 0)::BIGINT,
           coalesce(sum(amount_cents) FILTER (WHERE kind = 'refund'), 0)::BIGINT
    FROM fact_credit_movement
    WHERE {REVENUE_MOVEMENT} AND {in_range('occurred_at')}
    """

    def result(self, rows: list[tuple[Any, ...]], window: Window) -> RevenueTotals:
        return RevenueTotals(int(rows[0][0]), int(rows[0][1]))
