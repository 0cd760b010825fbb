"""Property-based fuzzing of the uploads: the units sheet, the rectification ledger and
checklist evidence. Any file — CSV in any encoding, a real or a broken .xlsx, random
bytes, odd names — is imported whole, or refused with a message and nothing changed (no
row, no file on disk)."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import random
import re
from datetime import datetime
from pathlib import Path

import pytest
from evalplatform_checklist import reviews
from evalplatform_checklist.models import ChecklistEntry, RectificationItem
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import select

from evalplatform.extensions import db
from evalplatform.models import Unit
from evalplatform.services import campaigns as campaign_service
from evalplatform.testing import build_campaign, csrf_token

FUZZ_EXAMPLES = int(os.environ.get("EVALPLATFORM_FUZZ_EXAMPLES") or 0)
FUZZ = settings(max_examples=FUZZ_EXAMPLES or 20, derandomize=not FUZZ_EXAMPLES, database=None,
                deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
                print_blob=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

UNIT_HEADER = ["名称", "序列", "排序"]
LEDGER_HEADER = ["编号", "单位", "序列", "问题", "整改措施", "责任人", "整改时限", "状态", "是否逾期",
                 "完成日期", "完成佐证"]
CELL = st.one_of(
    st.text(max_size=20).filter(lambda t: "\x00" not in t),
    st.sampled_from(["办公室", "综合管理类", "执法监管类", "1", "2", "-3", "1e400", "已完成", "整改中",
                     "未开始", "2026-12-31", "2026年2月30日", "=1+1", "@SUM(A1)", "+86", "王××",
                     "<script>alert(1)</script>", "'=cmd", "9" * 25, "", " "]),
    st.integers(-10**6, 10**6).map(str),
)
ROWS = st.lists(st.lists(CELL, max_size=len(LEDGER_HEADER)), max_size=6)
#: Rows a person would type: a unit's name, its category, perhaps a position.
PLAUSIBLE = st.lists(st.tuples(
    st.sampled_from(["办公室", "政策法规科", "审批窗口", "质量监督站", "=HYPERLINK(\"x\")科",
                     "<b>信访科</b>", " 人事科 "]),
    st.sampled_from(["综合管理类", "执法监管类", "服务窗口类", "@类"]),
    st.sampled_from(["", "1", "2", "10"])).map(list), min_size=1, max_size=5,
    unique_by=lambda row: row[0].strip())


def csv_bytes(rows: list[list[str]], encoding: str, delimiter: str) -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter).writerows(rows)
    return out.getvalue().encode(encoding, errors="replace")


def xlsx_bytes(rows: list[list[str]]) -> bytes:
    wb = Workbook()
    # the same bytes for the same rows (hypothesis replays examples)
    wb.properties.created = wb.properties.modified = datetime(2026, 1, 1)
    for row in rows:  # what Excel cannot hold in a cell, it cannot have written either
        wb.active.append([ILLEGAL_CHARACTERS_RE.sub("", cell) for cell in row])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@st.composite
def sheets(draw, header: list[str]):
    """(file name, bytes): half the time a good table as a person would save it (CSV in
    some encoding, or .xlsx); otherwise anything — wrong header, damaged .xlsx, random
    bytes, a name that does not match the content."""
    if draw(st.booleans()):
        rows = [header, *draw(PLAUSIBLE)]
        if draw(st.booleans()):
            return "单位.xlsx", xlsx_bytes(rows)
        encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"]))
        return "单位.csv", csv_bytes(rows, encoding, draw(st.sampled_from([",", "\t", ";"])))
    rows = draw(st.one_of(ROWS, PLAUSIBLE))
    if draw(st.booleans()):
        rows = [header, *rows]
    kind = draw(st.sampled_from(["csv", "csv", "xlsx", "xlsx", "bytes"]))
    if kind == "csv":
        data = csv_bytes(rows, draw(st.sampled_from(["utf-8", "utf-8-sig", "gbk", "gb18030",
                                                       "utf-16", "big5", "latin-1"])),
                         draw(st.sampled_from([",", "\t", ";"])))
    elif kind == "xlsx":
        data = xlsx_bytes(rows)
        damage = draw(st.sampled_from(["none", "truncate", "flip"]))
        at = draw(st.integers(0, 10**6)) * (len(data) - 1) // 10**6
        if damage == "truncate":
            data = data[:at]
        elif damage == "flip":
            data = data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1:]
    else:
        data = draw(st.binary(max_size=600))
    name = draw(st.sampled_from([f"表格.{kind if kind != 'bytes' else 'csv'}", "sheet.XLSX",
                                 "sheet.csv", "a.xls", "a.txt", "noext", "", "../../x.csv",
                                 "名单.xlsx.exe"]))
    return name, data


def rows_snapshot() -> dict[str, list]:
    """Every row of every table, but the audit log's record of refused imports (a refusal
    is recorded: tests/test_security_uploads.py)."""
    db.session.commit()
    return {t.name: sorted(repr(row) for row in db.session.execute(select(t)).all()
                           if not (t.name == "audit_event" and "import_refused" in repr(row)))
            for t in db.metadata.sorted_tables}


def evidence_files(app) -> list[str]:
    root = Path(app.instance_path) / "evidence"
    return sorted(str(p) for p in root.rglob("*")) if root.exists() else []


#: A refusal's reason on the page: on the field, as a flash message, or a row of the
#: import report ("第 3 行 …").
CHINESE_ERROR = re.compile(r'class="(?:error|flash flash-error)"[^>]*>[^<]*[\u4e00-\u9fff]'
                           r'|第 \d+ 行</td><td>[^<]*[\u4e00-\u9fff]')


def upload(client, page_url: str, field: str, name: str, data: bytes, extra=None):
    page = client.get(page_url)
    assert page.status_code == 200
    payload = {"csrf_token": csrf_token(page.get_data(as_text=True)), **(extra or {}),
               field: (io.BytesIO(data), name)}
    return client.post(page_url, data=payload, content_type="multipart/form-data")


def check_outcome(response, before, accepted_status=(302, 303)) -> bool:
    """True if accepted; otherwise asserts a clear refusal that changed nothing."""
    assert response.status_code < 500, response.status_code
    event(f"answered {response.status_code}")
    if response.status_code in accepted_status:
        return True
    assert response.status_code in (400, 413, 422), response.status_code
    assert CHINESE_ERROR.search(response.get_data(as_text=True)) or \
        response.status_code in (400, 413)
    assert rows_snapshot() == before
    return False


@FUZZ
@given(sheet=sheets(UNIT_HEADER))
def test_any_units_sheet_is_imported_whole_or_refused(admin_client, sheet):
    name, data = sheet
    before = rows_snapshot()
    response = upload(admin_client, "/admin/units/import", "sheet", name, data)
    if check_outcome(response, before):
        # all or nothing: every unit of the sheet is there, trimmed, with its category

        units = db.session.scalars(select(Unit)).all()
        assert units and all(u.name == u.name.strip() and u.category for u in units)


@pytest.fixture
def ledger_campaign(app):
    campaign, _ = build_campaign(status="draft", title="对照检查")
    campaign_service.enable_scheme(campaign, "checklist", None, {"lists": ["sige_shifou"]})
    db.session.commit()
    from evalplatform_checklist import evidence, reviews

    lst = reviews.campaign_config(campaign)["lists"][0]
    for unit, item in zip(campaign.units[:2], lst["items"], strict=False):
        reviews.record_reviews(campaign, unit, [reviews.ReviewInput(
            lst["key"], item["key"], "不符合", "2", "")], None, evidence.FileBatch())
    db.session.commit()
    return campaign


@st.composite
def ledger_rows(draw, items: list[RectificationItem]):
    """A filled-in ledger as a unit sends it back: right ids, any status, dates as people
    write them, measures and names with markup or formulas."""
    rows = [LEDGER_HEADER]
    for item in draw(st.lists(st.sampled_from(items), min_size=1, max_size=len(items),
                              unique_by=lambda i: i.id)):
        cells = {"编号": draw(st.sampled_from([str(item.id), f"'{item.id}", f"{item.id}.0"])),
                 "单位": item.unit.name, "序列": item.unit.category, "问题": item.problem,
                 "整改措施": draw(st.sampled_from(["完善制度", "", "=整改", "<b>公示</b>"])),
                 "责任人": draw(st.sampled_from(["王××", "", "@李"])),
                 "整改时限": draw(st.sampled_from(["2030-12-31", "2030年1月2日", "2030/2/30",
                                               "", "明年"])),
                 "状态": draw(st.sampled_from(["未开始", "整改中", "已完成", "完成", ""])),
                 "是否逾期": "否",
                 "完成日期": draw(st.sampled_from(["", "2026-01-05", "2999-01-01"])),
                 "完成佐证": ""}
        rows.append([cells[c] for c in LEDGER_HEADER])
    return rows


@FUZZ
@given(data=st.data())
def test_any_ledger_sheet_is_imported_whole_or_refused(evaluator_client, ledger_campaign, data):
    items = db.session.scalars(select(RectificationItem).order_by(RectificationItem.id)).all()
    if data.draw(st.booleans(), label="filled in"):
        rows = data.draw(ledger_rows(items))
        name, sheet = (("台账.xlsx", xlsx_bytes(rows)) if data.draw(st.booleans()) else
                       ("台账.csv", csv_bytes(rows, data.draw(st.sampled_from(
                           ["utf-8-sig", "gbk", "utf-16"])), ",")))
    else:
        name, sheet = data.draw(sheets(LEDGER_HEADER))
    before = rows_snapshot()
    url = f"/checklist/campaigns/{ledger_campaign.id}/ledger/import"
    if check_outcome(upload(evaluator_client, url, "sheet", name, sheet), before):
        db.session.expire_all()
        for item in db.session.scalars(select(RectificationItem)):
            assert item.status in ("未开始", "整改中", "已完成")
            if item.status != "未开始":  # the import's own rule (填写说明 3)
                assert item.measure and item.responsible and item.deadline


#: What may arrive as evidence: real small files of the accepted kinds, those with the
#: wrong name, and anything else.
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
EVIDENCE = st.tuples(
    st.sampled_from(["证明.pdf", "照片.png", "a.PDF", "记录.docx", "x.html", "x.svg", "x.exe",
                     "../../etc/passwd", "", "很长" * 200 + ".pdf", "a.pdf\u202egnp."]),
    st.one_of(st.sampled_from([PDF, PNG, b"", b"<html><script>alert(1)</script></html>",
                               b"PK\x03\x04broken"]), st.binary(max_size=300)),
)


@FUZZ
@given(evidence=EVIDENCE, seed=st.integers(0, 2**16))
def test_any_evidence_file_is_kept_whole_or_refused_and_leaves_no_file(
        app, evaluator_client, ledger_campaign, evidence, seed):

    name, data = evidence
    item = db.session.scalars(select(RectificationItem)).first()
    url = f"/checklist/campaigns/{ledger_campaign.id}/rectifications/{item.id}"
    fields = {"problem": item.problem, "measure": "完善制度", "responsible": "王××",
              "deadline": "2026-12-31", "status": random.Random(seed).choice(
                  ["整改中", "已完成"]), "completed_on": "2026-06-30"}
    previous = item.evidence_sha256
    before, files = rows_snapshot(), evidence_files(app)
    response = upload(evaluator_client, url, "evidence", name, data, fields)
    if not check_outcome(response, before):
        assert evidence_files(app) == files  # nothing written, nothing left behind
        return
    db.session.expire_all()
    stored = db.session.get(RectificationItem, item.id)
    if stored.evidence_sha256 != previous:  # kept under a random name, byte for byte
        from evalplatform_checklist.evidence import path_for

        assert stored.evidence_sha256 == hashlib.sha256(data).hexdigest()
        assert path_for(stored.evidence_file).read_bytes() == data
        assert name not in stored.evidence_file


@FUZZ
@given(evidence=EVIDENCE)
def test_any_finding_evidence_is_kept_whole_or_refused_and_leaves_no_file(
        app, evaluator_client, ledger_campaign, evidence):
    from evalplatform_checklist.forms import field_id


    name, data = evidence
    unit = ledger_campaign.units[2]  # not reviewed yet
    item = reviews.campaign_config(ledger_campaign)["lists"][0]["items"][1]
    fid = field_id(item["key"])
    url = f"/checklist/campaigns/{ledger_campaign.id}/reviews/{unit.id}"
    previous = db.session.scalar(select(ChecklistEntry.evidence_sha256).where(
        ChecklistEntry.unit_id == unit.id))
    before, files = rows_snapshot(), evidence_files(app)
    response = upload(evaluator_client, url, f"f_{fid}", name, data,
                      {f"r_{fid}": "基本符合", f"d_{fid}": "1", f"n_{fid}": "资料不全"})
    if not check_outcome(response, before):
        assert evidence_files(app) == files
        return
    db.session.expire_all()
    entry = db.session.scalar(select(ChecklistEntry).where(ChecklistEntry.unit_id == unit.id))
    if entry.evidence_sha256 != previous:  # a new file: kept byte for byte
        from evalplatform_checklist.evidence import path_for

        assert entry.evidence_sha256 == hashlib.sha256(data).hexdigest()
        assert path_for(entry.evidence_file).read_bytes() == data
