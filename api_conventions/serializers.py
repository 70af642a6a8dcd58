"""Input serializers that refuse fields they do not know (a typo must not be silently ignored)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


class StrictInput(serializers.Serializer):
    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)
