"""``course demo``: the whole trainer cycle on synthetic learners, in a workspace under ``var/``.

Creates the workspace, imports the synthetic roster, releases every module, makes one submission per
learner and module (from a fixed seed, of varied quality), grades them with ``course grade``, plays a
trainer who marks most written answers (as formgrader would), prints the scores, and ends with the
compliance report (``course report``) in ``DIR/report/``.
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
from course.final_check import ANSWER_VARIABLE
from course.grading import simulate
from course.grading.pipeline import grade
from course.grading.progress import RichReporter
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
    # the start of today (UTC): stable within a day, so running the demo again changes no submission
    now = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    for index, student in enumerate(students):
        # Each learner has a steady level (some pass everything, some struggle); answers vary by module.
        skill = random.Random(f"{seed}-{student}").choice([0.99, 0.97, 0.93, 0.85, 0.7, 0.5])
        rng = random.Random(f"{seed}-{assignment}-{student}")
        target = workspace.root / "submitted" / student / assignment
        target.mkdir(parents=True, exist_ok=True)
        for released_path in sorted(released_dir.glob("*.ipynb")):
            released = simulate.read(released_path)
            solution = simulate.read(solutions_dir() / assignment / released_path.name)
            fills = {}
            for grade_id, cell in simulate.answer_cells(released).items():
                roll = rng.random()
                fills[grade_id] = "right" if roll < skill else ("wrong" if roll < skill + (1 - skill) / 2 else "blank")
                if ANSWER_VARIABLE in cell.source:
                    fills[grade_id] = "right"  # everyone gives their own employee id in the final check
            submission = simulate.make_submission(released, solution, fills, rng=rng, learner_id=student)
            nbformat.write(submission, target / released_path.name)
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
    graded = grade(workspace.root, released.assignments, reporter=RichReporter(console))
    where = "in the bubblewrap sandbox" if graded.isolation and graded.isolation.sandboxed else "with resource limits"
    console.print(f"[bold]5.[/] Graded {len(released.assignments)} module(s) x {len(students)} learners "
                  f"in {graded.seconds:.0f} s, {where}")
    marked, waiting = mark_written_answers(workspace)
    console.print(f"[bold]6.[/] A trainer marked {marked} written answer(s); {waiting} still wait in formgrader")
    console.print(_score_table(workspace, released.assignments))
    with console.status("Writing the compliance report ..."):
        report = build_report(workspace.root, workspace.root / "report")
    s = report.summary
    console.print(f"[bold]7.[/] Compliance report as of {report.as_of}: {s.certified} of {s.active} certified, "
                  f"{s.overall['overdue']} overdue, {s.awaiting_trainer} module(s) awaiting a trainer; "
                  f"{len(report.certificates)} certificate(s) in {report.out}")
    console.print(f"Workspace: {workspace.root}  (gradebook {workspace.db_url})")
    console.print(f"Open the compliance dashboard: {(report.out / 'dashboard.html').as_uri()}")
    return workspace.root


def mark_written_answers(workspace: Workspace, *, seed: int = SEED, share: float = 0.85) -> tuple[int, int]:
    """Play the trainer: give most written answers a manual score, as formgrader does; the rest wait.

    Returns (marked, still waiting). Scores come from a fixed seed, mostly good marks.
    """
    marked = waiting = 0
    with workspace.gradebook() as gb:
        for assignment in gb.assignments:
            for submission in gb.assignment_submissions(assignment.name):
                rng = random.Random(f"{seed}-manual-{assignment.name}-{submission.student.id}")
                for notebook in submission.notebooks:
                    for g in notebook.grades:
                        if not g.needs_manual_grade:
                            continue
                        if rng.random() < share:
                            g.manual_score = float(rng.choice([g.max_score, g.max_score, g.max_score - 1]))
                            g.needs_manual_grade = False
                            marked += 1
                        else:
                            waiting += 1
        gb.db.commit()
    return marked, waiting


def _score_table(workspace: Workspace, assignments: list[str]) -> Table:
    table = Table(title="Scores (autograded and written; * = a written answer awaits a trainer)",
                  caption="Modules: " + ", ".join(assignments))
    table.add_column("learner")
    table.add_column("name")
    for assignment in assignments:
        table.add_column(assignment[:2], justify="right")  # the module number; the caption names them
    with workspace.gradebook() as gb:
        for student in sorted(gb.students, key=lambda s: s.id):
            cells = []
            for assignment in assignments:
                try:
                    sub = gb.find_submission(assignment, student.id)
                    waiting = "*" if sub.needs_manual_grade else ""
                    cells.append(f"{sub.score:g}/{sub.max_score:g}{waiting}")
                except Exception:  # MissingEntry: no submission for this module
                    cells.append("-")
            table.add_row(student.id, f"{student.first_name} {student.last_name}", *cells)
    return table
