"""The capability model: dimensions in families (五种工作能力 + 五种优良作风), or 五力."""

from __future__ import annotations

import copy

from evalplatform.i18n import gettext as _
from evalplatform.i18n import lazy_gettext
from evalplatform.scoring.config_forms import (
    LABELS,
    SECTIONS,
    FormSection,
    scale_field,
)
from evalplatform.scoring.dimensions import (
    DEFAULT_GRADE_BANDS,
    Dimension,
    DimensionalSchemeResult,
    DimensionedScheme,
    Family,
    check_scale,
    check_weights,
    dimension_label,
)
from evalplatform.scoring.results import LIST_SEPARATOR, ReportSection
from evalplatform.services import ServiceError

from .presets import DEFAULT_PRESET, MAX_FAMILIES, PRESETS


class CapabilityScheme(DimensionedScheme):
    """One item per dimension; dimension score = its item's score, family score = mean of
    its dimensions, composite = family scores weighted by the family weights (五力 has a
    single family: the mean of the five). Each unit's strongest and weakest dimension is
    named on the results."""

    key = "capability"
    title = lazy_gettext("能力作风评价")
    description = lazy_gettext(
        "五种工作能力（服务发展、依法行政、改革创新、执行落实、沟通协调）和五种优良作风"
        "（刻苦钻研、争先创优、求真务实、联系群众、清正廉洁）两类十个维度，或“五力”"
        "（学习力、执行力、凝聚力、创新力、免疫力）；计算各维度、各类别和综合得分，"
        "标出每个单位最强和最弱的维度。")
    version = "1"

    def report_sections(self, campaign, results, unit_id):
        """For the campaign: strongest and weakest dimensions and the heat map (page and
        bulletin), a bar chart per unit (page only). For one unit: its bar chart and its
        dimension scores."""
        from evalplatform.reports.dimensions import (
            heat_maps,
            strengths_table,
            unit_bar_chart,
            unit_bars,
            unit_dimension_table,
        )

        result = results.schemes.get(self.key)
        if not isinstance(result, DimensionalSchemeResult) or not result.units:
            return []
        if unit_id is not None:
            bars = unit_bar_chart(result, unit_id)
            if bars is None:
                return []
            return [ReportSection(_("各维度得分条形图"), str(bars), UNIT_PLACES),
                    ReportSection(_("各维度得分"), str(unit_dimension_table(result, unit_id)),
                                  UNIT_PLACES)]
        return [ReportSection(_("各单位最强和最弱维度"), str(strengths_table(result)),
                              ("page", "bulletin")),
                ReportSection(_("各维度得分热力图"), str(heat_maps(result)), ("page",)),
                ReportSection(_("各维度得分热力图"), str(heat_maps(result, document=True)),
                              ("bulletin",)),
                ReportSection(_("各单位维度得分"), str(unit_bars(result)), ("page",))]

    def default_config(self) -> dict:
        preset = PRESETS[DEFAULT_PRESET]
        share = 1 / len(preset.families)
        return {**super().default_config(), "preset": DEFAULT_PRESET, "scale": "good4",
                "family_weights": dict.fromkeys(preset.family_names, share),
                "grade_bands": copy.deepcopy(DEFAULT_GRADE_BANDS)}

    def normalize_config(self, config: dict) -> dict:
        cfg = super().normalize_config(config)
        preset = PRESETS.get(cfg.get("preset"))
        if preset is None:
            raise ServiceError(_("请选择评价模型：“五种工作能力 + 五种优良作风”或“五力”。"),
                               field="preset")
        cfg["scale"] = check_scale(cfg)
        cfg["family_weights"] = check_weights(
            cfg.get("family_weights"), preset.family_names, 1 / len(preset.families),
            field_prefix="family_weight_", families=True)
        return cfg

    def families(self, config: dict) -> list[Family]:
        preset = PRESETS[config["preset"]]
        return [Family(name, config["family_weights"][name],
                       tuple(Dimension(d, 1.0, (wording,)) for d, wording in dims))
                for name, dims in preset.families]

    # -- the configuration form ---------------------------------------------------------------

    def extra_fields(self, labels):
        from wtforms import FloatField, HiddenField, SelectField
        from wtforms.validators import NumberRange, Optional

        from evalplatform.formkit import choices

        fields = {
            "preset": SelectField(_("评价模型"),
                                  choices=choices((k, p.title) for k, p in PRESETS.items())),
            "shown_preset": HiddenField(),
            "scale": scale_field(),
        }
        for k in range(MAX_FAMILIES):
            fields[f"family_weight_{k}"] = FloatField(_("类别权重"), validators=[
                Optional(), NumberRange(0, 1000, _("权重须为 0–1000 之间的数，不能为负数。"))])
        return fields

    def extra_data(self, config):
        preset = PRESETS[config["preset"]]
        data = {"preset": config["preset"], "shown_preset": config["preset"],
                "scale": config["scale"]}
        labels = {}
        for k, name in enumerate(preset.family_names):
            weight = config["family_weights"][name]
            data[f"family_weight_{k}"] = int(weight) if weight.is_integer() else weight
            labels[f"family_weight_{k}"] = _("“%(family)s”权重", family=dimension_label(name))
        layout = _("；").join(
            _("%(name)s：%(value)s", name=dimension_label(name),
              value=str(LIST_SEPARATOR).join(dimension_label(d) for d, _wording in dims))
            for name, dims in preset.families)
        sections = [FormSection(_("评价模型"), ("preset", "scale"),
                                _("当前模型的维度（每个维度一个评价项目）——%(layout)s。"
                                  "切换模型后，评议表中本方案的项目随之更换。", layout=layout))]
        if len(preset.families) > 1:
            sections.append(FormSection(
                _("类别权重"), tuple(f"family_weight_{k}" for k in range(len(preset.families))),
                _("类别得分为类别内各维度得分的平均，综合得分为各类别得分按权重加权；"
                  "权重按比例折算，不必合计为 1，不能为负数，也不能全部为 0。"), grid=True))
        data[LABELS], data[SECTIONS] = labels, sections
        return data

    def extra_config(self, form) -> dict:
        config = {"preset": form.preset.data, "scale": form.scale.data}
        preset = PRESETS.get(form.preset.data)
        if preset is not None and form.shown_preset.data == form.preset.data:
            config["family_weights"] = {
                name: form[f"family_weight_{k}"].data for k, name in enumerate(preset.family_names)
                if form[f"family_weight_{k}"].data is not None}
        return config


#: Where a unit's own sections appear.
UNIT_PLACES = ("unit_page", "unit_report")
SCHEME = CapabilityScheme()
