"""What every report output shows: people (real or pseudonymised), status rows, and the roll-ups."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from course.compliance.records import ComplianceRecords
from course.compliance.status import STATUS_ORDER, EmployeeStatus, ModuleStatus, Overall, Status

PSEUDONYM_DOMAIN = "pseudonym.invalid"


@dataclass(frozen=True)
class Person:
    employee_id: str
    name: str
    email: str
    department: str
    manager_email: str
    track: str
    start_date: date


class Pseudonymiser:
    """Stable pseudonyms: the same person gets the same one in every report of this workspace.

    Keyed with the workspace's secret, so nobody without the workspace can recompute who is who.
    """

    def __init__(self, key: bytes) -> None:
        self._key = key
        self._cache: dict[str, str] = {}

    def code(self, value: str) -> str:
        found = self._cache.get(value)
        if found is None:
            digest = hmac.new(self._key, value.encode("utf-8"), hashlib.sha256).digest()
            found = base64.b32encode(digest[:5]).decode("ascii")
            self._cache[value] = found
        return found

    def person(self, p: Person) -> Person:
        code = self.code("employee:" + p.employee_id)
        manager = self.code("email:" + p.manager_email)
        return Person(employee_id=f"P-{code}", name=f"Learner {code}", email=f"p-{code.lower()}@{PSEUDONYM_DOMAIN}",
                      department=p.department, manager_email=f"m-{manager.lower()}@{PSEUDONYM_DOMAIN}",
                      track=p.track, start_date=p.start_date)


def people(records: ComplianceRecords, pseudonymiser: Pseudonymiser | None = None) -> dict[str, Person]:
    """Active employees as the outputs show them, by real employee id."""
    out = {}
    for eid in records.statuses:
        e = records.entries[eid].employee
        p = Person(e.employee_id, e.name, e.email, e.department, e.manager_email, e.track, e.start_date)
        out[eid] = pseudonymiser.person(p) if pseudonymiser else p
    return out


def _iso(d: date | None) -> str:
    return d.isoformat() if d else ""


def _num(x: float | None) -> float | str:
    return round(x, 4) if x is not None else ""


STATUS_COLUMNS = ("employee_id", "name", "email", "department", "manager_email", "track", "module", "module_title",
                  "status", "late", "score", "max_score", "percent", "pass_mark_percent", "last_attempt_at",
                  "passed_on", "valid_until", "due_date", "deadline", "action_by", "integrity_flags",
                  "overall_status", "certified_until")


def status_rows(records: ComplianceRecords, persons: dict[str, Person]) -> list[tuple[Any, ...]]:
    """One row per active employee and required module, in :data:`STATUS_COLUMNS` order."""
    titles = {m.id: m.title for m in records.policies.completion.modules}
    rows = []
    for eid, st in sorted(records.statuses.items()):
        p = persons[eid]
        for m in st.modules:
            attempt = m.attempt
            rows.append((
                p.employee_id, p.name, p.email, p.department, p.manager_email, p.track, m.module, titles[m.module],
                m.status.value, "yes" if m.late else "no", _num(m.score), _num(m.max_score),
                _num(round(m.percent, 1) if m.percent is not None else None), m.pass_mark,
                attempt.submitted_at.isoformat(timespec="seconds") + "Z" if attempt and attempt.submitted_at else "",
                _iso(m.passed_on), _iso(m.valid_until), _iso(m.due), _iso(m.deadline), _iso(m.action_by),
                ";".join(m.flags), _overall_label(st), _iso(st.certified_until),
            ))
    return rows


def _overall_label(st: EmployeeStatus) -> str:
    return st.overall.value


REMINDER_COLUMNS = ("employee_id", "name", "email", "manager_email", "department", "module", "module_title",
                    "status", "action", "by", "days_left", "late", "tell_manager")


def reminder_rows(records: ComplianceRecords, persons: dict[str, Person]) -> list[tuple[Any, ...]]:
    """Who to remind about what, by when: modules the learner must act on (not the trainer's backlog).

    A module is listed when it is late, failed, expired, or not started and due within
    ``remind_days_before`` days. ``tell_manager`` is ``yes`` for late modules.
    """
    policy = records.policies.completion
    titles = {m.id: m.title for m in policy.modules}
    horizon = records.as_of + timedelta(days=policy.remind_days_before)
    rows = []
    for eid, st in sorted(records.statuses.items()):
        p = persons[eid]
        for m in st.modules:
            action = _action(m, horizon)
            if action is None:
                continue
            days_left = (m.action_by - records.as_of).days
            rows.append((p.employee_id, p.name, p.email, p.manager_email, p.department, m.module, titles[m.module],
                         m.status.value, action, m.action_by.isoformat(), days_left, "yes" if m.late else "no",
                         "yes" if m.late else "no"))
    rows.sort(key=lambda r: (r[11] != "yes", r[9], r[0], r[5]))
    return rows


def _action(m: ModuleStatus, horizon: date) -> str | None:
    if m.status is Status.EXPIRED:
        return "recertify"
    if m.status is Status.FAILED:
        return "retake"
    if m.status is Status.OVERDUE:
        return "retake" if m.attempt is not None else "complete"
    if m.status is Status.NOT_STARTED and m.due <= horizon:
        return "complete"
    return None


@dataclass
class DepartmentRow:
    name: str
    employees: int = 0
    certified: int = 0
    in_progress: int = 0
    overdue: int = 0

    @property
    def percent_certified(self) -> float:
        return 100.0 * self.certified / self.employees if self.employees else 0.0


@dataclass
class ModuleRow:
    id: str
    title: str
    pass_mark: float
    required: int = 0
    passed: int = 0
    late: int = 0
    awaiting: int = 0
    average_percent: float | None = None

    @property
    def percent_passed(self) -> float:
        return 100.0 * self.passed / self.required if self.required else 0.0


@dataclass
class OverdueRow:
    person: Person
    module: str
    module_title: str
    status: str
    action_by: date
    late_since: date
    days_late: int


@dataclass
class Summary:
    as_of: date
    active: int
    inactive: int
    unrostered: int
    overall: Counter[Overall]
    statuses: Counter[Status]
    flagged_employees: int
    departments: list[DepartmentRow]
    modules: list[ModuleRow]
    overdue: list[OverdueRow]
    timeline: list[tuple[date, float, float]]  # week end, % employees certified, % required modules passed
    unreleased: list[str] = field(default_factory=list)

    @property
    def certified(self) -> int:
        return self.overall[Overall.CERTIFIED]

    @property
    def percent_certified(self) -> float:
        return 100.0 * self.certified / self.active if self.active else 0.0

    @property
    def awaiting_trainer(self) -> int:
        return self.statuses[Status.SUBMITTED] + self.statuses[Status.NEEDS_MANUAL_GRADING]

    def status_items(self) -> list[tuple[Status, int]]:
        return [(s, self.statuses[s]) for s in STATUS_ORDER]


def summarise(records: ComplianceRecords, persons: dict[str, Person]) -> Summary:
    policy = records.policies.completion
    overall: Counter[Overall] = Counter()
    statuses: Counter[Status] = Counter()
    departments: dict[str, DepartmentRow] = {}
    modules = {m.id: ModuleRow(m.id, m.title, m.pass_mark_percent) for m in policy.modules if m.id in records.released}
    percent_sum: dict[str, float] = defaultdict(float)
    percent_n: dict[str, int] = defaultdict(int)
    overdue: list[OverdueRow] = []
    titles = {m.id: m.title for m in policy.modules}
    flagged = 0
    cert_dates: list[date] = []
    pass_dates: list[date] = []
    required_total = 0
    for eid, st in records.statuses.items():
        p = persons[eid]
        overall[st.overall] += 1
        dept = departments.setdefault(p.department, DepartmentRow(p.department))
        dept.employees += 1
        if st.overall is Overall.CERTIFIED:
            dept.certified += 1
            if st.certified_on:
                cert_dates.append(st.certified_on)
        elif st.overall is Overall.OVERDUE:
            dept.overdue += 1
        else:
            dept.in_progress += 1
        if st.flags:
            flagged += 1
        for m in st.modules:
            statuses[m.status] += 1
            row = modules[m.module]
            row.required += 1
            required_total += 1
            if m.status is Status.PASSED:
                row.passed += 1
                if m.passed_on:
                    pass_dates.append(m.passed_on)
            if m.status in (Status.SUBMITTED, Status.NEEDS_MANUAL_GRADING):
                row.awaiting += 1
            if m.percent is not None and m.attempt is not None and m.attempt.final:
                percent_sum[m.module] += m.percent
                percent_n[m.module] += 1
            if m.late:
                row.late += 1
                since = m.late_since or records.as_of
                overdue.append(OverdueRow(p, m.module, titles[m.module], m.status.value, m.action_by, since,
                                          (records.as_of - since).days + 1))
    for mid, row in modules.items():
        if percent_n[mid]:
            row.average_percent = percent_sum[mid] / percent_n[mid]
    overdue.sort(key=lambda r: (-r.days_late, r.person.manager_email, r.person.name, r.module))
    active = len(records.statuses)
    return Summary(
        as_of=records.as_of, active=active,
        inactive=sum(1 for e in records.entries.values() if not e.active), unrostered=len(records.unrostered),
        overall=overall, statuses=statuses, flagged_employees=flagged,
        departments=sorted(departments.values(), key=lambda d: (-d.percent_certified, d.name)),
        modules=list(modules.values()), overdue=overdue,
        timeline=_timeline(records.as_of, cert_dates, pass_dates, active, required_total),
        unreleased=[m.id for m in policy.modules if m.id not in records.released],
    )


def _timeline(as_of: date, cert_dates: list[date], pass_dates: list[date], active: int,
              required: int, weeks: int = 52) -> list[tuple[date, float, float]]:
    """Weekly points over the last year: share of employees whose current certification was reached
    by then, and share of required modules whose current pass was reached by then."""
    if not active:
        return []
    cert_dates.sort()
    pass_dates.sort()
    from bisect import bisect_right

    points = []
    for k in range(weeks, -1, -1):
        day = as_of - timedelta(weeks=k)
        points.append((day, 100.0 * bisect_right(cert_dates, day) / active,
                       100.0 * bisect_right(pass_dates, day) / required if required else 0.0))
    return points
