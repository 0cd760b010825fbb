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


def _errors(*codes: int) -> dict:
    text = {401: "Missing or invalid bearer token", 404: "No such campaign"}
    return {str(code): _json(ERROR, text[code]) for code in codes}


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
