"""HR sync: partial files change only the people they name, leavers come from a status column or
--full, an import shows its plan first and asks for --yes before deactivating many people."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from course.compliance.ledger import Ledger
from course.compliance.roster import (
    DeactivationRefused,
    RosterError,
    apply_plan,
    import_roster,
    load_roster,
    plan_import,
)
from course.workspace import Workspace
from tests.compliance.test_cli import course
from tests.conftest import REPO

TRACKS = ("all_staff", "customer_facing", "social_team")
HEADER = "employee_id,name,email,department,manager_email,track,start_date"
PEOPLE = {
    "E1": "E1,Ada Fernhollow,ada@x.example,Care,lead@x.example,all_staff,2026-01-05",
    "E2": "E2,Bo Larkspur,bo@x.example,Sales,lead@x.example,customer_facing,2026-02-01",
    "E3": "E3,Cy Thornbury,cy@x.example,IT,it@x.example,social_team,2026-03-01",
    "E4": "E4,Di Marrowby,di@x.example,Care,lead@x.example,all_staff,2026-03-02",
    "E5": "E5,Ev Quenby,ev@x.example,Sales,lead@x.example,all_staff,2026-03-03",
}
NEW = "E6,Fay Holloway,fay@x.example,IT,it@x.example,all_staff,2026-04-01"
DAY = date(2026, 5, 1)


def csv_file(tmp_path: Path, *rows: str, header: str = HEADER, name: str = "hr.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n", "utf-8")
    return path


@pytest.fixture(scope="module")
def five(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with five active employees, made once (a gradebook takes seconds to create)."""
    tmp = tmp_path_factory.mktemp("five")
    workspace = Workspace.init(tmp / "ws")
    import_roster(workspace, csv_file(tmp, *PEOPLE.values()), tracks=TRACKS, today=date(2026, 4, 1))
    return workspace.root


@pytest.fixture
def ws(five: Path, tmp_path: Path) -> Workspace:
    """A private copy of the five-employee workspace."""
    target = tmp_path / "ws"
    shutil.copytree(five, target)
    marker = target / "course-workspace.json"
    marker.write_text(marker.read_text("utf-8").replace(str(five), str(target)), "utf-8")
    return Workspace.open(target)


def active(ws: Workspace) -> list[str]:
    return sorted(eid for eid, entry in load_roster(ws.root).items() if entry.active)


def test_a_partial_file_changes_only_the_people_it_names(ws: Workspace, tmp_path: Path) -> None:
    """One changed, one new, one leaver by status: the other three are untouched."""
    moved = PEOPLE["E1"].replace("Care", "Marketing")
    path = csv_file(tmp_path, moved + ",active", NEW + ",", PEOPLE["E2"] + ",Leaver", header=HEADER + ",status")
    plan = plan_import(ws, path, tracks=TRACKS, today=DAY)
    assert [e.employee_id for e in plan.added] == ["E6"]
    assert [(c.employee_id, c.fields) for c in plan.changed] == [("E1", {"department": ("Care", "Marketing")})]
    assert [(d.employee_id, d.reason) for d in plan.deactivated] == [("E2", "status 'Leaver' on line 4")]
    assert plan.unchanged == [] and plan.reactivated == [] and plan.active_before == 5
    assert not plan.needs_confirmation()  # 1 of 5 = 20%, not more
    assert active(ws) == ["E1", "E2", "E3", "E4", "E5"]  # planning writes nothing
    result = apply_plan(ws, plan)
    assert (result.added, result.updated, result.deactivated) == (["E6"], ["E1"], ["E2"])
    assert active(ws) == ["E1", "E3", "E4", "E5", "E6"]
    last = list(Ledger.for_workspace(ws.root).events())[-1]
    assert last.data == {"employee_id": "E2", "change": "deactivated", "reason": "status 'Leaver' on line 4"}


@pytest.mark.parametrize(("header", "value"), [
    ("status", "left"), ("Status", "TERMINATED"), ("Employment Status", "inactive"), ("active", "no"),
    ("employment-status", "Former"),
])
def test_common_spellings_of_a_leaver(ws: Workspace, tmp_path: Path, header: str, value: str) -> None:
    """The status column's common names and values are read case-insensitively."""
    path = csv_file(tmp_path, f"E3,,,,,,,{value}", header=f"{HEADER},{header}")
    plan = plan_import(ws, path, tracks=TRACKS, today=DAY)
    assert [d.employee_id for d in plan.deactivated] == ["E3"]


def test_a_leavers_only_file_and_what_needs_nothing_doing(ws: Workspace, tmp_path: Path) -> None:
    """A file of just employee_id and status works; unknown or already inactive leavers are notes, not errors."""
    import_roster(ws, csv_file(tmp_path, "E4,leaver", header="employee_id,status"), tracks=TRACKS, today=DAY)
    plan = plan_import(ws, csv_file(tmp_path, "E5,leaver", "E4,left", "E99,leaver", header="employee_id,status"),
                       tracks=TRACKS, today=DAY)
    assert [d.employee_id for d in plan.deactivated] == ["E5"]
    assert plan.notes == ["line 3: E4 is already inactive",
                          "line 4: E99 is marked 'leaver' but was never enrolled; nothing to do"]


def test_someone_named_again_is_reactivated(ws: Workspace, tmp_path: Path) -> None:
    import_roster(ws, csv_file(tmp_path, "E4,leaver", header="employee_id,status"), tracks=TRACKS, today=DAY)
    result = import_roster(ws, csv_file(tmp_path, PEOPLE["E4"]), tracks=TRACKS, today=DAY)
    assert result.reactivated == ["E4"] and "E4" in active(ws)
    assert [h["change"] for h in load_roster(ws.root)["E4"].history] == ["enrolled", "deactivated", "reactivated"]


@pytest.mark.parametrize(("rows", "header", "expected"), [
    (["E3,gone"], "employee_id,status", "line 2, column 'status': status 'gone' is not known"),
    (["E3,active"], "employee_id,status", "line 2, column 'name': is needed for an employee who is not leaving"),
    ([PEOPLE["E1"] + ",left,yes"], HEADER + ",status,active", "line 1, column 'active': a second status column"),
    ([",leaver"], "employee_id,status", "line 2, column 'employee_id': is empty"),
    (["E1,leaver"], "name,status", "line 1, column 'employee_id': required column is missing"),
])
def test_bad_status_rows_name_file_line_and_column(ws: Workspace, tmp_path: Path, rows: list[str], header: str,
                                                    expected: str) -> None:
    path = csv_file(tmp_path, *rows, header=header)
    with pytest.raises(RosterError) as info:
        plan_import(ws, path, tracks=TRACKS)
    assert str(path) in str(info.value) and expected in str(info.value), str(info.value)


def test_full_roster_deactivates_the_missing_and_asks_before_many(ws: Workspace, tmp_path: Path) -> None:
    """--full deactivates everyone missing; more than 20% of the active staff needs yes=True; nothing half-done."""
    path = csv_file(tmp_path, PEOPLE["E1"], PEOPLE["E2"], PEOPLE["E3"])
    partial = plan_import(ws, path, tracks=TRACKS, today=DAY)
    assert partial.deactivated == [] and sorted(partial.unchanged) == ["E1", "E2", "E3"]
    plan = plan_import(ws, path, full=True, tracks=TRACKS, today=DAY)
    assert [(d.employee_id, d.reason) for d in plan.deactivated] == [("E4", "not in the full roster"),
                                                                      ("E5", "not in the full roster")]
    assert plan.deactivated_percent == pytest.approx(40.0) and plan.needs_confirmation()
    store, events = ws.root / "compliance" / "roster.json", ws.root / "ledger" / "events.jsonl"
    before = (store.read_bytes(), events.read_bytes())
    with pytest.raises(DeactivationRefused, match=r"would deactivate 2 of 5 active employees \(40%\), more than the "
                                                  r"20% allowed"):
        apply_plan(ws, plan)
    assert (store.read_bytes(), events.read_bytes()) == before
    assert not plan.needs_confirmation(50)
    result = apply_plan(ws, plan, max_deactivate_percent=50)
    assert result.deactivated == ["E4", "E5"] and active(ws) == ["E1", "E2", "E3"]


def test_a_plan_made_before_another_import_is_refused(ws: Workspace, tmp_path: Path) -> None:
    """The hub may plan, then apply later: a plan older than the workspace's roster is not applied."""
    stale = plan_import(ws, csv_file(tmp_path, NEW), tracks=TRACKS, today=DAY)
    import_roster(ws, csv_file(tmp_path, "E5,leaver", header="employee_id,status", name="b.csv"), tracks=TRACKS)
    with pytest.raises(RosterError, match="changed after this import was planned"):
        apply_plan(ws, stale)
    assert "E6" not in load_roster(ws.root)


@pytest.mark.slow
def test_the_command_shows_the_plan_dry_runs_and_refuses(tmp_path: Path) -> None:
    """roster import prints each change; --dry-run writes nothing; a mass deactivation exits 1 until --yes."""
    ws = tmp_path / "ws"
    rows = (REPO / "data" / "roster.csv").read_text("utf-8").splitlines()
    assert course("workspace", "init", str(ws), "--roster", str(REPO / "data" / "roster.csv")).returncode == 0
    delta = tmp_path / "delta.csv"
    delta.write_text("\n".join([rows[0] + ",status", rows[1].replace("Customer Care", "Marketing") + ",",
                                rows[2] + ",leaver"]) + "\n", "utf-8")
    e1, e2 = rows[1].split(",")[0], rows[2].split(",")[0]
    events = ws / "ledger" / "events.jsonl"
    before = events.read_bytes()
    done = course("roster", "import", str(delta), "--course-dir", str(ws), "--dry-run")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "partial: only the people it names change" in out and "20 active before" in out
    assert f"{e1}: department 'Customer Care' -> 'Marketing'" in out
    assert f"{e2} (status 'leaver' on line 3)" in out and "unchanged: 0" in out
    assert "Dry run: 0 added, 1 updated, 0 unchanged, 1 deactivated, 0 reactivated; nothing was changed." in out
    assert events.read_bytes() == before

    done = course("roster", "import", str(delta), "--course-dir", str(ws))
    assert done.returncode == 0 and "Roster: 0 added, 1 updated, 0 unchanged, 1 deactivated" in done.stdout

    half = tmp_path / "half.csv"  # a partial file imported as the full roster by mistake
    half.write_text("\n".join(rows[:11]) + "\n", "utf-8")
    after_delta = events.read_bytes()
    done = course("roster", "import", str(half), "--course-dir", str(ws), "--full")
    assert done.returncode == 1
    refusal = " ".join(done.stderr.split())
    assert "would deactivate 10 of 19 active employees (53%), more than the 20% allowed" in refusal
    assert events.read_bytes() == after_delta
    done = course("roster", "import", str(half), "--course-dir", str(ws), "--full", "--yes")
    assert done.returncode == 0 and "10 deactivated, 1 reactivated" in done.stdout, done.stderr

    bad = tmp_path / "bad.csv"
    bad.write_text("employee_id,status\nE1001,maybe\n", "utf-8")
    done = course("roster", "import", str(bad), "--course-dir", str(ws))
    assert done.returncode == 2
    assert f"{bad}: 1 problem(s), nothing imported" in done.stderr and "line 2, column 'status'" in done.stderr
