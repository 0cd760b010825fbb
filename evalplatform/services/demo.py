"""A realistic demo campaign, after the seeds: a city housing & construction bureau (建设局)
appraising its sections, field units and service windows. Each rater group rates the
units it knows (测评关系): 服务对象 the service windows, 企业代表 the windows and the
regulators, 基层单位 every unit, 机关干部 the offices of the bureau; the 查摆问题 section
asks the public which problems they met (multiple choice) and everyone for advice."""

from __future__ import annotations

import csv
import math
import os
import random
import secrets
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import select

from ..extensions import db
from ..models import Unit, User
from . import campaigns, codes, sections, users
from .ballots import BallotInput, questionnaire, submit_ballot

UNITS = (
    ("办公室", "综合管理类"), ("人事教育科", "综合管理类"), ("计划财务科", "综合管理类"),
    ("政策法规科", "综合管理类"),
    ("建筑业管理科", "执法监管类"), ("城乡规划科", "执法监管类"),
    ("建设工程质量监督站", "执法监管类"), ("建筑安全监督站", "执法监管类"),
    ("城建监察大队", "执法监管类"),
    ("行政审批服务窗口", "服务窗口类"), ("房产交易登记中心", "服务窗口类"),
    ("住房保障服务中心", "服务窗口类"),
)
#: rater group, weight, codes issued, ballots the demo submits (机关干部 stays under the
#: minimum group size on purpose, to show suppression).
GROUPS = (("服务对象", 0.4, 60, 31), ("企业代表", 0.25, 40, 22), ("基层单位", 0.2, 30, 17),
          ("机关干部", 0.15, 20, 4))
#: 测评关系: the unit categories each group rates (None: every unit).
ROUTES = {"服务对象": ["服务窗口类"], "企业代表": ["服务窗口类", "执法监管类"], "基层单位": None,
          "机关干部": ["综合管理类"]}
#: 差别权重: 服务对象 weigh more on the windows they use, 机关干部 on their own offices.
CATEGORY_WEIGHTS = {"服务窗口类": {"服务对象": 0.5}, "综合管理类": {"机关干部": 0.3}}
PROBLEMS = ("门难进", "脸难看", "话难听", "事难办", "拖拉扯皮", "吃拿卡要")
#: How often each problem is picked (the public meet slow handling most).
PROBLEM_WEIGHTS = (2, 3, 2, 6, 5, 1)
ADVICE = ("建议推行一次性告知和限时办结，减少群众来回跑。", "希望公开投诉电话并及时反馈处理结果。",
          "窗口高峰期人手不足，建议增加弹性窗口。", "审批环节仍偏多，建议进一步压缩。")
COMMENTS = ("窗口服务热情，办事效率明显提高。", "希望进一步精简审批材料，减少跑腿次数。",
            "个别工作人员态度生硬，门难进、脸难看的现象还有。", "现场检查规范，执法公正。",
            "建议公开办事流程和时限，接受群众监督。")


@dataclass
class DemoResult:
    campaign_id: int  # this year's, open: the unused codes are its
    codes_file: Path
    unused_codes: int
    ballots: int
    accounts: dict[str, str]  # username -> password, only for accounts created now
    #: Last year's campaign over the same units, closed: its results are published (an
    #: open campaign's are sealed until it closes).
    closed_campaign_id: int | None = None


def load_demo(instance: Path, seed: int = 2026) -> DemoResult:
    """Two campaigns over the same units: last year's, closed, whose results and reports
    can be read at once, and this year's, open, with unused codes to vote with."""
    rng = random.Random(seed)
    accounts = _ensure_accounts()
    admin = db.session.scalar(select(User).where(User.role == "admin"))
    units = _ensure_units(admin)
    year = date.today().year
    last, _, _ = _campaign(admin, units, year - 1, rng, voting_share=1.0)
    campaigns.close_campaign(last, admin)
    current, unused, ballots = _campaign(admin, units, year, rng, voting_share=0.6)
    db.session.commit()

    path = instance / "demo-codes.csv"
    instance.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["rater_group", "code"])
        writer.writerows(unused)
    if accounts:
        _write_private(instance / "demo-accounts.txt",
                       "".join(f"{name}\t{pw}\n" for name, pw in accounts.items()))
    return DemoResult(current.id, path, len(unused), ballots, accounts, last.id)


def _campaign(admin, units, year: int, rng: random.Random, voting_share: float):
    """An open campaign of the year with ballots from part of each group's codes: the
    campaign, the unused codes (group, code) and the number of ballots."""
    campaign = campaigns.create_campaign(
        admin, title=f"{year}年度市住房和城乡建设局机关作风建设满意度测评",
        issuer="中共市住房和城乡建设局委员会", doc_number=f"建党〔{year}〕10号",
        period_start=date(year, 11, 1), period_end=date(year, 12, 15), phase="appraise",
        min_group_size=5, comments_enabled=True,
        intro="为深入推进机关作风建设，提高行政效能，现开展满意度测评。请根据您的了解，"
              "对下列单位的工作作风作出评价；不了解的单位请选择“不了解”。评议匿名进行。",
    )
    campaigns.set_units(campaign, [u.id for u in units], admin)
    groups = [campaigns.add_group(campaign, name, weight, admin) for name, weight, _, _ in GROUPS]
    campaigns.apply_template(campaign, "satisfaction", admin)
    _route(campaign, admin)
    db.session.flush()
    campaigns.open_campaign(campaign, admin)
    quality = {u.id: rng.uniform(0.55, 0.9) for u in units}

    unused: list[tuple[str, str]] = []
    ballots = 0
    for group, (_, _, issued, voting) in zip(groups, GROUPS, strict=True):
        q = questionnaire(campaign, group.id)
        _, plaintext = codes.issue_codes(campaign, group, issued, admin)
        voted = voting if voting_share >= 1 else max(1, round(voting * voting_share))
        for code in plaintext[:voted]:
            submit_ballot(codes.hash_code(code), q, _random_ballot(q, quality, rng))
            ballots += 1
        unused.extend((group.name, code) for code in plaintext[voted:])
    db.session.flush()
    return campaign, unused, ballots


def _route(campaign, admin) -> None:
    """Who rates which units, the 查摆问题 section and 差别权重 (see the module's doc)."""
    by_name = {g.name: g.id for g in campaign.groups}
    sections.set_routes(campaigns.default_matrix(campaign), [
        {"groups": [by_name[name]], "categories": categories or []}
        for name, categories in ROUTES.items()], admin)
    problems = sections.create_section(campaign, "查摆问题",
                                       [by_name["服务对象"], by_name["企业代表"]], admin)
    sections.add_question(problems, "multiple", "您认为机关作风存在的主要问题（可多选，最多三项）",
                          admin, options=PROBLEMS, minimum=1, maximum=3)
    advice = sections.create_section(campaign, "意见建议", [], admin)
    sections.add_question(advice, "text", "您对改进机关作风有什么意见和建议？", admin,
                          required=False, max_length=300)
    sections.set_category_weights(campaign, {
        category: {by_name[name]: weight for name, weight in row.items()}
        for category, row in CATEGORY_WEIGHTS.items()}, admin)


def _ensure_accounts() -> dict[str, str]:
    created = {}
    for username, role, name in (("admin", "admin", "系统管理员"),
                                 ("evaluator", "evaluator", "考评组")):
        if db.session.scalar(select(User).where(User.username == username)) is None:
            password = secrets.token_urlsafe(12)
            users.create_user(username, role, password, display_name=name)
            created[username] = password
    return created


def _ensure_units(admin) -> list[Unit]:
    from .units import save_unit

    result = []
    for position, (name, category) in enumerate(UNITS, start=1):
        unit = db.session.scalar(select(Unit).where(Unit.name == name))
        result.append(unit or save_unit(None, name, category, position, admin))
    return result


def _random_ballot(q, quality: dict[int, float], rng: random.Random) -> BallotInput:
    ballot = BallotInput()
    for matrix in q.matrices:
        for unit, item in ((u, i) for u in matrix.units for i in matrix.items_for(u.id)):
            abstain = [o.index for o in item.options if o.abstain]
            graded = [o.index for o in item.options if not o.abstain]
            if abstain and rng.random() < 0.08:
                ballot.answers[(unit.id, item.id)] = abstain[0]
                continue
            # options run best to worst; a better unit centres its votes nearer the top
            centre = (1 - quality[unit.id]) * (len(graded) - 1) * 1.5
            weights = [math.exp(-((i - centre) ** 2) / 1.2) for i in range(len(graded))]
            ballot.answers[(unit.id, item.id)] = rng.choices(graded, weights)[0]
    for question in q.questions:
        if question.kind == "multiple":
            picked = {rng.choices(range(len(PROBLEMS)), PROBLEM_WEIGHTS)[0]
                      for _ in range(rng.randint(1, question.max or 1))}
            ballot.choices[question.id] = tuple(sorted(picked))
        elif question.kind == "text" and rng.random() < 0.35:
            ballot.choices[question.id] = rng.choice(ADVICE)
    if rng.random() < 0.3:
        unit = rng.choice(q.units)
        ballot.comments[unit.id] = rng.choice(COMMENTS)
    return ballot


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
