"""Languages (docs/i18n.md): the English catalogues are complete, the page scripts' strings
are listed, staff pages read in English show no Chinese but data, and the language is the
visitor's choice (Chinese unless they or BABEL_DEFAULT_LOCALE say otherwise)."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from sqlalchemy import func, select

from evalplatform.extensions import db
from evalplatform.i18n import JS_MESSAGES, force_locale
from evalplatform.models import Campaign, Item, Unit, User
from evalplatform.services import campaigns, codes, units, users
from evalplatform.testing import ADMIN_PASSWORD, csrf_token, post_form, untranslated_chinese

ROOT = Path(__file__).resolve().parent.parent
#: Each catalogue: the folder its strings are extracted from (with its babel.cfg) and its
#: translations folder.
CATALOGUES = [(ROOT, ROOT / "evalplatform" / "translations")] + [
    (plugin, translations) for plugin in sorted((ROOT / "plugins").iterdir())
    if (plugin / "babel.cfg").exists()
    for translations in plugin.glob("evalplatform_*/translations")]
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None}  # as `make i18n` extracts
PLACEHOLDER = re.compile(r"%\((\w+)\)")


def extracted(source: Path) -> dict[tuple[str | None, str], tuple[str, list[str]]]:
    """The wrapped strings under `source`: (context, msgid) -> (msgid or plural pair, where)."""
    with open(source / "babel.cfg", encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: dict = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
            str(source), method_map, options_map, keywords=KEYWORDS):
        key = (context, message if isinstance(message, str) else message[0])
        found.setdefault(key, (message, []))[1].append(f"{filename}:{lineno}")
    return found


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def translation_problems(message, translation) -> str | None:
    """Why a catalogue entry does not translate an extracted message, if it does not."""
    if translation is None:
        return "not in the catalogue (run `make i18n`)"
    forms = [translation.string] if isinstance(translation.string, str) else \
        list(translation.string)
    if translation.fuzzy or not all(form.strip() for form in forms):
        return "no English translation"
    if isinstance(message, str):
        if placeholders(forms[0]) != placeholders(message):
            return f"placeholders differ: {forms[0]!r}"
        return None
    # plurals: the singular may say "one" instead of %(num)s, otherwise the same names
    wanted = placeholders(message[0]) | placeholders(message[1])
    for k, form in enumerate(forms):
        names = placeholders(form)
        if names - wanted or (wanted - names) - ({"num"} if k < len(forms) - 1 else set()):
            return f"placeholders differ: {form!r}"
    return None


@pytest.mark.parametrize("source, translations", CATALOGUES,
                         ids=["core" if s == ROOT else s.name for s, _ in CATALOGUES])
def test_every_wrapped_string_has_an_english_translation(source, translations):
    po = translations / "en" / "LC_MESSAGES" / "messages.po"
    with open(po, "rb") as f:
        catalog = read_po(f)
    assert not catalog.fuzzy, f"{po}: the header is marked fuzzy, so it would not be compiled"
    problems = []
    for (context, msgid), (message, where) in sorted(extracted(source).items(),
                                                      key=lambda kv: kv[1][1][0]):
        problem = translation_problems(message, catalog.get(msgid, context=context))
        if problem:
            problems.append(f"{where[0]}: {msgid!r}{f' ({context})' if context else ''}: "
                            f"{problem}")
    # Babel's own checks too (placeholder types, plural forms)
    problems += [f"{msg.id!r}: {error}" for msg, errors in catalog.check() for error in errors]
    assert not problems, f"{po.relative_to(ROOT)}:\n" + "\n".join(problems)


# -- the page scripts -------------------------------------------------------------------------

SCRIPT_STRING = re.compile(r"""(?<![\w.$])t\(\s*("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')""")
SCRIPT_COMMENTS = (re.compile(r"/\*.*?\*/", re.S), re.compile(r"^\s*//.*$", re.M))


def script_strings(path: Path) -> set[str]:
    """The string literals a page script passes to t("…")."""
    source = path.read_text(encoding="utf-8")
    for comment in SCRIPT_COMMENTS:
        source = comment.sub("", source)
    found = set()
    for literal in SCRIPT_STRING.findall(source):
        if literal.startswith("'"):
            literal = '"' + (literal[1:-1].replace("\\'", "'").replace('\\"', '"')
                             .replace('"', '\\"')) + '"'
        found.add(json.loads(literal))
    return found


def test_every_script_string_is_listed_and_translated():
    scripts = sorted((ROOT / "static").glob("*.js"))
    missing = {f"{path.name}: {text}" for path in scripts for text in script_strings(path)
               if text not in JS_MESSAGES}
    assert not missing, "add to evalplatform.i18n.JS_MESSAGES:\n" + "\n".join(sorted(missing))
    with open(ROOT / "evalplatform/translations/en/LC_MESSAGES/messages.po", "rb") as f:
        catalog = read_po(f)
    untranslated = [m for m in JS_MESSAGES if not (catalog.get(m) and catalog.get(m).string)]
    assert not untranslated, untranslated


def test_script_strings_are_found(tmp_path):
    """The pattern above finds t("…") calls, not other functions' strings or comments."""
    sample = tmp_path / "sample.js"
    sample.write_text('// t("注释")\n/* t("块") */\nrow.closest("tr"); api.t("x");\n'
                      'show(t("参评 {used} / {issued}", {used: 1}) + t(\'单"引"号\'));\n'
                      'var s = t( "转\\"义" ) + t(\'it\\\'s\');\n', encoding="utf-8")
    assert script_strings(sample) == {"参评 {used} / {issued}", '单"引"号', '转"义', "it's"}


# -- staff pages in English --------------------------------------------------------------------

def english(client):
    client.set_cookie("lang", "en")
    return client


@pytest.fixture
def admin_en(admin_client, admin_user):
    """The admin, named in English (the fixture's name is Chinese), reading English."""
    admin_user.display_name = "Site Admin"
    db.session.commit()
    return english(admin_client)


def page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


def assert_english(html: str, data=(), where: str = "") -> None:
    assert '<html lang="en">' in html, where
    found = untranslated_chinese(html, data=tuple(data))
    assert not found, (where, found)


def answer_options() -> tuple[str, ...]:
    """The answer options stored with the campaigns' items: data, kept as written."""
    return tuple({o["label"] for options in db.session.scalars(select(Item.options))
                  for o in options})


def staff_data():
    """A draft, an open and a closed campaign, named in English, with units, rater groups,
    a questionnaire and code batches; made by an admin reading English."""
    with force_locale("en"):
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        office = units.save_unit(None, "Office", "General", None, admin)
        permits = units.save_unit(None, "Permits", "Service", None, admin)
        units.set_unit_active(units.save_unit(None, "Archive", "General", None, admin), False,
                              admin)
        users.create_user("rater-lead", "evaluator", "a-long-password", admin,
                          display_name="Lead Rater")
        made = {}
        for status in ("draft", "open", "closed"):
            campaign = campaigns.create_campaign(
                admin, title=f"Conduct survey {status}", issuer="Works Committee",
                doc_number="No. 10", min_group_size=2)
            made[status] = campaign
            if status == "draft":
                campaigns.add_group(campaign, "Citizens", 0.6, admin)
                continue
            campaigns.set_units(campaign, [office.id, permits.id], admin)
            citizens = campaigns.add_group(campaign, "Citizens", 0.6, admin)
            campaigns.add_group(campaign, "Staff", 0.4, admin)
            campaigns.apply_template(campaign, "style", admin)
            campaigns.open_campaign(campaign, admin)
            batch, _ = codes.issue_codes(campaign, citizens, 3, admin)
            codes.issue_codes(campaign, citizens, 2, admin)
            codes.revoke_batch(batch, admin)
            if status == "closed":
                campaigns.close_campaign(campaign, admin)
        db.session.commit()
    return made


STAFF_DATA = ("Conduct survey", "Works Committee", "No. 10", "Citizens", "Staff", "Office",
              "Permits", "Archive", "General", "Service", "Lead Rater", "rater-lead")


def test_staff_pages_in_english(admin_en, admin_user):
    made = staff_data()
    client = admin_en
    data = STAFF_DATA + answer_options()
    unit = db.session.scalar(select(Unit).where(Unit.name == "Office"))
    other = db.session.scalar(select(User).where(User.username == "rater-lead"))
    urls = ["/admin/", "/admin/units", f"/admin/units/{unit.id}", "/admin/units/import",
            "/admin/campaigns/new", "/admin/users", f"/admin/users/{other.id}",
            f"/admin/users/{admin_user.id}", "/admin/audit", "/account/password"]
    for campaign in made.values():
        urls += [f"/admin/campaigns/{campaign.id}{tail}" for tail in
                 ("", "/edit", "/units", "/groups", "/questionnaire", "/codes")]
    for url in urls:
        assert_english(page(client, url), data, url)
    html = page(client, f"/admin/campaigns/{made['draft'].id}")
    assert "No units have been selected." in html and "Open the campaign…" in html
    assert "Democratic appraisal" in page(client, f"/admin/campaigns/{made['draft'].id}"
                                                  "/questionnaire")
    # the letterhead page: the placeholders' names are what an admin types; the default
    # texts, and the examples of what a placeholder becomes, are the bulletin's: Chinese
    from evalplatform.reports.letterhead import DEFAULTS, PLACEHOLDERS

    with force_locale("zh"):
        examples = tuple(example for meaning in PLACEHOLDERS.values()
                         for example in re.findall(r"“([^”]+)”", str(meaning)))
    url = f"/admin/campaigns/{made['open'].id}/bulletin"
    html = page(client, url)
    assert_english(html, data + tuple(DEFAULTS.values()) + examples, url)
    assert all(f'<code lang="zh">{{{{ {name} }}}}</code>' in html for name in PLACEHOLDERS)


def test_staff_messages_in_english(admin_en):
    client = admin_en
    data = ("Citizens", "Office", "General", "Conduct survey")
    # a flash message after a change, and the audit log naming it
    added = post_form(client, "/admin/units", {"name": "Office", "category": "General"},
                      follow_redirects=True)
    assert "Unit “Office” added." in added.get_data(as_text=True)
    assert_english(added.get_data(as_text=True), data, "after adding a unit")
    audit = page(client, "/admin/audit")
    assert "Add unit" in audit and "Sign in" in audit
    # the app's own form errors, WTForms' own, and a service's refusal
    empty = post_form(client, "/admin/units", {"name": "", "category": "General"})
    assert "This field is required." in empty.get_data(as_text=True)
    duplicate = post_form(client, "/admin/units", {"name": "Office", "category": "General"})
    assert "Unit “Office” already exists." in duplicate.get_data(as_text=True)
    nonsense = post_form(client, "/admin/campaigns/new", {"title": "Conduct survey",
                                                          "phase": "nonsense",
                                                          "min_group_size": "5"})
    html = nonsense.get_data(as_text=True)
    assert "Not a valid choice." in html
    assert_english(html, data, "invalid campaign")
    # an import refused row by row
    sheet = "名称,序列\nOffice,General\n,General\nOffice,General\n".encode()
    imported = post_form(client, "/admin/units/import",
                         {"sheet": (io.BytesIO(sheet), "units.csv")},
                         content_type="multipart/form-data")
    html = imported.get_data(as_text=True)
    assert imported.status_code == 422 and "Row 3" in html and "Please enter the unit name." in html
    assert "Unit “Office” is a duplicate of row 2." in html
    assert_english(html, data, "import errors")
    # the password page: a wrong current password, then two new ones that differ
    wrong = post_form(client, "/account/password", {"current": "nope", "password": "x" * 12,
                                                    "confirm": "x" * 12})
    assert "The current password is not correct." in wrong.get_data(as_text=True)
    differ = post_form(client, "/account/password", {"current": "nope", "password": "x" * 12,
                                                     "confirm": "y" * 12})
    assert "The two passwords do not match." in differ.get_data(as_text=True)


def test_log_in_and_out_in_english(client, admin_user):
    english(client)
    assert_english(page(client, "/login"), (), "/login")
    refused = post_form(client, "/login", {"username": "admin", "password": "wrong"})
    assert refused.status_code == 401
    assert "Wrong user name or password" in refused.get_data(as_text=True)
    assert_english(refused.get_data(as_text=True), (), "failed log-in")
    redirected = client.get("/admin/units", follow_redirects=True)
    assert "Please sign in first." in redirected.get_data(as_text=True)
    post_form(client, "/login", {"username": "admin", "password": ADMIN_PASSWORD})
    out = post_form(client, "/admin/", {}, url="/logout", follow_redirects=True)
    assert "You have signed out." in out.get_data(as_text=True)


def test_error_pages_in_english(admin_en, evaluator_client, app, monkeypatch):
    client = admin_en
    missing = (db.session.scalar(select(func.max(Campaign.id))) or 0) + 1000
    html = page(client, f"/admin/campaigns/{missing}", 404)
    assert "Page not found" in html
    assert_english(html, (), "404")
    assert_english(page(english(evaluator_client), "/admin/", 403), (), "403")
    # a form posted without its token: 400
    expired = client.post("/admin/units", data={"name": "Office", "category": "General"})
    assert expired.status_code == 400 and "Page expired" in expired.get_data(as_text=True)
    assert_english(expired.get_data(as_text=True), (), "400")
    nul = client.get("/admin/units?q=a%00b")
    assert nul.status_code == 400 and "null character" in nul.get_data(as_text=True)
    # too many failed log-ins: 429
    monkeypatch.setitem(app.config, "RATELIMIT_ENABLED", True)
    monkeypatch.setitem(app.config, "RATELIMIT_LOGIN", "2 per minute")
    limiter = app.extensions["evalplatform.limiter"]
    limiter.reset()
    try:
        guesser = english(app.test_client())
        token = csrf_token(page(guesser, "/login"))
        headers = {"X-Forwarded-For": "198.51.100.23"}
        for _ in range(2):
            guesser.post("/login", data={"csrf_token": token, "username": "admin",
                                         "password": "wrong"}, headers=headers)
        refused = guesser.post("/login", data={"csrf_token": token, "username": "admin",
                                               "password": "wrong"}, headers=headers)
    finally:
        limiter.reset()
    html = refused.get_data(as_text=True)
    assert refused.status_code == 429 and "Too many failed sign-in attempts" in html
    assert_english(html, (), "429")


def test_job_progress_is_shown_in_the_readers_language(app):
    """A job's progress is stored as the process running it wrote it (Chinese) and
    translated when shown, values and all; what is not a message id is shown as stored."""
    from evalplatform.services.jobs import INTERRUPTED, UNIT_STEP, shown

    step = UNIT_STEP % {"number": 3, "count": 12, "unit": "Office"}
    with force_locale("en"):
        assert shown(step) == "Report 3 of 12: Office"
        assert shown("写入 PDF（4 页）") == "Writing PDF (4 pages)"
        assert shown(INTERRUPTED).startswith("The job was interrupted")
        assert shown("计算评议结果") == "Calculating results"
        assert shown("磁盘已满") == "磁盘已满" and shown(None) is None
    with force_locale("zh"):
        assert shown(step) == "第 3/12 份：Office"


# -- choosing the language ---------------------------------------------------------------------

def test_chinese_by_default(client):
    html = page(client, "/login")
    assert '<html lang="zh-CN">' in html and "工作人员登录" in html
    assert 'hreflang="en"' in html and "/lang/en?next=/login" in html


def test_language_link_sets_the_cookie_and_returns_to_the_page(client):
    response = client.get("/lang/en?next=/login")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("lang=en;") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    html = page(client, "/login")
    assert '<html lang="en">' in html and "Staff sign-in" in html and 'hreflang="zh"' in html
    client.get("/lang/zh?next=/login")
    assert "工作人员登录" in page(client, "/login")


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example",
                                    "javascript:alert(1)", ""])
def test_language_link_stays_on_the_site(client, target):
    response = client.get("/lang/en", query_string={"next": target})
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_unknown_language_is_not_found(client):
    assert client.get("/lang/fr?next=/login").status_code == 404


def test_default_language_from_configuration(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "BABEL_DEFAULT_LOCALE", "en")
    html = page(client, "/login")
    assert '<html lang="en">' in html and "Staff sign-in" in html
    client.set_cookie("lang", "zh")  # the visitor's choice wins
    assert "工作人员登录" in page(client, "/login")
