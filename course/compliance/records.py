"""Gather what a compliance report needs: roster, gradebook, ledger; then apply the status rules.

Attempts come from three places, by submission time (the same time from two places is one attempt;
the first source listed wins):

1. the gradebook's current submission of each learner and module (score, manual grading, flags);
2. ``DIR/submitted/`` when it holds a newer submission than the gradebook (pending: not graded yet);
3. the ledger: ``graded`` events from the grading pipeline and ``passed`` events from earlier
   reports, so a pass is not forgotten when a learner resubmits and the gradebook keeps only the
   newest attempt. ``graded`` events may carry integrity flags; they are shown, never scored. Both
   spellings the pipeline uses are read: ``flags``/``integrity_flags``,
   ``needs_manual_grade``/``needs_manual_grading``, a net ``score`` or ``score`` and ``late_penalty``,
   and a ``submitted_at`` of its own or of the ``submitted`` event with the same ``sha256``.

Release dates come from the ledger's ``released`` events (``released_on`` in the data, else the
event's date); a module that is in the gradebook but has no such event counts as released at the
policy's ``programme_start``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from course.compliance.gradebook import GradebookData, read_gradebook
from course.compliance.ledger import Event, Ledger
from course.compliance.roster import RosterEntry, load_roster
from course.compliance.status import Attempt, EmployeeStatus, due_date, module_status, overall_status
from course.policy import PolicySet


@dataclass
class ComplianceRecords:
    as_of: date
    policies: PolicySet
    entries: dict[str, RosterEntry]  # every employee ever imported
    statuses: dict[str, EmployeeStatus]  # active employees only
    released: dict[str, date | None]  # modules in the gradebook -> release date (None: programme start)
    unrostered: list[str] = field(default_factory=list)  # gradebook students who are not on the roster
    recorded: set[tuple[str, ...]] = field(default_factory=set)  # keys of transitions already in the ledger
    certificates: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    @property
    def active(self) -> list[RosterEntry]:
        return [e for eid, e in sorted(self.entries.items()) if eid in self.statuses]


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    offset = moment.utcoffset()
    return (moment - offset).replace(tzinfo=None) if offset is not None else moment


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _flags(value: Any) -> tuple[str, ...]:
    """Integrity flags as a list, or as one string joined with '; ' (both are written by grading)."""
    if isinstance(value, list):
        return tuple(str(f) for f in value if str(f).strip())
    if isinstance(value, str):
        return tuple(f.strip() for f in value.split(";") if f.strip())
    return ()


def transition_key(kind: str, data: dict[str, Any]) -> tuple[str, ...] | None:
    """What makes a report-written event unique, so a second report does not record it again."""
    student = data.get("employee_id") or data.get("student")
    if kind in ("passed", "failed"):
        return (kind, str(student), str(data.get("module")), str(data.get("submitted_at")))
    if kind == "expired":
        return (kind, str(student), str(data.get("module")), str(data.get("valid_until")))
    if kind == "certified":
        return (kind, str(student), str(data.get("certified_on")))
    return None


def collect(root: Path | str, db_url: str, policies: PolicySet, *, as_of: date,
            gradebook: GradebookData | None = None, events: Iterable[Event] | None = None,
            entries: dict[str, RosterEntry] | None = None) -> ComplianceRecords:
    """Read everything and compute every active employee's status as of ``as_of``."""
    root = Path(root)
    policy = policies.completion
    entries = entries if entries is not None else load_roster(root)
    gb = gradebook or read_gradebook(db_url, course_dir=root)
    ledger_events = events if events is not None else Ledger.for_workspace(root).events()

    released: dict[str, date | None] = {name: None for name in gb.assignments}
    attempts: dict[tuple[str, str], dict[datetime | None, Attempt]] = defaultdict(dict)
    extra_flags: dict[tuple[str, str], set[str]] = defaultdict(set)
    from_ledger: list[tuple[tuple[str, str], Attempt]] = []
    recorded: set[tuple[str, ...]] = set()
    certificates: dict[tuple[str, str], dict[str, Any]] = {}
    submitted_at: dict[str, Any] = {}  # content sha256 -> submission time, from `submitted` events

    for event in ledger_events:
        data = event.data
        if event.kind == "released" and isinstance(data.get("assignment"), str):
            on = _parse_time(data.get("released_on")) or _parse_time(event.time)
            name = data["assignment"]
            if on is not None and name in released:
                released[name] = min(filter(None, (released[name], on.date())))
            continue
        key = transition_key(event.kind, data)
        if key is not None:
            recorded.add(key)
        if event.kind == "certified" and isinstance(data.get("code"), str):
            certificates[(str(data.get("employee_id")), str(data.get("certified_on")))] = data
        if event.kind == "submitted" and isinstance(data.get("sha256"), str):
            submitted_at[data["sha256"]] = data.get("submitted_at") or data.get("timestamp")
        if event.kind not in ("graded", "passed"):
            continue
        student = data.get("student") or data.get("employee_id")
        module = data.get("assignment") or data.get("module")
        if not isinstance(student, str) or not isinstance(module, str):
            continue
        flags = _flags(data.get("flags", data.get("integrity_flags")))
        extra_flags[(student, module)].update(flags)
        score, max_score = _number(data.get("score")), _number(data.get("max_score"))
        if score is not None and _number(data.get("late_penalty")):
            score = max(0.0, score - (_number(data.get("late_penalty")) or 0.0))
        when = _parse_time(data.get("submitted_at") or data.get("timestamp")
                           or submitted_at.get(str(data.get("sha256"))))
        if score is None or max_score is None or when is None:
            continue
        manual = (bool(data.get("needs_manual_grade", data.get("needs_manual_grading", False)))
                  if event.kind == "graded" else False)
        from_ledger.append(((student, module), Attempt(when, score, max_score, manual, flags)))

    for sub in gb.submissions:
        key = (sub.student_id, sub.assignment)
        flags = ("flagged",) if sub.flagged else ()
        attempts[key][sub.timestamp] = Attempt(
            submitted_at=sub.timestamp, score=sub.score if sub.graded else None, max_score=sub.max_score,
            needs_manual_grade=sub.needs_manual_grade, flags=flags)
    for key, when in gb.collected.items():
        current = attempts.get(key)
        latest = max((t for t in current if t is not None), default=None) if current else None
        if latest is None or when > latest:
            attempts[key][when] = Attempt(submitted_at=when, score=None, max_score=gb.assignments.get(key[1], 0.0))
    for key, attempt in reversed(from_ledger):  # the newest ledger record of a submission wins
        attempts[key].setdefault(attempt.submitted_at, attempt)

    statuses: dict[str, EmployeeStatus] = {}
    for eid, entry in entries.items():
        if not entry.active:
            continue
        e = entry.employee
        try:
            track = policy.track(e.track)
        except KeyError:
            continue  # the roster import refuses unknown tracks; a policy edit may remove one later
        modules = []
        for module in track.modules:
            if module not in released:
                continue
            due = due_date(policy, e.track, start=e.start_date, track_since=entry.track_since,
                           released_on=released[module])
            tried = list(attempts.get((eid, module), {}).values())
            flags = extra_flags.get((eid, module))
            if flags:
                tried = [Attempt(a.submitted_at, a.score, a.max_score, a.needs_manual_grade,
                                 tuple(sorted(set(a.flags) | flags))) for a in tried]
            modules.append(module_status(module, tried, pass_mark=policy.module(module).pass_mark_percent,
                                         due=due, grace_days=policy.grace_days,
                                         recertify_after_days=policy.recertify_after_days, as_of=as_of))
        statuses[eid] = overall_status(eid, modules)
    unrostered = sorted(set(gb.students) - set(entries))
    return ComplianceRecords(as_of=as_of, policies=policies, entries=entries, statuses=statuses, released=released,
                             unrostered=unrostered, recorded=recorded, certificates=certificates)
