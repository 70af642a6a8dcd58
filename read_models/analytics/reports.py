"""The three analytics answers, each composed from named warehouse queries (``warehouse.queries.QUERIES``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import duckdb

from read_models.analytics.params import AnalyticsRequest
from warehouse.queries import run
from warehouse.queries.clients import ClientTotals
from warehouse.queries.revenue import RevenueTotals
from warehouse.queries.trends import LEAD_TIME_BUCKETS, BookingTotals
from warehouse.queries.window import Window

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

Report = Callable[[duckdb.DuckDBPyConnection, AnalyticsRequest, str], dict[str, Any]]


def _money(gross: int, refunds: int) -> dict[str, int]:
    return {"gross_cents": gross, "refunds_cents": refunds, "net_cents": gross - refunds}


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _previous(window: Window, totals: dict[str, Any]) -> dict[str, Any]:
    return {"start": window.start.isoformat(), "end": window.end.isoformat(), "totals": totals}


# --- revenue ---------------------------------------------------------------------------------------


def _revenue_totals(totals: RevenueTotals) -> dict[str, int]:
    return _money(totals.gross_cents, totals.refunds_cents)


def revenue(connection: duckdb.DuckDBPyConnection, request: AnalyticsRequest, practitioner_zone: str) -> dict[str, Any]:
    cells = run("revenue_by_period", connection, request.window)
    periods: dict[date, dict[str, Any]] = {}
    by_type: dict[str, list[int]] = {}
    for cell in cells:
        entry = periods.setdefault(cell.period, {"period": cell.period.isoformat(), **_money(0, 0),
                                                 "by_service_type": {}})
        if cell.revenue_type is None:
            continue
        entry["gross_cents"] += cell.gross_cents
        entry["refunds_cents"] += cell.refunds_cents
        entry["net_cents"] = entry["gross_cents"] - entry["refunds_cents"]
        entry["by_service_type"][cell.revenue_type] = _money(cell.gross_cents, cell.refunds_cents)
        sums = by_type.setdefault(cell.revenue_type, [0, 0])
        sums[0] += cell.gross_cents
        sums[1] += cell.refunds_cents
    gross = sum(s[0] for s in by_type.values())
    refunds = sum(s[1] for s in by_type.values())
    data: dict[str, Any] = {
        "totals": _money(gross, refunds),
        "periods": [periods[key] for key in sorted(periods)],
        "by_service_type": [{"service_type": name, **_money(*by_type[name])} for name in sorted(by_type)],
    }
    if request.compare:
        previous = request.window.previous()
        data["previous"] = _previous(previous, _revenue_totals(run("revenue_totals", connection, previous)))
    return data


# --- clients ---------------------------------------------------------------------------------------


def _client_totals(totals: ClientTotals) -> dict[str, Any]:
    return {"unique_clients": totals.unique_clients, "new_clients": totals.new_clients,
            "returning_clients": totals.returning_clients, "repeat_clients": totals.repeat_clients,
            "repeat_rate": _rate(totals.repeat_clients, totals.unique_clients)}


def _month_index(month: date) -> int:
    return month.year * 12 + month.month - 1


def clients(connection: duckdb.DuckDBPyConnection, request: AnalyticsRequest, practitioner_zone: str) -> dict[str, Any]:
    window = request.window
    cohorts: dict[date, dict[int, int]] = {}
    for cell in run("retention_cohorts", connection, window):
        cohorts.setdefault(cell.cohort, {})[cell.month_offset] = cell.active_clients
    last = _month_index(window.last_month)
    retention = []
    for cohort in sorted(cohorts):
        size = cohorts[cohort].get(0, 0)
        retention.append({"cohort": cohort.isoformat(), "size": size, "months": [
            {"month_offset": offset, "clients": cohorts[cohort].get(offset, 0),
             "rate": _rate(cohorts[cohort].get(offset, 0), size)}
            for offset in range(last - _month_index(cohort) + 1)]})
    data: dict[str, Any] = {
        "totals": _client_totals(run("client_totals", connection, window)),
        "periods": [{"period": p.period.isoformat(), "unique_clients": p.unique_clients, "new_clients": p.new_clients,
                     "returning_clients": p.unique_clients - p.new_clients}
                    for p in run("clients_by_period", connection, window)],
        "retention": retention,
        "top_clients": [{"client_id": c.client_id, "name": c.name, "bookings": c.bookings, "net_cents": c.net_cents}
                        for c in run("top_clients", connection, window)],
    }
    if request.compare:
        previous = window.previous()
        data["previous"] = _previous(previous, _client_totals(run("client_totals", connection, previous)))
    return data


# --- booking trends --------------------------------------------------------------------------------


def _booking_totals(totals: BookingTotals) -> dict[str, int]:
    return {"bookings": totals.bookings, "cancellations": totals.cancellations}


def trends(connection: duckdb.DuckDBPyConnection, request: AnalyticsRequest, practitioner_zone: str) -> dict[str, Any]:
    window = request.window
    periods = run("bookings_by_period", connection, window)
    cells = [[0] * 24 for _ in WEEKDAYS]
    for cell in run("heat_map", connection, window):
        cells[cell.weekday - 1][cell.hour] = cell.appointments
    leads = run("lead_times", connection, window)
    data: dict[str, Any] = {
        "totals": {"bookings": sum(p.bookings for p in periods),
                   "cancellations": sum(p.cancellations for p in periods)},
        "periods": [{"period": p.period.isoformat(), "bookings": p.bookings, "cancellations": p.cancellations}
                    for p in periods],
        "heat_map": {"timezone": practitioner_zone, "weekdays": list(WEEKDAYS), "hours": list(range(24)),
                     "cells": cells},
        "lead_time": {"bookings": leads.bookings, "median_minutes": leads.median_minutes,
                      "buckets": [{"bucket": name, "min_minutes": low, "max_minutes": high,
                                   "bookings": leads.buckets[name]} for name, low, high in LEAD_TIME_BUCKETS]},
        "top_services": [{"service_id": s.service_id, "title": s.title, "service_type": s.service_type,
                          "bookings": s.bookings} for s in run("top_services", connection, window)],
    }
    if request.compare:
        previous = window.previous()
        data["previous"] = _previous(previous, _booking_totals(run("booking_totals", connection, previous)))
    return data


REPORTS: dict[str, Report] = {"revenue": revenue, "clients": clients, "trends": trends}
