"""The compliance commands as a trainer types them: exit codes and messages."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from course.compliance.ledger import Ledger
from course.workspace import Workspace
from tests.compliance.conftest import AS_OF
from tests.conftest import REPO

COURSE = [sys.executable, "-c", "from course.cli import main; main()"]


def course(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*COURSE, *args], capture_output=True, text=True, timeout=300,
                          env={"PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin", "COLUMNS": "200",
                               "HOME": str(REPO / "var")})


@pytest.mark.slow
def test_workspace_init_with_roster_then_a_bad_roster(tmp_path: Path) -> None:
    """init --roster imports the HR file; a later bad file exits 2 listing each problem and changes nothing."""
    ws = tmp_path / "ws"
    done = course("workspace", "init", str(ws), "--roster", str(REPO / "data" / "roster.csv"))
    assert done.returncode == 0, done.stderr
    assert "Roster: 20 added, 0 updated, 0 unchanged, 0 deactivated, 0 reactivated." in done.stdout
    bad = tmp_path / "bad.csv"
    lines = (REPO / "data" / "roster.csv").read_text("utf-8").splitlines()
    lines[3] = lines[3].replace("all_staff", "everyone")
    lines[5] = lines[5].replace("2026-", "26-")
    bad.write_text("\n".join(lines) + "\n", "utf-8")
    done = course("roster", "import", str(bad), "--course-dir", str(ws))
    assert done.returncode == 2
    err = " ".join(done.stderr.split())
    assert "2 problem(s), nothing imported" in err
    assert "line 4, column 'track': unknown track 'everyone'" in err and "line 6, column 'start_date'" in err


@pytest.mark.slow
def test_report_ledger_and_certificate_commands(workspace_copy: Workspace, tmp_path: Path) -> None:
    """report prints where to open the dashboard; ledger verify and certificate verify exit 0, 1 or 2."""
    out = tmp_path / "report"
    done = course("report", "--course-dir", str(workspace_copy.root), "--out", str(out), "--as-of", AS_OF.isoformat())
    assert done.returncode == 0, done.stderr
    assert f"Open the dashboard: {(out / 'dashboard.html').as_uri()}" in done.stdout
    assert "view only" in " ".join(done.stdout.split())  # as of a day that is not today
    assert course("report", "--course-dir", str(workspace_copy.root), "--out", str(out), "--as-of",
                  "20/11/2026").returncode == 2

    done = course("ledger", "verify", "--course-dir", str(workspace_copy.root))
    assert done.returncode == 0 and "Ledger intact" in done.stdout
    head = done.stdout.split("head")[-1].split()[0]

    # certificates come from a report as of today, recorded in the ledger
    from course.compliance.report import build_report

    build_report(workspace_copy.root, tmp_path / "today", as_of=AS_OF, today=AS_OF, formats=["pdf"])
    code = next(e.data["code"] for e in Ledger.for_workspace(workspace_copy.root).events() if e.kind == "certified")
    good = course("certificate", "verify", code, "--course-dir", str(workspace_copy.root))
    assert good.returncode == 0 and "genuine" in good.stdout and "pass mark 75%" in good.stdout
    forged = code[:-2] + ("AB" if not code.endswith("AB") else "CD")
    bad = course("certificate", "verify", forged, "--course-dir", str(workspace_copy.root))
    assert bad.returncode == 1 and "not genuine" in bad.stderr
    assert course("certificate", "verify", "hello", "--course-dir", str(workspace_copy.root)).returncode == 2

    events = workspace_copy.root / "ledger" / "events.jsonl"
    rows = events.read_text("utf-8").splitlines(keepends=True)
    victim = json.loads(rows[10])["seq"]
    events.write_text("".join(rows[:10] + rows[11:]), "utf-8")
    done = course("ledger", "verify", "--course-dir", str(workspace_copy.root), "--anchor", head)
    assert done.returncode == 1
    assert f"deleted: line 11, event {victim + 1}: event {victim} is missing" in " ".join(done.stderr.split())
