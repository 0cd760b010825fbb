"""Configuration forms of the weighted schemes (WTForms), and their translation to and
from a scheme's configuration dict. A scheme exposes them as ``config_form(labels)``,
``form_data(config, labels)`` and ``config_from_form(form, labels)``.

Also the pieces dimensioned schemes build their forms from: ``sectioned_form`` (field
labels and fieldsets that follow the configuration), ``FormSection``, ``weight_field``,
``scale_field`` and ``lines``."""

from __future__ import annotations

from dataclasses import dataclass

from flask_wtf import FlaskForm
from wtforms import BooleanField, FloatField, IntegerField, SelectField, TextAreaField
from wtforms.validators import InputRequired, NumberRange, Optional

from ..errors import ServiceError
from ..formkit import choices
from ..i18n import gettext as _
from ..i18n import lazy_gettext
from .scales import RATING_SCALES

REQUIRED = lazy_gettext("此项必填。")
BOTTOM_MODES = (("category", lazy_gettext("每个序列最后 N 名")),
                ("overall", lazy_gettext("全部单位最后 N 名")))


def score_field(label: str) -> FloatField:
    return FloatField(_("“%(option)s”的分值", option=label), validators=[
        InputRequired(REQUIRED), NumberRange(0, 1000, _("分值为 0–1000。"))])


def base_fields(labels: list[str]) -> dict:
    fields = {f"score_{k}": score_field(label) for k, label in enumerate(labels)}
    fields.update(
        grade_bands=TextAreaField(
            _("等次分数线"), description=_("每行一个等次：名称和最低分，用空格隔开，从高到低，"
                                          "最后一行为 0。例如“满意 90”。"),
            render_kw={"rows": 5}),
        bottom_mode=SelectField(_("末位规则"), choices=choices(BOTTOM_MODES)),
        bottom_n=IntegerField(_("末位名数 N"), validators=[
            InputRequired(REQUIRED), NumberRange(0, 100, _("N 为 0–100；0 表示不设末位。"))]),
        tie_decimals=IntegerField(_("并列判断的小数位数"),
                                  description=_("得分按此位数四舍五入后相同即为并列。"),
                                  validators=[InputRequired(REQUIRED),
                                              NumberRange(0, 4, _("小数位数为 0–4。"))]),
    )
    return fields


def base_data(config: dict, labels: list[str], default_scores: dict[str, float]) -> dict:
    scores = {**default_scores, **(config.get("option_scores") or {})}
    data = {f"score_{k}": _plain(scores.get(label)) for k, label in enumerate(labels)}
    data.update(
        grade_bands="\n".join(f"{label} {low:g}" for label, low in config["grade_bands"]),
        bottom_mode=config["bottom"]["mode"], bottom_n=config["bottom"]["n"],
        tie_decimals=config["tie_decimals"])
    return data


def _plain(value):
    """80.0 shows as 80."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def parse_bands(text: str) -> list[list]:
    bands = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        name, _sep, value = line.rpartition(" ")
        try:
            bands.append([name.strip(), float(value)])
        except ValueError:
            raise ServiceError(_("等次分数线第 %(line)s 行应为“名称 最低分”，如“满意 90”。",
                                 line=number), field="grade_bands") from None
        if not name.strip():
            raise ServiceError(_("等次分数线第 %(line)s 行缺少等次名称。", line=number),
                               field="grade_bands")
    return bands


def base_config(form, labels: list[str]) -> dict:
    return {
        "option_scores": {label: getattr(form, f"score_{k}").data for k, label in enumerate(labels)},
        "grade_bands": parse_bands(form.grade_bands.data),
        "bottom": {"mode": form.bottom_mode.data, "n": form.bottom_n.data},
        "tie_decimals": form.tie_decimals.data,
    }


def form_class(fields: dict) -> type[FlaskForm]:
    return type("SchemeConfigForm", (FlaskForm,), fields)


# -- forms whose labels and sections follow the configuration (dimensioned schemes) ---------

#: Keys of ``form_data`` that are not fields: labels by field name, and the sections.
LABELS, SECTIONS = "_labels", "_sections"


@dataclass(frozen=True)
class FormSection:
    """A fieldset of a scheme's configuration form (rendered by scheme_config.html)."""

    legend: str
    fields: tuple[str, ...]
    hint: str = ""
    grid: bool = False


def sectioned_form(fields_: dict):
    """A FlaskForm class with these fields whose instances take their field labels and
    their sections (``form.sections``) from ``data[LABELS]`` and ``data[SECTIONS]``."""
    class SectionedForm(FlaskForm):
        def __init__(self, *args, **kwargs):
            data = kwargs.get("data") or {}
            super().__init__(*args, **kwargs)
            for name, label in (data.get(LABELS) or {}).items():
                if name in self._fields:
                    self._fields[name].label.text = label
            self.sections = [
                FormSection(s.legend, tuple(n for n in s.fields if n in self._fields), s.hint,
                            s.grid)
                for s in data.get(SECTIONS) or []]

    return type("SchemeConfigForm", (SectionedForm,), dict(fields_))


def weight_field(label: str | None = None):
    return FloatField(label or _("权重"), validators=[
        InputRequired(_("请填写权重。")),
        NumberRange(0, 1000, _("权重须为 0–1000 之间的数，不能为负数。"))])


def scale_field():
    return SelectField(_("评价选项"), choices=choices((k, s.title) for k, s in RATING_SCALES.items()),
                       description=_("更换评价选项后，评议表中本方案的项目随之更新；选项分值可在下方调整。"))


def lines(text: str | None) -> list[str]:
    """Non-empty stripped lines of a textarea."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


__all__ = ["LABELS", "SECTIONS", "BooleanField", "FormSection", "IntegerField", "Optional",
           "base_config", "base_data", "base_fields", "form_class", "lines", "parse_bands",
           "scale_field", "sectioned_form", "weight_field"]
