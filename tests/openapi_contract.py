"""Both APIs as WSGI apps, their published OpenAPI documents, and a strict reading of those documents.

The published schemas leave objects open (a client must tolerate a field added later); the suite
reads them strictly: every object of ``components`` refuses undeclared properties, so a field a
view adds to its dict without declaring it in its ``payloads.py`` fails the conformance tests.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from django.test import override_settings
from openapi_schema_validator import OAS30Validator
from rest_framework.test import APIClient

from read_models import settings as read
from tests.clients import ReadApiClient

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Any]

RELAXED_THROTTLES = {"anon": "1000000/min", "user": "1000000/min", "auth": "1000000/min"}


def _read_settings() -> dict[str, Any]:
    return {"ROOT_URLCONF": read.ROOT_URLCONF, "MIDDLEWARE": read.MIDDLEWARE,
            "REST_FRAMEWORK": {**read.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": RELAXED_THROTTLES},
            "SPECTACULAR_SETTINGS": read.SPECTACULAR_SETTINGS}


def write_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    return WSGIHandler()(environ, start_response)


def read_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    """The read API in this process: its URLconf, middleware and DRF settings for the request's duration."""
    with override_settings(**_read_settings()):
        return list(WSGIHandler()(environ, start_response))


APPS: dict[str, WsgiApp] = {"write": write_app, "read": read_app}


@contextmanager
def serving() -> Iterator[None]:
    """Requests through the apps above keep the test's database connection (as Django's test client does)."""
    signals.request_finished.disconnect(close_old_connections)
    try:
        with override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": RELAXED_THROTTLES},
                               MIN_POSITION_WAIT_SECONDS=0.01):
            yield
    finally:
        signals.request_finished.connect(close_old_connections)


def published_schema(api: str) -> dict[str, Any]:
    client = ReadApiClient() if api == "read" else APIClient()
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200, response.content
    return response.json()


def strict(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` with ``additionalProperties: false`` on every component object that declares properties."""
    document = copy.deepcopy(document)

    def close(schema: Any) -> None:
        if isinstance(schema, dict):
            if "properties" in schema and "additionalProperties" not in schema:
                schema["additionalProperties"] = False
            for value in schema.values():
                close(value)
        elif isinstance(schema, list):
            for value in schema:
                close(value)

    close(document.get("components", {}).get("schemas", {}))
    return document


def success_schema(document: dict[str, Any], path: str, method: str, status: int) -> dict[str, Any]:
    """The JSON schema of the ``status`` answer of ``method path`` (``#/components`` refs resolvable)."""
    response = document["paths"][path][method.lower()]["responses"][str(status)]
    return {**response["content"]["application/json"]["schema"], "components": document["components"]}


def violations(document: dict[str, Any], path: str, method: str, status: int, body: Any) -> list[str]:
    validator = OAS30Validator(success_schema(document, path, method, status))
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(body)]
