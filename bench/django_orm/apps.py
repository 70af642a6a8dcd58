"""The baseline's app: it gives the write models the stored search vector :mod:`.schema` adds."""

from __future__ import annotations

from django.apps import AppConfig
from django.contrib.postgres.search import SearchVectorField


class DjangoOrmBaselineConfig(AppConfig):
    name = "bench.django_orm"
    label = "django_orm_baseline"

    def ready(self) -> None:
        # Models exist once the registry is ready (this module is imported while it is being filled).
        from write_api.catalogue.models import Service  # noqa: PLC0415
        from write_api.practitioners.models import Practitioner  # noqa: PLC0415
        from write_api.streams.models import Stream  # noqa: PLC0415

        # What a Django developer writes as ``search_vector = SearchVectorField(...)`` plus a GinIndex on
        # the model; the write models are not ours to change, so the field joins them in this process only.
        for model in (Service, Practitioner, Stream):
            if not any(f.name == "search_vector" for f in model._meta.get_fields()):
                SearchVectorField(null=True, editable=False).contribute_to_class(model, "search_vector")
