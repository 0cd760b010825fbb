"""The 六型机关 scheme: six dimensions, each the mean of its items; a weighted composite."""

from __future__ import annotations

import copy

from evalplatform.i18n import gettext as _
from evalplatform.i18n import lazy_gettext
from evalplatform.scoring.config_forms import (
    LABELS,
    SECTIONS,
    FormSection,
    lines,
    scale_field,
    weight_field,
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
from evalplatform.scoring.results import ReportSection
from evalplatform.services import ServiceError

from .bank import BANK, VARIANT_SLOT, VARIANTS, bank_size, dimensions, other_variant

#: At most this many characters of wording per item (labels hold 100 with the name).
MAX_WORDING = 60
MAX_ITEMS = 10


class SixTypeScheme(DimensionedScheme):
    """学习型、服务型、高效型（或务实型）、和谐型、创新型、廉洁型.

    Items are asked per unit on a 好/较好/一般/差 scale (or the satisfaction scale), with
    不了解 as no vote. Dimension score = mean of its items' scores; composite = weighted
    mean of the six dimension scores; ranks within each category; grade bands and the
    bottom rule as in the other weighted schemes.
    """

    key = "six_type"
    title = lazy_gettext("六型机关")
    description = lazy_gettext("学习型、服务型、高效型（或务实型）、和谐型、创新型、廉洁型六个维度，"
                               "每个维度 2–4 个评价项目；计算各维度得分和加权综合得分，序列内排名，"
                               "雷达图和热力图。")
    version = "1"

    def report_sections(self, campaign, results, unit_id):
        """For the campaign: the heat map of units × dimensions (page and bulletin) and a
        radar chart per unit (page only). For one unit: its radar chart and its dimension
        scores."""
        from evalplatform.reports.dimensions import (
            heat_maps,
            radars,
            unit_dimension_table,
            unit_radar,
        )

        result = results.schemes.get(self.key)
        if not isinstance(result, DimensionalSchemeResult) or not result.units:
            return []
        if unit_id is not None:
            radar = unit_radar(result, unit_id)
            if radar is None:
                return []
            return [ReportSection(_("六型雷达图"), str(radar), UNIT_PLACES),
                    ReportSection(_("各维度得分"), str(unit_dimension_table(result, unit_id)),
                                  UNIT_PLACES)]
        return [ReportSection(_("各维度得分热力图"), str(heat_maps(result)), ("page",)),
                ReportSection(_("各维度得分热力图"), str(heat_maps(result, document=True)),
                              ("bulletin",)),
                ReportSection(_("各单位六型雷达图"), str(radars(result)), ("page",))]

    def default_config(self) -> dict:
        names = dimensions(VARIANTS[0])
        return {**super().default_config(), "variant": VARIANTS[0], "scale": "good4",
                "items": {name: list(BANK[name]) for name in names},
                "weights": dict.fromkeys(names, 1.0),
                "grade_bands": copy.deepcopy(DEFAULT_GRADE_BANDS)}

    def normalize_config(self, config: dict) -> dict:
        cfg = super().normalize_config(config)
        variant = cfg.get("variant")
        if variant not in VARIANTS:
            raise ServiceError(_("第三个维度须为“高效型”或“务实型”。"), field="variant")
        cfg["scale"] = check_scale(cfg)
        names = dimensions(variant)
        other = other_variant(variant)
        raw = cfg.get("items")
        if not isinstance(raw, dict):
            raise ServiceError(_("评价项目的格式不正确。"), field="extra_0")
        items = {}
        for k, name in enumerate(names):
            texts = raw.get(name)
            if texts is None and k == VARIANT_SLOT and other in raw:
                texts = _translate(raw[other], other, variant)
            items[name] = _check_items(list(BANK[name]) if texts is None else texts, name, k)
        cfg["items"] = items
        weights = cfg.get("weights")
        if isinstance(weights, dict) and variant not in weights and other in weights:
            weights = {**weights, variant: weights[other]}
        cfg["weights"] = check_weights(weights, names, 1.0, field_prefix="weight_")
        return cfg

    def families(self, config: dict) -> list[Family]:
        return [Family(None, 1.0, tuple(
            Dimension(name, config["weights"][name], tuple(config["items"][name]))
            for name in dimensions(config["variant"])))]

    # -- the configuration form ---------------------------------------------------------------

    def extra_fields(self, labels):
        from wtforms import BooleanField, HiddenField, SelectField, TextAreaField

        from evalplatform.formkit import choices

        fields = {
            "variant": SelectField(_("第三个维度"), choices=choices(
                (v, _("%(variant)s（%(dimensions)s）", variant=dimension_label(v),
                      dimensions=_("、").join(map(dimension_label, dimensions(v)))))
                for v in VARIANTS)),
            "shown_variant": HiddenField(),
            "scale": scale_field(),
        }
        for k in range(len(dimensions(VARIANTS[0]))):
            fields[f"weight_{k}"] = weight_field()
            for j in range(bank_size(k)):
                fields[f"item_{k}_{j}"] = BooleanField()
            fields[f"extra_{k}"] = TextAreaField(
                _("其他评价项目"), description=_("每行一项，每项不超过 %(max)s 字。", max=MAX_WORDING),
                render_kw={"rows": 2})
        return fields

    def extra_data(self, config):
        names = dimensions(config["variant"])
        data = {"variant": config["variant"], "shown_variant": config["variant"],
                "scale": config["scale"]}
        labels, sections = {}, [
            FormSection(_("类型与评价选项"), ("variant", "scale"),
                        _("有的文件为“高效型”，有的为“务实型”。切换后，第三个维度改用相应题库的项目，"
                          "按原来的勾选逐项对应（另行补充的项目保留），保存后可再调整。")),
            FormSection(_("维度权重"), tuple(f"weight_{k}" for k in range(len(names))),
                        _("综合得分为六个维度得分的加权平均；权重按比例折算，不必合计为 1，"
                          "不能为负数，也不能全部为 0。"), grid=True),
        ]
        for k, name in enumerate(names):
            bank = BANK[name]
            chosen = config["items"][name]
            data[f"weight_{k}"] = _plain(config["weights"][name])
            labels[f"weight_{k}"] = _("%(dimension)s权重", dimension=dimension_label(name))
            for j in range(bank_size(k)):
                data[f"item_{k}_{j}"] = j < len(bank) and bank[j] in chosen
                if j < len(bank):
                    labels[f"item_{k}_{j}"] = bank[j]
            data[f"extra_{k}"] = "\n".join(t for t in chosen if t not in bank)
            sections.append(FormSection(
                _("%(dimension)s的评价项目", dimension=dimension_label(name)),
                (*(f"item_{k}_{j}" for j in range(len(bank))), f"extra_{k}"),
                _("勾选纳入评议表的项目，至少保留一项；也可在“其他评价项目”中补充。")))
        data[LABELS], data[SECTIONS] = labels, sections
        return data

    def extra_config(self, form) -> dict:
        variant = form.variant.data
        shown = form.shown_variant.data if form.shown_variant.data in VARIANTS else variant
        names, shown_names = dimensions(variant), dimensions(shown)
        items, weights = {}, {}
        for k, name in enumerate(names):
            extras = lines(form[f"extra_{k}"].data)
            if name != shown_names[k]:
                # the variant changed in this save: the new type's bank, ticked as the shown
                # type's was position by position (items the page did not show: ticked)
                shown_bank = BANK[shown_names[k]]
                chosen = [text for j, text in enumerate(BANK[name])
                          if j >= len(shown_bank) or form[f"item_{k}_{j}"].data]
            else:
                chosen = [text for j, text in enumerate(BANK[name]) if form[f"item_{k}_{j}"].data]
            items[name] = chosen + [t for t in extras if t not in chosen]
            weights[name] = form[f"weight_{k}"].data
        return {"variant": variant, "scale": form.scale.data, "items": items, "weights": weights}


def _translate(texts, source: str, target: str):
    """Items of the other variant's slot: bank items by position, own wording kept."""
    if not isinstance(texts, list):
        return texts
    out = []
    for text in texts:
        if text in BANK[source]:
            position = BANK[source].index(text)
            if position < len(BANK[target]):
                out.append(BANK[target][position])
        else:
            out.append(text)
    return out


def _check_items(texts, name: str, slot: int) -> list[str]:
    field = f"extra_{slot}"
    shown = dimension_label(name)
    if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
        raise ServiceError(_("“%(dimension)s”的评价项目格式不正确。", dimension=shown), field=field)
    out = []
    for text in (t.strip() for t in texts):
        if not text:
            continue
        if len(text) > MAX_WORDING:
            raise ServiceError(_("“%(dimension)s”的评价项目“%(item)s…”过长，每项不超过 %(max)s 字。",
                                 dimension=shown, item=text[:12], max=MAX_WORDING), field=field)
        if "\n" in text or "\r" in text:
            raise ServiceError(_("“%(dimension)s”的评价项目不能换行。", dimension=shown), field=field)
        if text in out:
            raise ServiceError(_("“%(dimension)s”的评价项目“%(item)s”重复了。", dimension=shown,
                                 item=text), field=field)
        out.append(text)
    if not out:
        raise ServiceError(_("“%(dimension)s”至少需要一个评价项目。", dimension=shown), field=field)
    if len(out) > MAX_ITEMS:
        raise ServiceError(_("“%(dimension)s”最多 %(max)s 个评价项目。", dimension=shown,
                             max=MAX_ITEMS), field=field)
    return out


def _plain(value: float):
    return int(value) if float(value).is_integer() else value


#: Where a unit's own sections appear.
UNIT_PLACES = ("unit_page", "unit_report")
SCHEME = SixTypeScheme()
