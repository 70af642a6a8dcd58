"""Looking up reference data named in a command."""

from __future__ import annotations

from api_conventions.errors import ValidationFailed
from write_api.reference.models import Modality


def modalities_by_slug(slugs: list[str]) -> list[Modality]:
    """The modalities named, or 400 ``validation_error`` listing every unknown slug under ``modalities``."""
    found = list(Modality.objects.filter(slug__in=slugs))
    missing = sorted(set(slugs) - {m.slug for m in found})
    if missing:
        raise ValidationFailed(errors={"modalities": [f"Unknown modality {s!r}." for s in missing]})
    return found
