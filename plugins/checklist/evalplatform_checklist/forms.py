"""The plugin's forms (Flask-WTF, so every POST carries a CSRF token), and their
translation into the inputs of the services. Values are taken as typed; the services
check them and say what is wrong. Findings and statuses are offered under their stored
(Chinese) values, labelled in the reader's language."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from evalplatform.i18n import gettext as _
from evalplatform.i18n import lazy_gettext
from evalplatform.services import ServiceError

from .evidence import Upload
from .labels import LABELS
from .ledger import Changes, parse_date
from .models import RESULTS, STATUSES
from .reviews import ReviewInput, config_items


def field_id(item_key: str) -> str:
    """Item keys (``list.digest``) as form field suffixes."""
    return item_key.replace(".", "_")


def review_form(config: dict) -> type[FlaskForm]:
    """A form with, per checklist item: the finding, a deduction, a note, evidence."""
    fields = {}
    for _checklist, item in config_items(config).values():
        fid = field_id(item["key"])
        fields[f"r_{fid}"] = RadioField(_("检查结果"), choices=[SelectChoice(r, LABELS[r])
                                                                for r in RESULTS],
                                        validate_choice=False)
        fields[f"d_{fid}"] = StringField(_("扣分"), render_kw={
            "inputmode": "decimal", "autocomplete": "off",
            "placeholder": f"0–{item['max_deduction']:g}"})
        fields[f"n_{fid}"] = TextAreaField(_("检查情况"), render_kw={"rows": 2, "maxlength": 500})
        fields[f"f_{fid}"] = FileField(_("证明材料"), render_kw={
            "accept": ".pdf,.jpg,.jpeg,.png,.docx,.xlsx,.ofd"})
    return type("ReviewForm", (FlaskForm,), fields)


def review_data(config: dict, entries: dict) -> dict:
    """The form's values from the findings recorded so far."""
    data = {}
    for pair, (_checklist, item) in config_items(config).items():
        entry = entries.get(pair)
        if entry is None:
            continue
        fid = field_id(item["key"])
        data[f"r_{fid}"] = entry.result
        data[f"d_{fid}"] = f"{entry.deduction:g}"
        data[f"n_{fid}"] = entry.note
    return data


def upload_of(storage) -> Upload | None:
    if storage is None or not getattr(storage, "filename", ""):
        return None
    return Upload(storage.filename, storage.read())


def review_inputs(form: FlaskForm, config: dict) -> list[ReviewInput]:
    inputs = []
    for list_key, item_key in config_items(config):
        fid = field_id(item_key)
        inputs.append(ReviewInput(
            checklist=list_key, item=item_key, result=form[f"r_{fid}"].data or "",
            deduction=form[f"d_{fid}"].data or "", note=form[f"n_{fid}"].data or "",
            upload=upload_of(form[f"f_{fid}"].data)))
    return inputs


class RectificationForm(FlaskForm):
    problem = TextAreaField(lazy_gettext("问题"), render_kw={"rows": 3, "maxlength": 2000})
    measure = TextAreaField(lazy_gettext("整改措施"), render_kw={"rows": 3, "maxlength": 1000})
    responsible = StringField(lazy_gettext("责任人"), render_kw={
        "maxlength": 100, "placeholder": lazy_gettext("如 王××（科长）")})
    deadline = StringField(lazy_gettext("整改时限"), render_kw={"type": "date"})
    status = SelectField(lazy_gettext("状态"), choices=[SelectChoice(s, LABELS[s]) for s in STATUSES],
                         validate_choice=False)
    completed_on = StringField(lazy_gettext("完成日期"), render_kw={"type": "date"},
                               description=lazy_gettext("状态为“已完成”时填写；不填则按今天计。"))
    evidence = FileField(lazy_gettext("完成佐证材料"),
                         render_kw={"accept": ".pdf,.jpg,.jpeg,.png,.docx,.xlsx,.ofd"})


def rectification_changes(form: RectificationForm, manual: bool) -> Changes:
    """The edit form as changes; a date that cannot be read is refused here already."""
    dates = {}
    for name, label in (("deadline", "整改时限"), ("completed_on", "完成日期")):
        try:
            dates[name] = parse_date((form[name].data or "").strip(), label)
        except ServiceError as error:
            raise ServiceError(error.message, field=name) from None
    return Changes(form.measure.data or "", form.responsible.data or "", dates["deadline"],
                   form.status.data or "", dates["completed_on"],
                   (form.problem.data or "") if manual else None)


class NewItemForm(FlaskForm):
    unit_id = SelectField(lazy_gettext("被评单位"), validate_choice=False)
    problem = TextAreaField(lazy_gettext("问题"), render_kw={
        "rows": 2, "maxlength": 2000, "placeholder": lazy_gettext("如：征求意见中反映办事指南更新不及时")})


class LedgerImportForm(FlaskForm):
    sheet = FileField(lazy_gettext("整改台账（.xlsx 或 .csv）"),
                      validators=[FileRequired(lazy_gettext("请选择要上传的文件。"))])
