"""Report commands (``flask --app wsgi report …``, ``flask --app wsgi jobs worker``),
registered through the register_commands hook like a plugin's."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import click
from flask import Flask, current_app, has_app_context

from ..errors import ServiceError
from ..extensions import db
from ..hookspecs import hookimpl
from ..models import Campaign
from ..reports.pdf import tune_process_for_rendering
from ..services import documents as document_service
from ..services import reports as report_service


def _campaign(campaign_id: int) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        raise click.ClickException(f"no campaign {campaign_id}")
    return campaign


def _make_and_store(campaign: Campaign, out: Path, make) -> None:
    try:
        main, data = report_service.make_and_store(campaign, make)
    except ServiceError as error:
        raise click.ClickException(error.message) from None
    out.write_bytes(data)
    draft = "  (draft: the campaign is still open)" if main.draft else ""
    pages = f"{main.pages} pages, " if main.pages else ""
    click.echo(f"wrote {out} ({pages}{main.size} bytes){draft}")
    click.echo(f"sha256 {main.sha256}")


@click.group("report", help="PDF reports: the bulletin (通报), units' reports; check a file.")
def report_cli():
    pass


@report_cli.command("bulletin")
@click.argument("campaign_id", type=int)
@click.option("--out", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              required=True, help="Where to write the PDF.")
def bulletin_command(campaign_id: int, out: Path):
    """Render CAMPAIGN's bulletin to a PDF (also kept, with its hash, on the server)."""
    campaign = _campaign(campaign_id)
    _make_and_store(campaign, out, lambda: report_service.make_bulletin(campaign))


@report_cli.command("unit")
@click.argument("campaign_id", type=int)
@click.argument("unit_id", type=int)
@click.option("--out", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              required=True, help="Where to write the PDF.")
def unit_command(campaign_id: int, unit_id: int, out: Path):
    """Render one unit's report of CAMPAIGN to a PDF."""
    campaign = _campaign(campaign_id)
    unit = report_service.unit_of(campaign, unit_id)
    if unit is None:
        raise click.ClickException(f"unit {unit_id} is not appraised in campaign {campaign_id}")
    _make_and_store(campaign, out, lambda: report_service.make_unit_report(campaign, unit))


@report_cli.command("units")
@click.argument("campaign_id", type=int)
@click.option("--out", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              required=True, help="Where to write the ZIP of every unit's PDF.")
def units_command(campaign_id: int, out: Path):
    """Render every unit's report of CAMPAIGN into a ZIP."""
    campaign = _campaign(campaign_id)

    def progress(done: int, total: int, message: str) -> None:
        click.echo(f"[{done}/{total}] {message}", err=True)

    _make_and_store(campaign, out, lambda: report_service.make_unit_reports(campaign, progress))


@report_cli.command("verify")
@click.argument("file", type=click.File("rb"))
def verify_command(file):
    """Say whether FILE is a document this platform made, unchanged. Exit status 1 if not."""
    found = document_service.find(file.read())
    if not found:
        click.echo("NOT FOUND: this file was not made by this platform, or it was changed")
        raise SystemExit(1)
    for document in found:
        when = document.created_at.strftime("%Y-%m-%d %H:%M UTC")
        draft = " (draft)" if document.draft else ""
        click.echo(f"OK: {document.kind_label}{draft} of campaign {document.campaign_id}, "
                   f"made {when}, rules sha256 {document.rules_sha256}, "
                   f"{document.ballots} ballots: {document.filename}")


@click.group("jobs", help="Report jobs.")
def jobs_cli():
    pass


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker_command(burst: bool):
    """Run report jobs from the Redis queue (JOBS_BACKEND=rq, REDIS_URL)."""
    from ..services.queue import work

    if not current_app.config.get("REDIS_URL"):
        raise click.ClickException("set REDIS_URL (and JOBS_BACKEND=rq on the web hosts)")
    tune_process_for_rendering()  # a process that only runs report jobs
    work(current_app._get_current_object(), burst=burst)


@cache
def _worker_app() -> Flask:
    from .. import create_app

    return create_app()


def run_job(job_id: str) -> None:
    """What an RQ worker runs (``services.queue`` enqueues it by name): the job, in the
    application's context — the worker's own, or one built here (``rq worker`` started
    outside ``flask``)."""
    from ..services.jobs import run

    if not has_app_context():  # `rq worker`: each job in a process forked for it
        tune_process_for_rendering()
        with _worker_app().app_context():
            run_job(job_id)
        return
    try:
        run(job_id)
    finally:
        db.session.remove()


@hookimpl
def register_commands(cli):
    cli.add_command(report_cli)
    cli.add_command(jobs_cli)
