"""The questionnaire builder (评议表): sections routed to rater groups, their questions,
the items of unit matrices and who is asked about which units (测评关系), 差别权重,
templates, the file export and import, and the preview per rater group. Every form is a
plain POST (works without JavaScript); the services refuse what is wrong."""

from __future__ import annotations

import io

from flask import abort, render_template, request, send_file, url_for
from flask_login import current_user

from ...i18n import gettext as _
from ...models import Campaign, Item, Question, Section
from ...services import ServiceError, questionnaire_file, scales
from ...services import campaigns as campaign_service
from ...services import sections as section_service
from ...services.ballots import questionnaire, questionnaire_lengths
from ...services.questionnaires import TEMPLATES
from ...util import file_name
from ..common import done, get_or_404, refusal_shown, submitted
from ..forms import ActionForm, ItemForm, TemplateForm
from ..routing import KIND_LABELS, group_routes, number
from .base import bp, button, page_form


def _page(campaign_id: int, anchor: str = "") -> str:
    return url_for("admin.campaign_questionnaire", campaign_id=campaign_id) + anchor


def _owned(model, row_id: int, campaign_id: int):
    row = get_or_404(model, row_id)
    if row.campaign_id != campaign_id:
        abort(404)
    return row


@bp.route("/campaigns/<int:campaign_id>/questionnaire", methods=["GET", "POST"])
def campaign_questionnaire(campaign_id: int):
    c = get_or_404(Campaign, campaign_id)
    template_form = page_form(TemplateForm, "t")
    item_form = page_form(ItemForm, "i")
    matrices = [q for s in c.sections for q in s.questions if q.kind == "units" and not q.scheme]
    item_form.scale.choices = [(s.ref, s.name) for s in scales.library()]
    item_form.question.choices = [(q.id, q.label or _("单位评价矩阵（第 %(n)s 部分）",
                                                      n=_section_number(c, q.section)))
                                  for q in matrices] or [(0, _("新建单位评价矩阵"))]
    with refusal_shown(template_form if submitted(template_form) else item_form):
        if submitted(template_form) and template_form.validate_on_submit():
            campaign_service.apply_template(c, template_form.template.data, current_user)
            return done(_("已按模板生成评议表。"), "admin.campaign_questionnaire",
                        campaign_id=c.id)
        if submitted(item_form) and item_form.validate_on_submit():
            matrix = _matrix(matrices, item_form.question.data)
            campaign_service.add_item(c, item_form.label.data, item_form.scale.data,
                                      item_form.required.data, current_user, matrix)
            return done(_("已添加评价项目。"), "admin.campaign_questionnaire", campaign_id=c.id)
    return render_template(
        "admin/campaign_questionnaire.html", campaign=c, template_form=template_form,
        item_form=item_form, templates=TEMPLATES, action=ActionForm(),
        lengths=questionnaire_lengths(c), duplicates=set(section_service.duplicate_texts(c)),
        routing={q.id: section_service.routing(q) for s in c.sections for q in s.questions
                 if q.kind == "units"},
        categories=sorted({u.category for u in c.units}), kinds=KIND_LABELS,
        unit_names={u.id: u.name for u in c.units},
        section_groups={s.id: section_service.section_groups(s) for s in c.sections})


def _matrix(matrices: list[Question], question_id: int | None) -> Question | None:
    """The matrix an item is added to (none posted: the first one the admin built)."""
    if not question_id:
        return None
    matrix = next((q for q in matrices if q.id == question_id), None)
    if matrix is None:
        raise ServiceError(_("所选的单位评价矩阵不存在，请刷新页面后重试。"), field="question")
    return matrix


def _section_number(campaign: Campaign, section: Section) -> int:
    return campaign.sections.index(section) + 1


@bp.post("/campaigns/<int:campaign_id>/sections")
def section_new(campaign_id: int):
    c = get_or_404(Campaign, campaign_id)
    return button(lambda: section_service.create_section(
        c, request.form.get("title", ""), _ids("group"), current_user),
        _("已添加一部分。"), _page(c.id, "#add-section"))


@bp.post("/campaigns/<int:campaign_id>/sections/<int:section_id>")
def section_update(campaign_id: int, section_id: int):
    section = _owned(Section, section_id, campaign_id)
    return button(lambda: section_service.update_section(
        section, request.form.get("title", ""), _ids("group"), current_user),
        _("这一部分已保存。"), _page(campaign_id, f"#section-{section_id}"))


@bp.post("/campaigns/<int:campaign_id>/sections/<int:section_id>/delete")
def section_delete(campaign_id: int, section_id: int):
    section = _owned(Section, section_id, campaign_id)
    return button(lambda: section_service.delete_section(section, current_user),
                  _("这一部分已删除。"), _page(campaign_id))


@bp.post("/campaigns/<int:campaign_id>/sections/<int:section_id>/questions")
def question_new(campaign_id: int, section_id: int):
    section = _owned(Section, section_id, campaign_id)

    def add():
        return section_service.add_question(section, request.form.get("kind", ""),
                                             request.form.get("label", ""), current_user,
                                             **_question_fields())

    return button(add, lambda q: _("已添加%(kind)s。", kind=KIND_LABELS[q.kind]),
                  _page(campaign_id, f"#section-{section_id}"))


@bp.post("/campaigns/<int:campaign_id>/questions/<int:question_id>")
def question_update(campaign_id: int, question_id: int):
    question = _owned(Question, question_id, campaign_id)
    return button(lambda: section_service.update_question(
        question, request.form.get("label", ""), current_user, **_question_fields()),
        _("题目已保存。"), _page(campaign_id, f"#q-{question_id}"))


@bp.post("/campaigns/<int:campaign_id>/questions/<int:question_id>/delete")
def question_delete(campaign_id: int, question_id: int):
    question = _owned(Question, question_id, campaign_id)
    return button(lambda: section_service.delete_question(question, current_user),
                  _("题目已删除。"), _page(campaign_id, f"#section-{question.section_id}"))


@bp.post("/campaigns/<int:campaign_id>/questions/<int:question_id>/routes")
def question_routes(campaign_id: int, question_id: int):
    question = _owned(Question, question_id, campaign_id)
    return button(lambda: section_service.set_group_routes(
        question, group_routes(question), current_user),
        _("测评关系已保存。"), _page(campaign_id, f"#q-{question_id}"))


@bp.post("/campaigns/<int:campaign_id>/items/<int:item_id>")
def item_update(campaign_id: int, item_id: int):
    item = _owned(Item, item_id, campaign_id)
    return button(lambda: section_service.update_item(
        item, request.form.get("label", ""), bool(request.form.get("required")), current_user),
        _("评价项目已保存。"), _page(campaign_id, f"#q-{item.question_id}"))


@bp.post("/campaigns/<int:campaign_id>/items/<int:item_id>/delete")
def campaign_item_delete(campaign_id: int, item_id: int):
    item = _owned(Item, item_id, campaign_id)
    return button(lambda: campaign_service.delete_item(item, current_user), _("评价项目已删除。"),
                  _page(campaign_id, f"#q-{item.question_id}"))


MOVABLE = {"sections": Section, "questions": Question, "items": Item}


@bp.post("/campaigns/<int:campaign_id>/<any(sections, questions, items):table>/<int:row_id>/move")
def move(campaign_id: int, table: str, row_id: int):
    row = _owned(MOVABLE[table], row_id, campaign_id)
    offset = -1 if request.form.get("direction") == "up" else 1
    anchor = {"sections": f"#section-{row_id}", "questions": f"#q-{row_id}",
              "items": f"#q-{getattr(row, 'question_id', '')}"}[table]
    return button(lambda: section_service.move(row, offset, current_user), _("顺序已调整。"),
                  _page(campaign_id, anchor))


@bp.post("/campaigns/<int:campaign_id>/weights")
def category_weights(campaign_id: int):
    c = get_or_404(Campaign, campaign_id)

    def save():
        categories = sorted({u.category for u in c.units})
        weights = {}
        for k, category in enumerate(categories):
            for group in c.groups:
                value = request.form.get(f"w-{k}-{group.id}", "").strip()
                if value:
                    weights.setdefault(category, {})[group.id] = number(
                        value, _("“%(category)s”序列、%(group)s 的权重", category=category,
                                 group=group.name))
        section_service.set_category_weights(c, weights, current_user)

    return button(save, _("差别权重已保存。"), _page(campaign_id, "#weights"))


@bp.get("/campaigns/<int:campaign_id>/questionnaire.json")
def questionnaire_export(campaign_id: int):
    c = get_or_404(Campaign, campaign_id)
    response = send_file(io.BytesIO(questionnaire_file.dumps(c)), mimetype="application/json",
                         as_attachment=True, download_name=file_name(c.title, "评议表.json"))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/campaigns/<int:campaign_id>/questionnaire/import")
def questionnaire_import(campaign_id: int):
    c = get_or_404(Campaign, campaign_id)

    def load():
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise ServiceError(_("请选择要导入的评议表文件（.json）。"))
        data = upload.stream.read(questionnaire_file.MAX_BYTES + 1)
        questionnaire_file.import_questionnaire(c, questionnaire_file.loads(data),
                                                current_user)

    return button(load, _("评议表已导入，原有的部分、题目和评分方案已替换。"), _page(campaign_id))


@bp.get("/campaigns/<int:campaign_id>/preview")
def campaign_preview(campaign_id: int):
    """The ballot as a rater group's phone shows it (``?group=``: the first group)."""
    c = get_or_404(Campaign, campaign_id)
    group = next((g for g in c.groups if str(g.id) == request.args.get("group")),
                 c.groups[0] if c.groups else None)
    return render_template("respondent/survey.html", q=questionnaire(c, group and group.id),
                           campaign=c, group=group, ballot=None, preview=True,
                           lengths=questionnaire_lengths(c))


def _ids(name: str) -> list[int]:
    return [int(v) for v in request.form.getlist(name) if v.isascii() and v.isdigit()]


def _question_fields() -> dict:
    """A question form's settings: options one per line, limits as integers."""
    form = request.form
    return {"required": bool(form.get("required")),
            "options": form.get("options", "").splitlines(),
            "minimum": number(form.get("min", ""), _("最少（最小值）"), integer=True),
            "maximum": number(form.get("max", ""), _("最多（最大值）"), integer=True),
            "max_length": number(form.get("max_length", ""), _("字数上限"), integer=True)}
