"""Categories and modalities: loaded by a migration, editable by staff in the admin.

They moved here from ``catalogue`` (same tables, ``category`` and ``modality``) so that practitioners,
catalogue and streams all depend on them without depending on each other.
"""

from __future__ import annotations

import uuid

from django.db import models


class Category(models.Model):
    """Reference data (loaded by a migration): the one category a service belongs to."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=100)

    class Meta:
        db_table = "category"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Modality(models.Model):
    """Reference data (loaded by a migration): practices such as yoga or reiki."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=100)

    class Meta:
        db_table = "modality"
        ordering = ["name"]
        verbose_name_plural = "modalities"

    def __str__(self) -> str:
        return self.name
