from django.db import migrations


def create_head(apps, schema_editor):
    apps.get_model("eventlog", "EventLogHead").objects.get_or_create(id=1, defaults={"position": 0})


class Migration(migrations.Migration):
    dependencies = [("eventlog", "0001_initial")]
    operations = [migrations.RunPython(create_head, migrations.RunPython.noop)]
