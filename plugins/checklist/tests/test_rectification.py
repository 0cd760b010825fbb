"""The rectification ledger (整改台账): overdue computed from deadlines and flagged on the
results, the edit form, problems added by hand, the Excel round trip."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from checklist_helpers import checklist_campaign, problems
from evalplatform_checklist import evidence, ledger, reviews
from openpyxl import Workbook, load_workbook

from evalplatform.extensions import db
from evalplatform.scoring.engine import campaign_results
from evalplatform.testing import csrf_token


def failing(campaign, unit, index: int = 0, deduction: float = 3, note: str = "") -> None:
    config = reviews.campaign_config(campaign)
    lst = config["lists"][0]
    reviews.record_reviews(campaign, unit, [reviews.ReviewInput(
        lst["key"], lst["items"][index]["key"], "不符合", str(deduction), note)], None,
        evidence.FileBatch())
    db.session.commit()


def change(item, status: str, deadline: date | None, measure: str = "完善制度",
           responsible: str = "王××", completed: date | None = None) -> None:
    ledger.update_item(item, ledger.Changes(measure, responsible, deadline, status, completed), None,
                       reviews.local_today())
    db.session.commit()


@pytest.fixture
def ledger_campaign(app):
    """Four units; 办公室 has two problems, 政策法规科 one."""
    campaign, _ = checklist_campaign()
    office, law = campaign.units[:2]
    failing(campaign, office, 0, note="窗口态度生硬")
    failing(campaign, office, 1)
    failing(campaign, law, 2)
    return campaign


def test_overdue_is_computed_from_the_deadline_and_flagged_on_the_results(ledger_campaign):
    campaign = ledger_campaign
    today = reviews.local_today()
    first, second, third = problems(campaign)
    change(first, "整改中", today - timedelta(days=1))  # late
    change(second, "整改中", today)  # due today: not late yet
    change(third, "已完成", today - timedelta(days=9), completed=today - timedelta(days=10))
    assert [p.display_status(today) for p in problems(campaign)] == ["逾期", "整改中", "已完成"]
    assert [p.status for p in problems(campaign)] == ["整改中", "整改中", "已完成"]  # 逾期 not stored
    result = campaign_results(campaign).schemes["checklist"]
    office = result.unit(campaign.units[0].id)
    assert "overdue" in office.flags and "整改逾期 1 项" in office.flag_labels
    assert "overdue" not in result.unit(campaign.units[1].id).flags

    change(problems(campaign)[1], "整改中", today - timedelta(days=2))
    assert "整改逾期 2 项" in campaign_results(campaign).schemes["checklist"].unit(
        campaign.units[0].id).flag_labels


def edit_url(campaign, item) -> str:
    return f"/checklist/campaigns/{campaign.id}/rectifications/{item.id}"


def post_edit(client, campaign, item, **fields):
    page = client.get(edit_url(campaign, item))
    data = {"csrf_token": csrf_token(page.get_data(as_text=True)), "measure": "", "responsible": "",
            "deadline": "", "status": "未开始", "completed_on": "", **fields}
    return client.post(edit_url(campaign, item), data=data, content_type="multipart/form-data")


@pytest.mark.parametrize(("fields", "message"), [
    ({"status": "整改中", "responsible": "王××", "deadline": "2026-12-31"}, "须填写整改措施"),
    ({"status": "整改中", "measure": "公示流程", "deadline": "2026-12-31"}, "须填写责任人"),
    ({"status": "已完成", "measure": "公示流程", "responsible": "王××"}, "须填写整改时限"),
    ({"status": "逾期"}, "“逾期”由整改时限自动判断"),
    ({"status": "完成了"}, "状态只能是未开始、整改中、已完成之一"),
    ({"deadline": "明年"}, "整改时限“明年”不是日期"),
    ({"deadline": "2026-02-30"}, "整改时限“2026-02-30”不是日期"),
    ({"deadline": "1999-12-31"}, "整改时限应在 2000 年至 2099 年之间"),
    ({"status": "整改中", "measure": "公示流程", "responsible": "王××", "deadline": "2026-12-31",
      "completed_on": "2026-11-01"}, "只有“已完成”的事项才填写完成日期"),
    ({"measure": "措" * 1001}, "整改措施不超过 1000 字"),
])
def test_the_edit_form_refuses_what_cannot_be_and_changes_nothing(
        ledger_campaign, evaluator_client, fields, message):
    item = problems(ledger_campaign)[0]
    response = post_edit(evaluator_client, ledger_campaign, item, **fields)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    [after, *_] = problems(ledger_campaign)
    assert (after.status, after.measure, after.deadline) == ("未开始", "", None)


def test_completing_an_item_through_the_form(ledger_campaign, evaluator_client):
    item = problems(ledger_campaign)[0]
    tomorrow = reviews.local_today() + timedelta(days=1)
    response = post_edit(evaluator_client, ledger_campaign, item, measure="公示办事流程和时限",
                         responsible="王××（科长）", deadline="2026-12-31", status="已完成",
                         completed_on=tomorrow.isoformat())
    assert response.status_code == 422 and "完成日期不能晚于今天" in response.get_data(as_text=True)
    response = post_edit(evaluator_client, ledger_campaign, item, measure="公示办事流程和时限",
                         responsible="王××（科长）", deadline="2026-12-31", status="已完成")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"unit_id={item.unit_id}#item-{item.id}")
    after = problems(ledger_campaign)[0]
    assert (after.status, after.completed_on, after.responsible) == (
        "已完成", reviews.local_today(), "王××（科长）")
    page = evaluator_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "整改事项已更新。" in page and "公示办事流程和时限" in page


def test_a_problem_can_be_added_by_hand(ledger_campaign, evaluator_client):
    campaign = ledger_campaign
    url = f"/checklist/campaigns/{campaign.id}/ledger"
    token = csrf_token(evaluator_client.get(url).get_data(as_text=True), "new-")
    refused = evaluator_client.post(url + "/new", data={"new-csrf_token": token, "new-unit_id": "",
                                                        "new-problem": "办事指南更新不及时"})
    assert refused.status_code == 303
    assert "请选择本评议活动的被评单位" in evaluator_client.get(url).get_data(as_text=True)
    unit = campaign.units[3]
    response = evaluator_client.post(url + "/new", data={
        "new-csrf_token": token, "new-unit_id": str(unit.id),
        "new-problem": "征求意见反映办事指南更新不及时"})
    assert response.status_code == 303
    added = problems(campaign)[-1]
    assert (added.unit_id, added.entry_id, added.problem) == (unit.id, None, "征求意见反映办事指南更新不及时")
    assert response.headers["Location"].endswith(f"/rectifications/{added.id}")


# -- Excel --------------------------------------------------------------------------------

def export(client, campaign, unit=None):
    url = f"/checklist/campaigns/{campaign.id}/ledger.xlsx" + (f"?unit_id={unit.id}" if unit else "")
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    return load_workbook(io.BytesIO(response.data))


def upload(client, campaign, data: bytes, filename: str):
    url = f"/checklist/campaigns/{campaign.id}/ledger/import"
    token = csrf_token(client.get(url).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, "sheet": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def saved(workbook) -> bytes:
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def heads(sheet) -> dict[str, int]:
    return {cell.value: cell.column for cell in sheet[1]}


def test_export_and_import_round_trip_with_a_changed_status(ledger_campaign, evaluator_client):
    campaign = ledger_campaign
    workbook = export(evaluator_client, campaign)
    sheet = workbook["整改台账"]
    col = heads(sheet)
    assert list(col) == list(ledger.COLUMNS)
    assert sheet.max_row == 4 and "填写说明" in workbook.sheetnames
    assert sheet.cell(2, col["问题"]).value.startswith("四个是否：工作态度是否端正")
    assert sheet.cell(2, col["状态"]).value == "未开始"
    first_id = sheet.cell(2, col["编号"]).value
    sheet.cell(2, col["整改措施"]).value = "公开办事流程，设置意见箱"
    sheet.cell(2, col["责任人"]).value = "王××"
    sheet.cell(2, col["整改时限"]).value = date(2026, 12, 31)
    sheet.cell(2, col["状态"]).value = "已完成"
    sheet.cell(2, col["完成日期"]).value = "2026/11/20"
    sheet.cell(3, col["整改措施"]).value = "建立首问负责制"
    response = upload(evaluator_client, campaign, saved(workbook), "整改台账.xlsx")
    assert response.status_code == 303
    page = evaluator_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "导入完成：更新 2 项，1 项没有变化。" in page
    first, second, third = problems(campaign)
    assert first.id == first_id
    assert (first.measure, first.responsible, first.deadline, first.status, first.completed_on) == (
        "公开办事流程，设置意见箱", "王××", date(2026, 12, 31), "已完成", date(2026, 11, 20))
    assert (second.measure, second.status) == ("建立首问负责制", "未开始")
    assert third.measure == ""

    # one unit's list only
    only = export(evaluator_client, campaign, campaign.units[1])["整改台账"]
    assert only.max_row == 2 and only.cell(2, col["单位"]).value == "政策法规科"


def test_a_malformed_import_is_refused_with_row_numbers_and_changes_nothing(
        ledger_campaign, evaluator_client):
    campaign = ledger_campaign
    first, second, third = problems(campaign)
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["编号", "整改措施", "责任人", "整改时限", "状态", "完成日期"])
    sheet.append([first.id, "公开流程", "王××", "2026-12-31", "整改中", None])  # fine
    sheet.append([second.id, "", "", None, "逾期", None])
    sheet.append([99999, "", "", None, "未开始", None])
    sheet.append([third.id, "公开流程", "王××", "下个月", "整改中", None])
    sheet.append([first.id, "", "", None, "未开始", None])
    sheet.append(["", "", "", None, "", None])  # blank: skipped
    sheet.append([None, "有内容没编号", "", None, "未开始", None])
    sheet.append(["inf", "", "", None, "未开始", None])
    response = upload(evaluator_client, campaign, saved(workbook), "台账.xlsx")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "发现 6 处错误，未导入任何内容" in page
    for row, message in ((3, "“逾期”由整改时限自动判断"), (4, "编号 99999 不是本评议活动的整改事项"),
                         (5, "整改时限“下个月”不是日期"), (6, f"编号 {first.id} 与第 2 行重复"),
                         (8, "缺少编号或编号不是整数"), (9, "缺少编号或编号不是整数")):
        assert f"第 {row} 行</td><td>{message}" in page, row
    assert [p.status for p in problems(campaign)] == ["未开始"] * 3
    assert problems(campaign)[0].measure == ""

    for data, name, message in ((b"", "x.xlsx", "上传的文件是空的"),
                                (b"not a workbook", "x.xlsx", "无法读取该 Excel 文件"),
                                (b"a,b\n1,2\n", "x.csv", "须包含“编号”和“状态”两列"),
                                (b"%PDF-1.4", "x.pdf", "请上传 .xlsx 或 .csv 格式的表格")):
        refused = upload(evaluator_client, campaign, data, name)
        assert refused.status_code == 422 and message in refused.get_data(as_text=True), name


def test_a_gbk_csv_is_accepted(ledger_campaign, evaluator_client):
    campaign = ledger_campaign
    first = problems(campaign)[0]
    text = f"编号,状态,整改措施,责任人,整改时限\r\n{first.id},整改中,每周通报整改进度,李××,2026年12月1日\r\n"
    response = upload(evaluator_client, campaign, text.encode("gbk"), "整改台账.csv")
    assert response.status_code == 303
    after = problems(campaign)[0]
    assert (after.status, after.measure, after.responsible, after.deadline) == (
        "整改中", "每周通报整改进度", "李××", date(2026, 12, 1))


def test_formula_like_text_is_escaped_on_export_and_survives_the_round_trip(
        ledger_campaign, evaluator_client):
    campaign = ledger_campaign
    item = problems(campaign)[0]
    change(item, "整改中", date(2026, 12, 31), measure="+1+1 每周检查",
           responsible='=HYPERLINK("http://evil.example","点我")')
    failing(campaign, campaign.units[0], 3, note="@SUM(A1:A9)")
    workbook = export(evaluator_client, campaign)
    sheet = workbook["整改台账"]
    col = heads(sheet)
    cells = [sheet.cell(row, col[name]) for row in range(2, sheet.max_row + 1)
             for name in ("问题", "整改措施", "责任人")]
    risky = [c for c in cells if c.value and c.value.lstrip("'").startswith(("=", "+", "-", "@"))]
    assert len(risky) == 2
    assert all(c.value.startswith("'") and c.data_type == "s" for c in risky)
    assert any("@SUM" in c.value for c in cells if c.column == col["问题"])  # inside the text
    response = upload(evaluator_client, campaign, saved(workbook), "整改台账.xlsx")
    assert response.status_code == 303
    after = problems(campaign)[0]
    assert after.responsible == '=HYPERLINK("http://evil.example","点我")'
    assert after.measure == "+1+1 每周检查"
