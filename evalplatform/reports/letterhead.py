"""The words around a bulletin's results: title, recipients, opening and closing text,
signature and date, as an admin wrote them for the campaign.

Admins may put placeholders in these texts (``{{ 评议票数 }}``). The text is user input
and is treated as such: it is parsed by Jinja's immutable sandbox, and only a bare
placeholder from :data:`PLACEHOLDERS` is allowed — no statements, filters, calls or
attribute access — so nothing an admin types can loop or reach the server's objects.
The parsed parts are then filled in by hand, each escaped: the typed text is text, not
markup. Blank lines become paragraphs. The placeholders' names are Chinese in every
language (they are what admins type); their descriptions are translated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache

from jinja2 import StrictUndefined, TemplateSyntaxError, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup, escape

from ..i18n import gettext as _
from ..i18n import lazy_gettext
from ..models import Campaign, ReportSettings
from ..scoring.results import CampaignResults
from . import labels

#: The placeholders a letterhead text may use, with what each stands for.
PLACEHOLDERS = {
    "活动名称": lazy_gettext("评议活动的名称"),
    "发文机关": lazy_gettext("发文机关（主办单位）"),
    "文号": lazy_gettext("发文字号"),
    "评议时间": lazy_gettext("评议起止日期，如“2026年10月8日至10月31日”"),
    "被评单位数": lazy_gettext("被评单位的个数"),
    "评议主体数": lazy_gettext("评议主体的个数"),
    "发放数": lazy_gettext("发放的访问码张数"),
    "评议票数": lazy_gettext("收回的评议票张数"),
    "参评率": lazy_gettext("收回张数占发放张数的比例"),
    "成文日期": lazy_gettext("通报的成文日期"),
}

DEFAULTS = {
    "title": "关于{{ 活动名称 }}结果的通报",
    "recipients": "各被评单位：",
    "opening": ("根据工作安排，{{ 发文机关 }}于{{ 评议时间 }}组织开展了{{ 活动名称 }}。"
                "本次评议共发放评议票 {{ 发放数 }} 张，收回 {{ 评议票数 }} 张，参评率 {{ 参评率 }}。"
                "现将评议结果通报如下。"),
    "closing": ("各单位要正确对待评议结果，对照评议中反映的问题认真查找不足，制定整改措施，"
                "明确整改时限和责任人员，切实抓好整改落实。排名末位的单位要深刻剖析原因，"
                "于本通报印发之日起 15 个工作日内将整改情况书面报送{{ 发文机关 }}。"),
    "signature": "{{ 发文机关 }}",
}

#: The longest text an admin may enter per field (the form says so too).
MAX_TEXT = 4000


class LetterheadError(ValueError):
    """A text with a placeholder that does not exist or with template code."""


@cache
def _environment() -> ImmutableSandboxedEnvironment:
    return ImmutableSandboxedEnvironment(autoescape=True, undefined=StrictUndefined)


def _parts(text: str) -> list[tuple[bool, str]]:
    """The text as (is_placeholder, literal text or placeholder name) parts; raises
    LetterheadError (with a message for the admin) for anything but bare placeholders."""
    try:
        tree = _environment().parse(text)
    except TemplateSyntaxError as error:
        raise LetterheadError(_("占位符写法有误（第 %(line)s 行）：%(problem)s。"
                                "占位符的写法是 {{ 评议票数 }}。", line=error.lineno,
                                problem=error.message)) from None
    parts = []
    for node in tree.body:
        if not isinstance(node, nodes.Output):
            raise LetterheadError(_("只能使用 {{ 名称 }} 形式的占位符，不能使用 {% … %} 语句。"))
        for part in node.nodes:
            if isinstance(part, nodes.TemplateData):
                parts.append((False, part.data))
                continue
            if not isinstance(part, nodes.Name) or part.ctx != "load":
                raise LetterheadError(_("占位符只能是名称本身，如 {{ 评议票数 }}，"
                                        "不能带运算、过滤器或属性。"))
            if part.name not in PLACEHOLDERS:
                raise LetterheadError(_("没有名为“%(name)s”的占位符。可用的占位符：%(names)s。",
                                        name=part.name, names=_("、").join(PLACEHOLDERS)))
            parts.append((True, part.name))
    return parts


def check_text(text: str) -> None:
    """Raise LetterheadError unless the text uses nothing but placeholders."""
    _parts(text)


def _fill(text: str, values: dict[str, str]) -> Markup:
    """The text with its placeholders filled in, every part of it escaped: what the admin
    typed is text, never markup (Jinja would pass the typed text through unescaped)."""
    return Markup("").join(escape(values[name] if placeholder else name)
                           for placeholder, name in _parts(text))


def render_text(text: str, values: dict[str, str]) -> Markup:
    """The text filled in; lines kept, blank lines → paragraphs."""
    filled = _fill(text.replace("\r\n", "\n"), values)
    return Markup("").join(Markup("<p>{}</p>").format(Markup("<br>").join(p.strip().split("\n")))
                           for p in filled.split("\n\n") if p.strip())


def render_line(text: str, values: dict[str, str]) -> Markup:
    """A one-line text (title, recipients, signature) filled in."""
    return _fill(" ".join(text.split()), values)


def chinese_date(day: date | None) -> str:
    return "" if day is None else f"{day.year}年{day.month}月{day.day}日"


def _period(campaign: Campaign) -> str:
    start, end = campaign.period_start, campaign.period_end
    if start and end:
        tail = f"{end.month}月{end.day}日" if end.year == start.year else chinese_date(end)
        return f"{chinese_date(start)}至{tail}"
    return chinese_date(start or end) or "评议期间"


def values(campaign: Campaign, results: CampaignResults, issued_on: date) -> dict[str, str]:
    """Each placeholder's text for this campaign and its results."""
    issued = sum(p.issued for p in results.participation)
    used = sum(p.used for p in results.participation)
    return {
        "活动名称": campaign.title,
        "发文机关": campaign.issuer or "",
        "文号": campaign.doc_number or "",
        "评议时间": _period(campaign),
        "被评单位数": str(len(campaign.campaign_units)),
        "评议主体数": str(len(campaign.groups)),
        "发放数": str(issued),
        "评议票数": str(results.ballots),
        "参评率": labels.percent(used / issued if issued else None),
        "成文日期": chinese_date(issued_on),
    }


#: The 版心's width, 156 mm, in points.
MEASURE_PT = 156 / 25.4 * 72


@dataclass(frozen=True)
class Letterhead:
    """The bulletin's texts, placeholders filled in and escaped."""

    issuer: str
    doc_number: str
    title: Markup
    plain_title: str
    recipients: Markup
    opening: Markup
    closing: Markup
    signature: Markup
    issued_on: date
    copy_to: str

    @property
    def mark(self) -> str:
        """发文机关标志: the issuing body followed by 文件 (GB/T 9704-2012 7.2.2)."""
        if not self.issuer:
            return ""
        return self.issuer if self.issuer.endswith("文件") else f"{self.issuer}文件"

    @property
    def mark_size(self) -> float:
        """The 发文机关标志's size in points: as large as 32 pt while it fits the 156 mm
        line, smaller for a long name, down to 18 pt (then it takes two lines)."""
        return round(max(18.0, min(32.0, MEASURE_PT / max(len(self.mark), 1) - 1)), 1)


def settings_text(settings: ReportSettings | None, field: str) -> str:
    """The admin's text for a field, or the default when none was written."""
    text = getattr(settings, field, "") if settings is not None else ""
    return text if text and text.strip() else DEFAULTS.get(field, "")


def letterhead(campaign: Campaign, results: CampaignResults, settings: ReportSettings | None,
               today: date) -> Letterhead:
    issued_on = (settings.issued_on if settings and settings.issued_on else
                 campaign.closed_at.date() if campaign.closed_at else today)
    filled = values(campaign, results, issued_on)
    title = render_line(settings_text(settings, "title"), filled)
    return Letterhead(
        issuer=campaign.issuer or "",
        doc_number=campaign.doc_number or "",
        title=title,
        plain_title=title.striptags(),
        recipients=render_line(settings_text(settings, "recipients"), filled),
        opening=render_text(settings_text(settings, "opening"), filled),
        closing=render_text(settings_text(settings, "closing"), filled),
        signature=render_line(settings_text(settings, "signature"), filled),
        issued_on=issued_on,
        copy_to=settings.copy_to if settings else "",
    )
