"""Category and Modality now live in ``reference`` (state only: tables and join tables are unchanged)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0003_reference_data"),
        ("reference", "0001_initial"),
        ("practitioners", "0003_modalities_from_reference"),
        ("streams", "0002_modalities_from_reference"),
    ]
    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.AlterField(
                model_name="service",
                name="category",
                field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT,
                                        related_name="services", to="reference.category"),
            ),
            migrations.AlterField(
                model_name="service",
                name="modalities",
                field=models.ManyToManyField(blank=True, related_name="services", to="reference.modality"),
            ),
            migrations.DeleteModel(name="Category"),
            migrations.DeleteModel(name="Modality"),
        ]),
    ]
