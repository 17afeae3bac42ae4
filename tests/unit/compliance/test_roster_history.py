"""course.compliance.roster: every kind of bad file is refused whole; updates keep history, never delete."""

from __future__ import annotations

import json
import stat
from datetime import date
from pathlib import Path

import pytest

from course.compliance.ledger import Ledger
from course.compliance.roster import RosterError, import_roster, load_roster, read_roster
from course.workspace import Workspace

HEADER = "employee_id,name,email,department,manager_email,track,start_date\n"
ADA = "E1,Ada Fernhollow,ada@x.example,Care,lead@x.example,all_staff,2026-01-05\n"
BO = "E2,Bo Larkspur,bo@x.example,Sales,lead@x.example,customer_facing,2026-02-01\n"
CY = "E3,Cy Thornbury,cy@x.example,IT,it@x.example,social_team,2026-03-01\n"
TRACKS = ("all_staff", "customer_facing", "social_team")


def write(tmp_path: Path, body: str | bytes, name: str = "roster.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(body if isinstance(body, bytes) else (HEADER + body).encode("utf-8"))
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(RosterError) as info:
        read_roster(path, tracks=TRACKS)
    return [str(p) for p in info.value.problems]


@pytest.mark.parametrize(("body", "expected"), [
    (ADA + ADA.replace("ada@", "ada2@"), "line 3, column 'employee_id': duplicate id 'E1' (first on line 2)"),
    (ADA + BO.replace("bo@", "ada@"), "line 3, column 'email': 'ada@x.example' is already used on line 2"),
    (ADA.replace("2026-01-05", "05/01/2026"), "line 2, column 'start_date': '05/01/2026' is not a date like"),
    (ADA.replace("2026-01-05", "2026-02-30"), "line 2, column 'start_date': '2026-02-30' is not a real date"),
    (ADA.replace("all_staff", "interns"), "line 2, column 'track': unknown track 'interns'"),
    (ADA.replace("ada@x.example", "ada.x.example"), "line 2, column 'email': 'ada.x.example' is not an email"),
    (ADA.replace("lead@x.example", "lead@"), "line 2, column 'manager_email': 'lead@' is not an email"),
    (ADA.replace("E1", "E 1"), "line 2, column 'employee_id': 'E 1' is not a valid id"),
    (ADA.replace("Care", ""), "line 2, column 'department': is empty"),
    (ADA.rstrip("\n") + ",extra\n", "line 2: has more fields than the header"),
])
def test_each_problem_names_its_line_and_column(tmp_path: Path, body: str, expected: str) -> None:
    """Each kind of bad row is reported with its line and column."""
    found = problems(write(tmp_path, body))
    assert any(p.startswith(expected) for p in found), found


def test_all_problems_reported_at_once(tmp_path: Path) -> None:
    """Problems on several lines are all listed, not only the first."""
    found = problems(write(tmp_path, ADA + BO.replace("2026-02-01", "soon") + CY.replace("social_team", "x")))
    assert [p.split(",")[0] for p in found] == ["line 3", "line 4"]


def test_missing_and_repeated_columns(tmp_path: Path) -> None:
    """A header without a required column, or with one twice, is refused at line 1."""
    path = write(tmp_path, b"employee_id,name,email,department,track,start_date\n"
                           b"E1,A,a@x.example,C,all_staff,2026-01-01\n")
    assert problems(path) == ["line 1, column 'manager_email': required column is missing"]
    path = write(tmp_path, (HEADER.strip() + ",email\n" + ADA.strip() + ",b@x.example\n").encode())
    assert problems(path) == ["line 1, column 'email': column appears more than once"]


def test_encodings(tmp_path: Path) -> None:
    """BOM and CRLF (Excel's CSV UTF-8) are read; Latin-1 bytes and a BOM mid-file are refused with a line."""
    excel = ("\ufeff" + HEADER + ADA.replace("Ada", "Adé") + BO).replace("\n", "\r\n").encode("utf-8")
    employees = read_roster(write(tmp_path, excel), tracks=TRACKS)
    assert [e.name for e in employees] == ["Adé Fernhollow", "Bo Larkspur"]
    latin = (HEADER + ADA + BO.replace("Bo", "Bö")).encode("latin-1")
    assert problems(write(tmp_path, latin)) == [
        "line 3: byte 0xf6 is not UTF-8 text; save the file as 'CSV UTF-8'"]
    pasted = (HEADER + ADA + "\ufeff" + HEADER + BO).encode("utf-8")
    assert problems(write(tmp_path, pasted))[0].startswith("line 3: a byte-order mark in the middle")
    assert problems(write(tmp_path, HEADER.encode())) == ["line 2: the roster has a header but no employees"]


def test_a_bad_file_changes_nothing(tmp_path: Path) -> None:
    """After a refused import, the gradebook, the workspace roster and the ledger are exactly as before."""
    ws = Workspace.init(tmp_path / "ws")
    import_roster(ws, write(tmp_path, ADA + BO), tracks=TRACKS, today=date(2026, 3, 1))
    store = (ws.root / "compliance" / "roster.json").read_bytes()
    events = list(Ledger.for_workspace(ws.root).events())
    with pytest.raises(RosterError):
        import_roster(ws, write(tmp_path, ADA.replace("Ada", "Ann") + CY.replace("it@", "it")), tracks=TRACKS)
    assert (ws.root / "compliance" / "roster.json").read_bytes() == store
    assert list(Ledger.for_workspace(ws.root).events()) == events
    with ws.gradebook() as gb:
        assert sorted(s.id for s in gb.students) == ["E1", "E2"]
        assert gb.find_student("E1").first_name == "Ada"


def test_add_change_deactivate_reactivate_keep_history(tmp_path: Path) -> None:
    """Imports add, update, deactivate and reactivate; history and ledger events record each change."""
    ws = Workspace.init(tmp_path / "ws")
    first = import_roster(ws, write(tmp_path, ADA + BO), tracks=TRACKS, today=date(2026, 3, 1))
    assert (first.added, first.updated, first.deactivated) == (["E1", "E2"], [], [])
    moved = ADA.replace("Care", "Marketing").replace("all_staff", "social_team")
    # a full roster without E2: E2 is deactivated (1 of 2 active, so it needs yes=True)
    second = import_roster(ws, write(tmp_path, moved + CY), full=True, yes=True, tracks=TRACKS,
                           today=date(2026, 4, 1))
    assert (second.added, second.updated, second.deactivated) == (["E3"], ["E1"], ["E2"])
    third = import_roster(ws, write(tmp_path, moved + BO + CY), tracks=TRACKS, today=date(2026, 5, 1))
    assert (third.reactivated, third.unchanged, third.updated) == (["E2"], ["E1", "E3"], [])

    roster = load_roster(ws.root)
    ada = roster["E1"]
    assert ada.employee.department == "Marketing" and ada.employee.track == "social_team"
    assert ada.track_since == date(2026, 4, 1)  # new track: due dates count from the change
    assert ada.history[-1] == {"on": "2026-04-01", "change": "updated",
                               "fields": {"department": ["Care", "Marketing"], "track": ["all_staff", "social_team"]}}
    bo = roster["E2"]
    assert bo.active and bo.deactivated_on is None
    assert [h["change"] for h in bo.history] == ["enrolled", "deactivated", "reactivated"]
    kinds = [(e.kind, e.data.get("employee_id"), e.data.get("change")) for e in Ledger.for_workspace(ws.root).events()]
    assert kinds == [("enrolled", "E1", None), ("enrolled", "E2", None), ("roster_changed", "E1", "updated"),
                     ("enrolled", "E3", None), ("roster_changed", "E2", "deactivated"),
                     ("roster_changed", "E2", "reactivated")]
    with ws.gradebook() as gb:
        assert sorted(s.id for s in gb.students) == ["E1", "E2", "E3"]  # nobody deleted
    store = ws.root / "compliance" / "roster.json"
    assert stat.S_IMODE(store.stat().st_mode) == 0o600
    assert json.loads(store.read_text("utf-8"))["format"] == 1


def test_updates_names_in_the_gradebook(tmp_path: Path) -> None:
    """A changed name or email reaches nbgrader's student record."""
    ws = Workspace.init(tmp_path / "ws")
    import_roster(ws, write(tmp_path, ADA), tracks=TRACKS)
    import_roster(ws, write(tmp_path, ADA.replace("Ada Fernhollow", "Ada Mae Quill").replace("ada@", "amq@")),
                  tracks=TRACKS)
    with ws.gradebook() as gb:
        s = gb.find_student("E1")
        assert (s.first_name, s.last_name, s.email) == ("Ada", "Mae Quill", "amq@x.example")


def test_the_shipped_roster_imports(tmp_path: Path, repo: Path) -> None:
    """data/roster.csv is valid against the shipped completion policy."""
    employees = read_roster(repo / "data" / "roster.csv", tracks=TRACKS)
    assert len(employees) == 20
