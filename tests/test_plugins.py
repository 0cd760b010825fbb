"""The plugin system: every hook documented and tested, loading rules, built-ins as plugins."""

from __future__ import annotations

import inspect
import re
import sys
import textwrap
from pathlib import Path

import click
import numpy as np
import pytest
from flask import Blueprint

from evalplatform import create_app, hookimpl, hookspecs
from evalplatform.database import set_write_intent
from evalplatform.extensions import db
from evalplatform.i18n import gettext
from evalplatform.plugins import DEFAULT_PLUGINS, PluginError, build_plugin_manager
from evalplatform.scoring import ItemSpec, ReportSection, WeightedScheme
from evalplatform.scoring.engine import campaign_results, registered_schemes
from evalplatform.services import campaigns
from evalplatform.testing import build_campaign, csrf_token, empty_database

ROOT = Path(__file__).resolve().parent.parent
HOOKS = sorted(name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
               if hasattr(fn, "evalplatform_spec"))


def test_every_hook_is_documented_and_tested():
    assert len(HOOKS) >= 5
    docs = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    tests = Path(__file__).read_text(encoding="utf-8")
    for name in HOOKS:
        assert re.search(rf"^### `{name}\(", docs, re.M), f"docs/plugins.md lacks {name}"
        assert f"def test_hook_{name}(" in tests, f"no test_hook_{name}"
        assert getattr(hookspecs, name).__doc__, f"{name} has no docstring"


def test_the_docs_show_each_hooks_exact_signature():
    docs = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    for name in HOOKS:
        parameters = ", ".join(inspect.signature(getattr(hookspecs, name)).parameters)
        assert f"### `{name}({parameters})`" in docs, f"docs/plugins.md: {name}({parameters})"


def _imports_from_evalplatform(package: Path):
    """(file, module, name) of every ``from evalplatform… import name`` in a package."""
    import ast

    for path in sorted(package.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and \
                    node.module.split(".")[0] == "evalplatform":
                for alias in node.names:
                    yield path.relative_to(ROOT), node.module, alias.name
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    assert alias.name.split(".")[0] != "evalplatform", (
                        f"{path}: import {alias.name} (use from … import a public name)")


def test_plugins_use_the_public_api_only():
    """The bundled plugins and the tutorial's example import from evalplatform only what
    PUBLIC_API declares (and docs/plugins.md lists); every declared name exists."""
    import importlib
    import importlib.util

    from evalplatform.plugins import PUBLIC_API

    packages = [p.parent for p in [*ROOT.glob("plugins/*/evalplatform_*/__init__.py"),
                                   *ROOT.glob("docs/examples/*/evalplatform_*/__init__.py")]]
    assert len(packages) == 4
    for package in packages:
        for path, module, name in _imports_from_evalplatform(package):
            assert name in PUBLIC_API.get(module, ()), f"{path}: {module}.{name} is not public"
    docs = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    public = docs[docs.index("## Public API"):]
    for module, names in PUBLIC_API.items():
        imported = importlib.import_module(module)
        assert f"`{module}`" in public, f"docs/plugins.md#public-api lacks {module}"
        for name in names:
            assert not name.startswith("_")
            assert hasattr(imported, name) or importlib.util.find_spec(f"{module}.{name}"), \
                f"{module}.{name} does not exist"
            assert f"`{name}`" in public, f"docs/plugins.md#public-api lacks {module}.{name}"


def test_built_in_schemes_are_plugins_through_the_same_hooks(app):
    pm = app.extensions["evalplatform.plugins"]
    names = {pm.get_name(p) for p in pm.get_plugins()}
    assert set(DEFAULT_PLUGINS) <= names
    assert {"satisfaction", "appraisal"} <= set(registered_schemes())


class TinyScheme(WeightedScheme):
    """A scheme from a test plugin: its own items, a section of its own."""

    key, title, description = "tiny", "测试方案", "a scheme from a test plugin"

    def questionnaire_items(self, config):
        return [ItemSpec(label, (("好", 100), ("一般", 60), ("差", 0), ("不了解", None)))
                for label in config.get("items", ["学习型"])]

    def report_sections(self, campaign, results, unit_id):
        return [ReportSection("插件图表", "<p>来自测试插件</p>")]


class TestPlugin:
    """A throw-away plugin implementing every hook."""

    seen_ballots = 0

    @hookimpl
    def register_schemes(self):
        return [TinyScheme()]

    @hookimpl
    def validate_ballot(self, ballot, schemes):
        TestPlugin.seen_ballots += 1
        if "tiny" in schemes and ballot.comments.get(None) == "拒绝":
            return {"c-general": "测试插件拒绝了这张票。"}
        return None

    @hookimpl
    def register_commands(self, cli):
        @cli.command("tiny-hello")
        def hello():
            click.echo("你好，插件")

    @hookimpl
    def register_blueprints(self):
        bp = Blueprint("tiny", __name__)
        bp.add_url_rule("/tiny/ping", "ping", lambda: "pong")
        bp.add_url_rule("/tiny/hello", "hello", lambda: gettext("你好，插件"))
        return [bp]

    translations: Path | None = None

    @hookimpl
    def translation_directories(self):
        return [self.translations]

    @hookimpl
    def audit_actions(self):
        return {"tiny.hello": gettext("你好，插件")}


def write_catalogue(folder: Path, locale: str, messages: dict[str, str]) -> None:
    """A compiled message catalogue, as `make translations` leaves a plugin's."""
    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo

    catalog = Catalog(locale=locale)
    for msgid, msgstr in messages.items():
        catalog.add(msgid, msgstr)
    target = folder / locale / "LC_MESSAGES"
    target.mkdir(parents=True)
    with open(target / "messages.mo", "wb") as f:
        write_mo(f, catalog)


@pytest.fixture
def plugin_app(app_config, _app, tmp_path):
    """An app with TestPlugin registered (same database as the main test app)."""
    write_catalogue(tmp_path, "en", {"你好，插件": "Hello, plugin"})
    plugin = TestPlugin()
    plugin.translations = tmp_path
    app = create_app({**app_config, "EXTRA_PLUGINS": [plugin]})
    app.test_client_class = _app.test_client_class
    with app.app_context():
        set_write_intent(False)  # as in the app fixture: the test body only reads
        yield app
        set_write_intent(True)
        empty_database()
        db.engine.dispose()


def test_hook_register_schemes(plugin_app):
    assert isinstance(registered_schemes(plugin_app)["tiny"], TinyScheme)


def test_a_schemes_questionnaire_items_are_its_items(plugin_app):
    campaign, _ = build_campaign(status="draft", title="六型机关测评")
    campaigns.enable_scheme(campaign, "tiny", None, {"items": ["学习型", "服务型"]})
    db.session.commit()
    tiny = [i for i in campaign.items if i.scheme == "tiny"]
    assert [i.label for i in tiny] == ["学习型", "服务型"]
    assert tiny[0].options[-1] == {"label": "不了解", "score": None, "abstain": True}
    campaigns.configure_scheme(campaign, "tiny", {"items": ["廉洁型"]}, None)
    db.session.commit()
    assert [i.label for i in campaign.items if i.scheme == "tiny"] == ["廉洁型"]
    results = campaign_results(campaign)
    assert set(results.schemes) == {"satisfaction", "tiny"}
    campaigns.disable_scheme(campaign, "tiny", None)
    db.session.commit()
    assert not any(i.scheme == "tiny" for i in campaign.items)


def test_hook_validate_ballot(plugin_app):
    campaign, plaintext = build_campaign(status="draft", title="插件校验")
    campaigns.enable_scheme(campaign, "tiny", None)
    campaigns.open_campaign(campaign, None)
    db.session.commit()
    client = plugin_app.test_client()
    client.get(f"/s/{plaintext['服务对象'][0]}")
    page = client.get("/survey").get_data(as_text=True)
    data = {"csrf_token": csrf_token(page), "c-general": "拒绝"}
    for item in campaign.items:
        for unit in campaign.units:
            data[f"a-{unit.id}-{item.id}"] = "0"
    response = client.post("/survey", data=data)
    assert response.status_code == 422 and "测试插件拒绝了这张票" in response.get_data(as_text=True)
    data["c-general"] = "同意"
    assert client.post("/survey", data=data).status_code == 303


def test_a_schemes_report_sections_reach_the_pages(plugin_app):
    from evalplatform.reports.sections import plugin_sections

    campaign, _ = build_campaign(status="draft", title="插件报告")
    campaigns.enable_scheme(campaign, "tiny", None)
    db.session.commit()
    results = campaign_results(campaign)
    assert [s.title for s in plugin_sections(campaign, results, "tiny")] == ["插件图表"]
    assert plugin_sections(campaign, results, "tiny", "unit_page") == []  # (the campaign's)
    assert plugin_sections(campaign, results, "not-installed") == []


def test_the_built_in_schemes_score_the_admins_items_and_bring_none():
    from evalplatform.scoring.appraisal import AppraisalScheme
    from evalplatform.scoring.satisfaction import SatisfactionScheme

    assert not SatisfactionScheme.contributes_items() and not AppraisalScheme.contributes_items()
    assert TinyScheme.contributes_items()


def test_hook_register_commands(plugin_app):
    result = plugin_app.test_cli_runner().invoke(args=["tiny-hello"])
    assert result.exit_code == 0 and "你好，插件" in result.output
    assert "results" in plugin_app.cli.commands  # the built-in commands use the same hook


def test_hook_register_blueprints(plugin_app):
    assert plugin_app.test_client().get("/tiny/ping").get_data(as_text=True) == "pong"


def test_hook_translation_directories(plugin_app):
    """A plugin's catalogue is merged with the core's: its strings follow the language."""
    client = plugin_app.test_client()
    assert client.get("/tiny/hello").get_data(as_text=True) == "你好，插件"
    client.set_cookie("lang", "en")
    assert client.get("/tiny/hello").get_data(as_text=True) == "Hello, plugin"
    # the core's own catalogue still answers in the same app
    assert "Sign in" in client.get("/login").get_data(as_text=True)



NOTES_PLUGIN = """
from pathlib import Path
from evalplatform import hookimpl

@hookimpl
def migration_directories():
    return Path(__file__).parent / "notes_migrations"
"""

NOTES_REVISION = """
import sqlalchemy as sa
from alembic import op

revision, down_revision, branch_labels, depends_on = "n0001", None, None, None

def upgrade():
    op.create_table("notes_note", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("unit_id", sa.Integer, sa.ForeignKey("unit.id"), nullable=False))

def downgrade():
    op.drop_table("notes_note")
"""


def test_hook_migration_directories(app_config, _app, installed, tmp_path):
    """An installed plugin's tables come with `flask db upgrade`, recorded in a version
    table of its own, and go with `db downgrade --plugin`; the core's line is untouched."""
    from sqlalchemy import inspect

    from evalplatform import schema

    installed("notes", NOTES_PLUGIN)
    (tmp_path / "notes_migrations").mkdir()
    (tmp_path / "notes_migrations" / "n0001_notes.py").write_text(NOTES_REVISION)
    app = create_app(app_config)
    runner = app.test_cli_runner()
    with app.app_context():
        core = schema.current("core")
        try:
            result = runner.invoke(args=["db", "upgrade"])
            assert result.exit_code == 0, result.output
            assert "notes_note" in inspect(db.engine).get_table_names()
            result = runner.invoke(args=["db", "current"])
            assert "notes: n0001  [alembic_version_notes]" in result.output
            assert f"core: {core}  [alembic_version]" in result.output
            result = runner.invoke(args=["db", "upgrade", "--plugin", "nope"])
            assert result.exit_code == 1 and "no migrations named 'nope'" in result.output
        finally:
            result = runner.invoke(args=["db", "downgrade", "--plugin", "notes", "base"])
            with db.engine.begin() as conn:
                conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version_notes")
        assert result.exit_code == 0, result.output
        assert "notes_note" not in inspect(db.engine).get_table_names()
        assert schema.current("core") == core
        db.engine.dispose()

def test_hook_audit_actions(plugin_app):
    """A plugin's entries in the audit log read like the core's, in the reader's language;
    an action nobody labels any more is shown by its name."""
    from evalplatform.services import audit, users
    from evalplatform.testing import ADMIN_PASSWORD, login

    admin = users.create_user("admin", "admin", ADMIN_PASSWORD)
    audit(admin, "tiny.hello", "campaign:1")
    audit(admin, "gone.plugin_action", "campaign:1")
    db.session.commit()
    client = plugin_app.test_client()
    assert login(client, "admin", ADMIN_PASSWORD).status_code == 302
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "你好，插件" in page and "gone.plugin_action" in page
    assert "新建账号" in page or "登录" in page  # the core's labels, through the same hook
    client.set_cookie("lang", "en")
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "Hello, plugin" in page and "Sign in" in page


# -- loading from entry points -------------------------------------------------------------

@pytest.fixture
def installed(tmp_path, monkeypatch):
    """Fake installed distributions with entry points in evalplatform.plugins."""
    def install(name: str, module_source: str):
        (tmp_path / f"{name}_plugin.py").write_text(textwrap.dedent(module_source))
        dist = tmp_path / f"{name}_plugin-1.0.dist-info"
        dist.mkdir()
        (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}-plugin\nVersion: 1.0\n")
        (dist / "entry_points.txt").write_text(
            f"[evalplatform.plugins]\n{name} = {name}_plugin\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield install
    for mod in [m for m in sys.modules if m.endswith("_plugin")]:
        del sys.modules[mod]


GOOD = """
from evalplatform import hookimpl
from evalplatform.scoring import WeightedScheme

class S(WeightedScheme):
    key, title = "{key}", "{key}"

@hookimpl
def register_schemes():
    return [S()]
"""


def _keys(pm):
    return {s.key for batch in pm.hook.register_schemes() for s in batch or []}


def test_entry_point_plugins_load_and_can_be_filtered(installed):
    installed("alpha", GOOD.format(key="alpha"))
    installed("beta", GOOD.format(key="beta"))
    assert {"alpha", "beta"} <= _keys(build_plugin_manager())
    only = _keys(build_plugin_manager("alpha"))
    assert "alpha" in only and "beta" not in only and "satisfaction" in only
    with pytest.raises(PluginError, match="not installed: gamma"):
        build_plugin_manager("alpha,gamma")


def test_a_broken_plugin_stops_start_up_with_its_name(installed):
    installed("broken", "raise ImportError('numpy 99 required')\n")
    with pytest.raises(PluginError, match="plugin 'broken'.*numpy 99 required"):
        build_plugin_manager()
    installed("typo", "from evalplatform import hookimpl\n\n@hookimpl\n"
                      "def register_schemez():\n    return []\n")
    with pytest.raises(PluginError, match="typo"):
        build_plugin_manager("typo")


def test_a_campaign_whose_plugin_is_gone_still_works_and_says_so(app):
    campaign, _ = build_campaign(status="draft", title="缺插件")
    campaign.schemes.append(type(campaign.schemes[0])(scheme="no_such_scheme", config={}, position=9))
    db.session.commit()
    results = campaign_results(campaign)
    assert results.missing_schemes == ["no_such_scheme"] and "satisfaction" in results.schemes
    assert "评分方案“no_such_scheme”的插件未安装" in "".join(campaigns.open_problems(campaign))
    assert np.isfinite([u.score or 0 for u in results.schemes["satisfaction"].units]).all()


def test_admin_dashboard_names_the_campaign_that_needs_a_missing_plugin(admin_client, app):
    campaign, _ = build_campaign(status="draft", title="需要插件的活动")
    campaign.schemes.append(type(campaign.schemes[0])(scheme="no_such_scheme", config={}, position=9))
    db.session.commit()
    page = admin_client.get("/admin/").get_data(as_text=True)
    card = page[page.index("需要插件的活动"):]
    assert "评分方案插件未安装：no_such_scheme" in card


def test_a_scheme_without_items_stays_enabled_when_the_questionnaire_changes(app):
    """The checklist brings no items: applying a template or adding an item (which re-syncs
    the schemes scoring the admin's items) leaves it enabled."""
    campaign, _ = build_campaign(status="draft", title="对照检查")
    campaigns.enable_scheme(campaign, "checklist", None)
    campaigns.apply_template(campaign, "style", None)
    campaigns.add_item(campaign, "班子总体评价", "appraisal4", True, None)
    db.session.commit()
    assert [row.scheme for row in campaign.schemes] == ["satisfaction", "checklist", "appraisal"]
