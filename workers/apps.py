from django.apps import AppConfig
from django.db.models.signals import post_migrate

from warehouse import lake


def _ensure_warehouse_catalog(sender: AppConfig, **kwargs: object) -> None:
    """``migrate`` also creates the warehouse's catalog database and its read-only role (idempotent)."""
    from workers import registry  # noqa: PLC0415 - its projections import models: not before apps are ready

    if "warehouse" in registry.projections():
        lake.ensure_catalog()


class WorkersConfig(AppConfig):
    name = "workers"
    label = "workers"

    def ready(self) -> None:
        post_migrate.connect(_ensure_warehouse_catalog, sender=self, dispatch_uid="warehouse-catalog")
