"""The OpenAPI 3.1 description of /api/v1 (kept next to the routes it describes)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version


def _version() -> str:
    try:
        return version("evalplatform")
    except PackageNotFoundError:  # running from a source tree without installing
        return "0.0.0"


ERROR = {"$ref": "#/components/schemas/Error"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int, **special: str) -> dict:
    """Error responses; every operation that needs a token can also be rate-limited (wrong
    tokens count as failed log-ins) and find the database busy. ``special``: descriptions
    by code ("e409") where an operation's differ."""
    text = {401: "Missing or invalid bearer token", 404: "No such campaign",
            403: "The token's account is not an admin",
            422: "Refused, with a message naming the place in the file; nothing was changed",
            409: "The document cannot be made yet: the campaign is open (its results are "
                 "sealed until it closes) or has no units",
            429: "Too many failed log-ins or wrong tokens from this address; retry after "
                 "the Retry-After header's seconds",
            503: "The database is busy or unreachable; nothing was changed, retry shortly"}
    if 401 in codes:
        codes = (*codes, 429, 503)
    return {str(code): _json(ERROR, special.get(f"e{code}", text[code])) for code in codes}


NUMBER_OR_NULL = {"type": ["number", "null"]}
SHARES = {"type": ["object", "null"], "additionalProperties": {"type": "number"},
          "description": "Share of valid votes per option label (democratic appraisal); "
                         "null when suppressed or not applicable"}


def _pair(kind: str, description: str) -> dict:
    return {"type": ["array", "null"], "items": {"type": kind}, "minItems": 2, "maxItems": 2,
            "description": description}


def _object(required: list[str], properties: dict, description: str | None = None) -> dict:
    schema = {"type": "object", "required": required, "properties": properties}
    if description:
        schema["description"] = description
    return schema


RESULT_SCHEMAS = {
    "Results": _object(
        ["campaign", "title", "rules_sha256", "frozen", "ballots", "min_group_size",
         "bootstrap_replicates", "confidence", "computed_at", "participation", "schemes",
         "missing_schemes"],
        {
            "campaign": {"type": "integer"}, "title": {"type": "string"},
            "rules_sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$",
                             "description": "SHA-256 of the scoring rules the results were "
                                            "computed under (frozen when the campaign opened)"},
            "frozen": {"type": "boolean",
                       "description": "false for a draft: the rules may still change"},
            "ballots": {"type": "integer"},
            "min_group_size": {"type": "integer",
                               "description": "Rater groups with fewer valid votes for a unit "
                                              "are suppressed: their values are null"},
            "bootstrap_replicates": {"type": "integer",
                                     "description": "0 when no intervals were computed"},
            "confidence": {"type": "number",
                           "description": "Level of the score and rank intervals (0.95)"},
            "computed_at": {"type": "string", "format": "date-time"},
            "participation": {"type": "array", "items": _object(
                ["name", "weight", "issued", "used", "rate"],
                {"name": {"type": "string"}, "weight": {"type": "number"},
                 "issued": {"type": "integer"}, "used": {"type": "integer"},
                 "rate": NUMBER_OR_NULL})},
            "schemes": {"type": "object",
                        "additionalProperties": {"$ref": "#/components/schemas/SchemeResult"},
                        "description": "By scheme key, e.g. satisfaction, appraisal"},
            "missing_schemes": {"type": "array", "items": {"type": "string"},
                                "description": "Enabled schemes whose plugin is not installed"},
            "sealed": {"type": "boolean",
                       "description": "true while the campaign is open: nothing computed "
                                      "from ballots is published before it closes (ballots "
                                      "is then 0 and schemes holds only schemes scored "
                                      "from other data, such as checklist reviews)"},
            "sealed_schemes": {"type": "array", "items": {"type": "string"},
                               "description": "Schemes left out until the campaign closes"},
            "method": {"type": "integer",
                       "description": "Version of the computation (docs/scoring.md)"},
        }),
    "SchemeResult": _object(
        ["key", "title", "units", "categories", "bottom_rule", "option_labels",
         "has_satisfaction_rate", "has_shares", "notes"],
        {
            "key": {"type": "string"}, "title": {"type": "string"},
            "units": {"type": "array", "items": {"$ref": "#/components/schemas/UnitResult"}},
            "categories": {"type": "array", "items": {"type": "string"},
                           "description": "In display order; units are ranked within each"},
            "bottom_rule": {"type": "string"},
            "option_labels": {"type": "array", "items": {"type": "string"}},
            "has_satisfaction_rate": {"type": "boolean"}, "has_shares": {"type": "boolean"},
            "notes": {"type": "array", "items": {"type": "string"}},
            "dimensions": {"type": "array", "items": _object(
                ["name", "family", "weight", "items"],
                {"name": {"type": "string"}, "family": {"type": ["string", "null"]},
                 "weight": {"type": "number",
                            "description": "Share of the composite when every dimension "
                                           "has a score"},
                 "items": {"type": "array", "items": {"type": "string"}}}),
                "description": "Dimensioned schemes (六型机关, capability models) only: "
                               "their dimensions in order"},
            "families": {"type": "array", "items": {"$ref": "#/components/schemas/FamilyScore"},
                         "description": "Dimensioned schemes with families only (e.g. "
                                        "五种工作能力 and 五种优良作风), with their weights"},
            "from_ballots": {"type": "boolean",
                             "description": "False for a scheme scored from something other "
                                            "than ballots (checklist reviews): no votes, "
                                            "intervals or rater groups"},
        }),
    "UnitResult": _object(
        ["unit_id", "unit", "category", "score", "rank", "ranked_in", "flags", "valid_votes",
         "groups", "items"],
        {
            "unit_id": {"type": "integer"}, "unit": {"type": "string"},
            "category": {"type": "string"},
            "score": {"type": ["number", "null"],
                      "description": "Weighted composite; null with too few valid votes"},
            "valid_votes": {"type": "integer",
                            "description": "Valid votes of the rater groups counted for the "
                                           "unit (suppressed groups' are never included)"},
            "abstentions": {"type": "integer"},
            "rank": {"type": ["integer", "null"],
                     "description": "Within the category; ties share a rank (1224)"},
            "ranked_in": {"type": "integer"},
            "grade": {"type": ["string", "null"]},
            "flags": {"type": "array", "items": {"type": "string"},
                      "description": "bottom, bottom_uncertain, too_few_raters, admonish, "
                                     "dismiss, or a plugin's own"},
            "flag_labels": {"type": "array", "items": {"type": "string"}},
            "satisfaction_rate": NUMBER_OR_NULL,
            "shares": SHARES,
            "interval": _pair("number", "95% bootstrap interval of the score"),
            "rank_interval": _pair("integer", "95% bootstrap interval of the rank"),
            "next_up": {"type": ["string", "null"],
                        "description": "For a bottom unit: the unit just above the cut line"},
            "p_below_next": {"type": ["number", "null"],
                             "description": "Share of bootstrap replicates in which this "
                                            "unit scored below next_up"},
            "separation_replicates": {"type": ["integer", "null"],
                                      "description": "How many replicates p_below_next was "
                                                     "estimated from"},
            "dimensions": {"type": "array", "items": _object(
                ["name", "family", "weight", "score"],
                {"name": {"type": "string"}, "family": {"type": ["string", "null"]},
                 "weight": {"type": "number"}, "score": NUMBER_OR_NULL}),
                "description": "Dimensioned schemes only: the unit's score per dimension "
                               "(mean of the dimension's items)"},
            "families": {"type": "array", "items": {"$ref": "#/components/schemas/FamilyScore"},
                         "description": "Dimensioned schemes with families only"},
            "strongest": {"type": "array", "items": {"type": "string"},
                          "description": "Dimensioned schemes only: the dimensions with the "
                                         "highest score (ties share); empty if all tie"},
            "weakest": {"type": "array", "items": {"type": "string"},
                        "description": "Dimensioned schemes only: the lowest"},
            "groups": {"type": "array", "items": _object(
                ["group", "weight", "valid_votes", "suppressed", "counted", "score"],
                {"group": {"type": "string"}, "weight": {"type": "number"},
                 "valid_votes": {"type": ["integer", "null"]},
                 "suppressed": {"type": "boolean"},
                 "counted": {"type": "boolean",
                             "description": "In the unit's composite and pooled figures "
                                            "(not suppressed, weight above 0)"},
                 "score": NUMBER_OR_NULL, "satisfaction_rate": NUMBER_OR_NULL},
                "One rater group's view of the unit; every value null when suppressed")},
            "items": {"type": "array", "items": _object(
                ["item", "valid_votes", "abstentions", "suppressed", "score"],
                {"item": {"type": "string"}, "valid_votes": {"type": "integer"},
                 "abstentions": {"type": "integer"}, "suppressed": {"type": "boolean"},
                 "score": NUMBER_OR_NULL, "shares": SHARES,
                 "kind": {"enum": ["dimension", "family"],
                          "description": "Dimensioned schemes: a row summarising a "
                                         "dimension or a family of dimensions"},
                 "family": {"type": ["string", "null"]}, "weight": NUMBER_OR_NULL},
                "One item, pooled over the rater groups counted for the unit")},
        }),
    "FamilyScore": _object(["name", "weight", "score"], {
        "name": {"type": "string"}, "weight": {"type": "number"}, "score": NUMBER_OR_NULL}),
}

NAMES = {"type": "array", "items": {"type": "string"}}
QUESTIONNAIRE_SCHEMAS = {
    "Questionnaire": _object(["format", "version", "sections"], {
        "format": {"const": "evalplatform-questionnaire"}, "version": {"const": 1},
        "title": {"type": "string", "description": "The campaign it came from (not imported)"},
        "sections": {"type": "array", "items": {"$ref": "#/components/schemas/QSection"}},
        "schemes": {"type": "array", "items": _object(["key"], {
            "key": {"type": "string"}, "config": {"type": "object"}},
            "A scoring scheme and its configuration")},
        "category_weights": {"type": "object", "description": "差别权重: {unit category: "
                             "{rater group name: weight}}; absent: the group's weight",
                             "additionalProperties": {"type": "object",
                                                      "additionalProperties": {"type": "number"}}},
    }, "A questionnaire file"),
    "QSection": _object(["title", "groups", "questions"], {
        "title": {"type": "string"},
        "groups": {**NAMES, "description": "Rater groups asked; empty: every group"},
        "questions": {"type": "array", "items": {"$ref": "#/components/schemas/QQuestion"}},
    }, "A section of the questionnaire"),
    "QQuestion": _object(["kind", "label"], {
        "kind": {"enum": ["units", "single", "multiple", "text", "number"]},
        "label": {"type": "string"}, "required": {"type": "boolean"},
        "scheme": {"type": "string", "description": "units: the scheme whose items the "
                                                    "matrix holds (made from its config)"},
        "items": {"type": "array", "items": _object(["label", "scheme", "options"], {
            "label": {"type": "string"}, "required": {"type": "boolean"},
            "scheme": {"enum": ["satisfaction", "appraisal"]},
            "options": {"type": "array", "items": _object(["label"], {
                "label": {"type": "string"}, "score": NUMBER_OR_NULL,
                "abstain": {"type": "boolean"}}, "An answer option")}},
            "An item of a unit matrix")},
        "routes": {"type": "array", "description": "units: who is asked about which units "
                   "(测评关系); empty: every group about every unit",
                   "items": _object(["groups"], {
                       "groups": {**NAMES, "description": "empty: every group"},
                       "categories": NAMES,
                       "units": {**NAMES, "description": "no units and no categories: "
                                                         "every unit"}}, "A route")},
        "options": {**NAMES, "description": "single and multiple choice"},
        "min": {"type": "integer"}, "max": {"type": "integer"},
        "max_length": {"type": "integer"},
    }, "A question: a unit matrix, single or multiple choice, open text or a number"),
}

CAMPAIGN_ID = {"name": "campaign_id", "in": "path", "required": True,
               "schema": {"type": "integer"}}


def spec(base_path: str) -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "evalplatform API",
            "version": _version(),
            "description": "Campaigns, participation and results of the appraisal platform. "
                           "Authenticate with `Authorization: Bearer <token>`; tokens come "
                           "from `flask --app wsgi users token NAME`.",
        },
        "servers": [{"url": base_path}],
        "security": [{"bearer": []}],
        "paths": {
            "/campaigns": {"get": {
                "summary": "List campaigns",
                "operationId": "listCampaigns",
                "responses": {"200": _json({"type": "array", "items": {
                    "$ref": "#/components/schemas/CampaignSummary"}}, "Campaigns, oldest first"),
                    **_errors(401)},
            }},
            "/campaigns/{campaign_id}": {"get": {
                "summary": "One campaign with its units and rater groups",
                "operationId": "getCampaign",
                "parameters": [CAMPAIGN_ID],
                "responses": {"200": _json({"$ref": "#/components/schemas/Campaign"},
                                           "The campaign"), **_errors(401, 404)},
            }},
            "/campaigns/{campaign_id}/participation": {"get": {
                "summary": "Codes issued and used per rater group (never per code)",
                "operationId": "getParticipation",
                "parameters": [CAMPAIGN_ID],
                "responses": {"200": _json({"$ref": "#/components/schemas/Participation"},
                                           "Participation by rater group"), **_errors(401, 404)},
            }},
            "/campaigns/{campaign_id}/results": {"get": {
                "summary": "Scores, ranks, intervals and flags per scheme and unit",
                "description": "The same as the results page. Values of rater groups below "
                               "the minimum group size are null, never numbers.",
                "operationId": "getResults",
                "parameters": [CAMPAIGN_ID],
                "responses": {"200": _json({"$ref": "#/components/schemas/Results"},
                                           "The campaign's results"), **_errors(401, 404)},
            }},
            "/campaigns/{campaign_id}/bulletin.pdf": {"get": {
                "summary": "The bulletin (通报) as PDF, rendered now",
                "description": "Rendered from the current results and the campaign's "
                               "letterhead, and kept on the server with its SHA-256 (sent "
                               "as the X-Content-SHA256 header). While the campaign is open "
                               "the PDF is marked as a draft (征求意见稿).",
                "operationId": "getBulletin",
                "parameters": [CAMPAIGN_ID],
                "responses": {"200": {"description": "The bulletin",
                                      "headers": {"X-Content-SHA256": {
                                          "schema": {"type": "string"}}},
                                      "content": {"application/pdf": {"schema": {
                                          "type": "string", "format": "binary"}}}},
                              **_errors(401, 404, 409)},
            }},
            "/campaigns/{campaign_id}/questionnaire": {
                "get": {
                    "summary": "The questionnaire as a file (sections, questions, routes, "
                               "schemes, 差别权重)",
                    "description": "The same JSON the questionnaire page exports. Rater "
                                   "groups, units and categories are named, not numbered, so "
                                   "it can be imported into another campaign or installation.",
                    "operationId": "getQuestionnaire",
                    "parameters": [CAMPAIGN_ID],
                    "responses": {"200": _json({"$ref": "#/components/schemas/Questionnaire"},
                                               "The questionnaire"), **_errors(401, 404)},
                },
                "put": {
                    "summary": "Replace a draft campaign's questionnaire (admins only)",
                    "description": "Imports a questionnaire file: every section, question, "
                                   "item, scoring scheme and 差别权重 of the campaign is "
                                   "replaced. On any error nothing changes and the message "
                                   "names the place (第 2 部分第 3 题 …).",
                    "operationId": "putQuestionnaire",
                    "parameters": [CAMPAIGN_ID],
                    "requestBody": {"required": True, "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/Questionnaire"}}}},
                    "responses": {"200": _json({"$ref": "#/components/schemas/Questionnaire"},
                                               "The questionnaire as stored"),
                                  **_errors(401, 403, 404, 409, 422, e409="The campaign has "
                                            "opened: its questionnaire is frozen")},
                },
            },
            "/openapi.json": {"get": {
                "summary": "This document",
                "operationId": "getOpenAPI",
                "security": [],
                "responses": {"200": _json({"type": "object"}, "OpenAPI document")},
            }},
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {"type": "object", "required": ["error"],
                          "properties": {"error": {"type": "string"}}},
                "CampaignSummary": {
                    "type": "object", "required": ["id", "title", "status"],
                    "properties": {"id": {"type": "integer"}, "title": {"type": "string"},
                                   "status": {"enum": ["draft", "open", "closed"]}},
                },
                "Campaign": {
                    "type": "object",
                    "required": ["id", "title", "status", "units", "rater_groups"],
                    "properties": {
                        "id": {"type": "integer"}, "title": {"type": "string"},
                        "status": {"enum": ["draft", "open", "closed"]},
                        "issuer": {"type": "string"}, "doc_number": {"type": "string"},
                        "phase": {"type": "string"},
                        "period_start": {"type": ["string", "null"], "format": "date"},
                        "period_end": {"type": ["string", "null"], "format": "date"},
                        "min_group_size": {"type": "integer"},
                        "units": {"type": "array", "items": {
                            "type": "object", "required": ["id", "name", "category"],
                            "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
                                           "category": {"type": "string"}}}},
                        "rater_groups": {"type": "array", "items": {
                            "type": "object", "required": ["id", "name", "weight"],
                            "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
                                           "weight": {"type": "number"}}}},
                    },
                },
                **RESULT_SCHEMAS,
                **QUESTIONNAIRE_SCHEMAS,
                "Participation": {
                    "type": "object", "required": ["groups"],
                    "properties": {"groups": {"type": "array", "items": {
                        "type": "object", "required": ["name", "issued", "used"],
                        "properties": {"name": {"type": "string"},
                                       "issued": {"type": "integer"},
                                       "used": {"type": "integer"}}}}},
                },
            },
        },
    }
