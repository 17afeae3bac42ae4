"""JSON Schema (draft 2020-12) of an xAPI 1.0.3 Statement, written from the specification (xAPI-Data.md, part two).

It covers what a Learning Record Provider sends: actor (Agent with exactly one inverse functional
identifier, or Group), verb, object (Activity, Agent, Group, StatementRef or SubStatement), result,
context, timestamp, version. Rules that JSON Schema cannot express (a raw score between min and
max, min below max) are checked by :func:`course.compliance.xapi.validate_statement`.
"""

from __future__ import annotations

from typing import Any

_IRI = {"type": "string", "pattern": r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s]+$"}
_MAILTO = {"type": "string", "pattern": r"^mailto:[^@\s]+@[^@\s]+$"}
_UUID = {"type": "string",
         "pattern": r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-8][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$"}
_TIMESTAMP = {"type": "string",
              "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"}
_DURATION = {"type": "string",
             "pattern": r"^P(?!$)(\d+(\.\d+)?Y)?(\d+(\.\d+)?M)?(\d+(\.\d+)?W)?(\d+(\.\d+)?D)?"
                        r"(T(?=\d)(\d+(\.\d+)?H)?(\d+(\.\d+)?M)?(\d+(\.\d+)?S)?)?$"}

STATEMENT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://learning.brightwater.example/schemas/xapi-1.0.3-statement.json",
    "title": "xAPI 1.0.3 Statement",
    "$ref": "#/$defs/statement",
    "$defs": {
        "iri": _IRI,
        "uuid": _UUID,
        "timestamp": _TIMESTAMP,
        "languageMap": {
            "type": "object", "minProperties": 1,
            "propertyNames": {"pattern": r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$"},
            "additionalProperties": {"type": "string"},
        },
        "extensions": {"type": "object", "propertyNames": _IRI},
        "account": {
            "type": "object", "required": ["homePage", "name"], "additionalProperties": False,
            "properties": {"homePage": _IRI, "name": {"type": "string", "minLength": 1}},
        },
        "ifiProperties": {
            "mbox": _MAILTO,
            "mbox_sha1sum": {"type": "string", "pattern": r"^[0-9a-f]{40}$"},
            "openid": _IRI,
            "account": {"$ref": "#/$defs/account"},
        },
        "agent": {
            "type": "object", "additionalProperties": False,
            "properties": {
                "objectType": {"const": "Agent"}, "name": {"type": "string"},
                "mbox": _MAILTO, "mbox_sha1sum": {"type": "string", "pattern": r"^[0-9a-f]{40}$"},
                "openid": _IRI, "account": {"$ref": "#/$defs/account"},
            },
            "oneOf": [{"required": ["mbox"]}, {"required": ["mbox_sha1sum"]}, {"required": ["openid"]},
                      {"required": ["account"]}],
        },
        "group": {
            "type": "object", "required": ["objectType"], "additionalProperties": False,
            "properties": {
                "objectType": {"const": "Group"}, "name": {"type": "string"},
                "member": {"type": "array", "items": {"$ref": "#/$defs/agent"}},
                "mbox": _MAILTO, "mbox_sha1sum": {"type": "string", "pattern": r"^[0-9a-f]{40}$"},
                "openid": _IRI, "account": {"$ref": "#/$defs/account"},
            },
            "anyOf": [
                {"required": ["member"], "not": {"anyOf": [{"required": ["mbox"]}, {"required": ["mbox_sha1sum"]},
                                                           {"required": ["openid"]}, {"required": ["account"]}]}},
                {"oneOf": [{"required": ["mbox"]}, {"required": ["mbox_sha1sum"]}, {"required": ["openid"]},
                           {"required": ["account"]}]},
            ],
        },
        "actor": {"oneOf": [{"$ref": "#/$defs/agent"}, {"$ref": "#/$defs/group"}]},
        "verb": {
            "type": "object", "required": ["id"], "additionalProperties": False,
            "properties": {"id": _IRI, "display": {"$ref": "#/$defs/languageMap"}},
        },
        "activityDefinition": {
            "type": "object", "additionalProperties": False,
            "properties": {
                "name": {"$ref": "#/$defs/languageMap"}, "description": {"$ref": "#/$defs/languageMap"},
                "type": _IRI, "moreInfo": _IRI, "extensions": {"$ref": "#/$defs/extensions"},
                "interactionType": {"enum": ["true-false", "choice", "fill-in", "long-fill-in", "matching",
                                             "performance", "sequencing", "likert", "numeric", "other"]},
                "correctResponsesPattern": {"type": "array", "items": {"type": "string"}},
                "choices": {"type": "array"}, "scale": {"type": "array"}, "source": {"type": "array"},
                "target": {"type": "array"}, "steps": {"type": "array"},
            },
        },
        "activity": {
            "type": "object", "required": ["id"], "additionalProperties": False,
            "properties": {"objectType": {"const": "Activity"}, "id": _IRI,
                           "definition": {"$ref": "#/$defs/activityDefinition"}},
        },
        "statementRef": {
            "type": "object", "required": ["objectType", "id"], "additionalProperties": False,
            "properties": {"objectType": {"const": "StatementRef"}, "id": _UUID},
        },
        "score": {
            "type": "object", "additionalProperties": False,
            "properties": {"scaled": {"type": "number", "minimum": -1, "maximum": 1}, "raw": {"type": "number"},
                           "min": {"type": "number"}, "max": {"type": "number"}},
        },
        "result": {
            "type": "object", "additionalProperties": False,
            "properties": {
                "score": {"$ref": "#/$defs/score"}, "success": {"type": "boolean"},
                "completion": {"type": "boolean"}, "response": {"type": "string"}, "duration": _DURATION,
                "extensions": {"$ref": "#/$defs/extensions"},
            },
        },
        "contextActivityList": {
            "oneOf": [{"$ref": "#/$defs/activity"},
                      {"type": "array", "items": {"$ref": "#/$defs/activity"}}],
        },
        "context": {
            "type": "object", "additionalProperties": False,
            "properties": {
                "registration": _UUID, "instructor": {"$ref": "#/$defs/actor"}, "team": {"$ref": "#/$defs/group"},
                "contextActivities": {
                    "type": "object", "additionalProperties": False,
                    "properties": {k: {"$ref": "#/$defs/contextActivityList"}
                                   for k in ("parent", "grouping", "category", "other")},
                },
                "revision": {"type": "string"}, "platform": {"type": "string"},
                "language": {"type": "string", "pattern": r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$"},
                "statement": {"$ref": "#/$defs/statementRef"}, "extensions": {"$ref": "#/$defs/extensions"},
            },
        },
        "subStatement": {
            "type": "object", "required": ["objectType", "actor", "verb", "object"], "additionalProperties": False,
            "properties": {
                "objectType": {"const": "SubStatement"}, "actor": {"$ref": "#/$defs/actor"},
                "verb": {"$ref": "#/$defs/verb"},
                "object": {"oneOf": [{"$ref": "#/$defs/activity"}, {"$ref": "#/$defs/agentObject"},
                                     {"$ref": "#/$defs/group"}, {"$ref": "#/$defs/statementRef"}]},
                "result": {"$ref": "#/$defs/result"}, "context": {"$ref": "#/$defs/context"},
                "timestamp": _TIMESTAMP,
            },
        },
        "agentObject": {"allOf": [{"$ref": "#/$defs/agent"}, {"required": ["objectType"]}]},
        "statement": {
            "type": "object", "required": ["actor", "verb", "object"], "additionalProperties": False,
            "properties": {
                "id": _UUID, "actor": {"$ref": "#/$defs/actor"}, "verb": {"$ref": "#/$defs/verb"},
                "object": {"oneOf": [{"$ref": "#/$defs/activity"}, {"$ref": "#/$defs/agentObject"},
                                     {"$ref": "#/$defs/group"}, {"$ref": "#/$defs/statementRef"},
                                     {"$ref": "#/$defs/subStatement"}]},
                "result": {"$ref": "#/$defs/result"}, "context": {"$ref": "#/$defs/context"},
                "timestamp": _TIMESTAMP, "stored": _TIMESTAMP, "authority": {"$ref": "#/$defs/actor"},
                "version": {"type": "string", "pattern": r"^1\.0(\.\d+)?$"},
                "attachments": {"type": "array"},
            },
        },
    },
}
