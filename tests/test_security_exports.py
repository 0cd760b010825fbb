"""Every export, opened as a spreadsheet would open it: text that starts like a formula
(= + - @) is escaped, so opening a file never runs what someone typed into a name. And
every import reads CSV from Chinese offices in either encoding (GBK or UTF-8)."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date, timedelta

import openpyxl
import pytest
from evalplatform_checklist import evidence, ledger, reviews
from evalplatform_checklist.models import RectificationItem
from sqlalchemy import select

from evalplatform.extensions import db
from evalplatform.models import Unit
from evalplatform.services import campaigns as campaign_service
from evalplatform.testing import build_campaign, cast_ballot, csrf_token, post_form

#: What a hostile (or careless) name may start with; each used for a different thing.
PAYLOADS = {
    "unit": '=HYPERLINK("http://evil.example/","点我")',
    "unit2": "+1+cmd|' /C calc'!A0",
    "unit3": "-2+3+cmd|' /C notepad'!A0",
    "category": "@SUM(1+1)*cmd|' /C calc'!A0",
    "group": "=cmd|' /C calc'!A0",
    "group2": "@干部",
    "title": "=1+1评议",
    "measure": "-1+1 完善制度",
    "responsible": "@王××",
    "note": "=窗口态度生硬",
}
FORMULA_START = ("=", "+", "-", "@")
NUMBER = re.compile(r"-?\d+(\.\d+)?%?")


def dangerous(value) -> bool:
    """Text a spreadsheet would take for a formula (a plain negative number is fine)."""
    return (isinstance(value, str) and value.startswith(FORMULA_START)
            and not NUMBER.fullmatch(value) and value.strip() != "-")


def csv_cells(data: bytes) -> list[str]:
    return [c for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))) for c in row]


def xlsx_cells(data: bytes) -> list:
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    cells = []
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                cells.append(cell.value)
    return cells


@pytest.fixture
def hostile(app, admin_client, evaluator_client, admin_user):
    """A closed campaign whose every name starts like a formula, with ballots, a checklist
    finding and its rectification item filled in."""
    units = [(PAYLOADS["unit"], "综合管理类"), (PAYLOADS["unit2"], PAYLOADS["category"]),
             (PAYLOADS["unit3"], PAYLOADS["category"]), ("办公室", "综合管理类")]
    campaign, plaintext = build_campaign(
        status="draft", unit_rows=units, title=PAYLOADS["title"], codes_per_group=6,
        groups=((PAYLOADS["group"], 0.5), (PAYLOADS["group2"], 0.5)))
    campaign_service.enable_scheme(campaign, "checklist", None, {"lists": ["sige_shifou"]})
    campaign_service.open_campaign(campaign, None)
    db.session.commit()
    for group_codes in plaintext.values():
        for n, code in enumerate(group_codes):
            cast_ballot(campaign, code, lambda unit, item, n=n: n % len(item.options))
    lst = reviews.campaign_config(campaign)["lists"][0]
    unit = db.session.scalar(select(Unit).where(Unit.name == PAYLOADS["unit"]))
    reviews.record_reviews(campaign, unit, [reviews.ReviewInput(
        lst["key"], lst["items"][0]["key"], "不符合", "3", PAYLOADS["note"])], None,
        evidence.FileBatch())
    db.session.commit()
    item = db.session.scalar(select(RectificationItem))
    ledger.update_item(item, ledger.Changes(PAYLOADS["measure"], PAYLOADS["responsible"],
                                            date.today() + timedelta(days=30), "整改中", None),
                       None, reviews.local_today())
    campaign_service.close_campaign(campaign, None)
    db.session.commit()
    return campaign


def test_no_export_lets_a_name_run_as_a_formula(app, hostile, admin_client, evaluator_client):
    campaign = hostile
    exports: dict[str, list] = {}
    exports["results.xlsx"] = xlsx_cells(evaluator_client.get(
        f"/evaluator/campaigns/{campaign.id}/results.xlsx").data)
    exports["ballots.csv"] = csv_cells(evaluator_client.get(
        f"/evaluator/campaigns/{campaign.id}/ballots.csv").data)
    exports["ledger.xlsx"] = xlsx_cells(evaluator_client.get(
        f"/checklist/campaigns/{campaign.id}/ledger.xlsx").data)
    # the codes of a new batch (issued for another, open campaign with the same group)
    other, _ = build_campaign(groups=((PAYLOADS["group"], 1.0),), codes_per_group=1)
    download = post_form(admin_client, f"/admin/campaigns/{other.id}/codes",
                         {"rater_group": str(other.groups[0].id), "count": "3"})
    assert download.status_code == 200 and download.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(download.data)) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".csv")]
        exports["codes.csv"] = csv_cells(archive.read(name))
    everything = [str(c) for cells in exports.values() for c in cells if c is not None]
    for where, cells in exports.items():
        assert not [c for c in cells if dangerous(c)], where
    # the text itself is all there, behind the apostrophe that makes it text
    for key in ("unit", "unit2", "group", "category"):
        assert "'" + PAYLOADS[key] in everything, key
    assert "'" + PAYLOADS["group"] in exports["codes.csv"]
    assert "'" + PAYLOADS["measure"] in exports["ledger.xlsx"]
    assert "'" + PAYLOADS["responsible"] in exports["ledger.xlsx"]


def test_the_ledger_round_trip_gives_back_the_text_without_the_apostrophe(
        app, hostile, evaluator_client):
    """Exported with an apostrophe, read back without it: importing the file unchanged
    changes nothing."""
    campaign = hostile
    item = db.session.scalar(select(RectificationItem))
    data = evaluator_client.get(f"/checklist/campaigns/{campaign.id}/ledger.xlsx").data
    page = evaluator_client.get(f"/checklist/campaigns/{campaign.id}/ledger/import")
    response = evaluator_client.post(
        f"/checklist/campaigns/{campaign.id}/ledger/import",
        data={"csrf_token": csrf_token(page.get_data(as_text=True)),
              "sheet": (io.BytesIO(data), "整改台账.xlsx")}, content_type="multipart/form-data")
    assert response.status_code == 303  # the ledger goes on after the campaign closes
    db.session.expire_all()
    again = db.session.get(RectificationItem, item.id)
    assert again.measure == PAYLOADS["measure"] and again.responsible == PAYLOADS["responsible"]


# -- encodings ---------------------------------------------------------------------------------

ENCODINGS = ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"]


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_a_units_csv_is_read_in_any_chinese_office_encoding(admin_client, encoding):
    text = ("名称,序列,排序\r\n办公室,综合管理类,1\r\n政策法规科,综合管理类,2\r\n"
            "行政审批服务窗口,服务窗口类,3\r\n")
    response = admin_client.post("/admin/units/import", data={
        "csrf_token": csrf_token(admin_client.get("/admin/units/import").get_data(as_text=True)),
        "sheet": (io.BytesIO(text.encode(encoding)), "单位.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 303
    names = sorted(db.session.scalars(select(Unit.name)))
    assert names == sorted(["办公室", "政策法规科", "行政审批服务窗口"])


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_a_ledger_csv_is_read_in_any_chinese_office_encoding(app, evaluator_client, encoding):
    campaign, _ = build_campaign(status="draft")
    campaign_service.enable_scheme(campaign, "checklist", None, {"lists": ["sige_shifou"]})
    db.session.commit()
    lst = reviews.campaign_config(campaign)["lists"][0]
    reviews.record_reviews(campaign, campaign.units[0], [reviews.ReviewInput(
        lst["key"], lst["items"][0]["key"], "不符合", "2", "")], None, evidence.FileBatch())
    db.session.commit()
    item = db.session.scalar(select(RectificationItem))
    deadline = (date.today() + timedelta(days=20)).isoformat()
    text = (",".join(ledger.COLUMNS) + "\r\n" + ",".join(
        {"编号": str(item.id), "单位": campaign.units[0].name, "序列": campaign.units[0].category,
         "问题": item.problem, "整改措施": "建立首问负责制", "责任人": "王××（科长）",
         "整改时限": deadline, "状态": "整改中", "是否逾期": "否", "完成日期": "",
         "完成佐证": ""}[c] for c in ledger.COLUMNS) + "\r\n")
    page = evaluator_client.get(f"/checklist/campaigns/{campaign.id}/ledger/import")
    response = evaluator_client.post(
        f"/checklist/campaigns/{campaign.id}/ledger/import",
        data={"csrf_token": csrf_token(page.get_data(as_text=True)),
              "sheet": (io.BytesIO(text.encode(encoding)), "整改台账.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 303, response.get_data(as_text=True)[-800:]
    db.session.expire_all()
    item = db.session.get(RectificationItem, item.id)
    assert (item.measure, item.responsible, item.status) == ("建立首问负责制", "王××（科长）", "整改中")


@pytest.mark.parametrize("data, name, message", [
    (b"PK\x03\x04" + b"\x00" * 40, "units.xlsx", "无法读取该 Excel 文件"),
    ("名称,序列\r\n办公室,综合".encode("gbk")[:-1], "units.csv", "无法识别文件编码"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "units.csv", "文件内容不是文本表格"),
    (b"", "units.csv", "上传的文件是空的"),
])
def test_a_malformed_units_file_is_refused_with_a_reason(admin_client, data, name, message):
    response = admin_client.post("/admin/units/import", data={
        "csrf_token": csrf_token(admin_client.get("/admin/units/import").get_data(as_text=True)),
        "sheet": (io.BytesIO(data), name)}, content_type="multipart/form-data")
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert db.session.scalars(select(Unit)).all() == []


def test_csv_with_bare_carriage_returns_and_huge_cells_is_handled(admin_client):
    """Found by fuzzing: a lone CR inside a row (old Mac files, a stray one in a cell) and a
    cell over the csv module's 128 kB limit were server errors."""
    def post(data: bytes):
        page = admin_client.get("/admin/units/import").get_data(as_text=True)
        return admin_client.post("/admin/units/import", data={
            "csrf_token": csrf_token(page), "sheet": (io.BytesIO(data), "units.csv")},
            content_type="multipart/form-data")

    response = post("名称,序列\r办公室,综合管理类\r政策法规科\r,综合管理类\r".encode("gbk"))
    assert response.status_code == 422 and "第 4 行" in response.get_data(as_text=True)
    assert post("名称,序列\r办公室,综合管理类\r".encode()).status_code == 303
    assert db.session.scalars(select(Unit.name)).all() == ["办公室"]
    huge = post(("名称,序列\r\n办公室," + "类" * 140_000 + "\r\n").encode())
    assert huge.status_code == 422 and "无法读取该 CSV 文件" in huge.get_data(as_text=True)
