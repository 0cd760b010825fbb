"""Appraised units (被评单位): list, add, edit, (de)activate, delete, import."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, url_for
from flask_login import current_user

from ...i18n import gettext as _
from ...models import Unit
from ...services import units as unit_service
from ..common import done, get_or_404, import_sheet, reads_first, refusal_shown
from ..forms import ActionForm, ImportForm, UnitForm
from .base import bp, button


@bp.route("/units", methods=["GET", "POST"])
def units():
    form = UnitForm()
    if form.validate_on_submit():
        with refusal_shown(form):
            unit_service.save_unit(None, form.name.data, form.category.data,
                                   form.position.data, current_user)
            return done(_("已添加单位“%(name)s”。", name=form.name.data.strip()), "admin.units")
    every = unit_service.all_units()
    return render_template("admin/units.html", form=form, units=every,
                           categories=sorted({u.category for u in every}),
                           import_form=ImportForm(), action=ActionForm())


@bp.route("/units/<int:unit_id>", methods=["GET", "POST"])
def unit_edit(unit_id: int):
    unit = get_or_404(Unit, unit_id)
    form = UnitForm(obj=unit)
    if form.validate_on_submit():
        with refusal_shown(form):
            unit_service.save_unit(unit, form.name.data, form.category.data, form.position.data,
                                   current_user)
            return done(_("单位已保存。"), "admin.units")
    return render_template("admin/unit_edit.html", form=form, unit=unit, action=ActionForm())


@bp.post("/units/<int:unit_id>/active")
def unit_toggle(unit_id: int):
    unit = get_or_404(Unit, unit_id)
    return button(lambda: unit_service.set_unit_active(unit, not unit.active, current_user),
                  lambda _result: (_("单位“%(name)s”已启用。", name=unit.name) if unit.active
                                   else _("单位“%(name)s”已停用。", name=unit.name)),
                  url_for("admin.units"))


@bp.post("/units/<int:unit_id>/delete")
def unit_delete(unit_id: int):
    unit = get_or_404(Unit, unit_id)
    return button(lambda: unit_service.delete_unit(unit, current_user),
                  _("单位“%(name)s”已删除。", name=unit.name),
                  url_for("admin.unit_edit", unit_id=unit_id), url_for("admin.units"))


@bp.route("/units/import", methods=["GET", "POST"])
@reads_first
def units_import():
    form = ImportForm()
    report = None
    status = 200
    if form.validate_on_submit():
        report, refused = import_sheet(
            form.sheet.data, lambda name, rows: unit_service.import_units(name, rows, current_user),
            refused="unit.import_refused", target="units")
        if refused is None and not report.errors:
            flash(_("导入完成：新增 %(created)s 个单位，更新 %(updated)s 个。",
                    created=report.created, updated=report.updated), "success")
            return redirect(url_for("admin.units"), 303)
        if refused is not None:
            form.sheet.errors = [*form.sheet.errors, refused]
        status = 422
    elif form.errors:
        status = 422
    return render_template("admin/units_import.html", form=form, report=report), status


@bp.get("/units/template.csv")
def units_template():
    body = "\ufeff名称,序列,排序\n办公室,综合管理类,1\n建设工程质量监督站,执法监管类,2\n"
    return Response(body.encode("utf-8"), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=units-template.csv"})
