"""The checklist scheme (对照检查): scores review findings, not ballots.

A unit's checklist score is 100 minus the deductions recorded for it, floored at 0. The
configuration can combine it with another scheme's composite (e.g. the satisfaction
survey): score = weight × checklist score + (1 − weight) × that composite. Units are
ranked within their category with grade bands and the bottom rule, as in every scheme.
Units not yet reviewed (or, when combining, without a composite) are left out of the
ranking, and a note names them. Units with overdue rectification items are flagged.

The scheme contributes no questionnaire items: its sub-cube has no items, so the engine
computes no bootstrap intervals for it, and pages show no votes or rater groups
(``SchemeResult.from_ballots`` is False).
"""

from __future__ import annotations

import copy

import numpy as np

from evalplatform.extensions import db
from evalplatform.i18n import gettext as _
from evalplatform.i18n import lazy_gettext
from evalplatform.models import Campaign
from evalplatform.scoring import WeightedScheme
from evalplatform.scoring.cube import Cube
from evalplatform.scoring.ranking import competition_ranks
from evalplatform.scoring.results import SchemeResult, UnitResult, joined, text
from evalplatform.scoring.scheme import Evaluation, bottom_rule_text, grade_for
from evalplatform.services import ServiceError

from . import reviews
from .catalogue import catalogue, items_text, normalize_lists, parse_items

KEY = reviews.KEY
FULL_SCORE = 100.0
#: The share of the campaign's units reviewed below which the checklist ranks and flags nobody
#: (docs/scoring.md): two reviews out of 25 must not name a 末位 in a circulated bulletin.
MIN_COVERAGE = 0.8


def _percent(value: float) -> str:
    return f"{value * 100:g}%"


class ChecklistScheme(WeightedScheme):
    key = KEY
    title = lazy_gettext("对照检查")
    description = lazy_gettext("对照三查三看、四个是否、三多三好、两个注重、混怕推空散等检查表逐项检查，"
                               "得分 = 100 − 扣分（最低 0 分），可与满意度等测评得分按权重合成；"
                               "不符合项自动列入整改台账。")
    version = "1"
    pages = ((lazy_gettext("对照检查"), "checklist.reviews"),
             (lazy_gettext("整改台账"), "checklist.ledger"))
    config_template = "checklist/config.html"

    # -- configuration ---------------------------------------------------------------------

    def default_config(self) -> dict:
        return {**super().default_config(),
                "lists": copy.deepcopy(list(catalogue())),
                "combine_with": None, "weight": 0.3, "min_coverage": MIN_COVERAGE,
                "grade_bands": [["优秀", 90.0], ["良好", 80.0], ["合格", 60.0], ["不合格", 0.0]]}

    def normalize_config(self, config: dict) -> dict:
        cfg = super().normalize_config(config)
        cfg["lists"] = copy.deepcopy(normalize_lists(cfg.get("lists")))
        combine = cfg.get("combine_with") or None
        if combine is not None and (not isinstance(combine, str) or combine == self.key
                                    or len(combine) > 64):
            raise ServiceError(_("合成的方案须是本方案以外的评分方案。"), field="combine_with")
        cfg["combine_with"] = combine
        weight = cfg.get("weight")
        if isinstance(weight, bool) or not isinstance(weight, int | float) or not 0 <= weight <= 1:
            raise ServiceError(_("对照检查得分所占权重应为 0–100%。"), field="weight")
        cfg["weight"] = float(weight)
        coverage = cfg.get("min_coverage")
        if isinstance(coverage, bool) or not isinstance(coverage, int | float) \
                or not 0 <= coverage <= 1:
            raise ServiceError(_("排名所需的检查覆盖率应为 0–100%。"), field="min_coverage")
        cfg["min_coverage"] = float(coverage)
        return cfg

    def requires(self, config):
        """The scheme whose composite the score is combined with must be enabled too."""
        combine = self.normalize_config(config)["combine_with"]
        return [combine] if combine else []

    def config_form(self, labels):
        from wtforms import BooleanField, SelectField, StringField, TextAreaField

        from evalplatform.formkit import choices
        from evalplatform.scoring.config_forms import base_fields, form_class
        from evalplatform.scoring.engine import registered_schemes

        fields = base_fields([])
        for entry in catalogue():
            key = entry["key"]
            fields[f"use_{key}"] = BooleanField(_("选用“%(checklist)s”（%(area)s）",
                                                  checklist=entry["title"], area=entry["area"]))
            fields[f"max_{key}"] = StringField(_("每项最高扣分"), render_kw={"inputmode": "decimal"})
            fields[f"items_{key}"] = TextAreaField(
                _("检查内容（每行一项）"),
                description=_("某项的最高扣分与本表不同时，在行末写“｜分数”，如“｜3”。"),
                render_kw={"rows": len(entry["items"]) + 1})
        others = [(k, s.title) for k, s in registered_schemes().items() if k != self.key]
        fields["combine_with"] = SelectField(
            _("与测评得分合成"), choices=choices([("", _("不合成，只按对照检查计分")), *others]),
            validate_choice=False)
        fields["weight"] = StringField(
            _("对照检查得分所占权重（%）"), render_kw={"inputmode": "decimal"},
            description=_("如 30 表示：得分 = 检查得分 × 30% + 所选测评的综合得分 × 70%。"))
        fields["min_coverage"] = StringField(
            _("排名所需的检查覆盖率（%）"), render_kw={"inputmode": "decimal"},
            description=_("已检查的单位少于被评单位的这一比例时，不排名、不认定末位，"
                          "只列出已检查单位的得分。"))
        return form_class(fields)

    def form_data(self, config, labels):
        from evalplatform.scoring.config_forms import base_data

        data = base_data(config, [], {})
        chosen = {entry["key"]: entry for entry in config["lists"]}
        for entry in catalogue():
            key = entry["key"]
            shown = chosen.get(key, entry)
            data[f"use_{key}"] = key in chosen
            data[f"max_{key}"] = f"{shown['max_deduction']:g}"
            data[f"items_{key}"] = items_text(shown)
        data["combine_with"] = config.get("combine_with") or ""
        data["weight"] = f"{config['weight'] * 100:g}"
        data["min_coverage"] = f"{config['min_coverage'] * 100:g}"
        return data

    def config_from_form(self, form, labels):
        from evalplatform.scoring.config_forms import base_config

        config = base_config(form, [])
        lists = []
        for entry in catalogue():
            key = entry["key"]
            if not form[f"use_{key}"].data:
                continue
            maximum = _form_number(form[f"max_{key}"].data, 0, 100, f"max_{key}",
                                   _("“%(checklist)s”的每项最高扣分应为 0–100 的数字。",
                                     checklist=entry["title"]))
            lists.append({"key": key, "title": entry["title"], "area": entry["area"],
                          "max_deduction": maximum,
                          "items": parse_items(form[f"items_{key}"].data, entry["title"],
                                               f"items_{key}")})
        if not lists:
            raise ServiceError(_("请至少选用一张检查表。"))
        combine = form.combine_with.data or None
        if combine is not None and combine not in {c.value for c in form.combine_with.choices}:
            raise ServiceError(_("请从列表中选择要合成的评分方案。"), field="combine_with")
        weight = _form_number(form.weight.data, 0, 100, "weight", _("权重应为 0–100 的数字。"))
        coverage = _form_number(form.min_coverage.data, 0, 100, "min_coverage",
                                _("检查覆盖率应为 0–100 的数字。"))
        return self.normalize_config({**config, "lists": lists, "combine_with": combine,
                                      "weight": weight / 100, "min_coverage": coverage / 100})

    # -- data besides ballots ----------------------------------------------------------------

    def data_version(self, campaign, config):
        return reviews.data_version(campaign)

    def on_close(self, campaign, config):
        reviews.keep_snapshot(campaign, self.normalize_config(config))

    # -- scoring ---------------------------------------------------------------------------

    def questionnaire_items(self, config):
        """No items: the scheme scores review findings, not ballots (it is enabled by hand,
        never by the questionnaire's items)."""
        return []

    def report_sections(self, campaign, results, unit_id):
        from .sections import sections, unit_sections

        if unit_id is not None:
            return unit_sections(campaign, results, unit_id)
        return sections(campaign, results)

    def reads_ballots(self, config):
        """Only when combined with a ballot scheme's composite."""
        return bool(self.normalize_config(config)["combine_with"])

    def composite(self, cube, config):
        raise NotImplementedError("the checklist scheme has no ballots to resample")

    def evaluate(self, cube: Cube, config: dict) -> Evaluation:
        # rules frozen before the coverage rule rank every reviewed unit, as published
        min_coverage = float((config or {}).get("min_coverage", 0.0))
        config = self.normalize_config(config)
        decimals = config["tie_decimals"]
        campaign = db.session.get(Campaign, cube.campaign_id) if cube.campaign_id else None
        data = (reviews.scoring_data(campaign, config) if campaign is not None
                else reviews.ReviewData(reviews.local_today(), False, {}, []))
        total = sum(len(entry["items"]) for entry in config["lists"])
        n = len(cube.units)
        checklist = np.full(n, np.nan)
        for k, unit in enumerate(cube.units):
            found = data.units.get(unit.id)
            if found is not None and found.reviewed:
                checklist[k] = max(0.0, FULL_SCORE - found.deduction)

        # Notes are composed when shown, in the reader's language (results are cached).
        notes = [lazy_gettext("检查得分 = 100 − 各检查项扣分之和（最低 0 分）；检查表共 %(total)s 项。",
                              total=total)]
        score = checklist
        other_key = config["combine_with"]
        unscored_other: list[str] = []
        if other_key:
            other, other_title = self._other_composite(cube, campaign, other_key)
            if other is None:
                notes.append(text(lambda: _("合成的评分方案“%(scheme)s”未在本活动启用，得分即检查得分。",
                                            scheme=other_title)))
            else:
                w = config["weight"]
                score = w * checklist + (1 - w) * other
                notes.append(text(lambda: _(
                    "得分 = 检查得分 × %(weight)s + %(scheme)s综合得分 × %(rest)s。",
                    weight=_percent(w), scheme=other_title, rest=_percent(1 - w))))
                unscored_other = [u.name for k, u in enumerate(cube.units)
                                  if np.isfinite(checklist[k]) and not np.isfinite(other[k])]
        unreviewed = [u.name for k, u in enumerate(cube.units) if not np.isfinite(checklist[k])]
        if unreviewed:
            names = joined(unreviewed)
            notes.append(text(lambda: _("尚未检查、不参与排名的单位：%(units)s。", units=names)))
        if unscored_other:
            unscored = joined(unscored_other)
            notes.append(text(lambda: _("测评有效票不足、无法合成得分的单位：%(units)s。", units=unscored)))
        when = data.as_of.isoformat()
        if data.frozen:
            notes.append(lazy_gettext("整改是否逾期以 %(date)s（评议活动结束日）为准。", date=when))
        else:
            notes.append(lazy_gettext("整改是否逾期以 %(date)s 为准。", date=when))

        reviewed = int(np.isfinite(checklist).sum())
        ranked = n > 0 and reviewed >= min_coverage * n
        if ranked:
            notes.insert(0, lazy_gettext("对照检查完成 %(done)s/%(total)s 个单位。", done=reviewed,
                                         total=n))
        else:
            notes.insert(0, lazy_gettext(
                "对照检查完成 %(done)s/%(total)s 个单位，未达到排名所需的 %(share)s："
                "暂不排名，不认定末位。", done=reviewed, total=n, share=_percent(min_coverage)))
        keep = [k for k in range(n) if np.isfinite(score[k])]
        units_in = [cube.units[k] for k in keep]
        scores = score[keep]
        categories = list(dict.fromkeys(u.category for u in units_in))
        pools = [np.array([j for j, u in enumerate(units_in) if u.category == c]) for c in categories]
        ranks = competition_ranks(scores, pools, decimals)
        overdue = data.overdue_by_unit()
        units = []
        for j, unit in enumerate(units_in):
            value = float(scores[j])
            result = UnitResult(unit_id=unit.id, unit=unit.name, category=unit.category,
                                score=value, valid_votes=0, abstentions=0, groups=[], items=[],
                                rank=int(ranks[j]) if ranked else None,
                                grade=grade_for(value, config["grade_bands"], decimals))
            found = data.units[unit.id]
            if found.reviewed < total:
                result.flags.append("review_incomplete")
                result.extra_flag_labels["review_incomplete"] = lazy_gettext(
                    "尚有 %(count)s 项未检查", count=total - found.reviewed)
            if overdue[unit.id]:
                result.flags.append("overdue")
                result.extra_flag_labels["overdue"] = lazy_gettext(
                    "整改逾期 %(count)s 项", count=overdue[unit.id])
            units.append(result)
        for pool in pools:
            for j in pool:
                units[j].ranked_in = len(pool) if ranked else 0
        flagged = self._flag_bottom(units, scores, pools, config) if units and ranked else {}
        result = SchemeResult(key=self.key, title=self.title, units=units, categories=categories,
                              bottom_rule=bottom_rule_text(config), notes=notes, from_ballots=False)
        return Evaluation(result, scores, np.ones((len(units), 0), dtype=bool), pools, flagged,
                          decimals)

    @staticmethod
    def _other_composite(cube: Cube, campaign: Campaign | None, key: str
                         ) -> tuple[np.ndarray | None, str]:
        """The composite per unit of the scheme the score is combined with (None when it is
        not enabled in this campaign or not installed), and its title."""
        from evalplatform.scoring.engine import registered_schemes
        from evalplatform.scoring.rules import rules_for

        schemes = registered_schemes()
        other = schemes.get(key)
        title = other.title if other else key
        if campaign is None or other is None:
            return None, title
        rules = rules_for(campaign, schemes)[0]
        spec = rules["schemes"].get(key)
        if spec is None:
            return None, title
        whole = cube.source or cube
        evaluation = other.evaluate(whole.for_items([i.id for i in whole.items if i.scheme == key]),
                                    spec["config"])
        by_unit = {u.unit_id: u.score for u in evaluation.result.units}
        return np.array([np.nan if by_unit.get(u.id) is None else by_unit[u.id]
                         for u in cube.units], dtype=float), title


def _form_number(text, low: float, high: float, field: str, message: str) -> float:
    try:
        value = float((text or "").strip())
    except ValueError:
        raise ServiceError(message, field=field) from None
    if not low <= value <= high:  # also NaN
        raise ServiceError(message, field=field)
    return value


SCHEME = ChecklistScheme()
