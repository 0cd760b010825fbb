"""Built-in scheme: satisfaction survey (满意度测评), a plugin like any other."""

from __future__ import annotations

import numpy as np

from ..hookspecs import hookimpl
from ..i18n import gettext as _
from ..i18n import lazy_gettext
from .results import PLUS, joined, text
from .scheme import WeightedScheme, _divide

SATISFIED = ("满意", "比较满意", "基本满意")


class SatisfactionScheme(WeightedScheme):
    """满意 / 比较满意 / 基本满意 / 不太满意 / 不满意, and 不了解 which is no vote.

    Score: mean of option scores (100/80/60/40/0 by default). Satisfaction rate:
    satisfied votes (满意, 比较满意, 基本满意 by default) over valid votes, pooled over the
    rater groups counted for the unit.
    """

    key = "satisfaction"
    title = lazy_gettext("满意度测评")
    description = lazy_gettext("满意度五级或三级评价，“不了解”不计入有效票；按评议主体权重加权，"
                               "计算得分、满意率和序列内排名。")

    def default_config(self) -> dict:
        return {**super().default_config(), "satisfied": list(SATISFIED),
                "grade_bands": [["满意", 90.0], ["比较满意", 80.0], ["基本满意", 60.0],
                                ["不满意", 0.0]]}

    label_scores = {"满意": 100.0, "比较满意": 80.0, "基本满意": 60.0, "不太满意": 40.0,
                    "不满意": 0.0}

    def extra_fields(self, labels):
        from wtforms import BooleanField

        return {f"satisfied_{k}": BooleanField(_("“%(label)s”计入满意率", label=label))
                for k, label in enumerate(labels)}

    def form_data(self, config, labels):
        data = super().form_data(config, labels)
        data.update({f"satisfied_{k}": label in config["satisfied"]
                     for k, label in enumerate(labels)})
        return data

    def config_from_form(self, form, labels):
        config = super().config_from_form(form, labels)
        config["satisfied"] = [label for k, label in enumerate(labels)
                               if getattr(form, f"satisfied_{k}").data]
        return self.normalize_config(config)

    def extra_unit_fields(self, cube, config, eligible):
        satisfied = cube.label_mask(config["satisfied"])  # [I, O]
        scores = cube.option_table(config.get("option_scores"))
        valid_mask = ~np.isnan(scores)
        sat = (cube.counts * satisfied[:, None, :]).sum(-1).sum(-2)  # [U, G]
        valid = (cube.counts * valid_mask[:, None, :]).sum(-1).sum(-2)  # [U, G]
        group_rate = _divide(sat, valid)
        pooled = _divide((sat * eligible).sum(-1), (valid * eligible).sum(-1))
        out = []
        for k in range(len(cube.units)):
            rate = float(pooled[k]) if eligible[k].any() and np.isfinite(pooled[k]) else None
            out.append({"satisfaction_rate": rate,
                        "group_values": {"satisfaction_rate": group_rate[k]}})
        return out

    def decorate(self, result, cube, config):
        result.has_satisfaction_rate = True
        satisfied = joined(config["satisfied"], PLUS)
        result.notes.append(text(lambda: _("满意率 = （%(options)s）÷ 有效票；“不了解”不计入有效票。",
                                           options=satisfied)))


SCHEME = SatisfactionScheme()


@hookimpl
def register_schemes():
    return [SCHEME]
