"""Built-in scheme: democratic appraisal (民主测评), a plugin like any other."""

from __future__ import annotations

import numpy as np

from ..errors import ServiceError
from ..hookspecs import hookimpl
from ..i18n import gettext as _
from ..i18n import lazy_gettext
from .results import PLUS, joined, text
from .scheme import WeightedScheme

EXCELLENT, COMPETENT, BASIC, INCOMPETENT = "优秀", "称职", "基本称职", "不称职"
#: Where one highest and one lowest vote are dropped (WeightedScheme.trim_scope).
TRIM_SCOPES = {"group": lazy_gettext("各评议主体内分别去掉（再按评议主体权重加权）"),
               "unit": lazy_gettext("全体评议人合并后去掉（不按评议主体加权）")}


class AppraisalScheme(WeightedScheme):
    """优秀 / 称职 / 基本称职 / 不称职.

    Score: mean of option scores per rater group (dropping one highest and one lowest
    vote when there are more than five, if trimming is on), weighted over groups; grade
    from the score's band. Vote shares pooled over all raters, with the ⅔ rule (优秀 +
    称职 below two thirds: 诫勉谈话) and the ⅓ rule (不称职 above one third) as flags.
    A ballot may be limited to N 优秀 votes (forced distribution).
    """

    key = "appraisal"
    title = lazy_gettext("民主测评")
    description = lazy_gettext("优秀、称职、基本称职、不称职四档；可去掉一个最高分和一个最低分；"
                               "统计各档票数比例，按三分之二、三分之一规则标记。")

    def default_config(self) -> dict:
        return {**super().default_config(), "trim": True, "trim_scope": "group",
                "good": [EXCELLENT, COMPETENT], "bad": [INCOMPETENT],
                "excellent": EXCELLENT, "max_excellent": None, "reject_uniform": False,
                "grade_bands": [[EXCELLENT, 90.0], [COMPETENT, 70.0], [BASIC, 60.0],
                                [INCOMPETENT, 0.0]]}

    def normalize_config(self, config):
        cfg = super().normalize_config(config)
        limit = cfg.get("max_excellent")
        if limit is not None and (not isinstance(limit, int) or limit < 0):
            raise ServiceError(_("“优秀”票数上限须为非负整数，或留空表示不限。"),
                               field="max_excellent")
        cfg["trim"] = bool(cfg.get("trim"))
        if cfg.get("trim_scope") not in TRIM_SCOPES:
            raise ServiceError(_("去掉最高分和最低分的范围须为“各评议主体内”或“全体评议人”。"),
                               field="trim_scope")
        cfg["reject_uniform"] = bool(cfg.get("reject_uniform"))
        return cfg

    label_scores = {EXCELLENT: 95.0, COMPETENT: 80.0, BASIC: 65.0, INCOMPETENT: 50.0}

    def extra_fields(self, labels):
        from wtforms import BooleanField, IntegerField, SelectField
        from wtforms.validators import NumberRange, Optional

        from ..formkit import choices

        return {
            "trim": BooleanField(_("有效票超过 5 张时去掉一个最高分和一个最低分")),
            "trim_scope": SelectField(_("去掉最高分和最低分的范围"),
                                      choices=choices(TRIM_SCOPES.items())),
            "max_excellent": IntegerField(
                _("每张票“优秀”最多个数"), description=_("留空表示不限。"),
                validators=[Optional(), NumberRange(0, 10000, _("请输入非负整数。"))]),
            "reject_uniform": BooleanField(_("拒收对所有单位评价完全相同的评议票")),
        }

    def extra_data(self, config):
        return {"trim": config["trim"], "trim_scope": config["trim_scope"],
                "max_excellent": config["max_excellent"],
                "reject_uniform": config["reject_uniform"]}

    def extra_config(self, form):
        return {"trim": form.trim.data, "trim_scope": form.trim_scope.data,
                "max_excellent": form.max_excellent.data,
                "reject_uniform": form.reject_uniform.data}

    def trims(self, config):
        return bool(config.get("trim"))

    def trim_scope(self, config):
        return config.get("trim_scope") or "group"

    def extra_unit_fields(self, cube, config, eligible):
        scores = cube.option_table(config.get("option_scores"))
        valid_mask = ~np.isnan(scores)
        labels = list(dict.fromkeys(o.label for item in cube.items for o in item.options
                                    if not o.abstain))
        # over the groups counted for each unit: [U, I, O]
        pooled = (cube.counts * eligible[:, None, :, None]).sum(axis=-2)
        valid = (pooled * valid_mask).sum(axis=(-1, -2))  # [U]
        good = (pooled * cube.label_mask(config["good"])).sum(axis=(-1, -2))
        bad = (pooled * cube.label_mask(config["bad"])).sum(axis=(-1, -2))
        per_label = {label: (pooled * cube.label_mask([label])).sum(axis=(-1, -2))
                     for label in labels}
        out = []
        for k in range(len(cube.units)):
            fields: dict = {"flags": []}
            if eligible[k].any() and valid[k] > 0:
                fields["shares"] = {label: float(n[k] / valid[k]) for label, n in per_label.items()}
                if good[k] * 3 < 2 * valid[k]:
                    fields["flags"].append("admonish")
                if bad[k] * 3 > valid[k]:
                    fields["flags"].append("dismiss")
            out.append(fields)
        return out

    def decorate(self, result, cube, config):
        result.has_shares = True
        result.option_labels = list(dict.fromkeys(
            o.label for item in cube.items for o in item.options if not o.abstain))
        if config["trim"] and config["trim_scope"] == "unit":
            result.notes.append(lazy_gettext(
                "每个评价项目合并计入得分的全体评议人的有效票，超过 5 张时去掉一个最高分和一个最低分"
                "后计算平均分（不按评议主体权重加权）。"))
        elif config["trim"]:
            result.notes.append(lazy_gettext(
                "各评议主体的有效票超过 5 张时，去掉一个最高分和一个最低分后计算平均分。"))
        good, bad = joined(config["good"], PLUS), joined(config["bad"], PLUS)
        result.notes.append(text(lambda: _(
            "各档票数比例按计入得分的评议主体的有效票统计（人数不足的评议主体不计入，以免推算出其投票）；"
            "“%(good)s”票少于三分之二、或“%(bad)s”票超过三分之一的单位予以标记。",
            good=good, bad=bad)))


SCHEME = AppraisalScheme()


@hookimpl
def register_schemes():
    return [SCHEME]


@hookimpl
def validate_ballot(questionnaire, ballot, schemes):
    """Forced distribution (at most N 优秀) and, if configured, no all-same ballots."""
    config = schemes.get(AppraisalScheme.key)
    if config is None:
        return None
    config = SCHEME.normalize_config(config)
    items = [item for item in questionnaire.items if item.scheme == AppraisalScheme.key]
    if not items:
        return None
    problems = {}
    limit = config["max_excellent"]
    for item in items:
        chosen = [ballot.answers[(u.id, item.id)] for u in questionnaire.units
                  if (u.id, item.id) in ballot.answers]
        labels = [item.options[o].label for o in chosen]
        if limit is not None and labels.count(config["excellent"]) > limit:
            problems["ballot"] = _("“%(item)s”中评为“%(option)s”的单位最多 %(limit)s 个，"
                                   "您选了 %(count)s 个，请调整后再提交。",
                                   item=item.label, option=config["excellent"], limit=limit,
                                   count=labels.count(config["excellent"]))
        if config["reject_uniform"] and len(labels) > 1 and len(set(labels)) == 1 and \
                len(labels) == len(questionnaire.units):
            problems["ballot"] = _("“%(item)s”中所有单位的评价完全相同，此类评议票无效，请区分评价。",
                                   item=item.label)
    return problems or None
