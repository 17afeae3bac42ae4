"""``course demo``: the whole trainer cycle on synthetic learners, in a workspace under ``var/``.

Creates the workspace, imports the synthetic roster, releases every module, makes one submission per
learner and module (from a fixed seed, of varied quality), grades them, prints the scores, and
ends with the compliance report (``course report``) in ``DIR/report/``.
Running it again refreshes the same workspace.
"""

from __future__ import annotations

import csv
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import nbformat
from rich.console import Console
from rich.table import Table

from course._paths import data_dir, solutions_dir
from course.compliance.report import build_report
from course.compliance.roster import import_roster
from course.grading import simulate, stock
from course.grading.release import release
from course.workspace import Workspace

SEED = 20261122


def _demo_roster(workspace: Workspace, learners: int) -> Path:
    """The first ``learners`` rows of ``data/roster.csv``, written into the workspace."""
    with (data_dir() / "roster.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    path = workspace.root / "roster.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows[: learners + 1])
    return path


def make_submissions(workspace: Workspace, assignment: str, students: list[str], *, seed: int = SEED) -> None:
    """One submission per student into ``submitted/``, each answer right, wrong or blank by chance."""
    released_dir = workspace.root / "release" / assignment
    now = datetime.now(UTC)
    for index, student in enumerate(students):
        rng = random.Random(f"{seed}-{assignment}-{student}")
        skill = rng.choice([0.95, 0.9, 0.8, 0.7, 0.5, 0.3])  # chance of a right answer
        target = workspace.root / "submitted" / student / assignment
        target.mkdir(parents=True, exist_ok=True)
        for released_path in sorted(released_dir.glob("*.ipynb")):
            released = simulate.read(released_path)
            solution = simulate.read(solutions_dir() / assignment / released_path.name)
            fills = {}
            for grade_id in simulate.answer_cells(released):
                roll = rng.random()
                fills[grade_id] = "right" if roll < skill else ("wrong" if roll < skill + (1 - skill) / 2 else "blank")
            nbformat.write(simulate.make_submission(released, solution, fills, rng=rng), target / released_path.name)
        stamp = now - timedelta(hours=len(students) - index)
        (target / "timestamp.txt").write_text(stamp.strftime("%Y-%m-%d %H:%M:%S.%f UTC"), encoding="utf-8")


def run_demo(*, directory: Path | str = Path("var/demo"), learners: int = 20, console: Console | None = None) -> Path:
    """Run the cycle and print a table of learners and scores; returns the workspace folder."""
    console = console or Console()
    workspace = Workspace.init(directory)
    console.print(f"[bold]1.[/] Workspace: {workspace.root}")
    roster = import_roster(workspace, _demo_roster(workspace, learners))
    students = sorted(roster.added + roster.updated + roster.unchanged)
    console.print(f"[bold]2.[/] Roster: {len(students)} synthetic learners enrolled")
    with console.status("Releasing modules with nbgrader ..."):
        released = release(course_dir=workspace.root)
    console.print(f"[bold]3.[/] Released: {', '.join(released.assignments)}")
    for assignment in released.assignments:
        make_submissions(workspace, assignment, students)
    console.print(f"[bold]4.[/] Submissions: {len(students)} per module, varied quality (seed {SEED})")
    for assignment in released.assignments:
        with console.status(f"Grading {assignment} with nbgrader autograde ..."):
            stock.autograde(workspace.root, assignment)
    console.print(f"[bold]5.[/] Graded {len(released.assignments)} module(s) x {len(students)} learners")
    console.print(_score_table(workspace, released.assignments))
    with console.status("Writing the compliance report ..."):
        report = build_report(workspace.root, workspace.root / "report")
    s = report.summary
    console.print(f"[bold]6.[/] Compliance report as of {report.as_of}: {s.certified} of {s.active} certified, "
                  f"{s.overall['overdue']} overdue, {s.awaiting_trainer} module(s) awaiting a trainer; "
                  f"{len(report.certificates)} certificate(s) in {report.out}")
    console.print(f"Workspace: {workspace.root}  (gradebook {workspace.db_url})")
    console.print(f"Open the compliance dashboard: {(report.out / 'dashboard.html').as_uri()}")
    return workspace.root


def _score_table(workspace: Workspace, assignments: list[str]) -> Table:
    table = Table(title="Scores (autograded part; written answers await a trainer)")
    table.add_column("learner")
    table.add_column("name")
    for assignment in assignments:
        table.add_column(assignment, justify="right")
    with workspace.gradebook() as gb:
        for student in sorted(gb.students, key=lambda s: s.id):
            cells = []
            for assignment in assignments:
                try:
                    sub = gb.find_submission(assignment, student.id)
                    cells.append(f"{sub.code_score:g} / {sub.max_code_score:g}")
                except Exception:  # MissingEntry: no submission for this module
                    cells.append("-")
            table.add_row(student.id, f"{student.first_name} {student.last_name}", *cells)
    return table
