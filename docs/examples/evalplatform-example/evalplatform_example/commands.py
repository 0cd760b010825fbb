"""``flask --app wsgi example-notes CAMPAIGN_ID``: a campaign's inspection notes."""

from __future__ import annotations

import click

from evalplatform.extensions import db
from evalplatform.models import Campaign

from . import notes


@click.command("example-notes")
@click.argument("campaign_id", type=int)
def notes_command(campaign_id: int):
    """Print CAMPAIGN's inspection notes, one per line: unit, then the note."""
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        raise click.ClickException(f"no campaign {campaign_id}")
    for note, unit in notes.notes_of(campaign):
        click.echo(f"{unit}\t{note.text}")
