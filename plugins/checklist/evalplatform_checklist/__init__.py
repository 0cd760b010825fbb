"""evalplatform-checklist: checklist reviews (对照检查) with the rectification ledger
(整改台账), as an evalplatform plugin.

- ``register_schemes``: the ``checklist`` scheme (score = 100 − deductions, floor 0,
  optionally combined with another scheme's composite by a weight);
- ``register_blueprints``: the evaluator's pages under ``/checklist``;
- ``audit_actions``: what its entries in the audit log mean;
- ``migration_directories``: its tables (findings, rectification items, closing
  snapshots) and their migrations, in the version table ``alembic_version_checklist``;
- the scheme's ``report_sections``: the scores behind each unit's result and the
  rectification status; for one unit, its findings and its rectification list.
"""

from __future__ import annotations

from pathlib import Path

from evalplatform import hookimpl
from evalplatform.i18n import gettext as _

from .scheme import SCHEME, ChecklistScheme

__all__ = ["ChecklistScheme", "SCHEME"]


@hookimpl
def register_schemes():
    return [SCHEME]


@hookimpl
def translation_directories():
    return [Path(__file__).resolve().parent / "translations"]


@hookimpl
def audit_actions():
    return {
        "checklist.review": _("记录对照检查"), "rectification.add": _("新增整改事项"),
        "rectification.update": _("更新整改事项"), "rectification.import": _("导入整改台账"),
        "rectification.import_refused": _("导入整改台账（被拒绝）"),
    }


@hookimpl
def migration_directories():
    return Path(__file__).resolve().parent / "migrations"


@hookimpl
def register_blueprints():
    from .views import bp

    return [bp]
