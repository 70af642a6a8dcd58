"""The JSON body parser of both APIs.

orjson instead of the standard library: it refuses ``NaN``/``Infinity`` and numbers that overflow a
double, and it stops at a nesting depth of 1024 with a ``ValueError`` where ``json`` raises
``RecursionError`` (which DRF does not catch, so a deeply nested body became a 500).
"""

from __future__ import annotations

import codecs
from collections.abc import Mapping
from typing import Any

import orjson
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser


class StrictJSONParser(BaseParser):
    media_type = "application/json"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        encoding = (parser_context or {}).get("encoding") or "utf-8"
        raw = stream.read() if stream is not None else b""
        try:
            if codecs.lookup(encoding).name != "utf-8":
                raw = raw.decode(encoding)
            return orjson.loads(raw)
        except (ValueError, LookupError) as exc:  # orjson.JSONDecodeError and UnicodeDecodeError are ValueErrors
            raise ParseError(f"JSON parse error - {exc}") from exc
