"""The suite's "now" for tests that book: Monday 2 March 2026, 08:00 UTC (08:00 in London, GMT), and the
``clock`` fixture (shared by ``conftest.py``) that holds the clock there while letting it tick."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import time_machine

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller
