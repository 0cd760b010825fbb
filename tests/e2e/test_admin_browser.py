"""The admin in a real browser: log in, import units from a sheet, create a campaign and
set it up, issue codes and download the slips, watch participation rise on the dashboard
without reloading, close the campaign, make the bulletin with its progress bar and download
it."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import openpyxl
from e2e_helpers import flash, login, pdf_text
from playwright.sync_api import expect
from sqlalchemy import select

from evalplatform.extensions import db
from evalplatform.models import Campaign
from evalplatform.testing import ADMIN_PASSWORD, cast_ballot

TITLE = "2026年度市直机关作风建设满意度测评"
UNITS = [("办公室", "综合管理类", 1), ("政策法规科", "综合管理类", 2),
         ("建设工程质量监督站", "执法监管类", 3), ("城建监察大队", "执法监管类", 4),
         ("行政审批服务窗口", "服务窗口类", 5)]


def sheet(path) -> str:
    book = openpyxl.Workbook()
    rows = book.active
    rows.append(["名称", "序列", "排序"])
    for row in UNITS:
        rows.append(list(row))
    book.save(path)
    return str(path)


def row(page, campaign_id: int, group: str, field: str) -> str:
    return page.locator(f'[data-campaign="{campaign_id}"] tr[data-group="{group}"] '
                        f'[data-field="{field}"]').inner_text()


def test_admin_runs_a_campaign(server, open_session, admin_user, tmp_path):
    desk = open_session("admin")
    page = desk.page
    login(page, "admin", ADMIN_PASSWORD)
    assert page.url.endswith("/admin/")
    desk.shot("logged in")

    # units from an Excel sheet
    page.get_by_role("navigation", name="管理导航").get_by_role("link", name="被评单位").click()
    page.get_by_role("link", name="从 Excel/CSV 导入").click()
    page.get_by_label("表格文件（.xlsx 或 .csv）").set_input_files(sheet(tmp_path / "units.xlsx"))
    desk.shot("import sheet chosen")
    page.get_by_role("button", name="上传并导入").click()
    assert flash(page) == "导入完成：新增 5 个单位，更新 0 个。"
    for name, category, _ in UNITS:
        assert page.get_by_role("row").filter(has_text=name).filter(has_text=category).count() == 1
    desk.shot("units imported", full_page=True)

    # a campaign: settings, units, rater groups, questionnaire, open
    page.goto("/admin/")
    page.get_by_role("link", name="新建评议活动").click()
    page.get_by_label("评议活动名称").fill(TITLE)
    page.get_by_label("主办单位").fill("中共某市委机关工委")
    page.get_by_label("文号").fill("〔2026〕10号")
    page.get_by_role("button", name="创建").click()
    assert "评议活动已创建" in flash(page)
    page.get_by_role("button", name="全选所有单位").click()  # nothing is ticked for a first
    page.get_by_role("button", name="全不选：执法监管类").click()  # campaign; one category out
    page.get_by_role("button", name="全选：执法监管类").click()  # and back in
    page.get_by_role("button", name="保存").click()
    assert flash(page) == "已选择 5 个被评单位。"
    page.get_by_role("link", name="评议主体").click()
    for name, weight in (("服务对象", "0.6"), ("机关干部", "0.4")):
        form = page.locator("form", has=page.get_by_role("button", name="添加"))
        form.get_by_label("评议主体").fill(name)
        form.get_by_label("权重").fill(weight)
        page.get_by_role("button", name="添加").click()
        assert flash(page) == f"已添加评议主体“{name}”。"
    page.get_by_role("link", name="评议表").click()
    page.get_by_label("评议表模板").select_option(label="满意度测评（总体评价）")
    page.get_by_role("button", name="生成评议表").click()
    assert flash(page) == "已按模板生成评议表。"
    desk.shot("questionnaire")
    page.get_by_role("link", name="概况").click()
    page.get_by_role("button", name="开始评议…").click()  # says what opening freezes first
    assert page.get_by_text("此后不能再修改").is_visible()
    desk.shot("confirm opening")
    page.get_by_role("button", name="确认开始评议").click()
    assert flash(page) == "评议活动已开始，访问码即可使用。"
    desk.shot("campaign opened")
    campaign_id = db.session.scalar(select(Campaign.id).where(Campaign.title == TITLE))
    db.session.commit()

    # codes: the one download, with the printable slips
    page.get_by_role("link", name="访问码").click()
    # served on 127.0.0.1: slips would point at this machine, and the page says so
    assert page.get_by_text("评议人的手机打不开本机地址。").is_visible()
    plaintext = {}
    batches = page.locator("section", has=page.get_by_role("heading", name="发放记录"))
    for n, (group, count) in enumerate((("服务对象", "6"), ("机关干部", "5")), start=1):
        page.get_by_label("评议主体").select_option(label=group)
        page.get_by_label("数量").fill(count)
        page.get_by_label("我只在本机试用，仍然生成").check()
        with page.expect_download() as download:
            page.get_by_role("button", name="生成并下载").click()
            # one click, one batch: the button waits, a progress bar estimates the time
            assert page.get_by_role("button", name="生成并下载").is_disabled()
            assert page.locator(".issue-progress progress").is_visible()
            state = page.locator(".issue-state").inner_text()  # a small batch is quick
            assert state.startswith(f"正在生成{count} 个访问码和二维码纸条，预计约 ") or \
                state == "已开始下载。请妥善保存下载的文件。"
            if n == 1:
                desk.shot("codes being made")
        with zipfile.ZipFile(io.BytesIO(Path(download.value.path()).read_bytes())) as archive:
            files = {name: archive.read(name) for name in archive.namelist()}
        slips = next(data for name, data in files.items() if name.endswith("-slips.pdf"))
        listing = next(data for name, data in files.items() if name.endswith(".csv"))
        rows = list(csv.DictReader(io.StringIO(listing.decode("utf-8-sig"))))
        plaintext[group] = [r["code"] for r in rows]
        assert len(rows) == int(count) and {r["rater_group"] for r in rows} == {group}
        slip_text = pdf_text(slips)
        assert rows[0]["code"] in slip_text and f"评议主体：{group}" in slip_text
        # the download started: the page shows the new batch by itself
        expect(batches.locator("tbody tr")).to_have_count(n)
        expect(page.get_by_role("button", name="生成并下载")).to_be_enabled()
    assert batches.locator("tbody tr").first.get_by_role("cell", name="机关干部").count() == 1
    desk.shot("codes issued")

    # the dashboard: progress per rater group, live while ballots come in
    dash = desk.new_page()
    dash.clock.install()
    dash.goto("/admin/")
    card = dash.locator(f'[data-campaign="{campaign_id}"]')
    assert card.locator('[data-field="summary"]').inner_text() == "参评 0 / 11（0.0%）"
    assert row(dash, campaign_id, "服务对象", "issued") == "6"
    assert card.locator(".live-note").is_visible()
    desk.shot("dashboard before ballots", dash)

    phone = open_session("respondent", phone=True).page  # one ballot from a phone
    phone.goto(f"/s/{plaintext['服务对象'][0]}")
    for fieldset in phone.locator("fieldset.item").all():
        fieldset.locator("label.option").first.click()
    phone.get_by_role("button", name="提交评议").click()
    phone.wait_for_url("**/done")
    campaign = db.session.get(Campaign, campaign_id)
    for code in (plaintext["服务对象"][1], plaintext["机关干部"][0]):
        cast_ballot(campaign, code, lambda unit, item: 1)
    assert row(dash, campaign_id, "服务对象", "used") == "0"  # not reloaded yet
    dash.clock.fast_forward(10_500)
    card.locator('[data-field="summary"]').filter(has_text="参评 3 / 11").wait_for()
    assert card.locator('[data-field="summary"]').inner_text() == "参评 3 / 11（27.3%）"
    assert row(dash, campaign_id, "服务对象", "used") == "2"
    assert row(dash, campaign_id, "服务对象", "rate") == "33.3%"
    assert row(dash, campaign_id, "机关干部", "used") == "1"
    assert card.locator('tr[data-group="服务对象"] progress').evaluate("p => p.value") == 2
    desk.shot("dashboard live after ballots", dash)
    dash.close()

    # close, then the bulletin: made in the background with a progress bar, downloaded
    page.goto(f"/admin/campaigns/{campaign_id}")
    page.get_by_role("button", name="结束评议…").click()
    assert page.get_by_text("个访问码未使用，结束后不能再使用").is_visible()
    desk.shot("confirm closing")
    page.get_by_role("button", name="立即结束").click()
    assert flash(page) == "评议活动已结束，不再接受评议。"
    page.get_by_role("link", name="报告与导出").click()
    page.get_by_role("button", name="生成通报").click()
    job = page.locator("li.job").first
    assert job.locator("progress").count() == 1
    desk.shot("bulletin job started")
    job.get_by_role("link", name="下载").wait_for(timeout=60_000)  # the bar followed the job
    # then the page reloads by itself and lists the file with its SHA-256
    documents = page.get_by_role("region", name="已生成的文件")
    documents.get_by_role("link", name="通报").wait_for()
    assert len(documents.locator("code.hash").inner_text()) == 64
    desk.shot("bulletin ready")
    with page.expect_download() as download:
        documents.get_by_role("link", name="通报").click()
    data = Path(download.value.path()).read_bytes()
    assert data.startswith(b"%PDF")
    text = pdf_text(data).replace(" ", "")
    assert "中共某市委机关工委" in text and "〔2026〕10号" in text and "办公室" in text
    assert "征求意见稿" not in text  # the campaign is closed: a final bulletin
