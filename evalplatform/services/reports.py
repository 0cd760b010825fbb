"""Making the campaign's documents: the bulletin, one unit's report, every unit's report.

Each maker returns the results it used and the files it made (:class:`Made`), without
writing to the database: a report takes seconds to render, and on SQLite a transaction
that writes must be short. The caller (a job, a view, a command) then stores them with
:func:`~evalplatform.services.documents.store_all` in one short write transaction.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

from flask import current_app

from ..database import write_intent
from ..extensions import db
from ..i18n import N_
from ..i18n import gettext as _
from ..models import Campaign, Document, Job, Unit
from ..reports.bulletin import bulletin_filename, bulletin_html
from ..reports.official import Progress, render, safe_name
from ..reports.pdf import render_many
from ..reports.unit_report import unit_report_filename, unit_report_html, unit_report_pdf
from ..scoring.engine import campaign_results
from ..scoring.results import CampaignResults
from . import ServiceError, documents
from .documents import ZIP, Made, store_all

Output = tuple[CampaignResults, list[Made]]
#: A step of making every unit's report (stored in Chinese; translated where shown).
UNIT_STEP = N_("第 %(number)s/%(count)s 份：%(unit)s")


def _quiet(_done: int, _total: int, _message: str) -> None:
    pass


def _require_units(campaign: Campaign) -> None:
    if not campaign.campaign_units:
        raise ServiceError(_("评议活动还没有被评单位，无法生成报告。"))
    require_published(campaign)


def require_published(campaign: Campaign) -> None:
    """Documents show results, and an open campaign's results are sealed until it closes."""
    if campaign.status == "open":
        raise ServiceError(_("评议进行中，结果封存至评议结束：通报和各单位评议报告在评议结束后生成。"))


def make_bulletin(campaign: Campaign, progress: Progress = _quiet) -> Output:
    _require_units(campaign)
    progress(0, 4, N_("计算评议结果"))
    results = campaign_results(campaign)
    progress(1, 4, N_("组织通报内容"))
    html = bulletin_html(campaign, results)
    rendered = render(html, progress, 2, 4)
    return results, [Made("bulletin", rendered.data, bulletin_filename(campaign),
                          pages=rendered.pages)]


def unit_of(campaign: Campaign, unit_id: int) -> Unit | None:
    return next((u for u in campaign.units if u.id == unit_id), None)


def make_unit_report(campaign: Campaign, unit: Unit) -> Output:
    require_published(campaign)
    results = campaign_results(campaign)
    rendered = unit_report_pdf(campaign, unit, results)
    return results, [Made("unit_report", rendered.data,
                          unit_report_filename(campaign, unit),
                          pages=rendered.pages, unit_id=unit.id)]


def make_unit_reports(campaign: Campaign, progress: Progress = _quiet) -> Output:
    """Every unit's report, each kept on its own (so each can be checked when a unit
    forwards it) and all together in a ZIP, numbered in the campaign's unit order."""
    _require_units(campaign)
    units = campaign.units
    steps = len(units) + 2
    progress(0, steps, N_("计算评议结果"))
    results = campaign_results(campaign)
    made, buffer = [], io.BytesIO()
    # Laid out in worker processes (REPORT_PROCESSES) while the next units' HTML is made.
    processes = min(current_app.config["REPORT_PROCESSES"], len(units) // 4)
    htmls = (unit_report_html(campaign, unit, results) for unit in units)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for number, (unit, rendered) in enumerate(
                zip(units, render_many(htmls, processes), strict=True), start=1):
            progress(number, steps, UNIT_STEP % {"number": number, "count": len(units),
                                                 "unit": unit.name})
            name = unit_report_filename(campaign, unit, number)
            archive.writestr(name, rendered.data)
            made.append(Made("unit_report", rendered.data, name, pages=rendered.pages,
                             unit_id=unit.id))
    progress(steps - 1, steps, N_("打包"))
    bundle = Made("unit_reports", buffer.getvalue(),
                  safe_name(f"{campaign.title}-各单位评议报告") + ".zip", ZIP,
                  pages=sum(m.pages or 0 for m in made))
    return results, [bundle, *made]


def make_and_store(campaign: Campaign, make: Callable[[], Output], user=None, *,
                   kind: str | None = None, unit_id: int | None = None
                   ) -> tuple[Document, bytes]:
    """Make documents now (reading only: no write lock held while rendering), then store
    them in one short write transaction; the first document and its bytes. Commits.

    With ``kind`` (and ``unit_id``), a document already made from the same inputs is
    served instead, and nothing is made or stored: a download asked for again, or an API
    client fetching the bulletin in a loop, fills no storage."""
    with write_intent(False):
        if kind is not None:
            base = documents.inputs_of(campaign, campaign_results(campaign))
            found = documents.reusable(campaign, documents.document_inputs(base, kind, unit_id))
            if found is not None:
                db.session.commit()
                return found
        results, made = make()
        db.session.commit()
    with write_intent():
        stored = store_all(campaign, results, made, user)
        db.session.commit()
    return stored[0], made[0].data


def bulletin_now(campaign: Campaign, user=None) -> tuple[Document, bytes]:
    return make_and_store(campaign, lambda: make_bulletin(campaign), user, kind="bulletin")


def _bulletin_job(job: Job, campaign: Campaign, progress: Progress) -> Output:
    return make_bulletin(campaign, progress)


def _unit_reports_job(job: Job, campaign: Campaign, progress: Progress) -> Output:
    return make_unit_reports(campaign, progress)


#: What each kind of job does (see services.jobs).
RUNNERS: dict[str, Callable[[Job, Campaign, Progress], Output]] = {
    "bulletin": _bulletin_job,
    "unit_reports": _unit_reports_job,
}
