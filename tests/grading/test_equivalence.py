"""``course grade`` gives the scores stock ``nbgrader autograde`` gives, cell by cell.

The same submissions are graded twice, in two copies of one course: by ``nbgrader autograde`` on
the command line and by :func:`course.grading.grade` with two workers. Every grade (auto score,
manual score, needs-manual-grade flag), comment, late penalty and submission timestamp in the two
gradebooks must be equal, and so must every file under ``autograded/`` (notebooks compared without
what changes between two runs of the same code: timings, widget ids, traceback text).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from course.grading import grade
from course.grading.state import GRADED, NEEDS_MANUAL, NOT_GRADABLE
from tests.grading import courses
from tests.grading.conftest import GRADED_MODULES
from tests.modules import SOLUTIONS

pytestmark = pytest.mark.slow


#: Stock nbgrader 0.9 cannot grade a notebook with a duplicated graded cell: its DeduplicateIds
#: leaves metadata that CheckCellMetadata rejects, and that error stops the whole batch. Stock
#: grades the others without it; ours grades it too, on the copy nbgrader keeps (the last).
DUPLICATED = "duplicated-answer"


def _both(course: Path, tmp_path: Path, assignments: list[str]) -> tuple[Path, Path]:
    stock = courses.clone(course, tmp_path / "stock")
    shutil.rmtree(stock / "submitted" / DUPLICATED)
    for assignment in assignments:
        courses.nbgrader(stock, "autograde", assignment, check=False)  # exits 1 when a submission fails
    return stock, course


def _assert_same(stock: Path, ours: Path) -> None:
    """Same gradebook rows and same autograded files, apart from the duplicated-cell submission."""
    ours_db = {k: v for k, v in courses.gradebook_dump(_db(ours)).items() if k[2] != DUPLICATED}
    assert courses.diff(courses.gradebook_dump(_db(stock)), ours_db) == []
    ours_tree = {k: v for k, v in courses.autograded_tree(ours).items() if not k.startswith(f"{DUPLICATED}/")}
    assert courses.diff(courses.autograded_tree(stock), ours_tree) == []


def _db(course: Path) -> str:
    return f"sqlite:///{course / 'gradebook.db'}"


def test_quickstart_course_scores_equal_stock_nbgrader(quickstart: Path, tmp_path: Path) -> None:
    """On a course made by `nbgrader quickstart`, with right, wrong, partial, blank, late, tampered and
    broken submissions, both gradebooks and both autograded folders are identical."""
    students = courses.submit_quickstart(quickstart)
    stock, ours = _both(quickstart, tmp_path, [courses.QUICKSTART_ASSIGNMENT])

    report = grade(ours, jobs=2)

    _assert_same(stock, ours)
    by = {r.student: r for r in report.results}
    assert sorted(by) == sorted(students)
    # the comparison is not vacuous: these outcomes really differ from each other
    totals = courses.totals(_db(ours))
    assert totals[("ps1", "right")][0] > totals[("ps1", "partial")][0] > totals[("ps1", "blank")][0] == 0
    # late: the course's "zero" penalty takes the whole score away
    assert by["late"].late and by["late"].late_penalty == totals[("ps1", "late")][0] > 0
    assert {s for s, r in by.items() if r.status == NOT_GRADABLE} == {"not-json", "empty-file"}
    assert "not valid JSON" in by["not-json"].reason and by["not-json"].reason.startswith("problem2.ipynb")
    assert by["right"].status == NEEDS_MANUAL  # the quickstart has written answers
    assert any("missing notebook problem2.ipynb" in f for f in by["missing-notebook"].flags)
    assert any("correct_squares deleted" in f for f in by["deleted-test"].flags)
    assert any("duplicated" in f for f in by[DUPLICATED].flags)
    assert totals[("ps1", DUPLICATED)] == totals[("ps1", "right")]  # graded on the copy nbgrader keeps
    assert any("jupyter edited" in f for f in by["edited-locked"].flags)


@pytest.mark.skipif(not GRADED_MODULES, reason="no modules in solutions/ yet")
def test_course_modules_scores_equal_stock_nbgrader(module_workspace: Path, tmp_path: Path) -> None:
    """On this course's own modules (deleted test cells restored by nbgrader), right, wrong, blank,
    partial and tampered submissions get identical gradebooks and autograded notebooks."""
    from course.grading import simulate

    expected_students = []
    for i, module in enumerate(GRADED_MODULES):
        released = simulate.read(module_workspace / "release" / module / f"{module}.ipynb")
        solution = simulate.read(SOLUTIONS / module / f"{module}.ipynb")
        for kind, nb in courses.module_submissions(released, solution, seed=10 + i).items():
            courses.submit(module_workspace, kind, module, {f"{module}.ipynb": nb})
            expected_students.append((module, kind))
    stock, ours = _both(module_workspace, tmp_path, GRADED_MODULES)

    report = grade(ours, jobs=2)

    _assert_same(stock, ours)
    assert sorted((r.assignment, r.student) for r in report.results) == sorted(expected_students)
    assert all(r.status in {GRADED, NEEDS_MANUAL} for r in report.results)
    totals = courses.totals(_db(ours))
    for module in GRADED_MODULES:
        right, blank = totals[(module, "right")][0], totals[(module, "blank")][0]
        assert right > totals[(module, "wrong")][0] and blank == 0
        # nbgrader puts the deleted test back, so deleting it gains nothing and loses nothing
        assert totals[(module, "deleted-test")] == totals[(module, "right")]
        assert totals[(module, "inflated-test")][1] == totals[(module, "right")][1]
    flags = {(r.assignment, r.student): r.flags for r in report.results}
    for module in GRADED_MODULES:
        assert any("deleted" in f for f in flags[(module, "deleted-test")])
        assert any("edited" in f for f in flags[(module, "edited-test")])
        assert any("duplicated" in f for f in flags[(module, DUPLICATED)])
        assert totals[(module, DUPLICATED)] == totals[(module, "right")]
        assert flags[(module, "right")] == []
