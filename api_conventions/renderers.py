"""orjson rendering of envelopes; anything not yet in an envelope is wrapped as a success."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from rest_framework.renderers import BaseRenderer

from api_conventions.envelope import is_envelope, success_body


def _default(value: Any) -> Any:
    # Decimal, lazy translation strings and other scalars DRF may hand over.
    return str(value)


class EnvelopeJSONRenderer(BaseRenderer):
    media_type = "application/json"
    format = "json"
    charset = None

    def render(self, data: Any, accepted_media_type: str | None = None,
               renderer_context: Mapping[str, Any] | None = None) -> bytes:
        response = (renderer_context or {}).get("response")
        if response is not None and response.status_code == 204:
            return b""
        if not is_envelope(data):
            data = success_body(data)
        return orjson.dumps(data, default=_default, option=orjson.OPT_NON_STR_KEYS)
