"""xAPI statements (one JSON object per line) for a learning record store.

For each employee and required module, for the latest attempt and for the passing attempt that
counts (when they differ), once graded:

* final (no manual grading outstanding): ``completed``, then ``passed`` or ``failed``, each with
  the score and ``success``/``completion``;
* manual grading still outstanding: ``scored`` with the score so far and ``completion: false``.

Statement ids are UUIDv5 of employee, module, verb and submission time, so sending the same file
twice records nothing twice. ``raw`` is capped at ``max`` (extra credit can exceed it; xAPI forbids).
Pseudonymised reports identify the actor by an ``account`` instead of a ``mailto:`` address.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

from course.compliance.records import ComplianceRecords
from course.compliance.status import Attempt
from course.compliance.views import PSEUDONYM_DOMAIN, Person

VERBS = {
    "completed": "http://adlnet.gov/expapi/verbs/completed",
    "passed": "http://adlnet.gov/expapi/verbs/passed",
    "failed": "http://adlnet.gov/expapi/verbs/failed",
    "scored": "http://adlnet.gov/expapi/verbs/scored",
}
MODULE_TYPE = "http://adlnet.gov/expapi/activities/module"
PLATFORM = "Social Media at Work (nbgrader)"
_NAMESPACE = uuid.UUID("3b1f7c9e-5c53-4d0a-9a43-9f2a53e0c7d1")


def _actor(person: Person, pseudonymised: bool, home: str) -> dict[str, Any]:
    if pseudonymised:
        return {"objectType": "Agent", "account": {"homePage": home, "name": person.employee_id}}
    return {"objectType": "Agent", "name": person.name, "mbox": f"mailto:{person.email}"}


def statements(records: ComplianceRecords, persons: dict[str, Person], *,
               pseudonymised: bool = False) -> Iterator[dict[str, Any]]:
    policy = records.policies.completion
    base = policy.activity_iri
    home = base.split("/xapi/")[0] + "/" if "/xapi/" in base else base
    titles = {m.id: m.title for m in policy.modules}
    course_activity = {"objectType": "Activity", "id": base.rstrip("/")}
    for eid, st in sorted(records.statuses.items()):
        person = persons[eid]
        if pseudonymised and not person.email.endswith(PSEUDONYM_DOMAIN):
            raise ValueError("pseudonymised statements need pseudonymised people")
        actor = _actor(person, pseudonymised, home)
        for m in st.modules:
            shown: list[Attempt] = []
            for a in (m.passed_attempt, m.attempt):
                if a is not None and not a.pending and a.submitted_at is not None and a not in shown:
                    shown.append(a)
            for a in shown:
                verbs = ["completed", "passed" if a.passes(m.pass_mark) else "failed"] if a.final else ["scored"]
                for verb in verbs:
                    yield _statement(eid, actor, verb, m.module, titles[m.module], base, course_activity, a,
                                     m.pass_mark)


def _statement(eid: str, actor: dict[str, Any], verb: str, module: str, title: str, base: str,
               course_activity: dict[str, Any], a: Attempt, pass_mark: float) -> dict[str, Any]:
    assert a.submitted_at is not None and a.score is not None
    stamp = a.submitted_at.isoformat(timespec="seconds") + "Z"
    top = max(a.max_score, 0.0)
    raw = min(max(a.score, 0.0), top) if top > 0 else 0.0
    result: dict[str, Any] = {"completion": a.final}
    if top > 0:
        result["score"] = {"scaled": round(raw / top, 4), "raw": raw, "min": 0.0, "max": top}
    if a.final:
        result["success"] = a.passes(pass_mark)
    return {
        "id": str(uuid.uuid5(_NAMESPACE, f"{eid}|{module}|{verb}|{stamp}")),
        "actor": actor,
        "verb": {"id": VERBS[verb], "display": {"en-US": verb}},
        "object": {"objectType": "Activity", "id": base + module,
                   "definition": {"name": {"en-US": title}, "type": MODULE_TYPE}},
        "result": result,
        "context": {"platform": PLATFORM, "contextActivities": {"parent": [course_activity]}},
        "timestamp": stamp,
        "version": "1.0.3",
    }


def to_jsonl(items: Iterator[dict[str, Any]]) -> str:
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    return "".join(dumps(s) + "\n" for s in items)


def validate_statement(statement: dict[str, Any]) -> list[str]:
    """Every way ``statement`` breaks the xAPI 1.0.3 statement rules (empty when valid)."""
    from jsonschema import Draft202012Validator

    from course.compliance.xapi_schema import STATEMENT_SCHEMA

    validator = _validator(Draft202012Validator, STATEMENT_SCHEMA)
    problems = [f"{'/'.join(str(p) for p in e.absolute_path) or '(statement)'}: {e.message}"
                for e in validator.iter_errors(statement)]
    score = (statement.get("result") or {}).get("score") or {}
    lo, hi, raw = score.get("min"), score.get("max"), score.get("raw")
    if lo is not None and hi is not None and not lo < hi:
        problems.append("result/score: min must be less than max")
    if raw is not None and ((lo is not None and raw < lo) or (hi is not None and raw > hi)):
        problems.append("result/score/raw: must lie between min and max")
    return problems


_VALIDATORS: dict[int, Any] = {}


def _validator(cls: Any, schema: dict[str, Any]) -> Any:
    found = _VALIDATORS.get(id(schema))
    if found is None:
        cls.check_schema(schema)
        found = _VALIDATORS[id(schema)] = cls(schema)
    return found
