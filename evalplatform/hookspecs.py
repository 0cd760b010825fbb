"""The hooks through which plugins (and the built-in schemes) extend evalplatform.

A plugin is a module or object with functions marked ``@hookimpl`` whose names are
those below. Implementations may take any subset of a hook's arguments, always passed
by keyword. Each hook is documented in docs/plugins.md.
"""

from __future__ import annotations

from pluggy import HookimplMarker, HookspecMarker

hookspec = HookspecMarker("evalplatform")
hookimpl = HookimplMarker("evalplatform")


@hookspec
def register_schemes():
    """Scoring schemes this plugin provides. What a scheme does — its questionnaire items,
    its score, its sections of the pages and reports — are methods of the scheme.

    :return: a list of :class:`evalplatform.scoring.Scheme` instances.
    """


@hookspec
def validate_ballot(campaign, questionnaire, ballot, schemes):
    """Refuse a ballot that breaks a rule, e.g. more than N 优秀 votes.

    :param campaign: the :class:`~evalplatform.models.Campaign`.
    :param questionnaire: the :class:`~evalplatform.services.ballots.Questionnaire` shown.
    :param ballot: the parsed :class:`~evalplatform.services.ballots.BallotInput`.
    :param schemes: ``{scheme key: config}`` of the campaign's enabled schemes.
    :return: a dict ``{field name or "ballot": message}`` of problems, or None.
    """


@hookspec
def register_commands(cli):
    """Add commands to the ``flask --app wsgi`` command line.

    :param cli: the application's :class:`click.Group` (``app.cli``).
    """


@hookspec
def register_blueprints():
    """Flask blueprints (pages or API routes) this plugin serves.

    :return: a list of :class:`flask.Blueprint`.
    """


@hookspec
def translation_directories():
    """Folders holding this plugin's message catalogues (``<folder>/<locale>/LC_MESSAGES/
    messages.mo``), merged after the core's. Plugins write their strings in Chinese and
    wrap them with :func:`evalplatform.i18n.gettext` (``_()`` in templates), like the core.

    :return: a list of paths.
    """


@hookspec
def migration_directories():
    """The folder of this plugin's Alembic revisions, for the tables it owns. They run
    after the core's, in a line of their own recorded in ``alembic_version_<plugin
    name>`` (evalplatform/schema.py), so the plugin's history never mixes with the core's.

    :return: a path, or None.
    """


@hookspec
def audit_actions():
    """What this plugin's audit-log actions mean (the ``action`` it passes to
    :func:`evalplatform.services.audit`), in the reader's language: called when the log is
    shown, so plain :func:`evalplatform.i18n.gettext` works.

    :return: a dict ``{action: label}``.
    """
