"""The HR roster: read and validate a CSV of employees, and enrol them in a workspace.

Columns: ``employee_id, name, email, department, manager_email, track, start_date`` (ISO dates).
Every problem is reported with its line number, and a file with any problem imports nothing.

The file is the whole roster. Importing it:

* adds employees not seen before (``enrolled`` in the ledger, a student in the gradebook);
* updates those whose details changed (``roster_changed`` with each field's old and new value);
  a new track counts its due dates from the day of the change (``track_since``);
* deactivates employees missing from the file, and reactivates them when they come back. Nobody is
  ever deleted: their gradebook record, their history and their ledger events stay.

The current roster and each employee's history are kept in ``DIR/compliance/roster.json`` (owner-only),
and every change is also an event in the workspace's ledger.
"""

from __future__ import annotations

import csv
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

def read_roster(path: Path | str, *, tracks: Iterable[str] | None = None) -> list[Employee]:
    """Parse and validate the roster; raise :class:`RosterError` listing every problem.

    ``tracks`` are the allowed track ids (default: no check). A UTF-8 byte-order mark and Windows
    line endings are accepted, as Excel writes them.
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
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise RosterError(path, [RosterProblem(1, c, "required column is missing") for c in missing])
    repeated = sorted({h for h in header if header.count(h) > 1 and h in COLUMNS})
    if repeated:
        raise RosterError(path, [RosterProblem(1, c, "column appears more than once") for c in repeated])
    reader.fieldnames = header
    problems: list[RosterProblem] = []
    employees: list[Employee] = []
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
            row_problems = _check_row(values, line, known_tracks)
            eid = values["employee_id"]
            if eid and eid in first_line:
                row_problems.append(RosterProblem(line, "employee_id",
                                                  f"duplicate id {eid!r} (first on line {first_line[eid]})"))
            elif eid:
                first_line[eid] = line
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
        raise RosterError(path, problems)
    if not employees:
        raise RosterError(path, [RosterProblem(2, None, "the roster has a header but no employees")])
    return employees


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


def import_roster(workspace: Workspace, path: Path | str, *, tracks: Iterable[str] | None = None,
                  today: date | None = None) -> ImportResult:
    """Validate ``path`` in full, then add, update, deactivate and reactivate employees in ``workspace``.

    ``workspace`` is a :class:`course.workspace.Workspace`. ``tracks`` default to the completion
    policy's tracks. Nothing changes when the file has any problem.
    """
    from course.compliance.ledger import Ledger

    if tracks is None:
        from course.policy import load_policies

        tracks = load_policies().completion.track_ids
    employees = read_roster(path, tracks=tracks)
    today = today or datetime.now(UTC).date()
    root = Path(workspace.root)
    entries = load_roster(root)
    result = ImportResult()
    events: list[tuple[str, dict[str, Any]]] = []
    seen: set[str] = set()
    for e in employees:
        seen.add(e.employee_id)
        current = entries.get(e.employee_id)
        if current is None:
            entries[e.employee_id] = RosterEntry(
                employee=e, active=True, enrolled_on=today, track_since=e.start_date,
                history=[{"on": today.isoformat(), "change": "enrolled"}])
            result.added.append(e.employee_id)
            events.append(("enrolled", {"employee_id": e.employee_id, "track": e.track,
                                        "department": e.department, "start_date": e.start_date.isoformat()}))
            continue
        old, new = _employee_json(current.employee), _employee_json(e)
        changes = {k: [old[k], new[k]] for k in _FIELDS if old[k] != new[k]}
        if not current.active:
            current.active, current.deactivated_on = True, None
            current.history.append({"on": today.isoformat(), "change": "reactivated"})
            result.reactivated.append(e.employee_id)
            events.append(("roster_changed", {"employee_id": e.employee_id, "change": "reactivated"}))
        if changes:
            if "track" in changes:
                current.track_since = max(today, e.start_date)
            current.employee = e
            current.history.append({"on": today.isoformat(), "change": "updated", "fields": changes})
            result.updated.append(e.employee_id)
            events.append(("roster_changed", {"employee_id": e.employee_id, "change": "updated", "fields": changes}))
        elif e.employee_id not in result.reactivated:
            result.unchanged.append(e.employee_id)
    for eid, entry in sorted(entries.items()):
        if entry.active and eid not in seen:
            entry.active, entry.deactivated_on = False, today
            entry.history.append({"on": today.isoformat(), "change": "deactivated"})
            result.deactivated.append(eid)
            events.append(("roster_changed", {"employee_id": eid, "change": "deactivated"}))
    _sync_gradebook(workspace, employees)
    Ledger.for_workspace(root).append_many(events)
    _save_roster(root, entries)
    return result


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
