"""Deprecation: one declarative way to retire an endpoint, a parameter or a response field.

A view declares what it deprecates::

    class ServiceDetailApi(ReadModelView):
        deprecations = (Deprecated.field("reviews", replacement="reviews_summary"),)

and from then on, while the name keeps working (policy: at least two releases, see ``docs/api-conventions.md``):

- every answer that involves it — any answer of a deprecated endpoint, a success that carries a deprecated
  field, a request that sends a deprecated parameter (query string or body) — carries
  ``Deprecation: @<unix time>`` (RFC 9745, when it was deprecated), ``Sunset: <HTTP date>`` (RFC 8594, the
  earliest removal) and a ``meta.deprecation`` list of notes ``{kind, name, replacement, deprecated_in,
  sunset, message}``; the headers are exposed to browsers (CORS);
- the OpenAPI schema marks the operation, parameter or field ``deprecated: true``
  (:func:`mark_in_schema`, a drf-spectacular postprocessing hook).

:class:`DeprecationMiddleware` applies the notes to DRF responses before they are rendered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import format_datetime
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse

Kind = Literal["endpoint", "parameter", "field"]

# The release that deprecated the names of issue 14 (API 1.1), and the earliest removal: two releases later.
RELEASE_1_1 = ("1.1.0", date(2026, 12, 4), date(2027, 6, 30))


@dataclass(frozen=True)
class Deprecated:
    kind: Kind
    name: str  # the endpoint's path, the parameter's or the field's name
    replacement: str
    deprecated_in: str
    deprecated_on: date
    sunset: date
    methods: frozenset[str] = frozenset()  # empty: every method

    @classmethod
    def endpoint(cls, path: str, *, replacement: str, methods: Iterable[str] = (),
                 release: tuple[str, date, date] = RELEASE_1_1) -> Deprecated:
        return cls("endpoint", path, replacement, *release, frozenset(m.upper() for m in methods))

    @classmethod
    def parameter(cls, name: str, *, replacement: str, methods: Iterable[str] = (),
                  release: tuple[str, date, date] = RELEASE_1_1) -> Deprecated:
        return cls("parameter", name, replacement, *release, frozenset(m.upper() for m in methods))

    @classmethod
    def field(cls, name: str, *, replacement: str, methods: Iterable[str] = ("GET",),
              release: tuple[str, date, date] = RELEASE_1_1) -> Deprecated:
        return cls("field", name, replacement, *release, frozenset(m.upper() for m in methods))

    def applies_to(self, method: str) -> bool:
        return not self.methods or method.upper() in self.methods

    @property
    def message(self) -> str:
        what = {"endpoint": "This endpoint", "parameter": f"The parameter `{self.name}`",
                "field": f"The field `{self.name}`"}[self.kind]
        return (f"{what} is deprecated since {self.deprecated_in} and may be removed after "
                f"{self.sunset.isoformat()}; use {self.replacement} instead.")

    def note(self) -> dict[str, str]:
        return {"kind": self.kind, "name": self.name, "replacement": self.replacement,
                "deprecated_in": self.deprecated_in, "sunset": self.sunset.isoformat(), "message": self.message}


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _sent_parameters(request: Any) -> set[str]:
    sent = set(getattr(request, "GET", {}) or {})
    try:
        data = getattr(request, "data", None)  # DRF's parsed body
    except Exception:  # noqa: BLE001 - a body that did not parse sends no parameter
        data = None
    if isinstance(data, dict):
        sent |= set(data)
    return sent


def involved(view: Any, request: Any, status: int) -> list[Deprecated]:
    """The view's deprecations that this request/answer involves."""
    method = request.method or "GET"
    found = []
    for item in getattr(view, "deprecations", ()):
        if not item.applies_to(method):
            continue
        if (item.kind == "endpoint" or (item.kind == "field" and status < 400)
                or (item.kind == "parameter" and item.name in _sent_parameters(request))):
            found.append(item)
    return found


def annotate(response: Any, items: list[Deprecated]) -> None:
    """Headers and ``meta.deprecation`` notes on a response whose ``data`` is an envelope (or None)."""
    if not items:
        return
    response["Deprecation"] = f"@{int(_midnight(min(i.deprecated_on for i in items)).timestamp())}"
    response["Sunset"] = format_datetime(_midnight(min(i.sunset for i in items)), usegmt=True)
    data = getattr(response, "data", None)
    if isinstance(data, dict) and isinstance(data.get("meta"), dict):
        data["meta"]["deprecation"] = [i.note() for i in items]


class DeprecationMiddleware:
    """Adds the notes of :func:`involved` deprecations to DRF responses before they are rendered."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_template_response(self, request: HttpRequest, response: Any) -> Any:
        context = getattr(response, "renderer_context", None) or {}
        view = context.get("view")
        if view is not None and getattr(view, "deprecations", None):
            annotate(response, involved(view, context.get("request") or request, response.status_code))
        return response


# --- OpenAPI ---------------------------------------------------------------------------------------------
def _resolved(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        return components.setdefault(schema["$ref"].rsplit("/", 1)[-1], {})
    if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        return _resolved(schema["items"], components)
    return schema


def _mark_field(schema: dict[str, Any], components: dict[str, Any], item: Deprecated) -> None:
    """``deprecated: true`` on ``data.<name>`` (a dotted name walks into nested objects)."""
    node = (schema.get("properties") or {}).get("data")
    if not isinstance(node, dict):
        return
    *parents, leaf = item.name.split(".")
    node = _resolved(node, components)
    for part in parents:
        node.setdefault("type", "object")
        node = _resolved(node.setdefault("properties", {}).setdefault(part, {"type": "object"}), components)
    node.setdefault("type", "object")
    field = node.setdefault("properties", {}).setdefault(leaf, {})
    field["deprecated"] = True
    field.setdefault("description", item.message)


def mark_in_schema(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: ``deprecated: true`` on every declared deprecation."""
    components = (result.get("components") or {}).get("schemas") or {}
    for path, _regex, method, callback in generator.endpoints:
        view = getattr(callback, "cls", None)
        items = [i for i in getattr(view, "deprecations", ()) if i.applies_to(method)]
        operation = (result.get("paths") or {}).get(path, {}).get(method.lower())
        if not items or operation is None:
            continue
        for item in items:
            if item.kind == "endpoint":
                operation["deprecated"] = True
                operation["description"] = (operation.get("description", "") + "\n\n" + item.message).strip()
            elif item.kind == "parameter":
                _mark_parameter(operation, components, item)
            else:
                for code, answer in (operation.get("responses") or {}).items():
                    if str(code).startswith("2"):
                        for content in (answer.get("content") or {}).values():
                            _mark_field(content.get("schema") or {}, components, item)
    return result


def _mark_parameter(operation: dict[str, Any], components: dict[str, Any], item: Deprecated) -> None:
    for parameter in operation.get("parameters", []):
        if parameter.get("name") == item.name:
            parameter["deprecated"] = True
            return
    body = ((operation.get("requestBody") or {}).get("content") or {}).get("application/json", {}).get("schema")
    if isinstance(body, dict) and "$ref" in body:
        properties = components.get(body["$ref"].rsplit("/", 1)[-1], {}).get("properties", {})
        if item.name in properties:
            properties[item.name]["deprecated"] = True
            return
    operation.setdefault("parameters", []).append({"name": item.name, "in": "query", "deprecated": True,
                                                   "schema": {"type": "string"}, "description": item.message})
