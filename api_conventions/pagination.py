"""Page-number pagination reported in ``meta.pagination`` (SPEC §3)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from rest_framework import serializers

from api_conventions.errors import ValidationFailed

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_PAGE = 10_000


class PageQuery(serializers.Serializer):
    """The paging query parameters, for the OpenAPI schema (``query_serializer``); parsing is :class:`PageRequest`."""

    page = serializers.IntegerField(required=False, min_value=1, max_value=MAX_PAGE, default=1)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=MAX_PAGE_SIZE,
                                         default=DEFAULT_PAGE_SIZE)


@dataclass(frozen=True)
class PageRequest:
    page: int
    page_size: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size

    @classmethod
    def from_query(cls, params: Any) -> PageRequest:
        errors: dict[str, list[str]] = {}
        page = _positive_int(params.get("page"), 1, "page", errors)
        size = _positive_int(params.get("page_size"), DEFAULT_PAGE_SIZE, "page_size", errors)
        if size > MAX_PAGE_SIZE:
            errors["page_size"] = [f"Must be at most {MAX_PAGE_SIZE}."]
        if page > MAX_PAGE:
            errors["page"] = [f"Must be at most {MAX_PAGE}."]
        if errors:
            raise ValidationFailed(errors=errors)
        return cls(page=page, page_size=size)


def _positive_int(raw: str | None, default: int, name: str, errors: dict[str, list[str]]) -> int:
    if raw in (None, ""):
        return default
    try:
        value = int(raw)  # type: ignore[arg-type]  # None returned above; mypy does not narrow through `in`
    except (TypeError, ValueError):
        errors[name] = ["Must be a whole number."]
        return default
    if value < 1:
        errors[name] = ["Must be at least 1."]
        return default
    return value


def pagination_meta(request: Any, page: PageRequest, count: int) -> dict[str, Any]:
    total_pages = math.ceil(count / page.page_size) if count else 0

    def link(number: int) -> str:
        params = request.GET.copy()
        params["page"] = str(number)
        params["page_size"] = str(page.page_size)
        return request.build_absolute_uri(request.path) + "?" + urlencode(sorted(params.items()))

    return {
        "page": page.page,
        "page_size": page.page_size,
        "count": count,
        "total_pages": total_pages,
        "next": link(page.page + 1) if page.page < total_pages else None,
        "previous": link(page.page - 1) if 1 < page.page <= total_pages + 1 else None,
    }
