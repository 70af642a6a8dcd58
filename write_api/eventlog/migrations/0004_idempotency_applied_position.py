from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('eventlog', '0003_idempotency_claims'),
    ]

    operations = [
        migrations.AddField(
            model_name='idempotencyrecord',
            name='applied_position',
            field=models.BigIntegerField(null=True),
        ),
    ]
