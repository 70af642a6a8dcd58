"""Categories and modalities: reference data loaded by migration 0003 and editable by staff in the admin."""

from __future__ import annotations

from typing import Any

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


def load(category_model: Any, modality_model: Any) -> None:
    """Create what is missing; never overwrite names staff may have edited."""
    for slug, name in CATEGORIES:
        category_model.objects.get_or_create(slug=slug, defaults={"name": name})
    for slug, name in MODALITIES:
        modality_model.objects.get_or_create(slug=slug, defaults={"name": name})
