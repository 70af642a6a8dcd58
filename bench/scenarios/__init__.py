"""Every benchmark scenario, in the order the runner measures them (offline ones run before the stack starts)."""

from __future__ import annotations

from bench.scenarios.analytics import SCENARIOS as ANALYTICS
from bench.scenarios.base import Scenario
from bench.scenarios.bookings import BookingContentionScenario
from bench.scenarios.browse import BrowseScenario
from bench.scenarios.projection_lag import ProjectionLagScenario
from bench.scenarios.projection_rebuild import ProjectionRebuildScenario
from bench.scenarios.search import SearchScenario, SuggestionsScenario
from bench.scenarios.service_detail import ServiceDetailScenario
from bench.scenarios.time_slots import TimeSlotsScenario, TimeSlotsWeekScenario

SCENARIOS: tuple[Scenario, ...] = (
    ProjectionRebuildScenario(), SearchScenario(), SuggestionsScenario(), BrowseScenario(), ServiceDetailScenario(),
    TimeSlotsScenario(), TimeSlotsWeekScenario(), *ANALYTICS, BookingContentionScenario(),
    ProjectionLagScenario(),
)
