"""The final check is drawn per employee id: `course grade` flags a paper drawn for someone else's id.

Real nbgrader, real kernels: the final check is released into a workspace, three learners submit
(their own id; a colleague's id with the colleague's right answers; their own id in lower case), and
each is graded. Scores are nbgrader's; only the flag tells the trainer about the copied paper.
"""

from __future__ import annotations

import csv
from pathlib import Path

import nbformat
import pytest

from course.grading import grade, simulate
from course.grading.prepare import paper_flags
from course.grading.release import release
from course.workspace import Workspace

REPO = Path(__file__).resolve().parents[2]
MODULE = "07-final-check"

pytestmark = pytest.mark.slow


def _nb(*sources: str) -> dict:
    return {"cells": [{"cell_type": "code", "source": s} for s in sources]}


def test_paper_flags_compare_the_declared_id_with_the_learner() -> None:
    assert paper_flags(_nb('my_employee_id = "E1002"'), "E1001") == [
        "the paper was drawn for employee id E1002, not for this learner's id E1001"]
    assert paper_flags(_nb('my_employee_id = " e1001 "'), "E1001") == []
    assert paper_flags(_nb("my_employee_id = ..."), "E1001") == []  # unanswered: nothing was drawn
    assert paper_flags(_nb('x = "E1002"'), "E1001") == []  # not a final check
    assert paper_flags(_nb('my_employee_id = "E1001"', 'my_employee_id = "E1003"'), "e1001") == [
        "the paper was drawn for employee id E1003, not for this learner's id e1001"]


def test_a_copied_paper_is_flagged_and_own_papers_are_not(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "ws")
    release(course_dir=ws.root, assignments=[MODULE])
    released = simulate.read(ws.root / "release" / MODULE / f"{MODULE}.ipynb")
    solution = simulate.read(REPO / "solutions" / MODULE / f"{MODULE}.ipynb")
    papers = {
        "E1002": simulate.make_submission(released, solution, "right", learner_id="E1002"),
        "E1003": simulate.make_submission(released, solution, "right", learner_id="E1002"),  # copies E1002
        "E1004": simulate.make_submission(released, solution, "right", learner_id="e1004"),
    }
    for student, nb in papers.items():
        folder = ws.root / "submitted" / student / MODULE
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{MODULE}.ipynb")
    report = grade(ws.root)
    rows = {r["student_id"]: r for r in csv.DictReader((ws.root / "grading-status.csv").open(encoding="utf-8"))}
    assert {r.student for r in report.results} == set(papers)
    for student in papers:  # right for the paper each one answered: full marks from nbgrader
        assert float(rows[student]["score"]) == float(rows[student]["max_score"]) > 0, rows[student]
    assert "paper was drawn for employee id E1002, not for this learner's id E1003" in rows["E1003"]["integrity_flags"]
    assert "paper was drawn" not in rows["E1002"]["integrity_flags"] + rows["E1004"]["integrity_flags"]
