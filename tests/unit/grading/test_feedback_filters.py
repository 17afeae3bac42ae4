"""What feedback keeps from an autograded notebook: no hidden test or mark scheme, errors reduced to
what reveals nothing, and a table saying which checks passed."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from course.grading.feedback import FeedbackLeakError, HideHiddenTests, ResultsSummary, _check_leaks, visible_text

HIDDEN = 'assert same(draft_1_audience, "my_team")'


def _test_cell(grade_id: str, source: str, outputs: list, score: float, points: float = 1) -> nbformat.NotebookNode:
    cell = new_code_cell(source, outputs=outputs)
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "grade_id": grade_id,
                                 "points": points, "score": score, "schema_version": 3}
    return cell


def _notebook() -> nbformat.NotebookNode:
    failing = _test_cell("draft_1", f'"""Draft 1 goes to the widest allowed audience."""\n'
                         f'check_answer("draft_1", draft_1_audience)\n### BEGIN HIDDEN TESTS\n{HIDDEN}\n'
                         "### END HIDDEN TESTS", [
                             new_output("stream", name="stdout", text="expected my_team\n"),
                             new_output("error", ename="AssertionError", evalue="",
                                        traceback=["Traceback", f"----> 3 {HIDDEN}"])], score=0)
    leaky = _test_cell("draft_2", "### BEGIN HIDDEN TESTS\nassert x == 'secret_value_42', 'wanted secret_value_42'\n"
                       "### END HIDDEN TESTS", [new_output("error", ename="AssertionError",
                                                           evalue="wanted secret_value_42", traceback=[])], score=0)
    passing = _test_cell("shift_enter", '"""What Shift+Enter does."""\nassert True', [], score=1)
    rubric = new_markdown_cell("Marking guide\n### BEGIN MARK SCHEME\nGive 3 points for naming the audience.\n"
                               "### END MARK SCHEME")
    rubric.metadata["nbgrader"] = {"grade": False, "solution": False, "locked": True, "grade_id": "rubric",
                                   "schema_version": 3}
    return new_notebook(cells=[rubric, failing, leaky, passing])


def _run(nb: nbformat.NotebookNode) -> tuple[nbformat.NotebookNode, dict]:
    resources: dict = {"nbgrader": {"score": 1, "max_score": 3}}
    nb, resources = HideHiddenTests()(nb, resources)
    return ResultsSummary()(nb, resources)


def test_hidden_tests_and_mark_schemes_are_cut_with_what_their_output_reveals() -> None:
    """No hidden line, rubric or traceback remains; the visible part and the error's name stay."""
    nb, resources = _run(_notebook())
    text = nbformat.writes(nb)
    assert HIDDEN not in text and "BEGIN HIDDEN" not in text and "Give 3 points" not in text
    assert "secret_value_42" not in text and "expected my_team" not in text
    failing = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "draft_1")
    assert 'check_answer("draft_1", draft_1_audience)' in failing.source
    assert [o.ename for o in failing.outputs] == ["AssertionError"]
    assert HIDDEN in resources["course_secrets"]


def test_the_results_table_says_which_checks_passed() -> None:
    """A first cell lists each check by its docstring with passed / not passed and its points."""
    nb, _ = _run(_notebook())
    summary = nb.cells[0].source
    assert summary.startswith("## Your results") and "Score: **1 of 3** points" in summary
    assert "| Draft 1 goes to the widest allowed audience. | ✘ not passed | 0 / 1 |" in summary
    assert "| What Shift+Enter does. | ✔ passed | 1 / 1 |" in summary
    assert "| draft_2 | ✘ not passed | 0 / 1 |" in summary


def test_a_page_still_showing_a_hidden_line_is_refused(tmp_path: Path) -> None:
    """The last check reads the page as text (code highlighting splits lines into spans)."""
    page = '<pre><span class="k">assert</span> <span class="n">same</span>(draft_1_audience, &quot;my_team&quot;)</pre>'
    assert HIDDEN in visible_text(page)
    with pytest.raises(FeedbackLeakError, match="hidden-test text"):
        _check_leaks(page, [HIDDEN], tmp_path / "module.ipynb")
    _check_leaks("<p>nothing to see</p>", [HIDDEN], tmp_path / "module.ipynb")
