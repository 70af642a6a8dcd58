"""Renders ``docs/events.md`` from the event registry: ``python -m kernel.events_doc > docs/events.md``.

A test compares the file with this rendering, so the document cannot drift from the code.
"""

from __future__ import annotations

import dataclasses
import inspect

from kernel import events


def _type_name(annotation: object) -> str:
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", repr(annotation))
    return str(text).replace("typing.", "")


def render() -> str:
    lines = [
        "# Domain events",
        "",
        "Every state change appends one or more of these to the `event_log` table, in the command's own",
        "transaction (see `write_api/eventlog/services.py`). Each row carries `position` (gap-free, commit",
        "order), `event_id`, `type`, `version`, `aggregate_type`, `aggregate_id`, `payload` (below), `actor_id`,",
        "`request_id` and `recorded_at`. Payloads carry the aggregate's full state after the change where the",
        "description says so (event-carried state transfer), so projections need no look-ups in the write database.",
        "",
        "In JSON, `UUID` and `datetime` fields are strings (ISO 8601 with offset, UTC); tuples are arrays.",
        "",
        "Generated from `kernel/events.py` by `python -m kernel.events_doc`; a test keeps it in step.",
        "",
    ]
    for type_name, cls in sorted(events.registered_events().items()):
        doc = inspect.getdoc(cls) or ""
        own_doc = doc if cls.__doc__ else ""
        lines += [f"## `{type_name}` (version {cls.version})", ""]
        lines += [f"Aggregate: `{cls.aggregate_type}`. {own_doc}".rstrip(), ""]
        lines += ["| field | type |", "|---|---|"]
        for field in dataclasses.fields(cls):
            lines.append(f"| `{field.name}` | `{_type_name(field.type)}` |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(render(), end="")
