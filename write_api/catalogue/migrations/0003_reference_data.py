"""Categories and modalities are reference data: loaded here, edited by staff in the admin."""

from django.db import migrations

CATEGORIES = [
    ("mind", "Mind & mental health"), ("body", "Body & bodywork"), ("movement", "Movement & fitness"),
    ("nutrition", "Nutrition"), ("coaching", "Coaching"), ("spiritual", "Spiritual practice"),
    ("energy", "Energy healing"), ("sleep", "Sleep & recovery"),
]
MODALITIES = [
    ("yoga", "Yoga"), ("pilates", "Pilates"), ("meditation", "Meditation"), ("mindfulness", "Mindfulness"),
    ("breathwork", "Breathwork"), ("reiki", "Reiki"), ("sound-healing", "Sound healing"),
    ("massage", "Massage"), ("acupuncture", "Acupuncture"), ("nutrition-coaching", "Nutrition coaching"),
    ("life-coaching", "Life coaching"), ("psychotherapy", "Psychotherapy"), ("hypnotherapy", "Hypnotherapy"),
    ("tai-chi", "Tai chi"), ("qigong", "Qigong"), ("ayurveda", "Ayurveda"), ("somatic-therapy", "Somatic therapy"),
]


def load(apps, schema_editor):
    Category = apps.get_model("catalogue", "Category")
    Modality = apps.get_model("catalogue", "Modality")
    for slug, name in CATEGORIES:
        Category.objects.get_or_create(slug=slug, defaults={"name": name})
    for slug, name in MODALITIES:
        Modality.objects.get_or_create(slug=slug, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0002_categories_modalities_children_sessions")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
