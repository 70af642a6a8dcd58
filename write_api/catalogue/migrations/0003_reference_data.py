"""Categories and modalities are reference data: loaded here, edited by staff in the admin."""

from django.db import migrations

from write_api.reference import reference_data


def load(apps, schema_editor):
    reference_data.load(apps.get_model("catalogue", "Category"), apps.get_model("catalogue", "Modality"))


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0002_categories_modalities_children_sessions")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
