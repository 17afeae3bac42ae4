"""The HR roster: read and validate a CSV of employees, and enrol them in a workspace's gradebook.

Columns: ``employee_id, name, email, department, manager_email, track, start_date`` (ISO dates).
Every problem is reported with its line number, and a file with any problem imports nothing.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

COLUMNS = ("employee_id", "name", "email", "department", "manager_email", "track", "start_date")
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_EMAIL_RE = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[A-Za-z]{2,}$")


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


def read_roster(path: Path | str, *, tracks: set[str] | None = None) -> list[Employee]:
    """Parse and validate the roster; raise :class:`RosterError` listing every problem."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RosterError(path, [RosterProblem(0, None, f"cannot read the file ({exc.strerror})")]) from None
    try:
        text = raw.decode("utf-8-sig")  # accepts and drops a BOM
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise RosterError(path, [RosterProblem(line, None, "is not UTF-8 text; save the file as CSV UTF-8")]) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))  # handles CRLF and quoted fields
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise RosterError(path, [RosterProblem(1, c, "required column is missing") for c in missing])
    reader.fieldnames = header
    problems: list[RosterProblem] = []
    employees: list[Employee] = []
    first_line: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        if None in row:
            problems.append(RosterProblem(line, None, "has more fields than the header"))
            continue
        values = {k: (v or "").strip() for k, v in row.items()}
        if not any(values.values()):
            continue
        row_problems = _check_row(values, line, tracks)
        eid = values["employee_id"]
        if eid and eid in first_line:
            message = f"duplicate id {eid!r} (first on line {first_line[eid]})"
            row_problems.append(RosterProblem(line, "employee_id", message))
        elif eid:
            first_line[eid] = line
        if row_problems:
            problems.extend(row_problems)
            continue
        employees.append(Employee(
            employee_id=eid, name=values["name"], email=values["email"].lower(), department=values["department"],
            manager_email=values["manager_email"].lower(), track=values["track"],
            start_date=date.fromisoformat(values["start_date"]),
        ))
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
    try:
        date.fromisoformat(values["start_date"])
    except ValueError:
        out.append(RosterProblem(line, "start_date", f"{values['start_date']!r} is not a date like 2026-03-31"))
    if tracks is not None and values["track"] not in tracks:
        out.append(RosterProblem(line, "track", f"unknown track {values['track']!r}; expected one of {sorted(tracks)}"))
    return out


def import_roster(workspace, path: Path | str) -> ImportResult:
    """Validate ``path`` in full, then add or update every employee as a student in the gradebook."""
    employees = read_roster(path)
    result = ImportResult()
    with workspace.gradebook() as gb:
        existing = {s.id: s for s in gb.students}
        for e in employees:
            current = existing.get(e.employee_id)
            wanted = {"first_name": e.first_name, "last_name": e.last_name, "email": e.email}
            if current is None:
                result.added.append(e.employee_id)
            elif any(getattr(current, k) != v for k, v in wanted.items()):
                result.updated.append(e.employee_id)
            else:
                result.unchanged.append(e.employee_id)
                continue
            gb.update_or_create_student(e.employee_id, **wanted)
    return result
