"""One code, one ballot, against a real multi-process server on the real database."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import requests
from sqlalchemy import func, select

from evalplatform.extensions import db
from evalplatform.models import AccessCode, Ballot
from evalplatform.services.ballots import questionnaire
from evalplatform.testing import answers_stored, build_campaign

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def open_ballot(base: str, code: str) -> tuple[requests.Session, str]:
    """A browser that has opened /s/<code> and holds the ballot form's CSRF token."""
    browser = requests.Session()
    first = browser.get(f"{base}/s/{code}", allow_redirects=False, timeout=30)
    assert first.status_code == 303, first.text[:300]
    page = browser.get(f"{base}/survey", timeout=30)
    assert page.status_code == 200
    return browser, TOKEN.search(page.text).group(1)


def answers(campaign) -> dict:
    q = questionnaire(campaign)
    return {f"a-{u.id}-{i.id}": "0" for u in q.units for i in q.items}


def fire(jobs) -> list[int]:
    """POST every (browser, token, data) job at once; return the status codes."""
    barrier = threading.Barrier(len(jobs))

    def post(job):
        browser, token, url, data = job
        # gunicorn closes idle keep-alive connections after 2 s; a POST on such a
        # connection is reset and not retried. Start every POST on a fresh connection.
        browser.close()
        barrier.wait()
        return browser.post(url, data={"csrf_token": token, **data}, allow_redirects=False,
                            timeout=60).status_code

    with ThreadPoolExecutor(len(jobs)) as pool:
        return list(pool.map(post, jobs))


def test_one_code_submitted_by_fifty_clients_at_once_stores_one_ballot(app, live_server):
    campaign, codes = build_campaign(codes_per_group=1)
    code = codes["服务对象"][0]
    data = answers(campaign)
    jobs = [(*open_ballot(live_server.url, code), f"{live_server.url}/survey", data)
            for _ in range(50)]
    statuses = fire(jobs)
    assert statuses.count(303) == 1, statuses
    assert statuses.count(410) == 49, statuses  # "already used", never a 500
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == 1
    assert answers_stored() == len(data)
    assert db.session.scalar(
        select(func.count()).where(AccessCode.status == "used")) == 1


def test_distinct_codes_submitted_concurrently_each_store_exactly_one_ballot(app, live_server):
    campaign, codes = build_campaign(codes_per_group=16)
    data = answers(campaign)
    all_codes = codes["服务对象"] + codes["机关干部"]
    jobs = [(*open_ballot(live_server.url, code), f"{live_server.url}/survey", data)
            for code in all_codes]
    statuses = fire(jobs)
    assert statuses == [303] * len(all_codes)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == len(all_codes)
    assert answers_stored() == len(all_codes) * len(data)
    per_group = dict(db.session.execute(
        select(Ballot.rater_group_id, func.count()).group_by(Ballot.rater_group_id)).all())
    assert sorted(per_group.values()) == [16, 16]
