"""The bulletin (通报) and the units' reports, read back from the PDF as a reader would."""

from __future__ import annotations

import logging

import pytest

from evalplatform.extensions import db
from evalplatform.models import Campaign
from evalplatform.reports.letterhead import chinese_date
from evalplatform.scoring.engine import campaign_results
from evalplatform.services import ServiceError, campaigns
from evalplatform.services import reports as report_service
from evalplatform.testing import build_campaign, cast_ballot, pdfcheck

ISSUER = "中共某市委机关工委"
CATEGORIES = ("综合管理类", "执法监管类")
#: 44 units: the ranking table of the first category runs over more than one page.
UNIT_ROWS = [(f"第{n:02d}号科室", CATEGORIES[n % 2 == 0 and n > 30]) for n in range(1, 45)]
# satisfaction: 满意 100, 比较满意 80, 基本满意 60, 不太满意 40, 不满意 0, 不了解
PUBLIC, STAFF = "服务对象", "机关干部"


def vote(campaign: Campaign, plaintext: dict[str, list[str]], public: int = 6, staff: int = 2,
         comments: dict[str, str] | None = None) -> None:
    """``public`` ballots from 服务对象 (enough to count) and ``staff`` from 机关干部 (under
    the minimum of 5: suppressed); scores fall with the unit's number, with some noise."""
    def number(name: str) -> int:
        digits = "".join(c for c in name if c.isdigit())
        return int(digits[:2] or 0)

    for n, code in enumerate(plaintext[PUBLIC][:public]):
        cast_ballot(campaign, code, lambda name, _item, n=n: min(4, (number(name) + n) // 12),
                    comments=comments if n == 0 else None)
    for code in plaintext[STAFF][:staff]:
        cast_ballot(campaign, code, lambda _name, _item: 4)


def closed_campaign(unit_rows=UNIT_ROWS, title="2026年度机关作风建设满意度测评", **vote_args) -> Campaign:
    campaign, plaintext = build_campaign(unit_rows=unit_rows, title=title, codes_per_group=6)
    vote(campaign, plaintext, **vote_args)
    campaigns.close_campaign(campaign, None)
    db.session.commit()
    return campaign


@pytest.fixture
def closed(app):
    return closed_campaign(comments={"第01号科室": "窗口服务热情，建议延长午间办理时间。"})


def bulletin(campaign: Campaign) -> bytes:
    _, made = report_service.make_bulletin(campaign)
    return made[0].data


def test_bulletin_reads_as_an_official_document(closed):
    pdf = bulletin(closed)
    pages = pdfcheck.page_texts(pdf)
    assert len(pages) == pdfcheck.page_count(pdf) >= 3
    whole = pdfcheck.flat("".join(pages))
    results = campaign_results(closed)
    assert pdfcheck.in_order(
        whole, f"{ISSUER}文件", "〔2026〕10号", "关于2026年度机关作风建设满意度测评结果的通报",
        "各被评单位：",
        "根据工作安排", "共发放评议票12张，收回8张，参评率66.7%",
        "一、参评情况", "表1各评议主体参评情况", PUBLIC, STAFF, "合计", "二、评议结果",
        "（一）满意度测评", "表2满意度测评·综合管理类", "表3满意度测评·执法监管类",
        "三、排名末位的单位", "各单位要正确对待评议结果", ISSUER, chinese_date(closed.closed_at.date()),
        "附件：评分规则与核验方法", results.rules_sha256, f"resultsverify{closed.id}")
    assert "征求意见稿" not in whole  # closed: the final text


def test_the_bulletin_is_laid_out_as_gb_t_9704_says(closed):
    """仿宋 body, a bold song face for the 发文机关标志 and the title, 黑体 and 楷体
    headings, page numbers "— n —" at the outer edge, no running header, the 版记 at the
    foot of the last page; A4 pages."""
    pdf = bulletin(closed)
    names = {f["name"].split("+")[-1] for f in pdfcheck.fonts(pdf)}
    # (the Fandol faces are embedded under their @font-face names, official.css)
    assert {"GB-Fang", "GB-Hei", "GB-Kai", "Noto-Serif-CJK-SC-Bold"} <= names
    layout = pdfcheck.page_texts(pdf, layout=True)
    title = "关于2026年度机关作风建设满意度测评结果的通报"
    for number, text in enumerate(layout, start=1):
        lines = [line for line in text.splitlines() if line.strip()]
        assert lines[-1].replace(" ", "") == f"—{number}—"  # the last line: the page number
        indent = len(lines[-1]) - len(lines[-1].lstrip())
        width = max(len(line.rstrip()) for line in lines)
        # odd pages at the right edge, even ones at the left
        assert (indent > width / 2) == (number % 2 == 1), (number, lines[-1], width)
        if number > 1:  # no running header repeating the title
            assert title not in pdfcheck.flat(lines[0])
    last = pdfcheck.flat(layout[-1])
    assert pdfcheck.in_order(last, "附件：评分规则与核验方法",
                             f"{ISSUER}{chinese_date(closed.closed_at.date())}印发")
    assert "第1页" not in pdfcheck.flat("".join(layout))
    assert pdfcheck.page_size_mm(pdf) == (210, 297)


def test_long_tables_repeat_their_header_and_never_split_a_row(closed):
    pdf = bulletin(closed)
    pages = [pdfcheck.flat(text) for text in pdfcheck.page_texts(pdf)]
    scheme = campaign_results(closed).schemes["satisfaction"]
    header = "排名单位得分95%区间满意率等次有效票标记"
    table_pages = set()
    for unit in scheme.units:
        row = f"{unit.rank}{unit.unit}{unit.score:.2f}"
        found = [n for n, text in enumerate(pages) if row in text]
        assert len(found) == 1, f"row of {unit.unit} is not whole on one page"
        table_pages.add(found[0])
    assert len(table_pages) >= 2, "the test needs a table over more than one page"
    for n in table_pages:
        assert header in pages[n], f"page {n + 1} continues a table without its header"


def test_every_character_is_rendered_by_an_embedded_font(closed):
    pdf = bulletin(closed)
    pdfcheck.assert_all_glyphs_rendered(pdf)
    assert all(f["embedded"] for f in pdfcheck.fonts(pdf))


def test_an_open_campaigns_bulletin_waits_for_the_close_and_a_draft_is_marked(app):
    campaign, plaintext = build_campaign(unit_rows=UNIT_ROWS[:6], codes_per_group=6)
    vote(campaign, plaintext)
    with pytest.raises(ServiceError, match="结果封存至评议结束"):
        bulletin(campaign)
    draft, _ = build_campaign(status="draft", unit_rows=UNIT_ROWS[:6], title="草稿活动")
    whole = pdfcheck.flat("".join(pdfcheck.page_texts(bulletin(draft))))
    assert "征求意见稿·评议尚未结束，结果可能变化，不得印发" in whole


def test_bottom_units_say_whether_they_differ_from_the_next(closed):
    scheme = campaign_results(closed).schemes["satisfaction"]
    bottom = [u for u in scheme.units if "bottom" in u.flags]
    assert bottom
    whole = pdfcheck.flat("".join(pdfcheck.page_texts(bulletin(closed))))
    section = whole[whole.index("三、排名末位的单位"):whole.index("各单位要正确对待")]
    for unit in bottom:
        assert f"{unit.unit}（{unit.category}，第{unit.rank}名/共{unit.ranked_in}个" in section
        verdict = "在统计上无法区分" if "bottom_uncertain" in unit.flags else "差异在统计上显著"
        assert verdict in section[section.index(unit.unit):]


def test_unit_report_breaks_down_by_group_and_keeps_small_groups_hidden(closed):
    unit = next(u for u in closed.units if u.name == "第01号科室")
    _, made = report_service.make_unit_report(closed, unit)
    pdf = made[0].data
    whole = pdfcheck.flat("".join(pdfcheck.page_texts(pdf)))
    result = campaign_results(closed).schemes["satisfaction"].unit(unit.id)
    assert pdfcheck.in_order(whole, "单位评议报告", "第01号科室", "一、满意度测评", f"{result.score:.2f}",
                             "各评议主体评分", PUBLIC, STAFF, "不足5人，不显示", "各评价项目",
                             "二、评议意见", "窗口服务热情，建议延长午间办理时间。", "附：评分规则与核验")
    staff_row = whole[whole.index(STAFF, whole.index("各评议主体评分")):whole.index("各评价项目")]
    assert "0.00" not in staff_row  # 机关干部 gave 不满意 (0): never shown for two raters
    pdfcheck.assert_all_glyphs_rendered(pdf)


def test_user_text_is_printed_literally_and_makes_the_renderer_fetch_nothing(app, monkeypatch,
                                                                               caplog):
    from evalplatform.reports import pdf as pdf_module

    fetched = []
    fetcher = pdf_module._fetcher_class()
    original = fetcher.fetch

    def spy(self, url, headers=None):
        fetched.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(fetcher, "fetch", spy)
    title = '评议<img src="file:///etc/passwd">'
    unit = '<img src="http://192.0.2.1/x.png">窗口'
    comment = '<link rel="attachment" href="file:///etc/passwd">好'
    campaign = closed_campaign(unit_rows=[(unit, "服务窗口类"), ("办公室", "服务窗口类")],
                               title=title, comments={unit: comment})
    caplog.set_level(logging.WARNING)
    pdfs = [bulletin(campaign)]
    target = next(u for u in campaign.units if u.name == unit)
    pdfs.append(report_service.make_unit_report(campaign, target)[1][0].data)
    for data in pdfs:
        assert b"root:x:0:0" not in data
        text = pdfcheck.flat("".join(pdfcheck.page_texts(data)))
        assert pdfcheck.flat(unit) in text
    assert pdfcheck.flat(title) in pdfcheck.flat("".join(pdfcheck.page_texts(pdfs[0])))
    assert pdfcheck.flat(comment) in pdfcheck.flat("".join(pdfcheck.page_texts(pdfs[1])))
    fonts = tuple(folder.as_uri() for folder in pdf_module.FONT_DIRS)  # official.css's
    assert all(url.startswith((pdf_module.BASE_URL, *fonts)) for url in fetched), fetched
    assert not [r for r in caplog.records if "refused" in r.getMessage()]


def test_units_reports_laid_out_in_worker_processes_read_the_same(app):
    """REPORT_PROCESSES > 1 lays the reports out in spawned processes; what comes back is
    each unit's own report, in the campaign's order, word for word as in-process."""
    campaign = closed_campaign(unit_rows=UNIT_ROWS[:8])
    texts = {}
    for processes in (1, 2):
        app.config["REPORT_PROCESSES"] = processes
        _, made = report_service.make_unit_reports(campaign)
        texts[processes] = [(m.unit_id, m.pages, pdfcheck.page_texts(m.data)) for m in made[1:]]
    assert [unit_id for unit_id, _, _ in texts[2]] == [u.id for u in campaign.units]
    for unit, (_, _, pages) in zip(campaign.units, texts[2], strict=True):
        assert unit.name in pdfcheck.flat(pages[0])
    strip_time = [(u, n, [line for p in pages for line in p.splitlines() if "生成" not in line])
                  for u, n, pages in texts[1]]
    assert strip_time == [(u, n, [line for p in pages for line in p.splitlines()
                                  if "生成" not in line]) for u, n, pages in texts[2]]
