"""Built-in commands, registered through the register_commands hook like a plugin's."""

from __future__ import annotations

import click

from ..database import write_intent
from ..extensions import db
from ..hookspecs import hookimpl
from ..models import Campaign


def _campaign(campaign_id: int) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        raise click.ClickException(f"no campaign {campaign_id}")
    return campaign


@click.group("results", help="Campaign results: show them, verify them against the ballots.")
def results_cli():
    pass


@results_cli.command("verify")
@click.argument("campaign_id", type=int)
def verify_command(campaign_id: int):
    """Recompute CAMPAIGN's results from its ballots with the frozen rules and compare
    them with the results published when it closed. Exit status 1 on a mismatch."""
    from ..scoring.snapshots import verify

    with write_intent(False):  # reads only: never queue behind (or block) writers
        outcome = verify(_campaign(campaign_id))
    click.echo(f"rules sha256:      {outcome.rules_sha256}")
    click.echo(f"recomputed sha256: {outcome.recomputed_sha256}")
    if outcome.published_sha256:
        click.echo(f"published sha256:  {outcome.published_sha256}")
    for message in outcome.messages:
        click.echo(f"note: {message}")
    if not outcome.ok:
        click.echo("MISMATCH: the results cannot be reproduced from the ballots")
        raise SystemExit(1)
    click.echo("OK: results match the ballots and the frozen rules"
               if outcome.results_ok else "OK: rules intact; nothing published to compare yet")


@results_cli.command("show")
@click.argument("campaign_id", type=int)
def show_command(campaign_id: int):
    """Print CAMPAIGN's rankings per scheme and category."""
    from ..scoring.engine import campaign_results
    from ..scoring.ranking import round_half_up

    with write_intent(False):  # reads only
        results = campaign_results(_campaign(campaign_id))
    if results.sealed:
        click.echo(f"{results.title}  rules={results.rules_sha256[:16]}…")
        click.echo("sealed: the campaign is open; results computed from ballots are "
                   "published when it closes")
    else:
        click.echo(f"{results.title}  ballots={results.ballots}  "
                   f"rules={results.rules_sha256[:16]}…")
    for scheme in results.schemes.values():
        click.echo(f"\n== {scheme.title} ({scheme.bottom_rule})")
        for category, units in scheme.by_category():
            click.echo(f"-- {category}")
            for u in units:
                score = "—" if u.score is None else f"{round_half_up(u.score, 2):.2f}"
                rank = "—" if u.rank is None else str(u.rank)
                click.echo(f"{rank:>4}  {score:>7}  {u.unit}  {' '.join(u.flag_labels)}")


@hookimpl
def register_commands(cli):
    cli.add_command(results_cli)
