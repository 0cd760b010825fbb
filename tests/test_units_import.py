"""Importing appraised units from a spreadsheet, as an admin uploads one in the browser."""

from __future__ import annotations

import io
import re
import zipfile

from openpyxl import Workbook
from sqlalchemy import func, select

from evalplatform.extensions import db
from evalplatform.models import AuditEvent, Unit
from evalplatform.services import units as unit_service
from evalplatform.testing import csrf_token

IMPORT = "/admin/units/import"


def xlsx(rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_text(rows) -> str:
    return "".join(",".join(str(cell) for cell in row) + "\r\n" for row in rows)


def upload(client, filename: str, data: bytes):
    """Open the import page and upload one file through its form, as a browser would."""
    page = client.get(IMPORT)
    assert page.status_code == 200
    token = csrf_token(page.get_data(as_text=True))
    return client.post(IMPORT, data={"csrf_token": token, "sheet": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def stored_units() -> dict[str, tuple[str, int, bool]]:
    return {u.name: (u.category, u.position, u.active)
            for u in db.session.scalars(select(Unit).order_by(Unit.id))}


def unit_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Unit))


def imports_logged() -> int:
    return db.session.scalar(select(func.count()).where(AuditEvent.action == "unit.import"))


ROWS = [("名称", "序列", "排序"),
        ("办公室", "综合管理类", 1),
        ("政策法规科", "综合管理类", 2),
        ("建设工程质量监督站", "执法监管类", 3),
        ("行政审批服务窗口", "服务窗口类", 4)]


def test_import_page_offers_form_and_template(admin_client):
    page = admin_client.get(IMPORT).get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and 'name="sheet"' in page
    template = admin_client.get("/admin/units/template.csv")
    assert template.status_code == 200
    assert template.data.startswith(b"\xef\xbb\xbf")
    assert template.data.decode("utf-8-sig").splitlines()[0] == "名称,序列,排序"


def test_xlsx_import_creates_units_and_lists_them(admin_client):
    response = upload(admin_client, "被评单位.xlsx", xlsx(ROWS))
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/admin/units")
    listing = admin_client.get("/admin/units").get_data(as_text=True)
    assert "导入完成：新增 4 个单位，更新 0 个。" in listing
    assert "建设工程质量监督站" in listing and "全部单位（4）" in listing
    assert stored_units() == {
        "办公室": ("综合管理类", 1, True), "政策法规科": ("综合管理类", 2, True),
        "建设工程质量监督站": ("执法监管类", 3, True), "行政审批服务窗口": ("服务窗口类", 4, True)}
    assert imports_logged() == 1


def test_xlsx_with_numeric_cells_and_number_header_is_read(admin_client):
    # Excel users type numbers in any cell, including an unused header column.
    rows = [("序号", "单位名称", "类别", 2026), (1.0, "办公室", "综合管理类", None),
            (2, "督查室", "综合管理类", "备注")]
    response = upload(admin_client, "units.xlsx", xlsx(rows))
    assert response.status_code == 303, response.get_data(as_text=True)
    assert stored_units() == {"办公室": ("综合管理类", 1, True), "督查室": ("综合管理类", 2, True)}


def _rewrite_sheet(data: bytes, change) -> bytes:
    """The workbook with its first sheet's XML passed through `change`."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                content = change(content)
            archive.writestr(info.filename, content)
    return buffer.getvalue()


def test_xlsx_with_a_wrong_recorded_size_is_read_in_full(admin_client):
    # Some programs record the sheet's size as "A1" whatever it holds.
    data = _rewrite_sheet(xlsx(ROWS), lambda xml: re.sub(
        rb'<dimension ref="[^"]*" ?/>', b'<dimension ref="A1"/>', xml))
    assert b'<dimension ref="A1"/>' in zipfile.ZipFile(io.BytesIO(data)).read(
        "xl/worksheets/sheet1.xml")
    response = upload(admin_client, "units.xlsx", data)
    assert response.status_code == 303, response.get_data(as_text=True)
    assert unit_count() == 4
    assert stored_units()["行政审批服务窗口"] == ("服务窗口类", 4, True)


def test_excel_unicode_text_is_imported(admin_client):
    # Excel's "Unicode 文本 (*.txt)": UTF-16 with a BOM, tab separated
    data = "".join("\t".join(str(c) for c in row) + "\r\n" for row in ROWS).encode("utf-16")
    assert upload(admin_client, "units.txt", data).status_code == 303
    assert stored_units()["政策法规科"] == ("综合管理类", 2, True)


def test_too_many_rows_are_refused(admin_client):
    rows = [("名称", "序列")] + [(f"单位{i}", "综合管理类") for i in range(5001)]
    response = upload(admin_client, "units.csv", csv_text(rows).encode())
    assert response.status_code == 422
    assert "一次最多导入 5000 行" in response.get_data(as_text=True)
    assert unit_count() == 0


def test_csv_utf8_with_bom_is_imported(admin_client):
    data = ("\ufeff" + csv_text(ROWS)).encode("utf-8")
    assert upload(admin_client, "units.csv", data).status_code == 303
    assert set(stored_units()) == {row[0] for row in ROWS[1:]}
    assert stored_units()["办公室"] == ("综合管理类", 1, True)  # BOM not glued to 名称


def test_csv_in_gbk_is_imported(admin_client):
    data = csv_text(ROWS).encode("gbk")
    assert upload(admin_client, "units.csv", data).status_code == 303
    assert stored_units()["建设工程质量监督站"] == ("执法监管类", 3, True)
    assert unit_count() == 4


def test_csv_without_position_column_appends_in_order(admin_client):
    unit_service.save_unit(None, "已有单位", "综合管理类", 7, None)
    db.session.commit()
    data = csv_text([("名称", "序列"), ("甲科", "综合管理类"), ("乙科", "执法监管类")])
    assert upload(admin_client, "units.csv", data.encode()).status_code == 303
    units = stored_units()
    assert units["甲科"] == ("综合管理类", 8, True) and units["乙科"] == ("执法监管类", 9, True)


def test_existing_units_are_updated_by_name(admin_client):
    office = unit_service.save_unit(None, "办公室", "旧序列", 9, None)
    unit_service.set_unit_active(office, False, None)
    db.session.commit()
    response = upload(admin_client, "units.xlsx", xlsx(ROWS))
    assert response.status_code == 303
    assert "新增 3 个单位，更新 1 个" in admin_client.get("/admin/units").get_data(as_text=True)
    assert unit_count() == 4
    assert stored_units()["办公室"] == ("综合管理类", 1, True)
    assert db.session.scalar(select(Unit.id).where(Unit.name == "办公室")) == office.id


def test_row_errors_are_listed_and_nothing_is_imported(admin_client):
    unit_service.save_unit(None, "办公室", "综合管理类", 1, None)
    db.session.commit()
    rows = [("名称", "序列", "排序"),
            ("新建科", "综合管理类", 2),          # row 2: fine
            ("缺序列科", "", 3),                  # row 3: no category
            ("办公室", "执法监管类", "x"),        # row 4: 排序 not a number
            ("新建科", "执法监管类", 5)]          # row 5: same name as row 2
    response = upload(admin_client, "units.xlsx", xlsx(rows))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "发现 3 处错误，未导入任何单位" in html
    assert "第 3 行" in html and "请填写序列" in html
    assert "第 4 行" in html and "排序“x”不是数字" in html
    assert "第 5 行" in html and "单位“新建科”与第 2 行重复" in html
    assert "第 2 行</td>" not in html
    # all or nothing: the good row is not stored, the existing unit is not changed
    assert stored_units() == {"办公室": ("综合管理类", 1, True)}
    assert imports_logged() == 0


def test_row_errors_in_csv_give_sheet_row_numbers(admin_client):
    data = csv_text([("名称", "序列", "排序"), ("甲科", "综合管理类", ""),
                     ("", "", ""),                       # blank line: skipped, still counted
                     ("乙科", "", "2")]).encode("gbk")
    response = upload(admin_client, "units.csv", data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "第 4 行" in html and "请填写序列" in html
    assert unit_count() == 0


def test_absurd_position_is_a_row_error_not_a_crash(admin_client):
    rows = [("名称", "序列", "排序")] + [(f"{p}科", "综合管理类", p)
                                       for p in ("inf", "nan", "1e30", "-1e30", "-1", "2.5")]
    response = upload(admin_client, "units.csv", csv_text(rows).encode())
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "发现 6 处错误" in html
    assert all(f"第 {n} 行" in html for n in range(2, 8))
    assert "排序“2.5”不是整数" in html and "排序应为 0 至 999999 之间的整数" in html
    assert unit_count() == 0


UNREADABLE = [
    ("units.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "不支持旧版 .xls 格式"),
    ("units.xlsx", b"this is not a spreadsheet at all", "无法读取该 Excel 文件"),
    ("units.xlsx", b"PK\x03\x04 truncated zip", "无法读取该 Excel 文件"),
    ("units.xlsx", b"", "上传的文件是空的"),
    ("units.csv", b"", "上传的文件是空的"),
    ("units.csv", "名称,序列,排序\r\n".encode(), "表格中没有数据"),
    ("units.csv", "单位,排序\r\n办公室,1\r\n".encode(), "未找到：序列"),
    ("units.csv", "序列,排序\r\n综合管理类,1\r\n".encode("gbk"), "未找到：名称"),
    ("units.xlsx", None, "未找到：名称"),
    ("units.csv", b"\x00\x01\x02binary", "不是文本表格"),
    ("units.pdf", b"%PDF-1.4", "请上传 .xlsx 或 .csv"),
    ("units", b"", "请上传 .xlsx 或 .csv"),
]


def test_unreadable_files_get_a_clear_message_and_store_nothing(admin_client):
    for filename, data, message in UNREADABLE:
        if data is None:
            data = xlsx([("序列", "排序"), ("综合管理类", 1)])
        response = upload(admin_client, filename, data)
        assert response.status_code == 422, (filename, data[:20], response.status_code)
        html = response.get_data(as_text=True)
        assert message in html, (filename, data[:20])
        assert 'class="error" id="sheet-error"' in html  # shown on the upload field
    assert unit_count() == 0
    assert imports_logged() == 0


def test_broken_xlsx_sheet_is_refused_not_a_server_error(admin_client):
    broken = _rewrite_sheet(xlsx(ROWS), lambda _: b"<worksheet><sheetData><row r='1'><c r")
    response = upload(admin_client, "units.xlsx", broken)
    assert response.status_code == 422
    assert "无法读取该 Excel 文件" in response.get_data(as_text=True)
    assert unit_count() == 0


def test_upload_without_file_or_token_is_refused(admin_client):
    page = admin_client.get(IMPORT).get_data(as_text=True)
    no_file = admin_client.post(IMPORT, data={"csrf_token": csrf_token(page)},
                                content_type="multipart/form-data")
    assert no_file.status_code == 422
    assert "请选择要上传的文件" in no_file.get_data(as_text=True)
    no_token = admin_client.post(IMPORT, data={"sheet": (io.BytesIO(xlsx(ROWS)), "u.xlsx")},
                                 content_type="multipart/form-data")
    assert no_token.status_code == 400
    assert unit_count() == 0


def test_evaluator_cannot_import(evaluator_client):
    assert evaluator_client.get(IMPORT).status_code == 403
    response = evaluator_client.post(IMPORT, data={"sheet": (io.BytesIO(xlsx(ROWS)), "u.xlsx")},
                                     content_type="multipart/form-data")
    assert response.status_code in (400, 403)
    assert unit_count() == 0
