"""Fixtures shared by the suite. Everything runs against real PostgreSQL, Redis and the search engine."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator

import pytest
import redis
import rest_framework.views  # noqa: F401 - see below
from django.conf import settings
from osmem_server import OsmemServer
from rest_framework.test import APIClient

from infra.environment import data_path
from search_index.engines import configured_engine
from tests.clients import ReadApiClient, authenticate, register
from tests.clock import clock  # noqa: F401 - a fixture: the clock held at tests.clock.NOW
from tests.stack import stack  # noqa: F401 - a fixture, shared with every test module that starts the stack
from warehouse import lake
from workers import registry
from write_api.reference import reference_data as reference_rows
from write_api.reference.models import Category, Modality

# APIView takes its class-level defaults (authentication classes…) from the settings active when
# rest_framework.views is first imported. It is imported above, under the write API's settings, so
# a test whose first request goes to the in-process read API cannot leave every write-API view
# authenticating with the read API's stateless token user.


def _reset_read_side() -> None:
    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    shutil.rmtree(data_path("search"), ignore_errors=True)

    configured_engine.cache_clear()
    registry.projections.cache_clear()


@pytest.fixture(autouse=True)
def clean_read_side() -> Iterator[None]:
    _reset_read_side()
    yield


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None) -> None:
    """The test database is new for each run, and so is the warehouse's: a catalog left on the server by an
    earlier run (another checkout's data path, which DuckLake refuses to attach to) is dropped with its files.
    Then what ``migrate`` does in a deployment (``workers.apps``): the catalog database and its read-only role
    exist from the first test on, whichever test runs first."""
    lake.drop_catalog()
    shutil.rmtree(data_path("warehouse"), ignore_errors=True)
    lake.ensure_catalog()


@pytest.fixture
def fresh_lake() -> Iterator[None]:
    """An empty warehouse: the lake's catalog database dropped and its data files deleted (then closed)."""
    lake.drop_catalog()
    shutil.rmtree(data_path("warehouse"), ignore_errors=True)
    yield
    lake.close_all()


@pytest.fixture(autouse=True)
def reference_data(request) -> None:
    """Transactional tests truncate every table after each test, migration-loaded rows included."""
    if "django_db_setup" not in request.fixturenames and not request.node.get_closest_marker("django_db"):
        return
    request.getfixturevalue("_django_db_helper")

    reference_rows.load(Category, Modality)


@pytest.fixture(scope="session")
def opensearch_url() -> Iterator[str]:
    """An osmem-server process for the whole session (the binary ships in the ``osmem-server`` wheel)."""
    try:
        server = OsmemServer.start(japanese=False, startup_timeout=30)
    except Exception as exc:  # noqa: BLE001 - report exactly why the OpenSearch leg is skipped
        message = f"osmem-server could not start: {type(exc).__name__}: {exc}"
        print(message)
        pytest.skip(message)
    yield server.url
    server.close()


@pytest.fixture
def write_api() -> APIClient:
    return APIClient()


@pytest.fixture
def read_api() -> APIClient:
    return ReadApiClient()


@pytest.fixture
def practitioner(write_api: APIClient) -> dict:
    """A registered user who became a practitioner; the client is authenticated as them."""
    user = register(write_api)
    authenticate(write_api, user["tokens"])
    response = write_api.post("/api/v1/practitioners/", {"display_name": "Ada Lovelace", "title": "Breathwork coach",
                                                         "timezone": "Europe/London"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()["data"]
    authenticate(write_api, body["tokens"])
    return {"user": user["user"], "practitioner": body["practitioner"], "tokens": body["tokens"]}


_exit_status: dict[str, int] = {}


def pytest_sessionfinish(session, exitstatus) -> None:
    _exit_status["code"] = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config) -> None:
    """Leave without interpreter finalisation once pytest has reported.

    A native extension's background threads (tantivy's merge threads, DuckDB) occasionally abort the
    process while Python tears itself down after every test passed (seen as exit status 250, SIGABRT),
    which would turn a green run red. Everything the suite owns is closed by then, and the embedded
    servers are stopped by ``infra.with_services`` after this process ends.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(_exit_status.get("code", 0))
