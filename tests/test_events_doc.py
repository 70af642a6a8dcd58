"""docs/events.md is generated from the registry; it must match the code."""

from pathlib import Path

from kernel import events, events_doc


def test_events_doc_matches_the_registry():
    path = Path(__file__).resolve().parent.parent / "docs" / "events.md"
    assert path.read_text() == events_doc.render(), "run: python -m kernel.events_doc > docs/events.md"


def test_every_event_type_is_documented_with_a_version():
    text = events_doc.render()
    for name, cls in events.registered_events().items():
        assert f"## `{name}` (version {cls.version})" in text
