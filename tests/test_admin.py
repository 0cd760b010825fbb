"""The admin console, driven through the browser's forms: units, campaigns, codes, users."""

from __future__ import annotations

import csv
import io
import re
import sqlite3
import subprocess
import zipfile
from datetime import date

import pytest
from sqlalchemy import func, select

from evalplatform.extensions import db
from evalplatform.models import (
    AccessCode,
    ApiToken,
    AuditEvent,
    Ballot,
    Campaign,
    CampaignUnit,
    CodeBatch,
    Item,
    RaterGroup,
    Unit,
    User,
)
from evalplatform.reports import slips as slips_module
from evalplatform.services import units as unit_service
from evalplatform.services.ballots import questionnaire
from evalplatform.testing import (
    ADMIN_PASSWORD,
    EVALUATOR_PASSWORD,
    UNITS,
    build_campaign,
    csrf_token,
    login,
    post_form,
)

TITLE = "2026年度机关作风建设满意度测评"


def text(response) -> str:
    return response.get_data(as_text=True)


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def follow(client, response) -> str:
    """The page a 303/302 leads to (where the flashed message is shown)."""
    assert response.status_code in (302, 303), (response.status_code, text(response)[:500])
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    return text(page)


def action(client, page_url: str, url: str, **data):
    """Press a button (a bare CSRF form) found on `page_url`."""
    return post_form(client, page_url, data, url=url)


def make_units(rows=UNITS) -> list[Unit]:
    made = [unit_service.save_unit(None, name, category, None, None) for name, category in rows]
    db.session.commit()
    return made


# -- units -----------------------------------------------------------------------------------

def test_add_unit_then_it_is_listed(admin_client):
    response = post_form(admin_client, "/admin/units",
                         {"name": "  办公室 ", "category": "综合管理类", "position": ""})
    page = follow(admin_client, response)
    assert "已添加单位“办公室”。" in page
    assert "<td>办公室</td><td>综合管理类</td>" in page and "全部单位（1）" in page
    unit = db.session.scalar(select(Unit).where(Unit.name == "办公室"))
    assert (unit.category, unit.position, unit.active) == ("综合管理类", 1, True)
    post_form(admin_client, "/admin/units", {"name": "督查室", "category": "综合管理类"})
    assert db.session.scalar(select(Unit.position).where(Unit.name == "督查室")) == 2


def test_duplicate_unit_name_is_refused_and_nothing_added(admin_client):
    make_units([("办公室", "综合管理类")])
    response = post_form(admin_client, "/admin/units",
                         {"name": "办公室", "category": "执法监管类", "position": "3"})
    assert response.status_code == 200
    assert "单位“办公室”已存在。" in text(response)
    assert count(Unit) == 1
    assert db.session.scalar(select(Unit.category)) == "综合管理类"


def test_unit_form_refuses_missing_fields_and_absurd_position(admin_client):
    missing = post_form(admin_client, "/admin/units", {"name": "", "category": ""})
    assert missing.status_code == 200 and "此项必填。" in text(missing)
    huge = post_form(admin_client, "/admin/units",
                     {"name": "办公室", "category": "综合管理类", "position": str(10**12)})
    assert huge.status_code == 200 and "排序应为 0 至" in text(huge)
    assert count(Unit) == 0


def test_edit_unit(admin_client):
    office, bureau = make_units([("办公室", "综合管理类"), ("督查室", "综合管理类")])
    url = f"/admin/units/{office.id}"
    assert 'value="办公室"' in text(admin_client.get(url))
    page = follow(admin_client, post_form(admin_client, url, {
        "name": "办公室（机要室）", "category": "综合服务类", "position": "9"}))
    assert "单位已保存。" in page and "办公室（机要室）" in page
    db.session.refresh(office)
    assert (office.name, office.category, office.position) == ("办公室（机要室）", "综合服务类", 9)
    # renaming onto another unit's name is refused
    clash = post_form(admin_client, url, {"name": "督查室", "category": "综合管理类"})
    assert clash.status_code == 200 and "单位“督查室”已存在。" in text(clash)
    db.session.refresh(office)
    assert office.name == "办公室（机要室）"
    assert admin_client.get("/admin/units/999999").status_code == 404


def test_deactivate_and_activate_unit(admin_client):
    (office,) = make_units([("办公室", "综合管理类")])
    toggle = f"/admin/units/{office.id}/active"
    page = follow(admin_client, action(admin_client, "/admin/units", toggle))
    assert "单位“办公室”已停用。" in page and "<td>停用</td>" in page
    assert db.session.scalar(select(Unit.active)) is False
    # an inactive unit is not offered for a new campaign
    campaign = Campaign(title="新活动")
    db.session.add(campaign)
    db.session.commit()
    assert "办公室" not in text(admin_client.get(f"/admin/campaigns/{campaign.id}/units"))
    page = follow(admin_client, action(admin_client, "/admin/units", toggle))
    assert "单位“办公室”已启用。" in page
    assert db.session.scalar(select(Unit.active)) is True
    # without the CSRF token nothing changes
    admin_client.post(toggle)
    assert db.session.scalar(select(Unit.active)) is True


def test_delete_unit_refused_when_used_in_a_campaign(admin_client):
    build_campaign(status="draft")
    used = db.session.scalar(select(Unit).where(Unit.name == "办公室"))
    page_url = f"/admin/units/{used.id}"
    page = follow(admin_client, action(admin_client, page_url, f"{page_url}/delete"))
    assert "单位“办公室”已参加评议活动，不能删除，可以停用。" in page
    assert count(Unit, Unit.name == "办公室") == 1
    (spare,) = make_units([("档案室", "综合管理类")])
    page = follow(admin_client, action(admin_client, f"/admin/units/{spare.id}",
                                       f"/admin/units/{spare.id}/delete"))
    assert "单位“档案室”已删除。" in page
    assert count(Unit, Unit.name == "档案室") == 0


def test_staff_pages_need_an_admin(client, evaluator_client):
    login_page = client.get("/admin/units")
    assert login_page.status_code == 302 and "/login" in login_page.headers["Location"]
    assert evaluator_client.get("/admin/units").status_code == 403
    assert evaluator_client.get("/admin/").status_code == 403


# -- campaign set-up ---------------------------------------------------------------------------

CAMPAIGN_FORM = {
    "title": f"  {TITLE} ", "issuer": "中共某市委机关工委", "doc_number": "〔2026〕10号",
    "period_start": "2026-03-01", "period_end": "2026-03-31", "phase": "appraise",
    "min_group_size": "5", "comments_enabled": "y",
    "intro": "请根据日常了解，对各单位作风建设情况作出评价。",
}


def create_campaign(client, **changes) -> Campaign:
    response = post_form(client, "/admin/campaigns/new", {**CAMPAIGN_FORM, **changes})
    assert response.status_code == 303, text(response)[:2000]
    campaign_id = int(re.search(r"/campaigns/(\d+)/units", response.headers["Location"])[1])
    return db.session.get(Campaign, campaign_id)


def choose_units(client, campaign_id: int, unit_ids):
    url = f"/admin/campaigns/{campaign_id}/units"
    return post_form(client, url, {"unit": [str(i) for i in unit_ids]})


def add_group(client, campaign_id: int, name: str, weight):
    url = f"/admin/campaigns/{campaign_id}/groups"
    return post_form(client, url, {"name": name, "weight": str(weight)})


def post_prefixed(client, url: str, prefix: str, data: dict):
    """Post one of a page's prefixed forms; once a campaign is open the page no longer shows
    the form, so a stale tab (or a crafted request) posts it with the page's own token."""
    page = text(client.get(url))
    try:
        token = csrf_token(page, prefix)
    except AssertionError:
        token = csrf_token(page)
    return client.post(url, data={f"{prefix}csrf_token": token, **data})


def apply_template(client, campaign_id: int, template: str = "satisfaction"):
    url = f"/admin/campaigns/{campaign_id}/questionnaire"
    return post_prefixed(client, url, "t-", {"t-template": template})


def add_item(client, campaign_id: int, label: str, scale: str = "satisfaction5",
             required: bool = True):
    url = f"/admin/campaigns/{campaign_id}/questionnaire"
    data = {"i-label": label, "i-scale": scale, **({"i-required": "y"} if required else {})}
    return post_prefixed(client, url, "i-", data)


def open_campaign(client, campaign_id: int):
    url = f"/admin/campaigns/{campaign_id}"
    return action(client, url, f"{url}/open", confirm="yes")


def test_create_campaign_stores_every_setting(admin_client):
    new = admin_client.get("/admin/campaigns/new")
    assert new.status_code == 200 and "新建评议活动" in text(new)
    campaign = create_campaign(admin_client, comments_enabled="")
    assert campaign.title == TITLE
    assert (campaign.issuer, campaign.doc_number) == ("中共某市委机关工委", "〔2026〕10号")
    assert (campaign.period_start, campaign.period_end) == (date(2026, 3, 1), date(2026, 3, 31))
    assert (campaign.phase, campaign.min_group_size) == ("appraise", 5)
    assert campaign.comments_enabled is False  # an unticked box
    assert campaign.intro.startswith("请根据日常了解") and campaign.status == "draft"
    assert count(AuditEvent, AuditEvent.action == "campaign.create") == 1
    overview = text(admin_client.get(f"/admin/campaigns/{campaign.id}"))
    assert TITLE in overview and "〔2026〕10号" in overview and "2026-03-01" in overview
    assert TITLE in text(admin_client.get("/admin/"))


INVALID_CAMPAIGNS = [
    ({"period_start": "2026-03-31", "period_end": "2026-03-01"}, "结束日期不能早于开始日期。"),
    ({"title": "   "}, "此项必填。"),
    ({"min_group_size": "0"}, "请输入 1–1000 之间的整数。"),
    # WTForms' own messages, in the visitor's language (Chinese by default)
    ({"phase": "nonsense"}, "不是有效的选择。"),
    ({"period_start": "2026-02-30"}, "不是有效的日期值。"),
]


def test_invalid_campaign_is_refused(admin_client):
    for changes, message in INVALID_CAMPAIGNS:
        response = post_form(admin_client, "/admin/campaigns/new", {**CAMPAIGN_FORM, **changes})
        assert response.status_code == 200, changes
        assert message in text(response), changes
    assert count(Campaign) == 0


def test_edit_campaign_settings(admin_client):
    campaign = create_campaign(admin_client)
    url = f"/admin/campaigns/{campaign.id}/edit"
    assert TITLE in text(admin_client.get(url))
    bad = post_form(admin_client, url, {**CAMPAIGN_FORM, "period_end": "2026-02-01"})
    assert "结束日期不能早于开始日期。" in text(bad)
    db.session.refresh(campaign)
    assert campaign.period_end == date(2026, 3, 31)
    page = follow(admin_client, post_form(admin_client, url, {
        **CAMPAIGN_FORM, "title": "2026年度机关作风建设评议", "phase": "rectify"}))
    assert "设置已保存。" in page
    db.session.refresh(campaign)
    assert (campaign.title, campaign.phase) == ("2026年度机关作风建设评议", "rectify")


def test_choose_units(admin_client):
    units = make_units()
    inactive = unit_service.save_unit(None, "已撤并单位", "综合管理类", None, None)
    unit_service.set_unit_active(inactive, False, None)
    db.session.commit()
    campaign = create_campaign(admin_client)
    url = f"/admin/campaigns/{campaign.id}/units"
    page = text(admin_client.get(url))
    assert "已按上一次评议活动" not in page  # the first campaign: nothing ticked for it
    assert not any(f'value="{u.id}" checked' in page for u in units)
    assert "已撤并单位" not in page and "全选所有单位" in page

    chosen = [units[0].id, units[2].id]
    assert "已选择 2 个被评单位。" in follow(admin_client, choose_units(admin_client,
                                                                          campaign.id, chosen))
    stored = set(db.session.scalars(select(CampaignUnit.unit_id).where(
        CampaignUnit.campaign_id == campaign.id)))
    assert stored == set(chosen)
    # choosing again replaces the selection (keeping one unit, adding one, dropping one)
    again = [units[0].id, units[1].id]
    assert "已选择 2 个被评单位。" in follow(admin_client, choose_units(admin_client,
                                                                          campaign.id, again))
    stored = set(db.session.scalars(select(CampaignUnit.unit_id).where(
        CampaignUnit.campaign_id == campaign.id)))
    assert stored == set(again)
    page = text(admin_client.get(url))
    assert "已默认勾选" not in page
    assert f'value="{units[1].id}" checked' in page and f'value="{units[2].id}">' in page
    # a unit that does not exist
    choose_units(admin_client, campaign.id, [units[0].id, 999999])
    assert count(CampaignUnit, CampaignUnit.campaign_id == campaign.id) == 2
    # the next campaign starts from this one's units
    following = create_campaign(admin_client)
    page = text(admin_client.get(f"/admin/campaigns/{following.id}/units"))
    assert f"已按上一次评议活动“{TITLE}”的被评单位勾选" in page
    assert [u.id for u in units if f'value="{u.id}" checked' in page] == again


def test_rater_groups_with_weights(admin_client):
    campaign = create_campaign(admin_client)
    url = f"/admin/campaigns/{campaign.id}/groups"
    page = follow(admin_client, add_group(admin_client, campaign.id, "服务对象", 0.6))
    assert "已添加评议主体“服务对象”。" in page
    follow(admin_client, add_group(admin_client, campaign.id, "机关干部", "0.4"))
    page = text(admin_client.get(url))
    assert "60.0%" in page and "40.0%" in page

    negative = add_group(admin_client, campaign.id, "企业代表", -1)
    assert negative.status_code == 200 and "权重为 0–1000。" in text(negative)
    for weight in ("nan", "inf", "abc", ""):
        refused = add_group(admin_client, campaign.id, "企业代表", weight)
        assert refused.status_code == 200, weight
    duplicate = add_group(admin_client, campaign.id, " 服务对象 ", 1)
    assert duplicate.status_code == 200 and "评议主体“服务对象”已存在。" in text(duplicate)
    groups = db.session.execute(select(RaterGroup.name, RaterGroup.weight).where(
        RaterGroup.campaign_id == campaign.id).order_by(RaterGroup.position)).all()
    assert groups == [("服务对象", 0.6), ("机关干部", 0.4)]

    # rename and re-weight a group from its row, then delete the other one
    first, second = db.session.scalars(select(RaterGroup).order_by(RaterGroup.position)).all()
    page = follow(admin_client, post_form(admin_client, url, {"name": "企业和群众", "weight": "3"},
                                          url=f"{url}/{first.id}"))
    assert "评议主体已保存。" in page
    db.session.refresh(first)
    assert (first.name, first.weight) == ("企业和群众", 3.0)
    page = follow(admin_client, post_form(admin_client, url, {"name": "企业和群众", "weight": "1"},
                                          url=f"{url}/{second.id}"))
    assert "评议主体“企业和群众”已存在。" in page
    page = follow(admin_client, action(admin_client, url, f"{url}/{second.id}/delete"))
    assert "评议主体已删除。" in page
    assert db.session.scalars(select(RaterGroup.name)).all() == ["企业和群众"]


def test_questionnaire_from_template_and_added_item(admin_client):
    campaign = create_campaign(admin_client)
    url = f"/admin/campaigns/{campaign.id}/questionnaire"
    page = follow(admin_client, apply_template(admin_client, campaign.id, "style"))
    assert "已按模板生成评议表。" in page
    for label in ("服务态度", "办事效率", "依法行政", "廉洁自律"):
        assert label in page
    page = follow(admin_client, add_item(admin_client, campaign.id, "窗口服务", "satisfaction3",
                                         required=False))
    assert "已添加评价项目。" in page
    items = db.session.execute(select(Item.label, Item.required).where(
        Item.campaign_id == campaign.id).order_by(Item.position)).all()
    assert items == [("服务态度", True), ("办事效率", True), ("依法行政", True),
                     ("廉洁自律", True), ("窗口服务", False)]
    options = db.session.scalar(select(Item.options).where(Item.label == "窗口服务"))
    assert [o["label"] for o in options] == ["满意", "基本满意", "不满意", "不了解"]

    duplicate = add_item(admin_client, campaign.id, "服务态度")
    assert "评价项目“服务态度”已存在。" in text(duplicate)
    empty = add_item(admin_client, campaign.id, "")
    assert "此项必填。" in text(empty)
    assert count(Item, Item.campaign_id == campaign.id) == 5
    # the form that was not posted keeps its defaults (必答 stays ticked)
    unknown = apply_template(admin_client, campaign.id, "no-such-template")
    assert "不是有效的选择。" in text(unknown)
    assert '<input checked id="i-required"' in text(unknown)

    # a template replaces what the admin built
    follow(admin_client, apply_template(admin_client, campaign.id, "satisfaction"))
    assert db.session.scalars(select(Item.label)).all() == ["总体满意度"]
    item_id = db.session.scalar(select(Item.id))
    page = follow(admin_client, action(admin_client, url,
                                       f"/admin/campaigns/{campaign.id}/items/{item_id}/delete"))
    assert "评价项目已删除。" in page
    assert count(Item) == 0
    preview = admin_client.get(f"/admin/campaigns/{campaign.id}/preview")
    assert preview.status_code == 200


def test_opening_is_refused_with_what_is_missing(admin_client):
    campaign = create_campaign(admin_client)
    overview = text(admin_client.get(f"/admin/campaigns/{campaign.id}"))
    assert "开始评议前还需要" in overview
    page = follow(admin_client, open_campaign(admin_client, campaign.id))
    assert "评议活动还不能开始" in page
    for missing in ("尚未选择被评单位。", "尚未设置评议主体。", "评议表还没有评价项目。"):
        assert missing in page
    db.session.refresh(campaign)
    assert campaign.status == "draft" and campaign.opened_at is None

    # groups whose weights are all zero are not enough either
    choose_units(admin_client, campaign.id, [u.id for u in make_units()])
    add_group(admin_client, campaign.id, "服务对象", 0)
    page = follow(admin_client, open_campaign(admin_client, campaign.id))
    assert "评议主体权重之和必须大于 0。" in page and "尚未选择被评单位。" not in page
    assert db.session.scalar(select(Campaign.status)) == "draft"


def test_full_campaign_flow_and_lock_once_open(admin_client):
    units = make_units()
    campaign = create_campaign(admin_client)
    cid = campaign.id
    follow(admin_client, choose_units(admin_client, cid, [u.id for u in units]))
    follow(admin_client, add_group(admin_client, cid, "服务对象", 0.6))
    follow(admin_client, add_group(admin_client, cid, "机关干部", 0.4))
    follow(admin_client, apply_template(admin_client, cid))
    follow(admin_client, add_item(admin_client, cid, "办事效率"))
    overview = text(admin_client.get(f"/admin/campaigns/{cid}"))
    assert "设置已完成" in overview and "4 个" in overview

    page = follow(admin_client, open_campaign(admin_client, cid))
    assert "评议活动已开始，访问码即可使用。" in page and "进行中" in page
    db.session.refresh(campaign)
    assert campaign.status == "open" and campaign.opened_at is not None
    again = follow(admin_client, open_campaign(admin_client, cid))
    assert "只有草稿状态的评议活动可以开始。" in again

    locked = "评议活动已开始，被评单位、评议主体和评议表已锁定，不能再修改。"
    assert locked in text(choose_units(admin_client, cid, [units[0].id]))
    assert count(CampaignUnit, CampaignUnit.campaign_id == cid) == 4
    assert locked in text(add_group(admin_client, cid, "企业代表", 1))
    group = db.session.scalar(select(RaterGroup).where(RaterGroup.name == "服务对象"))
    groups_url = f"/admin/campaigns/{cid}/groups"
    renamed = post_form(admin_client, groups_url, {"name": "群众", "weight": "9"},
                        url=f"{groups_url}/{group.id}")
    assert locked in follow(admin_client, renamed)
    deleted = post_form(admin_client, f"/admin/campaigns/{cid}", {},
                        url=f"{groups_url}/{group.id}/delete")
    assert locked in follow(admin_client, deleted)
    assert db.session.execute(select(RaterGroup.name, RaterGroup.weight).order_by(
        RaterGroup.position)).all() == [("服务对象", 0.6), ("机关干部", 0.4)]
    assert locked in text(apply_template(admin_client, cid, "style"))
    assert locked in text(add_item(admin_client, cid, "廉洁自律"))
    item_id = db.session.scalar(select(Item.id).where(Item.label == "办事效率"))
    removed = post_form(admin_client, f"/admin/campaigns/{cid}", {},
                        url=f"/admin/campaigns/{cid}/items/{item_id}/delete")
    assert locked in follow(admin_client, removed)
    assert db.session.scalars(select(Item.label).order_by(Item.position)).all() == [
        "总体满意度", "办事效率"]
    # settings that change how ballots count are locked too; the title is not
    edit = f"/admin/campaigns/{cid}/edit"
    refused = post_form(admin_client, edit, {**CAMPAIGN_FORM, "min_group_size": "3"})
    assert "不能再修改最小分组人数" in text(refused)
    follow(admin_client, post_form(admin_client, edit, {**CAMPAIGN_FORM, "title": "新名称"}))
    db.session.refresh(campaign)
    assert (campaign.title, campaign.min_group_size) == ("新名称", 5)
    # an open campaign cannot be deleted
    delete = post_form(admin_client, f"/admin/campaigns/{cid}", {},
                       url=f"/admin/campaigns/{cid}/delete")
    assert locked in follow(admin_client, delete)

    page = follow(admin_client, action(admin_client, f"/admin/campaigns/{cid}",
                                       f"/admin/campaigns/{cid}/close", confirm="yes"))
    assert "评议活动已结束，不再接受评议。" in page and "已结束" in page
    db.session.refresh(campaign)
    assert campaign.status == "closed" and campaign.closed_at is not None


def test_draft_campaign_can_be_deleted(admin_client):
    campaign, _ = build_campaign(status="draft")
    url = f"/admin/campaigns/{campaign.id}"
    group = db.session.scalar(select(RaterGroup).where(RaterGroup.name == "服务对象"))
    groups_url = f"{url}/groups"
    page = follow(admin_client, action(admin_client, groups_url,
                                       f"{groups_url}/{group.id}/delete"))
    assert "评议主体“服务对象”已发放访问码，不能删除。" in page
    assert count(RaterGroup) == 2
    page = follow(admin_client, action(admin_client, url, f"{url}/delete", confirm="yes"))
    assert "评议活动已删除。" in page
    assert count(Campaign) == count(RaterGroup) == count(AccessCode) == count(CodeBatch) == 0
    assert count(Unit) == len(UNITS)  # the units stay


# -- codes -----------------------------------------------------------------------------------

def issue(client, campaign, group_name: str, n: int, *, slips: bool = False):
    group_id = db.session.scalar(select(RaterGroup.id).where(
        RaterGroup.campaign_id == campaign.id, RaterGroup.name == group_name))
    data = {"rater_group": str(group_id), "count": str(n), **({"slips": "y"} if slips else {})}
    return post_form(client, f"/admin/campaigns/{campaign.id}/codes", data)


def unzip(response) -> dict[str, bytes]:
    assert response.status_code == 200, text(response)[:2000]
    assert response.mimetype == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def csv_rows(files: dict[str, bytes]) -> list[dict]:
    (name,) = [n for n in files if n.endswith(".csv")]
    data = files[name]
    assert data.startswith(b"\xef\xbb\xbf")  # Excel needs the BOM to show the Chinese
    reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig")))
    assert reader.fieldnames == ["rater_group", "code", "url"]
    return list(reader)


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "slips.pdf"
    path.write_bytes(data)
    result = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                            check=True, timeout=60)
    return result.stdout.decode()


def test_issue_codes_downloads_csv_and_slips_that_work(admin_client, client, tmp_path):
    campaign, _ = build_campaign(codes_per_group=1)
    files = unzip(issue(admin_client, campaign, "服务对象", 12, slips=True))
    assert len(files) == 2 and any(n.endswith("-slips.pdf") for n in files)
    rows = csv_rows(files)
    codes = [row["code"] for row in rows]
    assert len(codes) == len(set(codes)) == 12
    assert {row["rater_group"] for row in rows} == {"服务对象"}
    assert all(re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", c) for c in codes)
    assert all(row["url"] == f"https://pingyi.example.gov.cn/s/{row['code']}" for row in rows)

    (pdf_name,) = [n for n in files if n.endswith(".pdf")]
    assert files[pdf_name].startswith(b"%PDF")
    slips = pdf_text(files[pdf_name], tmp_path)
    assert TITLE in slips and "评议主体：服务对象" in slips
    assert all(code in slips for code in codes), slips

    assert count(AccessCode, AccessCode.campaign_id == campaign.id) == 2 + 12
    batch = db.session.scalar(select(CodeBatch).order_by(CodeBatch.id.desc()))
    assert batch.count == 12 and batch.rater_group.name == "服务对象"
    for code in (codes[0], codes[-1]):
        entered = client.get(f"/s/{code}")
        assert entered.status_code == 303 and entered.headers["Location"].endswith("/survey")
    page = text(admin_client.get(f"/admin/campaigns/{campaign.id}/codes"))
    assert "发放记录" in page and f'<td class="num">{batch.id}</td>' in page


def test_slips_print_ten_to_a_page(admin_client, tmp_path):
    campaign, _ = build_campaign(codes_per_group=1)
    files = unzip(issue(admin_client, campaign, "机关干部", 12, slips=True))
    (pdf_name,) = [n for n in files if n.endswith(".pdf")]
    path = tmp_path / "slips.pdf"
    path.write_bytes(files[pdf_name])
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True,
                          text=True).stdout
    assert re.search(r"^Pages:\s+2$", info, re.M), info


def test_slips_are_rendered_after_the_codes_are_committed(admin_client, monkeypatch):
    """Rendering takes seconds; meanwhile respondents must be able to submit ballots."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("probes SQLite's write lock")
    campaign, _ = build_campaign(codes_per_group=1)
    real_codes_zip, probes = slips_module.codes_zip, []

    def probing_codes_zip(*args, **kwargs):
        other = sqlite3.connect(db.engine.url.database, timeout=0.2, isolation_level=None)
        try:  # the codes are committed, and another writer is not locked out
            probes.append(other.execute("SELECT count(*) FROM access_code").fetchone()[0])
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            probes.append("write lock free")
        except sqlite3.OperationalError as error:
            probes.append(str(error))
        finally:
            other.close()
        return real_codes_zip(*args, **kwargs)

    monkeypatch.setattr(slips_module, "codes_zip", probing_codes_zip)
    assert len(csv_rows(unzip(issue(admin_client, campaign, "服务对象", 3)))) == 3
    assert probes == [2 + 3, "write lock free"]


def test_failed_download_voids_the_batch(admin_client, client, monkeypatch):
    campaign, _ = build_campaign(codes_per_group=1)

    def broken_codes_zip(*args, **kwargs):
        raise RuntimeError("renderer crashed")

    monkeypatch.setattr(slips_module, "codes_zip", broken_codes_zip)
    page = follow(admin_client, issue(admin_client, campaign, "服务对象", 4, slips=True))
    assert "生成下载文件失败，该批访问码已作废，请重新发放。" in page
    batch = db.session.scalar(select(CodeBatch).order_by(CodeBatch.id.desc()))
    assert batch.count == 4 and batch.revoked_at is not None
    assert count(AccessCode, AccessCode.batch_id == batch.id, AccessCode.status == "void") == 4
    assert participation(admin_client, campaign)["服务对象"] == (1, 0)


def test_codes_without_slips_and_for_a_draft_campaign(admin_client):
    campaign, _ = build_campaign(status="draft", codes_per_group=1)
    files = unzip(issue(admin_client, campaign, "机关干部", 3))
    assert len(files) == 1
    assert [r["rater_group"] for r in csv_rows(files)] == ["机关干部"] * 3


def test_code_count_out_of_range_is_refused(admin_client):
    campaign, _ = build_campaign(codes_per_group=1)
    for n, message in [(20001, "每批可发放 1 至 20000 个访问码。"),
                       (0, "每批至少发放 1 个访问码。"), ("many", "不是有效的整数。")]:
        response = issue(admin_client, campaign, "服务对象", n)
        assert response.status_code == 200 and response.mimetype == "text/html", n
        assert message in text(response), n
    assert count(CodeBatch) == 2 and count(AccessCode) == 2


def test_code_limits_from_configuration_and_slip_limit(admin_client, app):
    campaign, _ = build_campaign(codes_per_group=1)
    app.config["CODES_MAX_BATCH"] = 10
    try:
        response = issue(admin_client, campaign, "服务对象", 11)
    finally:
        app.config["CODES_MAX_BATCH"] = 20000
    assert "每批可发放 1 至 10 个访问码。" in text(response)
    too_many_slips = issue(admin_client, campaign, "服务对象", 1001, slips=True)
    assert too_many_slips.mimetype == "text/html"
    assert "二维码纸条每批最多 1000 张" in text(too_many_slips)
    assert count(AccessCode) == 2


def test_codes_refused_for_another_campaigns_group_and_closed_campaign(admin_client):
    campaign, _ = build_campaign(codes_per_group=1)
    other, _ = build_campaign(status="closed", title="已结束活动", codes_per_group=1,
                              unit_rows=[("督查室", "综合管理类")])
    foreign = db.session.scalar(select(RaterGroup.id).where(RaterGroup.campaign_id == other.id))
    response = post_form(admin_client, f"/admin/campaigns/{campaign.id}/codes",
                         {"rater_group": str(foreign), "count": "2"})
    assert response.status_code == 200 and "不是有效的选择。" in text(response)
    closed = issue(admin_client, other, "服务对象", 2)
    assert "评议活动已结束，不能再发放访问码。" in text(closed)
    assert count(AccessCode) == 4


def test_revoking_a_batch_voids_its_unused_codes(admin_client, client):
    campaign, plaintext = build_campaign(codes_per_group=1)
    codes = [r["code"] for r in csv_rows(unzip(issue(admin_client, campaign, "服务对象", 4)))]
    submit_ballot(client, campaign, codes[0])  # one of the batch is used before the loss
    assert participation(admin_client, campaign)["服务对象"] == (5, 1)
    batch = db.session.scalar(select(CodeBatch).order_by(CodeBatch.id.desc()))
    url = f"/admin/campaigns/{campaign.id}/codes"
    page = follow(admin_client, action(admin_client, url, f"{url}/{batch.id}/revoke", confirm="yes"))
    assert f"第 {batch.id} 批访问码已作废" in page and "已作废未使用部分" in page
    assert "3 个" not in page  # how many were unused would tell who voted
    for code in codes[1:]:
        refused = client.get(f"/s/{code}")
        assert refused.status_code == 410 and "该访问码已作废" in text(refused)
    assert client.get(f"/s/{codes[0]}").status_code == 410  # used stays used
    assert client.get(f"/s/{plaintext['服务对象'][0]}").status_code == 303  # other batch
    # the voided batch leaves "issued" whatever its codes' states: 5 − 4 (the used one's
    # ballot still counts)
    assert participation(admin_client, campaign)["服务对象"] == (1, 1)
    # a second revocation changes nothing
    page = follow(admin_client, action(admin_client, url, f"{url}/{batch.id}/revoke", confirm="yes"))
    assert "该批访问码已作废。" in page
    assert count(AccessCode, AccessCode.status == "void") == 3


def test_voiding_a_one_code_batch_does_not_tell_whether_its_holder_voted(admin_client, client):
    """Two batches of one code each, one used and one not: voiding either reads the same
    on every page the admin sees and in the audit log."""
    campaign, _ = build_campaign(codes_per_group=5)
    url = f"/admin/campaigns/{campaign.id}/codes"
    seen = []
    for vote in (True, False):
        (code,) = [r["code"] for r in csv_rows(unzip(issue(admin_client, campaign, "服务对象", 1)))]
        if vote:
            submit_ballot(client, campaign, code)
        batch = db.session.scalar(select(CodeBatch).order_by(CodeBatch.id.desc()))
        before = participation(admin_client, campaign)["服务对象"]
        page = follow(admin_client, action(admin_client, url, f"{url}/{batch.id}/revoke", confirm="yes"))
        after = participation(admin_client, campaign)["服务对象"]
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "codes.revoke")
                                  .order_by(AuditEvent.id.desc()))
        flash = re.search(r'class="flash[^"]*"[^>]*>(.*?)</', page, re.S).group(1)
        seen.append((flash.replace(str(batch.id), "N"), before[0] - after[0],
                     before[1] - after[1], {k: v for k, v in event.detail.items() if k != "batch"}))
    assert seen[0] == seen[1], seen


def test_code_plaintext_is_stored_nowhere(admin_client, tmp_path):
    campaign, fixture_codes = build_campaign(codes_per_group=2)
    issued = [r["code"] for r in csv_rows(unzip(issue(admin_client, campaign, "机关干部", 5)))]
    dump = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(select(table)):
            for value in row:
                dump.append(value.hex() if isinstance(value, bytes) else str(value))
    dump = "\n".join(dump).upper()
    for code in issued + [c for codes in fixture_codes.values() for c in codes]:
        assert code not in dump and code.replace("-", "") not in dump
        assert code.encode().hex().upper() not in dump
    assert count(AccessCode) == 2 * 2 + 5  # the codes are there, as hashes


# -- participation ---------------------------------------------------------------------------

def submit_ballot(client, campaign, code: str):
    """A respondent opens the QR link and submits a complete ballot."""
    assert client.get(f"/s/{code}").status_code == 303
    page = client.get("/survey")
    assert page.status_code == 200
    q = questionnaire(db.session.get(Campaign, campaign.id))
    data = {f"a-{u.id}-{i.id}": "0" for u in q.units for i in q.items}
    response = client.post("/survey", data={"csrf_token": csrf_token(text(page)), **data})
    assert response.status_code == 303 and response.headers["Location"].endswith("/done")


ROW = re.compile(r'<tr data-group="(?P<name>[^"]+)">.*?data-field="issued">(?P<issued>\d+)<'
                 r'.*?data-field="used">(?P<used>\d+)<', re.S)


def participation(client, campaign) -> dict[str, tuple[int, int]]:
    page = text(client.get(f"/admin/campaigns/{campaign.id}"))
    return {m["name"]: (int(m["issued"]), int(m["used"])) for m in ROW.finditer(page)}


def test_participation_counts_per_group(app, admin_client, evaluator_client):
    campaign, codes = build_campaign(codes_per_group=5)
    assert participation(admin_client, campaign) == {"服务对象": (5, 0), "机关干部": (5, 0)}
    for code in codes["服务对象"][:3] + codes["机关干部"][:1]:
        submit_ballot(app.test_client(), campaign, code)
    assert count(Ballot) == 4
    assert participation(admin_client, campaign) == {"服务对象": (5, 3), "机关干部": (5, 1)}
    overview = text(admin_client.get(f"/admin/campaigns/{campaign.id}"))
    assert "60.0%" in overview and "20.0%" in overview and "40.0%" in overview  # total 4/10
    dashboard = text(admin_client.get("/admin/"))
    assert "参评 4 / 10（40.0%）" in dashboard

    live = evaluator_client.get(f"/evaluator/campaigns/{campaign.id}/participation.json")
    assert live.status_code == 200
    assert live.get_json() == {"campaign": campaign.id, "status": "open", "groups": [
        {"name": "服务对象", "issued": 5, "used": 3}, {"name": "机关干部", "issued": 5, "used": 1}]}
    assert admin_client.get(
        f"/evaluator/campaigns/{campaign.id}/participation.json").get_json() == live.get_json()
    assert evaluator_client.get(f"/admin/campaigns/{campaign.id}/codes").status_code == 403


# -- users -----------------------------------------------------------------------------------

def test_admin_creates_evaluator_who_can_log_in(admin_client, app):
    short = post_form(admin_client, "/admin/users", {
        "username": "zhang.san", "display_name": "张三", "role": "evaluator",
        "password": "short"})
    assert short.status_code == 200 and "密码为 10–200 位。" in text(short)
    bad_name = post_form(admin_client, "/admin/users", {
        "username": "张三", "role": "evaluator", "password": "long-enough-password"})
    assert "用户名为 2–64 位字母" in text(bad_name)
    assert count(User, User.username != "admin") == 0

    page = follow(admin_client, post_form(admin_client, "/admin/users", {
        "username": "zhang.san", "display_name": "张三", "role": "evaluator",
        "password": "long-enough-password"}))
    assert "已创建账号“zhang.san”。" in page and "考评人员" in page
    user = db.session.scalar(select(User).where(User.username == "zhang.san"))
    assert (user.role, user.display_name, user.active) == ("evaluator", "张三", True)
    assert "long-enough-password" not in user.password_hash
    duplicate = post_form(admin_client, "/admin/users", {
        "username": "zhang.san", "role": "admin", "password": "long-enough-password"})
    assert "用户名“zhang.san”已存在。" in text(duplicate)
    other = app.test_client()
    assert login(other, "zhang.san", "long-enough-password").status_code == 302
    assert other.get("/evaluator/").status_code == 200


def edit_user(client, user_id: int, **data):
    return post_form(client, f"/admin/users/{user_id}",
                     {f"u-{k}": v for k, v in data.items()}, prefix="u-")


def test_disabled_account_cannot_log_in(admin_client, evaluator_user, evaluator_client, app):
    assert evaluator_client.get("/evaluator/").status_code == 200
    page = follow(admin_client, edit_user(admin_client, evaluator_user.id,
                                          display_name="评议办", role="evaluator"))
    assert "账号已保存。" in page and "停用" in page
    db.session.refresh(evaluator_user)
    assert evaluator_user.active is False and evaluator_user.display_name == "评议办"
    refused = login(app.test_client(), "pingyi", EVALUATOR_PASSWORD)
    assert refused.status_code == 401 and "账号已停用" in text(refused)
    # a session opened before the account was disabled ends too
    assert evaluator_client.get("/evaluator/").status_code == 302
    follow(admin_client, edit_user(admin_client, evaluator_user.id, role="evaluator",
                                   active="y"))
    assert login(app.test_client(), "pingyi", EVALUATOR_PASSWORD).status_code == 302


def test_admin_cannot_disable_or_demote_themself(admin_client, admin_user, app):
    for change in ({"role": "admin"}, {"role": "evaluator", "active": "y"}):
        response = edit_user(admin_client, admin_user.id, **change)
        assert response.status_code == 200
        assert "不能取消自己的管理员权限或停用自己的账号。" in text(response)
    db.session.refresh(admin_user)
    assert (admin_user.role, admin_user.active) == ("admin", True)
    assert login(app.test_client(), "admin", ADMIN_PASSWORD).status_code == 302


def test_reset_password(admin_client, evaluator_user, app):
    url = f"/admin/users/{evaluator_user.id}"
    short = post_form(admin_client, url, {"p-password": "short"}, prefix="p-")
    assert "密码为 10–200 位。" in text(short)
    # the account form on the page still shows the account as it is (启用 ticked)
    assert '<input checked id="u-active"' in text(short)
    follow(admin_client, post_form(admin_client, url, {"p-password": "a-new-password-1"},
                                   prefix="p-"))
    assert login(app.test_client(), "pingyi", EVALUATOR_PASSWORD).status_code == 401
    assert login(app.test_client(), "pingyi", "a-new-password-1").status_code == 302


def test_api_token_is_shown_once_and_works(admin_client, evaluator_user, client):
    campaign, _ = build_campaign(codes_per_group=1)
    url = f"/admin/users/{evaluator_user.id}"
    page = text(post_form(admin_client, url, {"action": "token"}))
    token = re.search(r'<code class="token">([^<]+)</code>', page)[1]
    assert token.startswith("ep_") and len(token) > 30
    # the account form on the page is not changed by the token button
    assert '<input checked id="u-active"' in page
    assert count(ApiToken, ApiToken.user_id == evaluator_user.id) == 1
    assert db.session.scalar(select(ApiToken.token_hash)) != token
    assert token not in text(admin_client.get(url))  # shown once

    listing = client.get("/api/v1/campaigns", headers={"Authorization": f"Bearer {token}"})
    assert listing.status_code == 200
    assert listing.get_json() == [{"id": campaign.id, "title": TITLE, "status": "open"}]
    assert client.get("/api/v1/campaigns").status_code == 401
    wrong = client.get("/api/v1/campaigns", headers={"Authorization": f"Bearer {token}x"})
    assert wrong.status_code == 401
    # the token dies with the account's access
    edit_user(admin_client, evaluator_user.id, role="evaluator")
    gone = client.get("/api/v1/campaigns", headers={"Authorization": f"Bearer {token}"})
    assert gone.status_code == 401


def test_audit_log_lists_staff_actions(admin_client):
    post_form(admin_client, "/admin/units", {"name": "办公室", "category": "综合管理类"})
    page = text(admin_client.get("/admin/audit"))
    assert "unit.create" in page and "auth.login" in page and "admin" in page
