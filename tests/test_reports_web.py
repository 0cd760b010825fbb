"""Reports as staff use them: the letterhead form, jobs with progress, downloads, checking a
file, the API and the command line."""

from __future__ import annotations

import hashlib
import io
import time
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from test_bulletin import UNIT_ROWS, closed_campaign

from evalplatform.extensions import db
from evalplatform.models import Document, Job, ReportSettings
from evalplatform.services import jobs as job_service
from evalplatform.services import users
from evalplatform.testing import build_campaign, pdfcheck, post_form, redis_or_skip
from evalplatform.util import utcnow


@pytest.fixture
def closed(app):
    return closed_campaign(unit_rows=UNIT_ROWS[:8])


def wait_for(client, job_id: str, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = client.get(f"/evaluator/jobs/{job_id}.json").get_json()
        if state["status"] in ("done", "failed"):
            return state
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish: {state}")


def download(client, url: str):
    """GET a stored file (streamed from disk: the response must be closed)."""
    response = client.get(url)
    response.get_data()  # read (and buffer) the body before closing the file
    response.close()
    return response


def check_file(client, data: bytes, name: str) -> str:
    """Upload a file to the check page; the page's text."""
    response = post_form(client, "/evaluator/verify", {"document": (io.BytesIO(data), name)})
    # Werkzeug's test client spools a large upload to a temporary file it leaves open.
    response.request.environ["wsgi.input"].close()
    assert response.status_code == 200
    return response.get_data(as_text=True)


def start_job(client, campaign, kind: str) -> str:
    page = f"/evaluator/campaigns/{campaign.id}/reports"
    response = post_form(client, page, {}, url=f"{page}/{kind}")
    assert response.status_code == 303
    return response.headers["Location"].rsplit("#job-", 1)[1]


# -- letterhead ----------------------------------------------------------------------------

def letterhead_data(**changes) -> dict:
    data = {"issuer": "中共某市委机关工委", "doc_number": "某机工〔2026〕12号",
            "title": "关于{{ 活动名称 }}情况的通报", "recipients": "各区县机关工委，市直各单位：",
            "opening": "本次评议收回 {{ 评议票数 }} 张评议票。<b>加粗</b>\n\n第二段。",
            "closing": "请认真整改。", "signature": "{{ 发文机关 }}", "issued_on": "2026-12-01",
            "copy_to": "市纪委监委", "unit_comments": "y"}
    return {**data, **changes}


def test_admin_edits_the_letterhead_and_the_bulletin_shows_it(admin_client, closed):
    page = f"/admin/campaigns/{closed.id}/bulletin"
    form = admin_client.get(page).get_data(as_text=True)
    assert "关于{{ 活动名称 }}结果的通报" in form  # the default text, ready to edit
    response = post_form(admin_client, page, letterhead_data())
    assert response.status_code == 303
    settings = db.session.get(ReportSettings, closed.id)
    assert settings.title == "关于{{ 活动名称 }}情况的通报" and settings.copy_to == "市纪委监委"
    from evalplatform.services.reports import make_bulletin

    whole = pdfcheck.flat("".join(pdfcheck.page_texts(make_bulletin(closed)[1][0].data)))
    assert pdfcheck.in_order(whole, "某机工〔2026〕12号", f"关于{closed.title}情况的通报",
                             "各区县机关工委，市直各单位：", "本次评议收回8张评议票。<b>加粗</b>",
                             "第二段。", "请认真整改。", "2026年12月1日", "抄送：市纪委监委")


@pytest.mark.parametrize(("text", "message"), [
    ("共 {{ 不存在 }} 张", "没有名为“不存在”的占位符"),
    ("{% for x in range(9) %}x{% endfor %}", "不能使用 {% … %} 语句"),
    ("{{ 活动名称.__class__ }}", "不能带运算、过滤器或属性"),
    ("{{ 活动名称|upper }}", "不能带运算、过滤器或属性"),
    ("{{ 评议票数 ", "占位符写法有误"),
])
def test_template_code_in_the_letterhead_is_refused(admin_client, closed, text, message):
    page = f"/admin/campaigns/{closed.id}/bulletin"
    response = post_form(admin_client, page, letterhead_data(opening=text))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert db.session.get(ReportSettings, closed.id) is None


def test_only_admins_edit_the_letterhead(evaluator_client, client, closed):
    page = f"/admin/campaigns/{closed.id}/bulletin"
    assert evaluator_client.get(page).status_code == 403
    assert client.get(page).status_code == 302  # to the log-in page
    assert evaluator_client.get(f"/evaluator/campaigns/{closed.id}/reports").status_code == 200
    assert client.get(f"/evaluator/campaigns/{closed.id}/reports").status_code == 302


# -- jobs ----------------------------------------------------------------------------------

def test_bulletin_job_reports_progress_and_the_file_can_be_checked(admin_client, closed):
    job_id = start_job(admin_client, closed, "bulletin")
    state = wait_for(admin_client, job_id)
    assert state["status"] == "done" and state["percent"] == 100, state
    pdf = download(admin_client, state["download"])
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.headers["Cache-Control"] == "no-store"
    document = db.session.get(Document, state["document"])
    assert hashlib.sha256(pdf.data).hexdigest() == document.sha256 and not document.draft
    page = admin_client.get(f"/evaluator/campaigns/{closed.id}/reports").get_data(as_text=True)
    assert document.sha256 in page and "已完成" in page

    assert "文件与平台生成的一致" in check_file(admin_client, pdf.data, "通报.pdf")
    changed = pdf.data.replace(b"%%EOF", b"%%EOF\n%", 1)
    assert "未找到生成记录" in check_file(admin_client, changed, "通报.pdf")


def test_unit_reports_job_makes_one_pdf_per_unit_in_a_zip(evaluator_client, closed):
    state = wait_for(evaluator_client, start_job(evaluator_client, closed, "unit_reports"))
    assert state["status"] == "done", state
    archive = zipfile.ZipFile(io.BytesIO(download(evaluator_client, state["download"]).data))
    names = archive.namelist()
    assert len(names) == len(closed.units)
    for number, unit in enumerate(closed.units, start=1):
        name = next(n for n in names if n.startswith(f"{number:03d}-{unit.name}-"))
        text = pdfcheck.flat("".join(pdfcheck.page_texts(archive.read(name))))
        assert unit.name in text and "单位评议报告" in text
    # Each unit's PDF is kept too: a unit forwarding its report can have it checked.
    assert closed.units[2].name in check_file(evaluator_client, archive.read(names[2]), names[2])


def test_a_second_click_follows_the_job_under_way(app, admin_user, closed):
    first, new = job_service.start(closed, "bulletin", admin_user)
    db.session.commit()
    again, again_new = job_service.start(closed, "bulletin", admin_user)
    assert new and not again_new and again.id == first.id


def test_a_job_whose_worker_died_shows_interrupted_and_can_be_restarted(app, admin_user, closed):
    job, _ = job_service.start(closed, "bulletin", admin_user)
    job.status, job.heartbeat_at = "running", utcnow() - timedelta(minutes=10)
    db.session.commit()
    view = job_service.view(job)
    assert view["status"] == "failed" and "任务中断" in view["error"]
    fresh, new = job_service.start(closed, "bulletin", admin_user)
    assert new and fresh.id != job.id


def test_a_failed_job_says_why(app, admin_user):
    campaign, _ = build_campaign(status="draft", unit_rows=[])
    job, _ = job_service.start(campaign, "bulletin", admin_user)
    db.session.commit()
    assert job_service.run(job.id)
    db.session.expire_all()
    view = job_service.view(db.session.get(Job, job.id))
    assert view["status"] == "failed" and "还没有被评单位" in view["error"]
    assert not job_service.run(job.id)  # a job runs once


def test_one_unit_report_downloads_at_once(evaluator_client, closed):
    unit = closed.units[0]
    response = evaluator_client.get(f"/evaluator/campaigns/{closed.id}/units/{unit.id}/report.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert unit.name in pdfcheck.flat("".join(pdfcheck.page_texts(response.data)))
    other, _ = build_campaign(status="draft", unit_rows=[("不相干的科", "综合管理类")], title="另一活动")
    stranger = other.units[0].id
    url = f"/evaluator/campaigns/{closed.id}/units/{stranger}/report.pdf"
    assert evaluator_client.get(url).status_code == 404


def test_asking_again_for_the_same_document_stores_nothing(app, client, admin_client, closed):
    """GETs that would write: a unit's report downloaded again, the API's bulletin fetched
    in a loop. Each is made once; later requests serve the kept file — no new document
    row, no audit row, no file — until what it shows changes (the letterhead here)."""
    from sqlalchemy import func, select

    from evalplatform.models import AuditEvent

    def rows():
        db.session.commit()
        return (db.session.scalar(select(func.count()).select_from(Document)),
                db.session.scalar(select(func.count()).select_from(AuditEvent)))

    user = users.create_user("reader", "evaluator", "a-long-password-1")
    token = users.create_token(user)
    db.session.commit()
    unit = closed.units[0]
    report = f"/evaluator/campaigns/{closed.id}/units/{unit.id}/report.pdf"
    bulletin = f"/api/v1/campaigns/{closed.id}/bulletin.pdf"
    auth = {"Authorization": f"Bearer {token}"}
    folder = Path(app.instance_path) / "documents" / str(closed.id)
    first = admin_client.get(report)
    made_bulletin = client.get(bulletin, headers=auth)
    after_first = rows()
    files = set(folder.iterdir())
    for _ in range(5):
        again = admin_client.get(report)
        assert again.status_code == 200 and again.data == first.data
        repeat = client.get(bulletin, headers=auth)
        assert repeat.data == made_bulletin.data
        assert repeat.headers["X-Content-SHA256"] == made_bulletin.headers["X-Content-SHA256"]
    assert rows() == after_first
    assert set(folder.iterdir()) == files
    # what the bulletin shows changes: the next request makes a new one
    assert post_form(admin_client, f"/admin/campaigns/{closed.id}/bulletin",
                     letterhead_data(title="关于评议结果的通报（修订）")).status_code == 303
    changed = client.get(bulletin, headers=auth)
    assert changed.status_code == 200 and changed.data != made_bulletin.data
    assert rows()[0] == after_first[0] + 1


def test_rq_backend_runs_jobs_in_a_worker(app, admin_user, closed, monkeypatch):
    url = redis_or_skip(15)
    queue = f"evalplatform-test-{time.monotonic_ns()}"
    monkeypatch.setitem(app.config, "JOBS_BACKEND", "rq")
    monkeypatch.setitem(app.config, "REDIS_URL", url)
    monkeypatch.setitem(app.config, "JOBS_QUEUE", queue)
    job, _ = job_service.start(closed, "bulletin", admin_user)
    db.session.commit()
    job_id = job.id
    job_service.dispatch(job_id)
    assert db.session.get(Job, job_id).status == "queued"

    from evalplatform.services.queue import work

    work(app, burst=True)
    done = db.session.get(Job, job_id)
    assert done.status == "done" and done.document.kind == "bulletin"


# -- API and command line ------------------------------------------------------------------

def test_api_serves_the_bulletin_with_its_hash(app, client, closed):
    user = users.create_user("reader", "evaluator", "a-long-password-1")
    token = users.create_token(user)
    db.session.commit()
    url = f"/api/v1/campaigns/{closed.id}/bulletin.pdf"
    assert client.get(url).status_code == 401
    response = client.get(url, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["X-Content-SHA256"] == hashlib.sha256(response.data).hexdigest()
    assert client.get("/api/v1/campaigns/999999/bulletin.pdf",
                      headers={"Authorization": f"Bearer {token}"}).status_code == 404
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/campaigns/{campaign_id}/bulletin.pdf" in spec["paths"]


def test_command_line_writes_and_verifies_the_bulletin(app, closed, tmp_path):
    runner = app.test_cli_runner()
    out = tmp_path / "通报.pdf"
    result = runner.invoke(args=["report", "bulletin", str(closed.id), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert hashlib.sha256(out.read_bytes()).hexdigest() in result.output
    assert pdfcheck.page_count(out.read_bytes()) >= 2
    result = runner.invoke(args=["report", "verify", str(out)])
    assert result.exit_code == 0 and "OK: 通报" in result.output
    out.write_bytes(out.read_bytes() + b"\n")
    result = runner.invoke(args=["report", "verify", str(out)])
    assert result.exit_code == 1 and "NOT FOUND" in result.output
    result = runner.invoke(args=["report", "bulletin", "999999", "--out", str(out)])
    assert result.exit_code != 0 and "no campaign 999999" in result.output
