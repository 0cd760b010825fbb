"""Built-in scheme: satisfaction survey (满意度测评), a plugin like any other."""

from __future__ import annotations

import numpy as np

from ..errors import ServiceError
from ..hookspecs import hookimpl
from ..i18n import gettext as _
from ..i18n import lazy_gettext
from .results import PLUS, joined, text
from .scheme import WeightedScheme, _divide

SATISFIED = ("满意", "比较满意", "基本满意")
#: How a unit's satisfaction rate pools its rater groups.
RATE_MODES = {"pooled": lazy_gettext("按有效票合计（各评议主体的满意票之和 ÷ 有效票之和）"),
              "weighted": lazy_gettext("按评议主体权重加权（与得分相同的权重）")}


class SatisfactionScheme(WeightedScheme):
    """满意 / 比较满意 / 基本满意 / 不太满意 / 不满意, and 不了解 which is no vote.

    Score: mean of option scores (100/80/60/40/0 by default). Satisfaction rate:
    satisfied votes (满意, 比较满意, 基本满意 by default) over valid votes, pooled over the
    rater groups counted for the unit (``rate``: "pooled", the default), or each counted
    group's rate weighted like its score ("weighted", as programmes that weight the rate
    by 评议主体 do).
    """

    key = "satisfaction"
    title = lazy_gettext("满意度测评")
    description = lazy_gettext("满意度五级或三级评价，“不了解”不计入有效票；按评议主体权重加权，"
                               "计算得分、满意率和序列内排名。")

    def default_config(self) -> dict:
        return {**super().default_config(), "satisfied": list(SATISFIED), "rate": "pooled",
                "grade_bands": [["满意", 90.0], ["比较满意", 80.0], ["基本满意", 60.0],
                                ["不满意", 0.0]]}

    def normalize_config(self, config):
        cfg = super().normalize_config(config)
        if cfg.get("rate") not in RATE_MODES:
            raise ServiceError(_("满意率的计算方式须为“按有效票合计”或“按评议主体权重加权”。"),
                               field="rate")
        return cfg

    label_scores = {"满意": 100.0, "比较满意": 80.0, "基本满意": 60.0, "不太满意": 40.0,
                    "不满意": 0.0}

    def extra_fields(self, labels):
        from wtforms import BooleanField, SelectField

        from ..formkit import choices

        return {**{f"satisfied_{k}": BooleanField(_("“%(label)s”计入满意率", label=label))
                   for k, label in enumerate(labels)},
                "rate": SelectField(_("满意率的计算方式"), choices=choices(RATE_MODES.items()))}

    def form_data(self, config, labels):
        data = super().form_data(config, labels)
        data.update({f"satisfied_{k}": label in config["satisfied"]
                     for k, label in enumerate(labels)})
        data["rate"] = config["rate"]
        return data

    def config_from_form(self, form, labels):
        config = super().config_from_form(form, labels)
        config["satisfied"] = [label for k, label in enumerate(labels)
                               if getattr(form, f"satisfied_{k}").data]
        config["rate"] = form.rate.data
        return self.normalize_config(config)

    def extra_unit_fields(self, cube, config, eligible):
        satisfied = cube.label_mask(config["satisfied"])  # [I, O]
        scores = cube.option_table(config.get("option_scores"))
        valid_mask = ~np.isnan(scores)
        sat = (cube.counts * satisfied[:, None, :]).sum(-1).sum(-2)  # [U, G]
        valid = (cube.counts * valid_mask[:, None, :]).sum(-1).sum(-2)  # [U, G]
        group_rate = _divide(sat, valid)
        if config["rate"] == "weighted":
            unit_rate = self.combine(group_rate, cube.group_weights(), eligible)
        else:
            unit_rate = _divide((sat * eligible).sum(-1), (valid * eligible).sum(-1))
        out = []
        for k in range(len(cube.units)):
            rate = float(unit_rate[k]) if eligible[k].any() and np.isfinite(unit_rate[k]) else None
            out.append({"satisfaction_rate": rate,
                        "group_values": {"satisfaction_rate": group_rate[k]}})
        return out

    def decorate(self, result, cube, config):
        result.has_satisfaction_rate = True
        satisfied = joined(config["satisfied"], PLUS)
        if config["rate"] == "weighted":
            result.notes.append(text(lambda: _(
                "满意率 = 各评议主体的满意率（（%(options)s）÷ 有效票）按评议主体权重加权；"
                "“不了解”不计入有效票。", options=satisfied)))
        else:
            result.notes.append(text(lambda: _(
                "满意率 = （%(options)s）÷ 有效票，合计计入得分的各评议主体；“不了解”不计入有效票。",
                options=satisfied)))


SCHEME = SatisfactionScheme()


@hookimpl
def register_schemes():
    return [SCHEME]
