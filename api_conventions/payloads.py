"""Response payloads declared once, as ``TypedDict``s, for the code that builds them and for OpenAPI.

Both APIs build their answers as plain dicts (the read side for speed, see ARCHITECTURE). Each
context declares the shape of those dicts in its ``payloads.py``; the functions that build them are
annotated with it, and the views name it (``payload = BookingPayload``), from which
:class:`api_conventions.schema.EnvelopeAutoSchema` documents the envelope's ``data``. A test
(``tests/test_openapi_conformance.py``) validates real answers against the published schema with
undeclared fields refused, so a field added to a dict and not to its declaration fails the suite.

Field types: ``str``, ``int``, ``float``, ``bool``, ``X | None``, ``list[X]``, ``dict[str, X]``,
``Literal[...]``, a string enum (the words of :mod:`kernel.vocabulary`, a model's ``TextChoices``: an
OpenAPI enum of its values),
nested ``TypedDict``s (each a named component), ``NotRequired[X]`` for keys that may be absent, and the
string formats below (``Uuid``, ``DateTime``, ``Date``).
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any, Literal, NotRequired, Union, get_args, get_origin, get_type_hints, is_typeddict

from drf_spectacular.plumbing import ResolvedComponent, build_basic_type
from drf_spectacular.types import OpenApiTypes


@dataclass(frozen=True)
class StringFormat:
    """What OpenAPI says of a string beyond its type (``Annotated`` metadata must be hashable)."""

    format: str = ""
    pattern: str = ""
    description: str = ""

    def schema(self) -> dict[str, str]:
        return {k: v for k, v in (("format", self.format), ("pattern", self.pattern),
                                  ("description", self.description)) if v}


Uuid = Annotated[str, StringFormat(format="uuid")]
DateTime = Annotated[str, StringFormat(format="date-time", description="ISO-8601 with offset.")]
Date = Annotated[str, StringFormat(format="date")]
Money = Annotated[str, StringFormat(pattern=r"^-?\d+\.\d{2}$", description="Cents as a decimal string: `45.00`.")]

__all__ = ["Date", "DateTime", "Money", "NotRequired", "StringFormat", "Uuid", "example", "example_of",
           "payload_schema"]

_EXAMPLES: dict[Any, Any] = {}


def example(declaration: Any, value: Any) -> None:
    """Record the OpenAPI example of a payload (a ``TypedDict``, or a schema-only serializer class).

    Declared next to the payload; the suite validates each against the strict schema, so it stays true.
    """
    _EXAMPLES[declaration] = value


def example_of(declaration: Any) -> Any:
    """The recorded example of ``declaration`` (``list[X]``: a list of X's), or None when there is none."""
    if get_origin(declaration) is list:
        item = example_of(get_args(declaration)[0])
        return None if item is None else [item]
    return _EXAMPLES.get(declaration)

_BASIC: dict[Any, OpenApiTypes] = {str: OpenApiTypes.STR, int: OpenApiTypes.INT, float: OpenApiTypes.NUMBER,
                                   bool: OpenApiTypes.BOOL, Any: OpenApiTypes.ANY}


def payload_schema(hint: Any, registry: Any) -> dict[str, Any]:
    """The OpenAPI 3.0 schema of ``hint``; every ``TypedDict`` in it becomes a component of ``registry``."""
    if get_origin(hint) is Annotated:
        base, *extras = get_args(hint)
        schema = payload_schema(base, registry)
        for extra in extras:
            schema.update(extra.schema())
        return schema
    if is_typeddict(hint):
        return _component(hint, registry)
    origin, args = get_origin(hint), get_args(hint)
    if origin in (Union, types.UnionType):
        present = [a for a in args if a is not type(None)]
        if len(present) != 1:
            raise TypeError(f"{hint}: declare one type, optionally `| None`")
        if type(None) not in args:
            return payload_schema(present[0], registry)
        # Inline, not a $ref: OpenAPI 3.0's ``nullable`` cannot reach into ``allOf``/``oneOf`` in every validator.
        inner = _inline(present[0], registry) if is_typeddict(present[0]) else payload_schema(present[0], registry)
        if "enum" in inner:
            inner["enum"] = [*inner["enum"], None]  # OpenAPI 3.0.3: a nullable enum lists null
        return {**inner, "nullable": True}
    if origin is list:
        return {"type": "array", "items": payload_schema(args[0], registry)}
    if origin is dict:
        return {"type": "object", "additionalProperties": payload_schema(args[1], registry)}
    if origin is Literal:
        return {**_basic(_BASIC[type(args[0])]), "enum": list(args)}
    if isinstance(hint, type) and issubclass(hint, Enum) and issubclass(hint, str):
        return {**_basic(OpenApiTypes.STR), "enum": [member.value for member in hint]}
    if hint in _BASIC:
        return _basic(_BASIC[hint]) if hint is not Any else {}
    raise TypeError(f"no schema for {hint!r}")


def _basic(kind: OpenApiTypes) -> dict[str, Any]:
    schema = build_basic_type(kind)
    if schema is None:  # only OpenApiTypes.NONE has no schema, and _BASIC does not map to it
        raise TypeError(f"no schema for {kind}")
    return schema


def _component(hint: Any, registry: Any) -> dict[str, str]:
    component = ResolvedComponent(name=hint.__name__, type=ResolvedComponent.SCHEMA, object=hint)
    if component not in registry:
        registry.register_on_missing(component)  # first, so that a recursive declaration ends
        component.schema = _inline(hint, registry)
    return component.ref


def _inline(hint: Any, registry: Any) -> dict[str, Any]:
    fields = get_type_hints(hint, include_extras=True)
    properties = {name: payload_schema(_required(field), registry) for name, field in fields.items()}
    # Not ``__required_keys__``: with postponed annotations Python 3.11 cannot see ``NotRequired`` there.
    required = sorted(name for name, field in fields.items() if get_origin(field) is not NotRequired)
    schema: dict[str, Any] = {"type": "object", "properties": properties, "required": required}
    if hint.__doc__ and not hint.__doc__.startswith(f"{hint.__name__}("):
        schema["description"] = " ".join(hint.__doc__.split())
    return schema


def _required(field: Any) -> Any:
    """``NotRequired[X]`` -> ``X`` (the key is optional; ``__required_keys__`` already says so)."""
    return get_args(field)[0] if get_origin(field) in (NotRequired, typing.Required) else field
