"""Modality now lives in ``reference`` (state only: the join table is unchanged)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("streams", "0001_initial"), ("reference", "0001_initial")]
    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.AlterField(
                model_name="stream",
                name="modalities",
                field=models.ManyToManyField(blank=True, related_name="streams", to="reference.modality"),
            ),
        ]),
    ]
