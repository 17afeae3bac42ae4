"""The grading round trip with real nbgrader: release, submit, autograde, read scores from the gradebook.

For every module: the solution scores full marks on every autograded item, the untouched exercise
scores zero, a partly answered one scores exactly the items answered right, and a notebook whose
test cell was deleted is still graded on that item (nbgrader restores it from the gradebook).
"""

from __future__ import annotations

import random

import nbformat
import pytest

from course.grading import simulate, stock
from course.grading.release import release
from course.workspace import Workspace
from tests.modules import MODULES, SOLUTIONS

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not MODULES, reason="no modules in solutions/ yet")]


def _submit(ws: Workspace, student: str, module: str, nb: nbformat.NotebookNode) -> None:
    folder = ws.root / "submitted" / student / module
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / f"{module}.ipynb")
    (folder / "timestamp.txt").write_text("2026-11-20 10:00:00.000000 UTC", "utf-8")


def _scores(ws: Workspace, module: str, student: str) -> dict[str, float]:
    """Autograded score per test cell, read back from the gradebook."""
    with ws.gradebook() as gb:
        notebook = gb.find_submission_notebook(module, module, student)
        return {g.name: g.score for g in notebook.grades if g.cell.cell_type == "code"}


@pytest.fixture(scope="module", params=MODULES)
def graded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """One workspace per module with four submissions, graded once by `nbgrader autograde`."""
    module = request.param
    ws = Workspace.init(tmp_path_factory.mktemp(module) / "ws")
    release(course_dir=ws.root, assignments=[module])
    released = simulate.read(ws.root / "release" / module / f"{module}.ipynb")
    solution = simulate.read(SOLUTIONS / module / f"{module}.ipynb")
    points = simulate.test_points(solution)
    answers = list(simulate.answer_cells(released))
    code_answers = [a for a in answers if a.removesuffix("_answer") in points]
    rng = random.Random(7)
    # The first answer may set up the others (07's employee id draws the paper), so it is always right.
    right = {code_answers[0], *rng.sample(code_answers[1:], k=len(code_answers) // 2)}
    wrong = set(rng.sample(sorted(set(code_answers) - right), k=min(2, len(code_answers) - len(right))))
    fills = {a: ("right" if a in right else "wrong" if a in wrong else "blank") for a in answers}

    _submit(ws, "all_right", module, simulate.make_submission(released, solution, "right"))
    _submit(ws, "untouched", module, released)
    _submit(ws, "partial", module, simulate.make_submission(released, solution, fills, rng=rng))
    deleted = simulate.make_submission(released, solution, "right")
    victim = sorted(points)[0]
    deleted.cells = [c for c in deleted.cells if simulate._nbgrader(c).get("grade_id") != victim]
    _submit(ws, "deleted_test", module, deleted)

    stock.autograde(ws.root, module)
    return {"ws": ws, "module": module, "points": points, "right": right, "victim": victim}


def test_solution_scores_full_marks(graded: dict) -> None:
    """The solution earns every point of every autograded item."""
    assert _scores(graded["ws"], graded["module"], "all_right") == graded["points"]


def test_untouched_exercise_scores_zero(graded: dict) -> None:
    """An exercise submitted as released earns nothing."""
    scores = _scores(graded["ws"], graded["module"], "untouched")
    assert set(scores) == set(graded["points"])
    assert sum(scores.values()) == 0


def test_partial_scores_exactly_the_items_answered_right(graded: dict) -> None:
    """Half the items right, two wrong, the rest blank: exactly the right ones earn their points."""
    expected = {test: (pts if f"{test}_answer" in graded["right"] else 0.0) for test, pts in graded["points"].items()}
    assert _scores(graded["ws"], graded["module"], "partial") == expected
    assert 0 < sum(expected.values()) < sum(graded["points"].values())


def test_deleted_test_cell_is_restored_and_graded(graded: dict) -> None:
    """A learner who deletes a test cell is still graded on it: nbgrader restores it from the gradebook."""
    scores = _scores(graded["ws"], graded["module"], "deleted_test")
    assert graded["victim"] in scores
    assert scores == graded["points"]


def test_written_answers_wait_for_a_trainer(graded: dict) -> None:
    """Manually graded written answers are flagged for a trainer, not scored by the autograder."""
    with graded["ws"].gradebook() as gb:
        sub = gb.find_submission(graded["module"], "all_right")
        manual = [g for nb in sub.notebooks for g in nb.grades if g.cell_type == "markdown"]
        if manual:
            assert sub.needs_manual_grade
            assert all(g.auto_score is None for g in manual)
