"""Uploads cannot take the service down: a sheet is parsed within limits before any write
transaction begins, refused with a clear reason past a limit, and the refusal is audited;
respondents keep voting meanwhile."""

from __future__ import annotations

import io
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import func, select
from test_units_import import IMPORT, ROWS, upload, xlsx

from evalplatform.extensions import db
from evalplatform.models import AuditEvent, Ballot, Unit
from evalplatform.services.ballots import answer_field, questionnaire
from evalplatform.testing import ADMIN_PASSWORD, build_campaign, csrf_token


def with_shared_strings(count: int, text: bytes = b"x") -> bytes:
    """A real .xlsx whose shared strings table holds ``count`` strings: a tenth of a
    megabyte on the wire, many megabytes unpacked."""
    source = zipfile.ZipFile(io.BytesIO(xlsx(ROWS)))
    item = b"<si><t>" + text + b"</t></si>"
    strings = (b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxml'
               b'formats.org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">'
               % (count, count) + item * count + b"</sst>")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "[Content_Types].xml":
                content = content.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings'
                                          b'.xml" ContentType="application/vnd.openxmlformats-'
                                          b'officedocument.spreadsheetml.sharedStrings+xml"/>'
                                          b"</Types>")
            elif info.filename == "xl/_rels/workbook.xml.rels":
                content = content.replace(b"</Relationships>", b'<Relationship Id="rIdS" Type='
                                          b'"http://schemas.openxmlformats.org/officeDocument/'
                                          b'2006/relationships/sharedStrings" Target="shared'
                                          b'Strings.xml"/></Relationships>')
            archive.writestr(info.filename, content)
        archive.writestr("xl/sharedStrings.xml", strings)
    return buffer.getvalue()


def refused_imports() -> list[AuditEvent]:
    db.session.commit()
    return db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "unit.import_refused")).all()


@pytest.mark.parametrize(("data", "name"), [
    (with_shared_strings(3_000_000), "unpacks into 51 MB"),
    (with_shared_strings(300_000), "300,000 shared strings"),
    (("名称,序列," + ",".join(f"列{n}" for n in range(60)) + "\r\n"
      + "".join(f"科室{n},综合管理类" + ",x" * 60 + "\r\n" for n in range(4900))).encode(),
     "300,000 cells"),
])
def test_a_sheet_past_a_limit_is_refused_at_once_and_audited(admin_client, data, name):
    start = time.monotonic()
    response = upload(admin_client, "units.xlsx" if data.startswith(b"PK") else "units.csv", data)
    took = time.monotonic() - start
    response.request.environ["wsgi.input"].close()  # the test client's spooled upload
    assert response.status_code == 422, name
    assert "表格过大或过于复杂" in response.get_data(as_text=True), name
    assert took < 5, (name, took)
    assert db.session.scalar(select(func.count()).select_from(Unit)) == 0
    (event,) = refused_imports()
    assert event.detail["reason"].startswith("表格过大") and event.detail["file"]


def test_wrong_rows_are_audited_as_a_refused_import_too(admin_client):
    response = upload(admin_client, "units.csv", "名称,序列\r\n办公室,\r\n".encode())
    assert response.status_code == 422
    (event,) = refused_imports()
    assert event.detail == {"file": "units.csv", "reason": "1 行有误"}


def test_an_upload_during_a_ballot_burst_holds_up_no_ballot(app, live_server, admin_user):
    """Through gunicorn: while an admin uploads a sheet that unpacks into 51 MB, twenty
    respondents submit ballots; each is stored at once and the upload is refused."""
    campaign, plaintext = build_campaign(codes_per_group=10)
    q = questionnaire(campaign)
    form = {answer_field(u.id, i.id): "1" for u in q.units for i in q.items}
    admin = requests.Session()
    page = admin.get(f"{live_server.url}/login", timeout=10).text
    admin.post(f"{live_server.url}/login", timeout=10, data={
        "csrf_token": csrf_token(page), "username": "admin", "password": ADMIN_PASSWORD})
    import_page = admin.get(f"{live_server.url}{IMPORT}", timeout=10).text
    bomb = with_shared_strings(3_000_000)

    def vote(code: str) -> tuple[int, float]:
        browser = requests.Session()
        ballot = browser.get(f"{live_server.url}/s/{code}", timeout=30).text
        start = time.monotonic()
        status = browser.post(f"{live_server.url}/survey", allow_redirects=False, timeout=30,
                              data={"csrf_token": csrf_token(ballot), **form}).status_code
        return status, time.monotonic() - start

    def upload_bomb() -> int:
        return admin.post(f"{live_server.url}{IMPORT}", timeout=60, files={
            "sheet": ("units.xlsx", bomb)}, data={"csrf_token": csrf_token(import_page)}
        ).status_code

    with ThreadPoolExecutor(8) as pool:
        uploads = [pool.submit(upload_bomb) for _ in range(2)]
        votes = [pool.submit(vote, code) for code in plaintext["服务对象"] + plaintext["机关干部"]]
        answers = [v.result() for v in votes]
        assert [u.result() for u in uploads] == [422, 422]
    assert [status for status, _ in answers] == [303] * 20
    assert max(took for _, took in answers) < 5
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == 20
    assert len(refused_imports()) == 2
