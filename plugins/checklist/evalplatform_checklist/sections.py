"""What the checklist scheme adds to the results page and the bulletin (the scores behind
each unit's result, the rectification status with the overdue items listed) and to one
unit's page and report (its findings item by item, its rectification list). Pages get
them in the reader's language; the bulletin and reports are made in Chinese."""

from __future__ import annotations

from flask import has_request_context, url_for
from markupsafe import Markup, escape

from evalplatform.i18n import gettext as _
from evalplatform.i18n import ngettext
from evalplatform.models import Campaign
from evalplatform.scoring import ReportSection
from evalplatform.scoring.results import CampaignResults

from . import reviews
from .labels import shown
from .models import FAILED, OVERDUE, STATUSES
from .reviews import ReviewData

STATUS_CLASS = {"未开始": "flag", "整改中": "flag flag-bottom_uncertain", "已完成": "flag",
                OVERDUE: "flag flag-bottom"}


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _as_of(data: ReviewData) -> str:
    """The date the rectification status is judged at (escaped)."""
    when = data.as_of.isoformat()
    return str(escape(_("%(date)s（评议活动结束日）", date=when) if data.frozen else when))


def _count(status: str, count: int) -> str:
    """“已完成 3 项”."""
    return str(escape(_("%(status)s %(count)s 项", status=shown(status), count=count)))


def _table(heads: list[tuple[str, bool]], rows: list[list], caption: str) -> str:
    """A table in the style of the core's ranking tables: the first column holds the unit
    (kept in view when the table scrolls sideways); ``heads`` are (heading, numeric)."""
    numeric = ' class="num"'
    head = "".join(f'<th class="unit-col">{escape(h)}</th>' if n == 0 else
                   f"<th{numeric if num else ''}>{escape(h)}</th>" for n, (h, num) in enumerate(heads))
    body = []
    for row in rows:
        cells = "".join(f'<th scope="row" class="unit-col">{cell}</th>' if n == 0 else
                        f"<td{numeric if num else ''}>{cell}</td>"
                        for n, ((_, num), cell) in enumerate(zip(heads, row, strict=True)))
        body.append(f"<tr>{cells}</tr>")
    return (f'<div class="table-scroll" role="region" aria-label="{escape(caption)}" tabindex="0">'
            f'<table class="table ranking"><caption class="visually-hidden">{escape(caption)}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>")


def score_details(campaign: Campaign, results: CampaignResults, config: dict,
                  data: ReviewData) -> str:
    mine = results.schemes[reviews.KEY]
    other_key = config.get("combine_with")
    other = results.schemes.get(other_key) if other_key else None
    total = sum(len(entry["items"]) for entry in config["lists"])
    heads = [(_("单位"), False), (_("已检查"), True), (_("不符合"), True), (_("扣分"), True),
             (_("检查得分"), True)]
    if other is not None:
        heads += [(_("%(scheme)s得分", scheme=other.title), True), (_("得分"), True)]
    rows = []
    for unit in campaign.units:
        found = data.units.get(unit.id)
        reviewed = found.reviewed if found else 0
        checklist = max(0.0, 100 - found.deduction) if reviewed else None
        row = [escape(unit.name), f"{reviewed}/{total}",
               str(found.failed if found else 0), _num(found.deduction if found else None),
               _num(checklist)]
        if other is not None:
            survey = other.unit(unit.id)
            ranked = mine.unit(unit.id)
            row += [_num(survey.score if survey else None), _num(ranked.score if ranked else None)]
        rows.append(row)
    return _table(heads, rows, _("各单位检查得分"))


def rectification_summary(data: ReviewData, ledger_url: str | None) -> str:
    counts = data.status_counts()
    total = sum(counts.values())
    parts = ["<p>" + _("截至 %(date)s，整改事项共 %(count)s 项：", date=_as_of(data),
                       count=f"<strong>{total}</strong>")
             + " ".join(f'<span class="{STATUS_CLASS[s]}">{_count(s, counts[s])}</span>'
                        for s in (*STATUSES, OVERDUE))
             + '</p><p class="muted small">'
             + _("逾期指超过整改时限仍未完成；逾期的事项不再计入未开始或整改中。") + "</p>"]
    by_unit: dict[str, list[int]] = {}
    for row in data.ledger:
        tally = by_unit.setdefault(row.unit, [0, 0, 0])
        tally[0] += 1
        tally[1] += row.status == "已完成"
        tally[2] += row.status == OVERDUE
    if by_unit:
        parts.append(_table([(_("单位"), False), (_("整改事项"), True), (shown("已完成"), True),
                             (shown(OVERDUE), True)],
                            [[escape(name), str(a), str(b), str(c) if c else "—"]
                             for name, (a, b, c) in by_unit.items()], _("各单位整改情况")))
    overdue = [row for row in data.ledger if row.status == OVERDUE]
    if overdue:
        parts.append("<h4>" + _("逾期未完成的整改事项") + "</h4><ol>")
        for row in overdue:
            late = (data.as_of - row.deadline).days if row.deadline else 0
            details = ngettext("责任人 %(who)s，整改时限 %(deadline)s，逾期 %(num)s 天",
                               "责任人 %(who)s，整改时限 %(deadline)s，逾期 %(num)s 天", late,
                               who=escape(row.responsible or "—"),
                               deadline=row.deadline.isoformat() if row.deadline else "—")
            item = _("%(unit)s：%(problem)s", unit=f"<strong>{escape(row.unit)}</strong>",
                     problem=escape(row.problem))
            parts.append(f'<li>{item}<br><span class="muted small">{details}</span></li>')
        parts.append("</ol>")
    elif total:
        parts.append('<p class="muted">' + _("没有逾期未完成的整改事项。") + "</p>")
    if ledger_url:
        parts.append(f'<p><a class="button small" href="{escape(ledger_url)}">'
                     + _("打开整改台账") + "</a></p>")
    return "".join(parts)


def sections(campaign: Campaign, results: CampaignResults) -> list[ReportSection]:
    config = reviews.campaign_config(campaign)
    if config is None or reviews.KEY not in results.schemes:
        return []
    data = reviews.scoring_data(campaign, config)
    details = score_details(campaign, results, config, data)
    # a link on the page; none when built outside a request (a PDF from the command line)
    ledger_url = url_for("checklist.ledger", campaign_id=campaign.id) if has_request_context() else None
    return [
        ReportSection(_("各单位检查得分"), Markup(details), ("page", "bulletin")),  # noqa: S704
        ReportSection(_("整改情况"), Markup(rectification_summary(data, ledger_url)),  # noqa: S704
                      ("page",)),
        ReportSection(_("整改情况"), Markup(rectification_summary(data, None)),  # noqa: S704
                      ("bulletin",)),
    ]


# -- one unit ------------------------------------------------------------------------------

UNIT_PLACES = ("unit_page", "unit_report")


def _plain_table(heads: list[tuple[str, bool]], rows: list[list[str]], caption: str) -> str:
    """A plain table (``heads`` are (heading, numeric)); cells are markup already."""
    numeric = ' class="num"'
    head = "".join(f"<th{numeric if num else ''}>{escape(h)}</th>" for h, num in heads)
    body = "".join("<tr>" + "".join(f"<td{numeric if num else ''}>{cell}</td>"
                                    for (_, num), cell in zip(heads, row, strict=True)) + "</tr>"
                   for row in rows)
    return (f'<div class="table-scroll" role="region" aria-label="{escape(caption)}" tabindex="0">'
            f'<table class="table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>')


def unit_review(campaign: Campaign, results: CampaignResults, config: dict, data: ReviewData,
                unit) -> str:
    """The unit's findings, item by item in checklist order, and its checklist score."""
    found = data.units.get(unit.id)
    total = sum(len(entry["items"]) for entry in config["lists"])
    reviewed = found.reviewed if found else 0
    if not reviewed:
        return "<p>" + _("%(unit)s尚未对照检查（检查表共 %(total)s 项），不计算检查得分。",
                         unit=escape(unit.name), total=total) + "</p>"
    deduction = found.deduction
    parts = ["<p>" + _("%(unit)s检查得分 %(score)s（100 − 扣分 %(deduction)s）；"
                       "已检查 %(reviewed)s/%(total)s 项，不符合 %(failed)s 项。", unit=escape(unit.name),
                       score=f"<strong>{_num(max(0.0, 100 - deduction))}</strong>",
                       deduction=_num(deduction), reviewed=reviewed, total=total,
                       failed=found.failed)]
    other_key = config.get("combine_with")
    other = results.schemes.get(other_key) if other_key else None
    ranked = results.schemes[reviews.KEY].unit(unit.id)
    if other is not None and ranked is not None:
        parts.append(_("与%(scheme)s合成后得分 %(score)s。", scheme=escape(other.title),
                       score=f"<strong>{_num(ranked.score)}</strong>"))
    parts.append("</p>")
    entries = reviews.unit_entries(campaign, unit)
    rows = []
    for lst in config["lists"]:
        for item in lst["items"]:
            entry = entries.get((lst["key"], item["key"]))
            if entry is None:
                continue
            result = escape(shown(entry.result))
            if entry.result == FAILED:
                result = f"<strong>{result}</strong>"
            rows.append([escape(lst["title"]), escape(entry.item_text), result,
                         _num(entry.deduction) if entry.deduction else "—",
                         escape(entry.note) if entry.note else "—"])
    heads = [(_("检查表"), False), (_("检查项目"), False), (_("结果"), False), (_("扣分"), True),
             (_("检查情况"), False)]
    parts.append(_plain_table(heads, rows, _("%(unit)s 对照检查结果", unit=unit.name)))
    if reviewed < total:
        parts.append('<p class="hint">' + _("尚有 %(count)s 项未检查。", count=total - reviewed)
                     + "</p>")
    return "".join(parts)


def unit_ledger(data: ReviewData, unit) -> str:
    """The unit's rectification list (整改台账) as of the date its results are judged at."""
    rows = [row for row in data.ledger if row.unit_id == unit.id]
    if not rows:
        return "<p>" + _("截至 %(date)s，%(unit)s没有整改事项。", date=_as_of(data),
                         unit=escape(unit.name)) + "</p>"
    counts = {status: sum(row.status == status for row in rows) for status in (*STATUSES, OVERDUE)}
    parts = ["<p>" + _("截至 %(date)s，%(unit)s整改事项共 %(count)s 项：", date=_as_of(data),
                       unit=escape(unit.name), count=f"<strong>{len(rows)}</strong>")
             + " ".join(f'<span class="{STATUS_CLASS[s]}">{_count(s, n)}</span>'
                        for s, n in counts.items() if n) + "</p>"]
    table = []
    for n, row in enumerate(rows, start=1):
        status = f'<span class="{STATUS_CLASS[row.status]}">{escape(shown(row.status))}</span>'
        deadline = row.deadline.isoformat() if row.deadline else "—"
        if row.status == OVERDUE and row.deadline:
            status += "<br>" + ngettext("逾期 %(num)s 天", "逾期 %(num)s 天",
                                        (data.as_of - row.deadline).days)
        table.append([str(n), escape(row.problem), escape(row.measure or "—"),
                      escape(row.responsible or "—"), deadline, status])
    heads = [(_("序号"), True), (_("问题"), False), (_("整改措施"), False), (_("责任人"), False),
             (_("整改时限"), False), (_("状态"), False)]
    parts.append(_plain_table(heads, table, _("%(unit)s 整改台账", unit=unit.name)))
    note = _("逾期指超过整改时限仍未完成。")
    if data.frozen:
        note += _("评议结果按评议活动结束日的整改情况计算；此后的整改进展见整改台账页面。")
    parts.append(f'<p class="hint">{note}</p>')
    return "".join(parts)


def unit_sections(campaign: Campaign, results: CampaignResults, unit_id: int
                  ) -> list[ReportSection]:
    config = reviews.campaign_config(campaign)
    unit = reviews.check_unit(campaign, unit_id)
    if config is None or reviews.KEY not in results.schemes or unit is None:
        return []
    data = reviews.scoring_data(campaign, config)
    return [
        ReportSection(_("对照检查情况"), Markup(unit_review(campaign, results, config, data, unit)),  # noqa: S704
                      UNIT_PLACES),
        ReportSection(_("整改台账"), Markup(unit_ledger(data, unit)), UNIT_PLACES),  # noqa: S704
    ]
