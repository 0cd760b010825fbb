"""Small WTForms helpers shared by every layer that builds a form (the staff pages, the
schemes' configuration forms)."""

from __future__ import annotations

from wtforms.fields.choices import SelectChoice


def choices(pairs) -> list[SelectChoice]:
    """Select options from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]
