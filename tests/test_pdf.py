"""PDF rendering: readable Chinese, and nothing fetched from outside static/."""

from __future__ import annotations

import subprocess
from pathlib import Path

from evalplatform.reports.pdf import render_pdf, static_path
from evalplatform.reports.slips import slips_pdf


def pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "out.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-raw", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


def test_slips_carry_title_group_code_and_link(app, tmp_path):
    from types import SimpleNamespace

    campaign = SimpleNamespace(title="2026年度市住房和城乡建设局机关作风建设满意度测评")
    codes = ["K7QM-2XRP-9TWD", "0000-1111-2222", "ZZZZ-YYYY-XXXX"]
    with app.test_request_context():
        text = pdf_text(slips_pdf(campaign, "服务对象", codes, "https://pingyi.example.gov.cn"),
                        tmp_path)
    for code in codes:
        assert code in text
    flat = "".join(text.split())  # titles wrap inside the slip
    assert flat.count("评议主体：服务对象") == 3
    assert flat.count("2026年度市住房和城乡建设局机关作风建设满意度测评") == 3
    assert "手机扫码参与评议" in flat and "pingyi.example.gov.cn" in flat


def test_slip_qr_codes_scan_to_each_codes_link(app, tmp_path):
    """Read back as a phone would: the first page rendered at print resolution, every QR
    code decoded (zbarimg), each one the link of its slip's code."""
    from types import SimpleNamespace

    codes = ["K7QM-2XRP-9TWD", "0000-1111-2222", "ZZZZ-YYYY-XXXX"]
    base = "https://pingyi.example.gov.cn"
    with app.test_request_context():
        pdf = slips_pdf(SimpleNamespace(title="测评"), "服务对象", codes, base)
    (tmp_path / "slips.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1",
                    str(tmp_path / "slips.pdf"), str(tmp_path / "page")], check=True)
    page = next(tmp_path.glob("page*.png"))
    found = subprocess.run(["zbarimg", "--quiet", "--raw", str(page)], capture_output=True,
                           text=True, check=True).stdout.split()
    assert sorted(found) == sorted(f"{base}/s/{code}" for code in codes)


def test_user_text_cannot_make_the_renderer_read_files_or_hosts(app, tmp_path, caplog):
    html = ('<html><body><p>标题</p><img src="file:///etc/passwd">'
            '<img src="http://192.0.2.1/x.png"><link rel="stylesheet" href="file:///etc/hosts">'
            '<a rel="attachment" href="file:///etc/passwd">附件</a></body></html>')
    pdf = render_pdf(html)
    assert b"root:x:0:0" not in pdf
    assert "标题" in pdf_text(pdf, tmp_path)
    refused = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert any("file:///etc/passwd" in m for m in refused)
    assert any("192.0.2.1" in m for m in refused)


def test_static_path_allows_only_files_inside_static_and_system_fonts():
    from evalplatform.reports.pdf import STATIC

    assert static_path((STATIC / "pdf.css").as_uri()) == STATIC / "pdf.css"
    assert static_path((STATIC / ".." / "setup.cfg").resolve().as_uri()) is None
    assert static_path(STATIC.as_uri() + "/../setup.cfg") is None
    assert static_path("file:///etc/passwd") is None
    assert static_path("http://example.com/pdf.css") is None
    # the fonts an @font-face names with local(), and nothing else of their folders
    fang = Path("/usr/local/share/fonts/fandol/FandolFang-Regular.otf")
    assert static_path(fang.as_uri()) == fang
    assert static_path("file:///usr/share/fonts/../../../etc/passwd") is None
    assert static_path("file:///usr/local/share/fonts/fandol/../../../../etc/hostname") is None
    assert static_path("file:///usr/share/fonts/truetype/dejavu/") is None


def test_a_web_process_keeps_its_garbage_collector_as_it_was(app, tmp_path):
    """Documents made in a web process (a unit's report from a view, a job on the thread
    pool) leave the collector alone: its thresholds belong to every request thread. Only
    processes that do nothing but make documents tune it (report workers, RQ jobs)."""
    import gc
    import subprocess
    import sys

    from evalplatform.reports import pdf

    before = gc.get_threshold()
    assert "表格" in pdf_text(render_pdf("<p>表格</p>"), tmp_path)
    assert gc.get_threshold() == before != pdf.RENDER_GC_THRESHOLD
    worker = subprocess.run([sys.executable, "-c", (
        "import gc; from evalplatform.reports import pdf; pdf.tune_process_for_rendering(); "
        "print(gc.get_threshold())")], capture_output=True, text=True, check=True)
    assert worker.stdout.strip() == str(pdf.RENDER_GC_THRESHOLD)


def test_weasyprint_still_takes_the_user_agent_stylesheet_from_our_override(monkeypatch):
    """ua.css replaces WeasyPrint's stylesheet through a private method,
    ``HTML._ua_stylesheets(self, forms=False)`` (bench/private_apis.py shows what it
    saves). If a WeasyPrint release renames or reshapes it, this fails: the override would
    silently stop applying."""
    import inspect

    import weasyprint

    from evalplatform.reports import pdf

    assert "_ua_stylesheets" in vars(weasyprint.HTML), (
        "WeasyPrint no longer has HTML._ua_stylesheets: reports/ua.css is not applied; "
        "find how this release picks its user agent stylesheet (docs/reports.md)")
    assert list(inspect.signature(weasyprint.HTML._ua_stylesheets).parameters) == \
        ["self", "forms"]
    ours = pdf._html_class()
    calls = []
    original = ours._ua_stylesheets
    monkeypatch.setattr(ours, "_ua_stylesheets",
                        lambda self, forms=False: calls.append(forms) or original(self, forms))
    render_pdf("<p>测试</p>")
    assert calls, "WeasyPrint laid the document out without asking for the stylesheet"


def test_the_user_agent_stylesheet_is_derived_from_weasyprints_own():
    """ua.css is WeasyPrint's stylesheet with some rules left out; a WeasyPrint whose own
    stylesheet changed needs it derived again."""
    import hashlib
    import re
    from pathlib import Path

    import weasyprint

    from evalplatform.reports.pdf import UA_STYLESHEET

    theirs = Path(weasyprint.__file__).with_name("css") / "html5_ua.css"
    recorded = re.search(r"SHA-256 ([0-9a-f]{64})", UA_STYLESHEET.read_text()).group(1)
    assert hashlib.sha256(theirs.read_bytes()).hexdigest() == recorded, (
        f"WeasyPrint's {theirs} changed: derive {UA_STYLESHEET} from it again")


def test_documents_look_the_same_with_the_trimmed_user_agent_stylesheet(app, tmp_path):
    """The bulletin, a unit's report and a page of slips, rendered with WeasyPrint's own
    user agent stylesheet and with ours: every page the same, pixel for pixel."""
    from types import SimpleNamespace

    import weasyprint

    from evalplatform.extensions import db
    from evalplatform.reports import bulletin, pdf, unit_report
    from evalplatform.reports.slips import slips_html
    from evalplatform.services import campaigns, codes
    from evalplatform.services.ballots import BallotInput, questionnaire, submit_ballot
    from evalplatform.testing import build_campaign

    campaign, plaintext = build_campaign(status="draft", codes_per_group=6)
    for key in ("six_type", "capability", "checklist"):
        campaigns.enable_scheme(campaign, key, None)
    campaigns.open_campaign(campaign, None)
    db.session.commit()
    q = questionnaire(campaign)
    for k, code in enumerate(plaintext["服务对象"] + plaintext["机关干部"]):
        submit_ballot(codes.hash_code(code), q, BallotInput(
            answers={(u.id, i.id): (k + n) % 4 for n, u in enumerate(q.units) for i in q.items},
            comments={None: "窗口办事效率有待提高。"}))
        db.session.commit()
    campaigns.close_campaign(campaign, None)
    db.session.commit()
    with app.test_request_context():
        documents = {
            "bulletin": bulletin.bulletin_html(campaign),
            "unit": unit_report.unit_report_html(campaign, campaign.units[0]),
            "slips": slips_html(SimpleNamespace(title="测评"), "服务对象",
                                ["K7QM-2XRP-9TWD", "0000-1111-2222"], "https://pingyi.example.gov.cn"),
        }

    def pages(html: str, html_class, name: str) -> list[bytes]:
        document = html_class(string=html, base_url=pdf.BASE_URL,
                              url_fetcher=pdf._fetcher_class()()).render()
        (tmp_path / f"{name}.pdf").write_bytes(document.write_pdf())
        subprocess.run(["pdftoppm", "-r", "50", "-png", str(tmp_path / f"{name}.pdf"),
                        str(tmp_path / name)], check=True)
        return [p.read_bytes() for p in sorted(tmp_path.glob(f"{name}-*.png"))]

    for name, html in documents.items():
        theirs = pages(html, weasyprint.HTML, f"{name}-weasyprint")
        ours = pages(html, pdf._html_class(), f"{name}-ours")
        assert len(ours) == len(theirs) >= 1, name
        assert [i for i, (a, b) in enumerate(zip(theirs, ours, strict=True)) if a != b] == [], name
