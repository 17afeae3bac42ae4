"""course.compliance.roster: every problem is reported with its line; a file with errors imports nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from course.compliance.roster import RosterError, import_roster, read_roster
from course.workspace import Workspace

HEADER = "employee_id,name,email,department,manager_email,track,start_date\n"
GOOD = "E1,Ada Fernhollow,ada@x.example,Care,lead@x.example,all_staff,2026-01-05\n"


def _csv(tmp_path: Path, body: str, *, encoding: str = "utf-8", newline: str = "\n") -> Path:
    path = tmp_path / "roster.csv"
    path.write_bytes((HEADER + body).replace("\n", newline).encode(encoding))
    return path


def test_reads_bom_and_crlf(tmp_path: Path) -> None:
    """A BOM and Windows line endings (as Excel writes them) are accepted."""
    path = _csv(tmp_path, GOOD, encoding="utf-8-sig", newline="\r\n")
    (employee,) = read_roster(path)
    assert employee.employee_id == "E1" and employee.first_name == "Ada" and employee.last_name == "Fernhollow"


def test_every_problem_has_a_line(tmp_path: Path) -> None:
    body = GOOD + GOOD + "E2,,not-an-email,Care,lead@x.example,all_staff,31/01/2026\n"
    with pytest.raises(RosterError) as info:
        read_roster(_csv(tmp_path, body))
    text = str(info.value)
    assert "line 3, column 'employee_id': duplicate id 'E1' (first on line 2)" in text
    assert "line 4, column 'name': is empty" in text


def test_missing_column(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("employee_id,name\nE1,Ada\n", "utf-8")
    with pytest.raises(RosterError, match="column 'email': required column is missing"):
        read_roster(path)


def test_not_utf8(tmp_path: Path) -> None:
    with pytest.raises(RosterError, match="not UTF-8"):
        read_roster(_csv(tmp_path, GOOD.replace("Ada", "Adé"), encoding="latin-1"))


def test_nothing_imported_from_a_bad_file(tmp_path: Path) -> None:
    """A file with one bad row adds nobody, not even the good rows."""
    ws = Workspace.init(tmp_path / "ws")
    with pytest.raises(RosterError):
        import_roster(ws, _csv(tmp_path, GOOD + "E2,Bo Larkspur,bo@x.example,Care,lead@x.example,all_staff,never\n"))
    with ws.gradebook() as gb:
        assert gb.students == []
    result = import_roster(ws, _csv(tmp_path, GOOD))
    assert result.added == ["E1"]
    assert import_roster(ws, _csv(tmp_path, GOOD)).unchanged == ["E1"]
