"""Modality now lives in ``reference`` (state only: the join table is unchanged)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("practitioners", "0002_location_and_modalities"), ("reference", "0001_initial")]
    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.AlterField(
                model_name="practitioner",
                name="modalities",
                field=models.ManyToManyField(blank=True, related_name="practitioners", to="reference.modality"),
            ),
        ]),
    ]
