"""Category and Modality move here from ``catalogue``: state only, their tables stay as they are."""

import uuid

from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = [("catalogue", "0003_reference_data")]
    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.CreateModel(
                name="Category",
                fields=[
                    ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                    ("slug", models.SlugField(max_length=60, unique=True)),
                    ("name", models.CharField(max_length=100)),
                ],
                options={"db_table": "category", "ordering": ["name"]},
            ),
            migrations.CreateModel(
                name="Modality",
                fields=[
                    ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                    ("slug", models.SlugField(max_length=60, unique=True)),
                    ("name", models.CharField(max_length=100)),
                ],
                options={"verbose_name_plural": "modalities", "db_table": "modality", "ordering": ["name"]},
            ),
        ]),
    ]
