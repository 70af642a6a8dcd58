"""The warehouse derives its rows in SQL from event payloads (``warehouse.derivation``): the payload fields the
SQL reads are named there as strings, so this checks them against the events' ``kernel`` dataclasses. Renaming or
removing an event field the warehouse reads fails here, not silently as NULL columns in analytics."""

from __future__ import annotations

import dataclasses
import re

import pytest

from warehouse import derivation


def unknown_fields(rows: derivation.Derivation) -> set[str]:
    """Payload fields the derivation parses that none of its events has, and ``p.<name>`` it selects unparsed."""
    declared = {field.name for event in rows.events for field in dataclasses.fields(event)}
    selected = set(re.findall(r"\bp\.(\w+)", rows.select))
    return (set(rows.fields) - declared) | (selected - set(rows.fields))


@pytest.mark.parametrize("rows", derivation.DERIVATIONS, ids=lambda d: d.table.name)
def test_every_payload_field_the_sql_reads_is_a_field_of_its_events(rows: derivation.Derivation) -> None:
    assert unknown_fields(rows) == set()


def test_a_renamed_field_is_caught() -> None:
    renamed = {("given_name" if name == "first_name" else name): kind
               for name, kind in derivation.DIM_CLIENT.fields.items()}
    broken = dataclasses.replace(derivation.DIM_CLIENT, fields=renamed)
    assert unknown_fields(broken) == {"given_name", "first_name"}
