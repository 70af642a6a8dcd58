"""The shapes of the three analytics answers (see :mod:`api_conventions.payloads`; built in ``reports.py``)."""

from __future__ import annotations

from typing import TypedDict

from api_conventions.payloads import Date, NotRequired, Uuid, example


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


_MONEY: Money = {"gross_cents": 54000, "refunds_cents": 4500, "net_cents": 49500}
example(RevenueReport, {
    "totals": _MONEY,
    "periods": [{"period": "2026-03-01", **_MONEY, "by_service_type": {"session": _MONEY}}],
    "by_service_type": [{"service_type": "session", **_MONEY}],
    "previous": {"start": "2026-02-01", "end": "2026-02-28",
                 "totals": {"gross_cents": 40500, "refunds_cents": 0, "net_cents": 40500}}})
example(ClientsReport, {
    "totals": {"unique_clients": 6, "new_clients": 2, "returning_clients": 4, "repeat_clients": 5,
               "repeat_rate": 0.8333},
    "periods": [{"period": "2026-03-01", "unique_clients": 6, "new_clients": 2, "returning_clients": 4}],
    "retention": [{"cohort": "2026-01-01", "size": 4, "months": [{"month_offset": 0, "clients": 4, "rate": 1.0},
                                                                 {"month_offset": 1, "clients": 3, "rate": 0.75}]}],
    "top_clients": [{"client_id": "5c6d7e8f-9a0b-4c1d-8e2f-3a4b5c6d7e8f", "name": "Casey Client", "bookings": 9,
                     "net_cents": 40500}]})
example(TrendsReport, {
    "totals": {"bookings": 14, "cancellations": 2},
    "periods": [{"period": "2026-03-02", "bookings": 14, "cancellations": 2}],
    "heat_map": {"timezone": "Europe/London", "weekdays": ["monday", "tuesday", "wednesday", "thursday", "friday",
                                                           "saturday", "sunday"],
                 "hours": list(range(24)), "cells": [[0] * 24 for _ in range(7)]},
    "lead_time": {"bookings": 14, "median_minutes": 7200,
                  "buckets": [{"bucket": "under_1_day", "min_minutes": None, "max_minutes": 1440, "bookings": 0},
                              {"bucket": "1_to_3_days", "min_minutes": 1440, "max_minutes": 4320, "bookings": 5}]},
    "top_services": [{"service_id": "6f1c2a4e-8b7d-4e5f-9a0b-1c2d3e4f5a6b", "title": "Vinyasa flow for beginners",
                      "service_type": "session", "bookings": 14}]})
