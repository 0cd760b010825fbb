"""Evidence files: real small PDF/PNG accepted; a program renamed .pdf, other types and
oversized files refused; stored outside the web root under a random name; served to
staff only, as an attachment that browsers must not sniff."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest
from checklist_helpers import checklist_campaign, entries, pdf_bytes, png_bytes, post_review, problems
from evalplatform_checklist import evidence

from evalplatform.testing import csrf_token

ROOT = Path(__file__).resolve().parents[3]


def stored_files(app) -> set[Path]:
    folder = Path(app.instance_path) / "evidence"
    return {p for p in folder.rglob("*") if p.is_file()} if folder.exists() else set()


def download(client, url):
    response = client.get(url)
    response.close()  # files are streamed
    return response


def test_a_pdf_is_accepted_stored_outside_the_web_root_and_served_to_staff_only(
        app, evaluator_client, admin_client, client):
    campaign, _ = checklist_campaign()
    content = pdf_bytes()
    response = post_review(evaluator_client, campaign, campaign.units[0],
                           {0: ("不符合", "2", "窗口无人值守")}, files={0: (content, "现场检查记录.pdf")})
    assert response.status_code == 303
    [entry] = entries(campaign)
    assert (entry.evidence_name, entry.evidence_size, entry.evidence_type) == (
        "现场检查记录.pdf", len(content), "application/pdf")
    assert entry.evidence_sha256 == hashlib.sha256(content).hexdigest()
    path = Path(app.instance_path) / "evidence" / entry.evidence_file
    assert path.read_bytes() == content
    assert "现场检查记录" not in entry.evidence_file  # a random name
    static = ROOT / "static"
    assert static not in path.parents and not list(static.rglob("*.pdf"))

    url = f"/checklist/campaigns/{campaign.id}/entries/{entry.id}/evidence"
    page = evaluator_client.get(f"/checklist/campaigns/{campaign.id}/reviews/{campaign.units[0].id}")
    assert url in page.get_data(as_text=True)
    for staff in (evaluator_client, admin_client):
        served = staff.get(url)
        assert served.status_code == 200 and served.data == content
        assert served.headers["X-Content-Type-Options"] == "nosniff"
        assert served.headers["Content-Disposition"].startswith("attachment;")
        assert "filename*=UTF-8''" in served.headers["Content-Disposition"]
        assert "no-store" in served.headers["Cache-Control"]
        served.close()
    anonymous = download(client, url)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert download(client, f"/static/../instance/evidence/{entry.evidence_file}").status_code == 404
    other, _ = checklist_campaign(title="另一次检查")
    assert download(evaluator_client,
                    f"/checklist/campaigns/{other.id}/entries/{entry.id}/evidence").status_code == 404


def test_a_png_is_accepted_as_evidence_of_completion_and_replaces_the_old_one(
        app, evaluator_client):
    campaign, _ = checklist_campaign()
    post_review(evaluator_client, campaign, campaign.units[0], {0: ("不符合", "2", "")})
    [item] = problems(campaign)
    url = f"/checklist/campaigns/{campaign.id}/rectifications/{item.id}"

    def send(content: bytes, name: str):
        token = csrf_token(evaluator_client.get(url).get_data(as_text=True))
        return evaluator_client.post(url, data={
            "csrf_token": token, "measure": "重新公示", "responsible": "王××", "deadline": "2026-12-31",
            "status": "整改中", "completed_on": "", "evidence": (io.BytesIO(content), name)},
            content_type="multipart/form-data")

    assert send(png_bytes(), "整改后照片.png").status_code == 303
    [item] = problems(campaign)
    first = Path(app.instance_path) / "evidence" / item.evidence_file
    assert item.evidence_type == "image/png" and first.is_file()
    assert send(pdf_bytes(), "整改报告.pdf").status_code == 303
    [item] = problems(campaign)
    assert item.evidence_name == "整改报告.pdf" and not first.exists()
    served = evaluator_client.get(f"{url}/evidence")
    assert served.data == pdf_bytes() and served.mimetype == "application/pdf"
    served.close()


def office_zip(member: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(member, "<x/>")
    return out.getvalue()


@pytest.mark.parametrize(("content", "name", "message"), [
    (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 200, "整改报告.pdf",
     "文件“整改报告.pdf”的内容与扩展名 .pdf 不符"),
    (b"MZ\x90\x00" + b"\x00" * 50, "setup.exe", "证明材料只接受 PDF、JPG、PNG"),
    (b"<html><script>alert(1)</script></html>", "记录.html", "证明材料只接受"),
    (png_bytes(), "照片.jpg", "内容与扩展名 .jpg 不符"),
    (office_zip("xl/workbook.xml"), "报告.docx", "内容与扩展名 .docx 不符"),
    (b"", "空文件.pdf", "文件“空文件.pdf”是空的"),
])
def test_a_file_of_the_wrong_kind_is_refused_and_nothing_is_kept(app, evaluator_client, content,
                                                                  name, message):
    campaign, _ = checklist_campaign()
    before = stored_files(app)
    response = post_review(evaluator_client, campaign, campaign.units[0],
                           {0: ("不符合", "2", ""), 1: ("符合", "", "")}, files={0: (content, name)})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and message in page, page[:2000]
    assert "所选的证明材料文件没有保存" in page
    assert entries(campaign) == [] and problems(campaign) == []
    assert stored_files(app) == before


def test_office_documents_are_recognised_by_their_contents():
    assert evidence.detect(office_zip("word/document.xml")) == "docx"
    assert evidence.detect(office_zip("xl/workbook.xml")) == "xlsx"
    assert evidence.detect(office_zip("OFD.xml")) == "ofd"
    assert evidence.detect(b"PK\x03\x04 broken") is None
    assert evidence.detect(b"\xff\xd8\xff\xe0JFIF") == "jpeg"


def test_an_oversized_file_is_refused(app, evaluator_client, monkeypatch):
    monkeypatch.setitem(app.config, "CHECKLIST_EVIDENCE_MAX_BYTES", 1024)
    campaign, _ = checklist_campaign()
    big = pdf_bytes() + b"%" + b"0" * 2048
    before = stored_files(app)
    response = post_review(evaluator_client, campaign, campaign.units[0], {0: ("不符合", "2", "")},
                           files={0: (big, "扫描件.pdf")})
    assert response.status_code == 422
    assert "超过了 1 KB 的上限" in response.get_data(as_text=True)
    assert entries(campaign) == [] and stored_files(app) == before


def test_a_failed_transaction_removes_the_files_it_wrote(app, tmp_path):
    batch = evidence.FileBatch()
    checked = evidence.check(evidence.Upload("a.pdf", pdf_bytes()))
    name = batch.store(checked, 7)
    path = evidence.path_for(name)
    assert path.is_file() and path.stat().st_mode & 0o077 == 0
    batch.rolled_back()
    assert not path.exists()
    assert evidence.path_for("../../secret-key") is None
    assert evidence.clean_name("C:\\Users\\王\\检查\x00记录.pdf") == "检查记录.pdf"
