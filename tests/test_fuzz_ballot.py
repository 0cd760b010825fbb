"""Property-based fuzzing of the respondent's ballot: whatever a form (or a script posing
as one) sends, the ballot is stored whole and exactly as chosen, or refused with the
reasons on the page, nothing stored and the code still usable. Oversized posts are
refused before they are read."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from werkzeug.test import encode_multipart

from evalplatform.extensions import db
from evalplatform.models import AccessCode, Ballot, Comment
from evalplatform.services import codes as code_service
from evalplatform.services.ballots import COMMENT_MAX, questionnaire
from evalplatform.testing import build_campaign, csrf_token, stored_answers

FUZZ_EXAMPLES = int(os.environ.get("EVALPLATFORM_FUZZ_EXAMPLES") or 0)


TEXT = st.text(max_size=30)
#: What one cell of the grading matrix may receive.
CELL = st.one_of(
    st.tuples(st.just("option"), st.integers(0, 9)),  # an index, valid or past the end
    st.tuples(st.just("omit"), st.none()),
    st.tuples(st.just("text"), st.one_of(TEXT, st.sampled_from(
        ["-1", "1.0", " 1", "0x1", "٣", "１", "1e3", "99999999999999999999", "<b>1</b>"]))),
    st.tuples(st.just("twice"), st.integers(0, 3)),
)
COMMENT = st.one_of(st.none(), st.text(max_size=60).filter(lambda t: "\x00" not in t),
                    st.integers(COMMENT_MAX - 2, COMMENT_MAX + 5).map(lambda n: "意" * n),
                    st.sampled_from(["<script>alert(1)</script>", "=HYPERLINK(\"x\")", "   "]))
#: A ballot: a choice for every cell, then up to three cells spoilt in some way, comments,
#: and fields no form has.
BALLOT = st.tuples(st.lists(st.integers(0, 9), min_size=40, max_size=40),
                   st.lists(st.tuples(st.integers(0, 39), CELL), max_size=3),
                   st.lists(COMMENT, max_size=3),
                   st.dictionaries(TEXT, TEXT, max_size=2))


@pytest.fixture
def voting(app):
    campaign, plaintext = build_campaign(codes_per_group=40)
    q = questionnaire(campaign)
    pool = plaintext["服务对象"] + plaintext["机关干部"]

    def next_code() -> str:
        if not pool:  # more examples than codes (a deeper search): issue more
            _, fresh = code_service.issue_codes(campaign, campaign.groups[0], 40, None)
            db.session.commit()
            pool.extend(fresh)
        return pool.pop()

    return q, next_code


def count(model, *where) -> int:
    db.session.commit()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@settings(max_examples=FUZZ_EXAMPLES or 30, derandomize=not FUZZ_EXAMPLES, database=None,
          deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate], print_blob=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ballot=BALLOT)
def test_any_ballot_is_stored_exactly_as_chosen_or_refused_and_nothing_kept(app, voting, ballot):
    q, next_code = voting
    picks, spoilt, comments_recipe, extra = ballot
    code = next_code()
    browser = app.test_client()
    assert browser.get(f"/s/{code}").status_code == 303
    form: dict[str, list[str]] = {"csrf_token": [csrf_token(
        browser.get("/survey").get_data(as_text=True))]}
    expected: dict[tuple[int, int], int] = {}
    valid = True
    cells = [(u, i) for u in q.units for i in q.items]
    recipe = [("option", picks[n % len(picks)] % len(i.options)) for n, (_, i) in enumerate(cells)]
    for where, cell in spoilt:
        recipe[where % len(cells)] = cell
    for (unit, item), (how, value) in zip(cells, recipe, strict=True):
        name = f"a-{unit.id}-{item.id}"
        if how == "option":
            form[name] = [str(value)]
            if value < len(item.options):
                expected[(unit.id, item.id)] = value
            else:
                valid = False
        elif how == "omit":
            valid = valid and not item.required
        elif how == "text":
            form[name] = [value]
            stripped = value
            if stripped == "":
                valid = valid and not item.required
            elif stripped.isdecimal() and int(stripped) < len(item.options):
                expected[(unit.id, item.id)] = int(stripped)
            else:
                valid = False
        else:  # the same cell answered twice
            form[name] = [str(value), str(value + 1)]
            valid = False
    comment_fields = ["c-general", *(f"c-{u.id}" for u in q.units)]
    comments: dict[int | None, str] = {}
    for name, text in zip(comment_fields, comments_recipe, strict=False):
        if text is not None:
            form[name] = [text]
            valid = valid and len(text.strip()) <= COMMENT_MAX
            if text.strip():
                comments[None if name == "c-general" else int(name[2:])] = text.strip()
    for key, value in extra.items():
        if not key.startswith(("a-", "c-", "csrf")):
            form.setdefault(key, []).append(value)
    nul = any("\x00" in v for values in form.values() for v in values)
    known = set(db.session.scalars(select(Ballot.id)))
    comments_before = count(Comment)

    response = browser.post("/survey", data=form)
    event(f"answered {response.status_code}")

    code_hash = code_service.hash_code(code)
    status = db.session.scalar(select(AccessCode.status).where(AccessCode.code_hash == code_hash))
    new = set(db.session.scalars(select(Ballot.id))) - known
    if response.status_code == 303:
        assert valid and not nul, form
        assert response.headers["Location"].endswith("/done")
        assert len(new) == 1 and status == "used"
        (ballot_id,) = new
        assert stored_answers(ballot_id) == expected
        assert {c.unit_id: c.text for c in db.session.scalars(
            select(Comment).where(Comment.ballot_id == ballot_id))} == comments
    else:
        page = response.get_data(as_text=True)
        if nul:  # refused before anything is read
            assert response.status_code == 400 and "无效字符" in page
        else:
            assert response.status_code == 422, (response.status_code, form)
            assert not valid, form
            assert "评议尚未提交" in page and 'class="error"' in page
        assert not new and status == "new"
        assert count(Comment) == comments_before


def test_a_superscript_digit_as_an_option_is_refused_not_a_server_error(app, voting):
    q, next_code = voting
    browser = app.test_client()
    assert browser.get(f"/s/{next_code()}").status_code == 303
    form = {"csrf_token": csrf_token(browser.get("/survey").get_data(as_text=True)),
            **{f"a-{u.id}-{i.id}": "²" for u in q.units for i in q.items}}
    assert browser.post("/survey", data=form).status_code == 422


# -- oversized ------------------------------------------------------------------------------


def test_an_oversized_ballot_post_is_refused_before_it_is_read(app, voting, monkeypatch):
    q, next_code = voting
    code = next_code()
    browser = app.test_client()
    assert browser.get(f"/s/{code}").status_code == 303
    token = csrf_token(browser.get("/survey").get_data(as_text=True))
    answers = {f"a-{u.id}-{i.id}": "0" for u in q.units for i in q.items}
    # a field larger than a form field may be (Flask's MAX_FORM_MEMORY_SIZE, 500 kB)
    # (the body made here: the test client would spool it to a file it never closes)
    boundary, body = encode_multipart({"csrf_token": token, **answers,
                                       "c-general": "意" * 200_000})
    huge_field = browser.post("/survey", data=body,
                              content_type=f"multipart/form-data; boundary={boundary}")
    assert huge_field.status_code == 413
    assert "上传内容过大" in huge_field.get_data(as_text=True)
    # a long comment in an ordinary form post: read, and refused with the limit named
    long_comment = browser.post("/survey", data={"csrf_token": token, **answers,
                                                 "c-general": "意" * 200_000})
    assert long_comment.status_code == 422
    assert f"意见建议不超过 {COMMENT_MAX} 字" in long_comment.get_data(as_text=True)
    # a body larger than any request may be (MAX_CONTENT_LENGTH)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 64 * 1024)
    huge_body = browser.post("/survey", data={"csrf_token": token, **answers,
                                              **{f"x{n}": "y" * 1000 for n in range(100)}})
    assert huge_body.status_code == 413
    assert count(Ballot) == 0
    # the code still works for the real ballot
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 8 * 1024 * 1024)
    assert browser.post("/survey", data={"csrf_token": token, **answers}).status_code == 303
    assert count(Ballot) == 1
