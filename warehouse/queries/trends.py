"""Booking trends: bookings and cancellations per period, heat map, lead times, most booked services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from warehouse.queries.base import MADE, PERIOD_SPINE, NamedQuery, in_range, period
from warehouse.queries.window import Window

TOP_SERVICES = 10
# Lead-time buckets in minutes: [lower, upper) with None for "no bound".
LEAD_TIME_BUCKETS: tuple[tuple[str, int | None, int | None], ...] = (
    ("under_1_day", None, 1440),
    ("1_to_3_days", 1440, 4320),
    ("3_to_7_days", 4320, 10080),
    ("7_to_14_days", 10080, 20160),
    ("14_to_30_days", 20160, 43200),
    ("30_days_or_more", 43200, None),
)


@dataclass(frozen=True)
class BookingPeriod:
    period: date
    bookings: int
    cancellations: int


@dataclass(frozen=True)
class BookingTotals:
    bookings: int
    cancellations: int


@dataclass(frozen=True)
class HeatCell:
    weekday: int  # ISO: Monday 1 … Sunday 7
    hour: int
    appointments: int


@dataclass(frozen=True)
class LeadTimes:
    buckets: dict[str, int]
    bookings: int
    median_minutes: int | None


@dataclass(frozen=True)
class TopService:
    service_id: str
    title: str
    service_type: str
    bookings: int


class BookingsByPeriod(NamedQuery[list[BookingPeriod]]):
    name = "bookings_by_period"
    sql = f"""
    WITH periods AS ({PERIOD_SPINE}),
    made AS (
        SELECT {period('created_at')} AS period, count(*) AS n FROM fact_booking
        WHERE {MADE} AND {in_range('created_at')} GROUP BY 1
    ), cancelled AS (
        SELECT {period('cancelled_at')} AS period, count(*) AS n FROM fact_booking
        WHERE {MADE} AND status = 'cancelled' AND {in_range('cancelled_at')} GROUP BY 1
    )
    SELECT p.period, coalesce(m.n, 0), coalesce(c.n, 0)
    FROM periods p LEFT JOIN made m USING (period) LEFT JOIN cancelled c USING (period)
    ORDER BY p.period
    """

    def result(self, rows: list[tuple[Any, ...]], window: Window) -> list[BookingPeriod]:
        return [BookingPeriod(r[0], int(r[1]), int(r[2])) for r in rows]


class BookingTotalsQuery(NamedQuery[BookingTotals]):
    name = "booking_totals"
    sql = f"""
    SELECT count(*) FILTER (WHERE {in_range('created_at')}),
           count(*) FILTER (WHERE status = 'cancelled' AND {in_range('cancelled_at')})
    FROM fact_booking WHERE {MADE}
    """

    def result(self, rows: list[tuple[Any, ...]], window: Window) -> BookingTotals:
        return BookingTotals(int(rows[0][0]), int(rows[0][1]))


class HeatMap(NamedQuery[list[HeatCell]]):
    """Appointments (not cancelled, with a start) by weekday and hour of the start in the practitioner's zone."""

    name = "heat_map"
    sql = f"""
    SELECT isodow(start_local)::INTEGER, hour(start_local)::INTEGER, count(*)
    FROM fact_booking
    WHERE practitioner_id = $practitioner_id::UUID AND start_at IS NOT NULL AND status <> 'cancelled'
      AND service_type NOT IN ('package', 'bundle') AND {in_range('start_at')}
    GROUP BY ALL ORDER BY 1, 2
    """

    def result(self, rows: list[tuple[Any, ...]], window: Window) -> list[HeatCell]:
        return [HeatCell(int(r[0]), int(r[1]), int(r[2])) for r in rows]


def _bucket_filter(lower: int | None, upper: int | None) -> str:
    conditions = ([f"minutes >= {lower}"] if lower is not None else []) + \
                 ([f"minutes < {upper}"] if upper is not None else [])
    return " AND ".join(conditions)


class LeadTimeDistribution(NamedQuery[LeadTimes]):
    """Minutes from making a booking to its start, for bookings made in the window that have a start."""

    name = "lead_times"
    sql = f"""
    WITH leads AS (
        SELECT floor((epoch_us(start_at) - epoch_us(created_at)) / 60000000.0)::BIGINT AS minutes
        FROM fact_booking WHERE {MADE} AND start_at IS NOT NULL AND {in_range('created_at')}
    )
    SELECT {", ".join(f"count(*) FILTER (WHERE {_bucket_filter(lo, hi)})" for _, lo, hi in LEAD_TIME_BUCKETS)},
           count(*), quantile_disc(minutes, 0.5)
    FROM leads
    """

    def result(self, rows: list[tuple[Any, ...]], window: Window) -> LeadTimes:
        row = rows[0]
        buckets = {name: int(row[i]) for i, (name, _, _) in enumerate(LEAD_TIME_BUCKETS)}
        median = row[len(LEAD_TIME_BUCKETS) + 1]
        return LeadTimes(buckets, int(row[len(LEAD_TIME_BUCKETS)]), None if median is None else int(median))


class TopServices(NamedQuery[list[TopService]]):
    name = "top_services"
    sql = f"""
    SELECT f.service_id::VARCHAR AS service, coalesce(s.title, '') AS title,
           coalesce(s.service_type, any_value(f.service_type)) AS service_type, count(*) AS bookings
    FROM fact_booking f LEFT JOIN dim_service s USING (service_id)
    WHERE f.practitioner_id = $practitioner_id::UUID AND f.parent_id IS NULL AND {in_range('f.created_at')}
    GROUP BY f.service_id, s.title, s.service_type
    ORDER BY bookings DESC, title, service
    LIMIT {TOP_SERVICES}
    """

    def result(self, rows: list[tuple[Any, ...]], window: Window) -> list[TopService]:
        return [TopService(r[0], r[1], r[2], int(r[3])) for r in rows]
