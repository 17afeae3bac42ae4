"""The HR roster: read and validate a CSV of employees, and enrol them in a workspace.

Columns: ``employee_id, name, email, department, manager_email, track, start_date`` (ISO dates), and
optionally ``status`` (see :data:`LEAVER_VALUES`). Every problem is reported with its line and column,
and a file with any problem imports nothing.

HR sends two kinds of file, and an import is told which one it gets:

* a *partial* (delta) file, the default: it changes only the people it names. A new id is added, a
  known one is updated (and reactivated if they had left); a row whose ``status`` says the person left
  (``leaver``, ``left``, ``inactive``, ``terminated``, ...) deactivates them. Nobody else is touched.
* a *full* roster (``full=True``, ``course roster import --full``): the whole staff list. In addition,
  every active employee missing from it is deactivated.

Import is two steps: :func:`plan_import` reads the file and returns a :class:`RosterPlan` (who will be
added, changed with which fields, deactivated, reactivated, how many are unchanged) without writing
anything; :func:`apply_plan` carries it out. :func:`import_roster` does both. A plan that deactivates
more than ``max_deactivate_percent`` (default :data:`MAX_DEACTIVATE_PERCENT`) of the active staff is
refused with :class:`DeactivationRefused` unless ``yes=True``: a partial file imported as ``--full`` by
mistake would otherwise deactivate almost everyone.

Importing:

* adds employees not seen before (``enrolled`` in the ledger, a student in the gradebook);
* updates those whose details changed (``roster_changed`` with each field's old and new value);
  a new track counts its due dates from the day of the change (``track_since``);
* deactivates leavers, and reactivates them when they come back. Nobody is ever deleted: their
  gradebook record, their history and their ledger events stay.

The current roster and each employee's history are kept in ``DIR/compliance/roster.json`` (owner-only),
and every change is also an event in the workspace's ledger.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from course.compliance._files import private_dir, write_private

if TYPE_CHECKING:
    from course.workspace import Workspace

COLUMNS = ("employee_id", "name", "email", "department", "manager_email", "track", "start_date")
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_EMAIL_RE = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[A-Za-z]{2,}$")
STORE = "compliance/roster.json"
_FIELDS = ("name", "email", "department", "manager_email", "track", "start_date")


@dataclass(frozen=True)
class Employee:
    employee_id: str
    name: str
    email: str
    department: str
    manager_email: str
    track: str
    start_date: date

    @property
    def first_name(self) -> str:
        return self.name.split(" ", 1)[0]

    @property
    def last_name(self) -> str:
        parts = self.name.split(" ", 1)
        return parts[1] if len(parts) > 1 else ""


@dataclass(frozen=True)
class RosterProblem:
    line: int
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column '{self.column}'" if self.column else "")
        return f"{where}: {self.message}"


class RosterError(ValueError):
    """The roster has problems; nothing was imported. ``problems`` lists each with its line."""

    def __init__(self, path: Path | str, problems: list[RosterProblem]) -> None:
        self.path = Path(path)
        self.problems = problems
        shown = "\n".join(f"  {p}" for p in problems[:50])
        more = f"\n  ... and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"{self.path}: {len(problems)} problem(s), nothing imported:\n{shown}{more}")


@dataclass
class ImportResult:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)
    reactivated: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{len(self.added)} added, {len(self.updated)} updated, {len(self.unchanged)} unchanged, "
                f"{len(self.deactivated)} deactivated, {len(self.reactivated)} reactivated")


@dataclass
class RosterEntry:
    """An employee as the workspace knows them: the HR details plus what the workspace adds."""

    employee: Employee
    active: bool
    enrolled_on: date
    track_since: date
    deactivated_on: date | None = None
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def employee_id(self) -> str:
        return self.employee.employee_id


# -- reading the CSV ---------------------------------------------------------------------------------

#: Header names read as the status column (case, spaces and hyphens do not matter).
STATUS_COLUMNS = ("status", "employment_status", "employee_status", "active")
#: Status values (case-insensitive) for someone who still works here; an empty cell counts as active.
ACTIVE_VALUES = frozenset({"", "active", "current", "employed", "yes", "y", "true", "1"})
#: Status values (case-insensitive) for someone who left: their row deactivates them.
LEAVER_VALUES = frozenset({"leaver", "left", "leaving", "inactive", "terminated", "deactivated", "former",
                           "no", "n", "false", "0"})


@dataclass(frozen=True)
class Leaver:
    """A row whose status says the employee left. Only its ``employee_id`` is read."""

    employee_id: str
    line: int
    status: str


@dataclass
class RosterFile:
    """What one HR file says: current employees (with their lines) and leavers, in file order."""

    path: Path
    employees: list[Employee]
    lines: dict[str, int]
    leavers: list[Leaver]


def _norm_header(name: str) -> str:
    return re.sub(r"[\s-]+", "_", name.strip().lower())


def read_roster(path: Path | str, *, tracks: Iterable[str] | None = None) -> list[Employee]:
    """Parse and validate the roster; raise :class:`RosterError` listing every problem.

    Returns the employees the file lists as current (not its leavers; see :func:`read_roster_file`).
    """
    return read_roster_file(path, tracks=tracks).employees


def read_roster_file(path: Path | str, *, tracks: Iterable[str] | None = None) -> RosterFile:
    """Parse and validate the roster, leavers included; raise :class:`RosterError` listing every problem.

    ``tracks`` are the allowed track ids (default: no check). A UTF-8 byte-order mark and Windows
    line endings are accepted, as Excel writes them. A leaver's row needs only its ``employee_id``.
    """
    path = Path(path)
    known_tracks = set(tracks) if tracks is not None else None
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RosterError(path, [RosterProblem(0, None, f"cannot read the file ({exc.strerror})")]) from None
    try:
        text = raw.decode("utf-8-sig")  # accepts and drops a BOM
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise RosterError(path, [RosterProblem(line, None, f"byte {raw[exc.start]:#04x} is not UTF-8 text; save the "
                                               "file as 'CSV UTF-8'")]) from None
    if "\ufeff" in text:
        line = text[: text.index("\ufeff")].count("\n") + 1
        raise RosterError(path, [RosterProblem(line, None, "a byte-order mark in the middle of the file (two files "
                                               "pasted together?)")])
    reader = csv.DictReader(io.StringIO(text, newline=""))  # handles CRLF and quoted fields
    header = [h.strip() for h in (reader.fieldnames or [])]
    status_names = [h for h in header if _norm_header(h) in STATUS_COLUMNS]
    if len(status_names) > 1:
        raise RosterError(path, [RosterProblem(1, h, "a second status column (keep one of "
                                               f"{', '.join(repr(n) for n in status_names)})")
                                 for h in status_names[1:]])
    status_column = status_names[0] if status_names else None
    # with a status column, a file of leavers only may leave out the other columns
    missing = [c for c in COLUMNS if c not in header and (c == "employee_id" or status_column is None)]
    if missing:
        raise RosterError(path, [RosterProblem(1, c, "required column is missing") for c in missing])
    absent = [c for c in COLUMNS if c not in header]
    repeated = sorted({h for h in header if header.count(h) > 1 and h in COLUMNS})
    if repeated:
        raise RosterError(path, [RosterProblem(1, c, "column appears more than once") for c in repeated])
    reader.fieldnames = header
    problems: list[RosterProblem] = []
    employees: list[Employee] = []
    leavers: list[Leaver] = []
    first_line: dict[str, int] = {}
    email_line: dict[str, int] = {}
    try:
        for row in reader:
            line = reader.line_num
            if None in row:
                problems.append(RosterProblem(line, None, "has more fields than the header"))
                continue
            values = {k: (v or "").strip() for k, v in row.items()}
            if not any(values.values()):
                continue
            eid = values["employee_id"]
            row_problems: list[RosterProblem] = []
            if eid and eid in first_line:
                row_problems.append(RosterProblem(line, "employee_id",
                                                  f"duplicate id {eid!r} (first on line {first_line[eid]})"))
            elif eid:
                first_line[eid] = line
            status = values.get(status_column, "") if status_column else ""
            if status.lower() in LEAVER_VALUES:
                if not eid:
                    row_problems.append(RosterProblem(line, "employee_id", "is empty"))
                elif not _ID_RE.match(eid):
                    row_problems.append(RosterProblem(line, "employee_id", f"{eid!r} is not a valid id"))
                if row_problems:
                    problems.extend(row_problems)
                else:
                    leavers.append(Leaver(eid, line, status))
                continue
            if status.lower() not in ACTIVE_VALUES:
                row_problems.append(RosterProblem(
                    line, status_column, f"status {status!r} is not known; write 'active' (or leave it empty) for "
                    "someone who works here, 'leaver' for someone who left"))
                problems.extend(row_problems)
                continue
            if absent:
                row_problems.extend(RosterProblem(line, c, "is needed for an employee who is not leaving, but the "
                                                  "file has no such column") for c in absent)
                problems.extend(row_problems)
                continue
            row_problems[:0] = _check_row(values, line, known_tracks)
            email = values["email"].lower()
            if email and email in email_line:
                row_problems.append(RosterProblem(line, "email",
                                                  f"{email!r} is already used on line {email_line[email]}"))
            elif email:
                email_line[email] = line
            if row_problems:
                problems.extend(row_problems)
                continue
            employees.append(Employee(
                employee_id=eid, name=" ".join(values["name"].split()), email=email,
                department=values["department"], manager_email=values["manager_email"].lower(),
                track=values["track"], start_date=date.fromisoformat(values["start_date"]),
            ))
    except csv.Error as exc:
        problems.append(RosterProblem(reader.line_num, None, f"is not valid CSV ({exc})"))
    if problems:
        problems.sort(key=lambda p: p.line)
        raise RosterError(path, problems)
    if not employees and not leavers:
        raise RosterError(path, [RosterProblem(2, None, "the roster has a header but no employees")])
    return RosterFile(path=path, employees=employees, lines={e.employee_id: first_line[e.employee_id]
                                                             for e in employees}, leavers=leavers)


def _check_row(values: dict[str, str], line: int, tracks: set[str] | None) -> list[RosterProblem]:
    out: list[RosterProblem] = []
    for column in COLUMNS:
        if not values.get(column):
            out.append(RosterProblem(line, column, "is empty"))
    if out:
        return out
    if not _ID_RE.match(values["employee_id"]):
        out.append(RosterProblem(line, "employee_id",
                                 f"{values['employee_id']!r} is not a valid id (letters, digits, '.', '_' or '-')"))
    for column in ("email", "manager_email"):
        if not _EMAIL_RE.match(values[column]):
            out.append(RosterProblem(line, column, f"{values[column]!r} is not an email address"))
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", values["start_date"]):
        out.append(RosterProblem(line, "start_date", f"{values['start_date']!r} is not a date like 2026-03-31"))
    else:
        try:
            date.fromisoformat(values["start_date"])
        except ValueError:
            out.append(RosterProblem(line, "start_date", f"{values['start_date']!r} is not a real date"))
    if tracks is not None and values["track"] not in tracks:
        out.append(RosterProblem(line, "track", f"unknown track {values['track']!r}; expected one of {sorted(tracks)}"))
    return out


# -- the workspace's roster ------------------------------------------------------------------------

def _employee_json(e: Employee) -> dict[str, str]:
    d = asdict(e)
    d["start_date"] = e.start_date.isoformat()
    return d


def load_roster(root: Path | str) -> dict[str, RosterEntry]:
    """The workspace's roster (active and deactivated employees), by employee id; empty if never imported."""
    path = Path(root) / STORE
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text("utf-8"))
        out = {}
        for eid, item in data["employees"].items():
            e = item["employee"]
            out[eid] = RosterEntry(
                employee=Employee(**{**e, "start_date": date.fromisoformat(e["start_date"])}),
                active=bool(item["active"]), enrolled_on=date.fromisoformat(item["enrolled_on"]),
                track_since=date.fromisoformat(item["track_since"]),
                deactivated_on=date.fromisoformat(item["deactivated_on"]) if item.get("deactivated_on") else None,
                history=list(item.get("history", [])),
            )
        return out
    except (ValueError, KeyError, TypeError) as exc:
        raise RosterError(path, [RosterProblem(0, None, f"the workspace's roster is damaged ({exc!r}); import the "
                                               "HR file again after restoring it from a backup")]) from None


def _save_roster(root: Path, entries: dict[str, RosterEntry]) -> None:
    data = {"format": 1, "employees": {
        eid: {"employee": _employee_json(r.employee), "active": r.active, "enrolled_on": r.enrolled_on.isoformat(),
              "track_since": r.track_since.isoformat(),
              "deactivated_on": r.deactivated_on.isoformat() if r.deactivated_on else None, "history": r.history}
        for eid, r in sorted(entries.items())}}
    private_dir(root / Path(STORE).parent)
    write_private(root / STORE, json.dumps(data, indent=1, ensure_ascii=False) + "\n")


MAX_DEACTIVATE_PERCENT = 20.0
"""An import that would deactivate more than this share of the active staff needs ``yes=True``."""


@dataclass(frozen=True)
class Change:
    """An employee whose details change: each field's old and new value."""

    employee_id: str
    fields: dict[str, tuple[str, str]]


@dataclass(frozen=True)
class Deactivation:
    employee_id: str
    reason: str  # "status 'leaver' on line 4" or "not in the full roster"


@dataclass
class RosterPlan:
    """What importing one HR file will change, worked out without writing anything.

    ``employees`` are the current employees the file names, in file order (the gradebook gets
    these); ``notes`` say what the file asks that needs nothing doing (a leaver never enrolled).
    """

    source: Path
    full: bool
    today: date
    active_before: int
    employees: list[Employee] = field(default_factory=list)
    added: list[Employee] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    deactivated: list[Deactivation] = field(default_factory=list)
    reactivated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    base: str = ""  # SHA-256 of the workspace roster the plan was made against

    @property
    def deactivated_percent(self) -> float:
        """Deactivations as a share (0-100) of the employees active before the import."""
        return 100.0 * len(self.deactivated) / self.active_before if self.active_before else 0.0

    def needs_confirmation(self, max_deactivate_percent: float = MAX_DEACTIVATE_PERCENT) -> bool:
        return self.deactivated_percent > max_deactivate_percent

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.deactivated or self.reactivated)

    def summary(self) -> str:
        return (f"{len(self.added)} added, {len(self.changed)} updated, {len(self.unchanged)} unchanged, "
                f"{len(self.deactivated)} deactivated, {len(self.reactivated)} reactivated")

    def describe(self, *, limit: int = 20) -> list[str]:
        """The plan as lines for people: each change, at most ``limit`` per kind."""
        def block(title: str, items: list[str]) -> list[str]:
            if not items:
                return []
            shown = [f"  {title} ({len(items)}):"] + [f"    {i}" for i in items[:limit]]
            return shown + ([f"    … and {len(items) - limit} more"] if len(items) > limit else [])

        kind = ("full roster: everyone active who is not in it is deactivated" if self.full
                else "partial: only the people it names change")
        lines = [f"Roster file {self.source.name} ({kind}); {self.active_before} active before:"]
        lines += block("added", [f"{e.employee_id} {e.name} ({e.track}, {e.department})" for e in self.added])
        lines += block("changed", [c.employee_id + ": " + "; ".join(f"{k} {old!r} -> {new!r}"
                                                                   for k, (old, new) in c.fields.items())
                                   for c in self.changed])
        lines += block("deactivated", [f"{d.employee_id} ({d.reason})" for d in self.deactivated])
        lines += block("reactivated", self.reactivated)
        lines.append(f"  unchanged: {len(self.unchanged)}")
        lines += [f"  note: {n}" for n in self.notes]
        return lines


class DeactivationRefused(RosterError):
    """The plan deactivates more of the active staff than allowed without confirmation; nothing changed."""

    def __init__(self, plan: RosterPlan, max_deactivate_percent: float) -> None:
        self.path, self.problems, self.plan = plan.source, [], plan
        ValueError.__init__(self, (
            f"{plan.source}: this import would deactivate {len(plan.deactivated)} of {plan.active_before} active "
            f"employees ({plan.deactivated_percent:.0f}%), more than the {max_deactivate_percent:g}% allowed "
            "without confirmation; nothing imported. If the file is a partial list, import it without --full; "
            "if so many people really left, run the import again with --yes."))


def _fingerprint(root: Path) -> str:
    path = root / STORE
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else ""


def _root(workspace: Workspace | Path | str) -> Path:
    return Path(workspace if isinstance(workspace, str | Path) else workspace.root)


def plan_import(workspace: Workspace | Path | str, path: Path | str, *, full: bool = False,
                tracks: Iterable[str] | None = None, today: date | None = None) -> RosterPlan:
    """Validate ``path`` in full and work out what importing it would change; writes nothing.

    ``workspace`` is a :class:`course.workspace.Workspace` or its folder. ``full`` says the file is the
    whole roster (everyone active who is missing is deactivated); otherwise only the people it names
    change. ``tracks`` default to the completion policy's tracks. Raises :class:`RosterError` naming
    the file, line and column of every problem.
    """
    if tracks is None:
        from course.policy import load_policies

        tracks = load_policies().completion.track_ids
    parsed = read_roster_file(path, tracks=tracks)
    root = _root(workspace)
    base = _fingerprint(root)
    entries = load_roster(root)
    plan = RosterPlan(source=Path(path), full=full, today=today or datetime.now(UTC).date(),
                      active_before=sum(1 for e in entries.values() if e.active), employees=parsed.employees,
                      base=base)
    for e in parsed.employees:
        current = entries.get(e.employee_id)
        if current is None:
            plan.added.append(e)
            continue
        old, new = _employee_json(current.employee), _employee_json(e)
        changes = {k: (old[k], new[k]) for k in _FIELDS if old[k] != new[k]}
        if not current.active:
            plan.reactivated.append(e.employee_id)
        if changes:
            plan.changed.append(Change(e.employee_id, changes))
        elif current.active:
            plan.unchanged.append(e.employee_id)
    for leaver in parsed.leavers:
        current = entries.get(leaver.employee_id)
        if current is None:
            plan.notes.append(f"line {leaver.line}: {leaver.employee_id} is marked {leaver.status!r} but was never "
                              "enrolled; nothing to do")
        elif not current.active:
            plan.notes.append(f"line {leaver.line}: {leaver.employee_id} is already inactive")
        else:
            plan.deactivated.append(Deactivation(leaver.employee_id, f"status {leaver.status!r} on line {leaver.line}"))
    if full:
        named = {e.employee_id for e in parsed.employees} | {le.employee_id for le in parsed.leavers}
        plan.deactivated += [Deactivation(eid, "not in the full roster") for eid, entry in sorted(entries.items())
                             if entry.active and eid not in named]
    return plan


def apply_plan(workspace: Workspace, plan: RosterPlan, *, yes: bool = False,
               max_deactivate_percent: float = MAX_DEACTIVATE_PERCENT) -> ImportResult:
    """Carry out ``plan`` in ``workspace``: gradebook, ledger events, then the roster file.

    Refuses (:class:`DeactivationRefused`) a plan that deactivates more than ``max_deactivate_percent``
    of the active staff unless ``yes``, and a plan made before the workspace's roster last changed.
    """
    from course.compliance.ledger import Ledger

    root = Path(workspace.root)
    if _fingerprint(root) != plan.base:
        raise RosterError(plan.source, [RosterProblem(0, None, "the workspace's roster changed after this import "
                                                      "was planned; plan it again")])
    if plan.needs_confirmation(max_deactivate_percent) and not yes:
        raise DeactivationRefused(plan, max_deactivate_percent)
    today = plan.today.isoformat()
    entries = load_roster(root)
    added = {e.employee_id for e in plan.added}
    changed = {c.employee_id: c for c in plan.changed}
    reactivated = set(plan.reactivated)
    events: list[tuple[str, dict[str, Any]]] = []
    for e in plan.employees:
        eid = e.employee_id
        if eid in added:
            entries[eid] = RosterEntry(employee=e, active=True, enrolled_on=plan.today, track_since=e.start_date,
                                       history=[{"on": today, "change": "enrolled"}])
            events.append(("enrolled", {"employee_id": eid, "track": e.track, "department": e.department,
                                        "start_date": e.start_date.isoformat()}))
            continue
        current = entries[eid]
        if eid in reactivated:
            current.active, current.deactivated_on = True, None
            current.history.append({"on": today, "change": "reactivated"})
            events.append(("roster_changed", {"employee_id": eid, "change": "reactivated"}))
        if eid in changed:
            fields = {k: list(v) for k, v in changed[eid].fields.items()}
            if "track" in fields:
                current.track_since = max(plan.today, e.start_date)
            current.employee = e
            current.history.append({"on": today, "change": "updated", "fields": fields})
            events.append(("roster_changed", {"employee_id": eid, "change": "updated", "fields": fields}))
    for d in plan.deactivated:
        entry = entries[d.employee_id]
        entry.active, entry.deactivated_on = False, plan.today
        entry.history.append({"on": today, "change": "deactivated", "reason": d.reason})
        events.append(("roster_changed", {"employee_id": d.employee_id, "change": "deactivated", "reason": d.reason}))
    _sync_gradebook(workspace, plan.employees)
    Ledger.for_workspace(root).append_many(events)
    _save_roster(root, entries)
    return ImportResult(added=[e.employee_id for e in plan.added], updated=[c.employee_id for c in plan.changed],
                        unchanged=list(plan.unchanged), deactivated=[d.employee_id for d in plan.deactivated],
                        reactivated=list(plan.reactivated))


def import_roster(workspace: Workspace, path: Path | str, *, full: bool = False, yes: bool = False,
                  max_deactivate_percent: float = MAX_DEACTIVATE_PERCENT, tracks: Iterable[str] | None = None,
                  today: date | None = None) -> ImportResult:
    """:func:`plan_import` then :func:`apply_plan`: nothing changes when the file has any problem."""
    plan = plan_import(workspace, path, full=full, tracks=tracks, today=today)
    return apply_plan(workspace, plan, yes=yes, max_deactivate_percent=max_deactivate_percent)


def _sync_gradebook(workspace: Workspace, employees: list[Employee]) -> None:
    """Add or update every employee as an nbgrader student, in one transaction (fast for thousands)."""
    from nbgrader.api import Student
    from sqlalchemy import select

    table = Student.__table__
    with workspace.gradebook() as gb, gb.engine.begin() as conn:
        existing = {row.id: (row.first_name, row.last_name, row.email)
                    for row in conn.execute(select(table.c.id, table.c.first_name, table.c.last_name, table.c.email))}
        inserts, updates = [], []
        for e in employees:
            wanted = (e.first_name, e.last_name, e.email)
            if e.employee_id not in existing:
                inserts.append({"id": e.employee_id, "first_name": wanted[0], "last_name": wanted[1],
                                "email": wanted[2]})
            elif existing[e.employee_id] != wanted:
                updates.append({"b_id": e.employee_id, "first_name": wanted[0], "last_name": wanted[1],
                                "email": wanted[2]})
        if inserts:
            conn.execute(table.insert(), inserts)
        if updates:
            from sqlalchemy import bindparam

            conn.execute(table.update().where(table.c.id == bindparam("b_id")), updates)
