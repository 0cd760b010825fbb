"""The command-line interface of docs/design.md."""

from __future__ import annotations

import csv
import os

import pytest
from sqlalchemy import func, select

from evalplatform.extensions import db
from evalplatform.models import Ballot, Campaign, User
from evalplatform.scoring.engine import campaign_results
from evalplatform.services.ballots import questionnaire


def test_users_create_and_token_give_api_access(app, client):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "zhang", "--role", "evaluator",
                                 "--password", "a-long-password"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "zhang"))
    assert user.role == "evaluator" and "a-long-password" not in user.password_hash
    result = runner.invoke(args=["users", "token", "zhang"])
    token = result.output.strip()
    assert result.exit_code == 0 and token.startswith("ep_")
    response = client.get("/api/v1/campaigns", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_users_create_refuses_bad_input_with_a_message(app):
    runner = app.test_cli_runner()
    short = runner.invoke(args=["users", "create", "li", "--role", "admin", "--password", "x"])
    assert short.exit_code != 0 and "密码至少" in short.output
    runner.invoke(args=["users", "create", "li", "--role", "admin", "--password", "long-enough-1"])
    again = runner.invoke(args=["users", "create", "li", "--role", "admin",
                                "--password", "long-enough-1"])
    assert again.exit_code != 0 and "已存在" in again.output
    missing = runner.invoke(args=["users", "token", "nobody"])
    assert missing.exit_code != 0 and "no user named" in missing.output


def test_demo_load_builds_a_usable_campaign(app, client, instance_dir):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    last, campaign = db.session.scalars(select(Campaign).order_by(Campaign.id)).all()
    assert last.status == "closed" and campaign.status == "open"
    assert f"demo campaign #{last.id}: closed" in result.output
    assert campaign_results(last).schemes["satisfaction"].units[0].score is not None
    assert campaign_results(campaign).sealed
    assert len(campaign.units) == 12
    assert {u.category for u in campaign.units} == {"综合管理类", "执法监管类", "服务窗口类"}
    assert [g.name for g in campaign.groups] == ["服务对象", "企业代表", "基层单位", "机关干部"]
    labels = [o["label"] for o in campaign.items[0].options]
    assert labels == ["满意", "比较满意", "基本满意", "不太满意", "不满意", "不了解"]
    assert db.session.scalar(select(func.count()).select_from(Ballot)
                             .where(Ballot.campaign_id == last.id)) == 74
    # each group rates the units it knows, the public also answer 查摆问题
    public, business, base, staff = (questionnaire(campaign, g.id) for g in campaign.groups)
    assert {u.name for u in public.units} == {"行政审批服务窗口", "房产交易登记中心", "住房保障服务中心"}
    assert len(business.units) == 8 and len(base.units) == 12 and len(staff.units) == 4
    assert [q.kind for q in public.questions] == ["multiple", "text"]
    assert [q.kind for q in staff.questions] == ["text"]
    findings = campaign_results(last).questions
    problems = next(q for q in findings if q.kind == "multiple")
    assert problems.ranked[0][0] == "事难办"  # the option the demo's public pick most
    assert problems.answered == 31 + 22
    this_year = db.session.scalar(select(func.count()).select_from(Ballot)
                                  .where(Ballot.campaign_id == campaign.id))
    with open(instance_dir / "demo-codes.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["rater_group", "code"] and len(rows) == 150 - this_year
    assert client.get(f"/s/{rows[0]['code']}").status_code == 303
    assert (instance_dir / "demo-accounts.txt").stat().st_mode & 0o077 == 0
    # --if-empty leaves an existing installation alone
    again = runner.invoke(args=["demo", "load", "--if-empty"])
    assert "nothing loaded" in again.output
    assert db.session.scalar(select(func.count()).select_from(Campaign)) == 2


def test_reading_commands_run_together_while_a_writer_holds_the_database(app, app_config,
                                                                        instance_dir):
    """`results show` and `results verify` only read: two at once, while another
    connection holds SQLite's write lock, both finish (they never ask for the lock)."""
    import sqlite3
    import subprocess
    import sys
    from pathlib import Path

    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write lock")
    from evalplatform.services import campaigns as campaign_service
    from evalplatform.testing import build_campaign, cast_ballot

    campaign, plaintext = build_campaign(codes_per_group=5)
    for code in plaintext["服务对象"]:
        cast_ballot(campaign, code, lambda unit, item: 1)
    campaign_service.close_campaign(campaign, None)
    db.session.commit()
    env = {**os.environ, "DATABASE_URL": app_config["DATABASE_URL"],
           "SECRET_KEY": app_config["SECRET_KEY"], "CODE_HASH_KEY": app_config["CODE_HASH_KEY"],
           "EVALPLATFORM_INSTANCE": str(instance_dir)}
    flask = str(Path(sys.executable).with_name("flask"))
    writer = sqlite3.connect(app_config["DATABASE_URL"].removeprefix("sqlite:///"),
                             isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        runs = [subprocess.Popen([flask, "--app", "wsgi", "results", command, str(campaign.id)],
                                 cwd=Path(__file__).parent.parent, env=env, text=True,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
                for command in ("show", "verify", "show")]
        outputs = [run.communicate(timeout=60)[0] for run in runs]
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert [run.returncode for run in runs] == [0, 0, 0], outputs
    assert "服务对象" not in outputs[0] and "综合管理类" in outputs[0]
    assert "OK: results match the ballots" in outputs[1]
