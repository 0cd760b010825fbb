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
    """Scoring schemes this plugin provides.

    :return: a list of :class:`evalplatform.scoring.Scheme` instances.
    """


@hookspec
def questionnaire_items(scheme_key, config):
    """Items a scheme adds to a campaign's questionnaire when it is enabled.

    :param scheme_key: the key of the scheme being enabled or reconfigured.
    :param config: that scheme's configuration for the campaign.
    :return: a list of :class:`evalplatform.scoring.ItemSpec`, or None when the scheme is
        not this plugin's.
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
def report_sections(campaign, results, scheme_key, unit_id):
    """Extra sections for one scheme's part of the results pages and the PDF reports.

    Called once for the campaign as a whole (``unit_id`` None: the results page and the
    bulletin) and once per unit for that unit's page and report (``unit_id`` set: return
    only what is about that unit). Each section says where it may appear in ``places``:
    ``"page"`` and ``"bulletin"`` for the campaign, ``"unit_page"`` and ``"unit_report"``
    for one unit.

    :param campaign: the :class:`~evalplatform.models.Campaign`.
    :param results: the campaign's :class:`~evalplatform.scoring.CampaignResults`.
    :param scheme_key: the scheme whose part of the report is being built.
    :param unit_id: None for the whole campaign, or the id of the unit being reported on.
    :return: a list of :class:`evalplatform.scoring.ReportSection`, or None.
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
