"""The shapes of the three analytics answers (see :mod:`api_conventions.payloads`; built in ``reports.py``)."""

from __future__ import annotations

from typing import TypedDict

from api_conventions.payloads import Date, NotRequired, Uuid


class Money(TypedDict):
    gross_cents: int
    refunds_cents: int
    net_cents: int


class RevenuePeriod(TypedDict):
    period: Date
    gross_cents: int
    refunds_cents: int
    net_cents: int
    by_service_type: dict[str, Money]


class RevenueByType(TypedDict):
    service_type: str
    gross_cents: int
    refunds_cents: int
    net_cents: int


class PreviousRevenue(TypedDict):
    start: Date
    end: Date
    totals: Money


class RevenueReport(TypedDict):
    """Gross, refunds and net in cents, per period (local dates) and per service type."""

    totals: Money
    periods: list[RevenuePeriod]
    by_service_type: list[RevenueByType]
    previous: NotRequired[PreviousRevenue]


class ClientTotals(TypedDict):
    unique_clients: int
    new_clients: int
    returning_clients: int
    repeat_clients: int
    repeat_rate: float


class ClientPeriod(TypedDict):
    period: Date
    unique_clients: int
    new_clients: int
    returning_clients: int


class CohortMonth(TypedDict):
    month_offset: int
    clients: int
    rate: float


class Cohort(TypedDict):
    cohort: Date
    size: int
    months: list[CohortMonth]


class TopClient(TypedDict):
    client_id: Uuid
    name: str
    bookings: int
    net_cents: int


class PreviousClients(TypedDict):
    start: Date
    end: Date
    totals: ClientTotals


class ClientsReport(TypedDict):
    """Unique, new and returning clients, the repeat rate, monthly retention cohorts and the top clients."""

    totals: ClientTotals
    periods: list[ClientPeriod]
    retention: list[Cohort]
    top_clients: list[TopClient]
    previous: NotRequired[PreviousClients]


class BookingTotals(TypedDict):
    bookings: int
    cancellations: int


class BookingPeriod(TypedDict):
    period: Date
    bookings: int
    cancellations: int


class HeatMap(TypedDict):
    """``cells[weekday][hour]``: appointments starting then, in the practitioner's zone."""

    timezone: str
    weekdays: list[str]
    hours: list[int]
    cells: list[list[int]]


class LeadTimeBucket(TypedDict):
    bucket: str
    min_minutes: int | None
    max_minutes: int | None
    bookings: int


class LeadTime(TypedDict):
    bookings: int
    median_minutes: int | None
    buckets: list[LeadTimeBucket]


class TopService(TypedDict):
    service_id: Uuid
    title: str
    service_type: str
    bookings: int


class PreviousBookings(TypedDict):
    start: Date
    end: Date
    totals: BookingTotals


class TrendsReport(TypedDict):
    """Bookings and cancellations per period, the weekday × hour heat map, lead times and the top services."""

    totals: BookingTotals
    periods: list[BookingPeriod]
    heat_map: HeatMap
    lead_time: LeadTime
    top_services: list[TopService]
    previous: NotRequired[PreviousBookings]
