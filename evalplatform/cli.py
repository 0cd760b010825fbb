"""Command-line interface: ``flask --app wsgi …`` (or the ``evalplatform`` script)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup
from sqlalchemy import func, select

from .extensions import db
from .models import Campaign, User
from .services import ServiceError
from .services import users as user_service

users_cli = click.Group("users", help="Manage staff accounts (admins and evaluators).")
demo_cli = click.Group("demo", help="Demo data.")
ballots_cli = click.Group("ballots", help="Stored ballots.")


def _fail(message: str):
    raise click.ClickException(message)


def _user(name: str) -> User:
    user = db.session.scalar(select(User).where(User.username == name))
    if user is None:
        _fail(f"no user named {name!r}")
    return user


@users_cli.command("create")
@click.argument("name")
@click.option("--role", type=click.Choice(["admin", "evaluator"]), required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--display-name", default="")
def users_create(name: str, role: str, password: str, display_name: str):
    """Create an account NAME with a role and password."""
    try:
        user_service.create_user(name, role, password, display_name=display_name)
    except ServiceError as error:
        _fail(error.message)
    db.session.commit()
    click.echo(f"created {role} {name}")


@users_cli.command("password")
@click.argument("name")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def users_password(name: str, password: str):
    """Set the password of account NAME."""
    try:
        user_service.set_password(_user(name), password)
    except ServiceError as error:
        _fail(error.message)
    db.session.commit()
    click.echo(f"password of {name} changed")


@users_cli.command("token")
@click.argument("name")
def users_token(name: str):
    """Print a new API bearer token for account NAME (shown once, stored hashed)."""
    token = user_service.create_token(_user(name))
    db.session.commit()
    click.echo(token)


@users_cli.command("list")
def users_list():
    """List accounts."""
    for user in db.session.scalars(select(User).order_by(User.username)):
        click.echo(f"{user.username}\t{user.role}\t{'active' if user.active else 'disabled'}")


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True, help="Do nothing when a campaign already exists.")
def demo_load(if_empty: bool):
    """Create a realistic demo (last year's campaign, closed, and this year's, open) and
    write the open one's unused codes to instance/."""
    from .services.demo import load_demo

    if if_empty and db.session.scalar(select(func.count()).select_from(Campaign)):
        click.echo("demo: campaigns exist already, nothing loaded")
        return
    result = load_demo(Path(current_app.instance_path))
    click.echo(f"demo campaign #{result.closed_campaign_id}: closed, its results published")
    click.echo(f"demo campaign #{result.campaign_id}: open (results sealed until it closes), "
               f"{result.ballots} ballots submitted, {result.unused_codes} unused codes in "
               f"{result.codes_file}")
    for name, password in result.accounts.items():
        click.echo(f"  account created: {name} / {password}")
    if result.accounts:
        click.echo(f"  (also written to {Path(current_app.instance_path) / 'demo-accounts.txt'})")


@ballots_cli.command("seal")
@click.argument("campaign_ids", nargs=-1, type=int)
def seal_command(campaign_ids: tuple[int, ...]):
    """Seal the storage of the CAMPAIGN_IDS (default: every campaign with ballots) so
    that no ballot can be tied to its code: run it before copying the database."""
    from .models import Ballot
    from .services.seal import seal

    wanted = campaign_ids or db.session.scalars(select(Ballot.campaign_id).distinct()).all()
    for campaign_id in sorted(wanted):
        if db.session.get(Campaign, campaign_id) is None:
            _fail(f"no campaign {campaign_id}")
        rewritten = seal(campaign_id)
        click.echo(f"campaign {campaign_id}: sealed" + (" (rows rewritten)" if rewritten else ""))


def register_cli(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(ballots_cli)


def main() -> None:
    """The ``evalplatform`` console script: the Flask CLI bound to this application."""
    from . import create_app

    FlaskGroup(create_app=create_app)()
