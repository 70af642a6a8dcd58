"""OpenAPI for views written in this project's style: one APIView per operation, small serializers.

drf-spectacular cannot guess the bodies of a plain ``APIView`` (no ``serializer_class``), so this
schema class reads the conventions the views follow instead:

- request body: ``input_serializers[<method>]``, else ``input_serializer``, else a nested ``Input``;
- query parameters: ``query_serializer`` (a serializer class, or a tuple of them);
- success response: the envelope, ``data`` described by ``payload`` (a ``TypedDict`` of the
  context's ``payloads.py``, ``list[...]`` of one for lists, or a dict of them by method; see
  :mod:`api_conventions.payloads`), else ``output_serializers[<method>]`` / ``output_serializer``,
  with the example recorded for it (``api_conventions.payloads.example``);
  status ``success_status`` (a code, a tuple of codes the operation may answer — the first is the
  usual one — or a dict of those by method), else 201 for POST and 200 otherwise; 204 has no body;
- error responses: the error envelope for each status the operation can produce (and those of
  ``other_errors``, ``{status: description}``, e.g. a payment's 402); a 409 lists the
  codes in ``conflicts`` (a tuple, or a dict by method), plus the ``idempotency_key_*`` ones for
  ``@idempotent`` methods, as an enum of ``code``.

``@extend_schema(request=..., responses=Serializer, parameters=...)`` still overrides each part; a
response given as a plain serializer is wrapped in the envelope, a ``{status: ...}`` dict is used
as is.
"""

from __future__ import annotations

import re
import typing
from typing import Any, Literal

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.permissions import AllowAny

from api_conventions.pagination import PageQuery
from api_conventions.payloads import example_of, payload_schema

BODY_METHODS = ("POST", "PUT", "PATCH")


class PaginationMeta(serializers.Serializer):
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    count = serializers.IntegerField()
    total_pages = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)


class ErrorEnvelope(serializers.Serializer):
    status = serializers.CharField(help_text='Always "error".')
    data = serializers.JSONField(allow_null=True, help_text="Always null.")  # type: ignore[assignment]  # a field named like Serializer.data
    message = serializers.CharField(help_text="Human readable.")
    errors = serializers.DictField(  # type: ignore[assignment]  # a field named like Serializer.errors
        help_text="Per-field messages for `validation_error`; details otherwise.")
    code = serializers.CharField(help_text="Machine readable, stable: `validation_error`, `not_found`, ...")
    meta = serializers.DictField()


_ERRORS: dict[int, str] = {
    400: "`validation_error` (per-field `errors`) or `malformed_request`.",
    401: "`not_authenticated`: missing, invalid or expired token.",
    403: "`permission_denied`.",
    404: "`not_found`: what the path (or an id in the body) names does not exist, or is not the caller's.",
    409: "A business conflict, with a specific `code`.",
    413: "`payload_too_large`.",
    415: "`unsupported_media_type`: the body must be `application/json`.",
    429: "`throttled`; see `Retry-After`.",
    503: "`projection_lagging`: the read model did not reach `X-Min-Position` in time; retry.",
}


def _by_method(view: Any, plural: str, singular: str, method: str) -> Any:
    per_method = getattr(view, plural, None) or {}
    return per_method.get(method.lower()) or getattr(view, singular, None)


class EnvelopeAutoSchema(AutoSchema):
    def get_request_serializer(self) -> Any:
        if self.method not in BODY_METHODS:
            return None
        return _by_method(self.view, "input_serializers", "input_serializer", self.method) or getattr(
            self.view, "Input", None)

    def get_response_serializers(self) -> Any:
        return None  # only ``@extend_schema(responses=...)`` sets one; see ``_get_response_bodies``

    def get_override_parameters(self) -> list[Any]:
        query = getattr(self.view, "query_serializer", None) if self.method == "GET" else None
        params: list[Any] = list(query) if isinstance(query, tuple | list) else [query] if query else []
        if self._reads_projections():
            params.append(OpenApiParameter(
                "X-Min-Position", OpenApiTypes.INT, OpenApiParameter.HEADER,
                description="Wait (at most 2 s) until the read models applied this event position "
                            "(a write's `X-Event-Position`), else answer 503 `projection_lagging`."))
        return params

    def get_serializer_name(self, serializer: serializers.Serializer,
                            direction: Literal["request", "response"]) -> str:
        # Views nest their serializers (``RegisterApi.Input``): name components after the view.
        qualname = type(serializer).__qualname__
        if re.fullmatch(r"\w+\.\w+", qualname):
            outer, inner = qualname.split(".")
            return outer.removesuffix("Api") + inner
        return super().get_serializer_name(serializer, direction)

    def _is_list_view(self, serializer: Any = None) -> bool:
        # Names operations ``..._list`` rather than ``..._retrieve``: a paged GET, or a declared list output.
        if serializer is None and self.method == "GET":
            query = getattr(self.view, "query_serializer", None)
            queries = query if isinstance(query, tuple | list) else (query,)
            output = _by_method(self.view, "output_serializers", "output_serializer", self.method)
            if PageQuery in queries or isinstance(output, serializers.ListSerializer) or (
                    typing.get_origin(self._payload()) is list):
                return True
        return super()._is_list_view(serializer)

    def _reads_projections(self) -> bool:
        return hasattr(self.view, "read_models")

    def _success_statuses(self) -> tuple[int, ...]:
        declared = getattr(self.view, "success_status", None)
        if isinstance(declared, dict):
            declared = declared.get(self.method.lower())
        declared = declared or (201 if self.method == "POST" else 200)
        return declared if isinstance(declared, tuple) else (declared,)

    def _payload(self) -> Any:
        payload = getattr(self.view, "payload", None)
        if isinstance(payload, dict):
            payload = payload.get(self.method.lower())
        return payload

    def _conflicts(self) -> list[str]:
        declared = getattr(self.view, "conflicts", None) or ()
        if isinstance(declared, dict):
            declared = declared.get(self.method.lower(), ())
        handler = getattr(self.view, self.method.lower(), None)
        idempotent = getattr(handler, "idempotent", False)
        idempotency = (("idempotency_key_reused", "idempotency_key_in_progress", "idempotency_response_lost")
                       if idempotent else ())
        return sorted({*declared, *idempotency})

    def _data_schema(self, output: Any) -> dict[str, Any]:
        payload = self._payload()
        if payload is not None:
            return payload_schema(payload, self.registry)
        if output is None:
            return {"description": "The operation's result (an object, or a list for list endpoints)."}
        if isinstance(output, serializers.ListSerializer):
            child: Any = output.child
            return {"type": "array", "items": self.resolve_serializer(child, "response").ref}
        return self.resolve_serializer(output, "response").ref

    def _envelope_schema(self, output: Any) -> dict[str, Any]:
        meta: dict[str, Any] = {"type": "object", "properties": {
            "pagination": self.resolve_serializer(PaginationMeta, "response").ref,
            "filters_applied": {"type": "object", "additionalProperties": {},
                                "description": "The parsed, normalised filters actually used."}}}
        return {"type": "object", "required": ["status", "data", "message", "errors", "meta"], "properties": {
            "status": {"type": "string", "enum": ["success"]}, "data": self._data_schema(output),
            "message": {"type": "string"}, "errors": {"type": "object"}, "meta": meta}}

    def _example(self, output: Any) -> Any:
        payload = self._payload()
        if payload is not None:
            return example_of(payload)
        if isinstance(output, serializers.ListSerializer):
            return example_of(list[type(output.child)])  # type: ignore[misc]  # a list type built at run time
        return example_of(type(output)) if output is not None else None

    def _content(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {media_type: {"schema": schema} for media_type in self.map_renderers("media_type")}

    def _error_statuses(self) -> list[int]:
        has_body = self.method in BODY_METHODS
        statuses = [401, 429]
        if has_body or "{" in self.path or getattr(self.view, "query_serializer", None) or self._reads_projections():
            statuses.append(400)
        if any(not isinstance(p, AllowAny) for p in self.view.get_permissions()):
            statuses.append(403)
        if "{" in self.path or has_body:
            statuses.append(404)
        if self._conflicts():
            statuses.append(409)
        if has_body:
            statuses += [413, 415]
        if self._reads_projections():
            statuses.append(503)
        return sorted(statuses)

    def _success_headers(self) -> dict[str, Any]:
        if self._reads_projections():
            return {"X-Projection-Position": {"schema": {"type": "integer"}, "description":
                    "The lowest event position applied by the read models this answer comes from."}}
        if self.method in (*BODY_METHODS, "DELETE"):
            return {"X-Event-Position": {"schema": {"type": "integer"}, "description":
                    "When the command appended events: the position of the last one (send it to the read API "
                    "as `X-Min-Position` to read your own write)."}}
        return {}

    def _get_response_bodies(self, direction: Literal["request", "response"] = "response") -> dict[str, Any]:
        override = self.get_response_serializers()  # only ``@extend_schema(responses=...)`` gives one
        if isinstance(override, dict):
            return super()._get_response_bodies(direction)
        output = override if override is not None else _by_method(
            self.view, "output_serializers", "output_serializer", self.method)
        if isinstance(output, type):
            output = output()
        responses: dict[str, Any] = {}
        for status in self._success_statuses():
            success: dict[str, Any] = {"description": "Success, in the envelope." if status != 204 else "Done."}
            if status != 204:
                success["content"] = self._content(self._envelope_schema(output))
                sample = self._example(output)
                if sample is not None:
                    for media in success["content"].values():
                        media["example"] = {"status": "success", "data": sample, "message": "OK", "errors": {},
                                            "meta": {}}
            headers = self._success_headers()
            if headers:
                success["headers"] = headers
            responses[str(status)] = success
        error = self.resolve_serializer(ErrorEnvelope, "response").ref
        for status in self._error_statuses():
            responses[str(status)] = {"description": _ERRORS[status], "content": self._content(error)}
        for status, description in (getattr(self.view, "other_errors", None) or {}).items():
            responses[str(status)] = {"description": description, "content": self._content(error)}
        conflicts = self._conflicts()
        if conflicts:
            responses["409"] = {
                "description": "A business conflict; `code` is one of: " + ", ".join(f"`{c}`" for c in conflicts) + ".",
                "content": self._content({"allOf": [error, {"type": "object", "properties": {
                    "code": {"type": "string", "enum": conflicts}}}]})}
        return responses


class CheckedJWTScheme(SimpleJWTScheme):
    """Our JWT authentication classes document themselves as simplejwt's bearer scheme."""

    target_class = "api_conventions.authentication.CheckedJWTAuthentication"


class CheckedStatelessJWTScheme(SimpleJWTScheme):
    target_class = "api_conventions.authentication.CheckedStatelessJWTAuthentication"
