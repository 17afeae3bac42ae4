"""Item analysis on demo-style data with one planted item that strong learners miss and weak ones get:
it is flagged for negative discrimination, normal items are not, and no expected answer is shown."""

from __future__ import annotations

import ast
import itertools
import re
import stat
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from course._paths import solutions_dir
from course.compliance.items import (
    Answer,
    _literal_text,
    item_statistics,
    notebook_answers,
    write_items,
)
from course.demo import _demo_roster
from course.grading import simulate
from course.workspace import Workspace

ASSIGNMENT = "01-value-not-noise"
PLANTED = "post_3_value"  # the strong get it wrong, the weak right
NORMAL = ("post_1_value", "post_2_value", "pair_1_doer")

pytestmark = pytest.mark.xdist_group("items")  # one graded workspace for the module, in one worker


def skills(students: list[str]) -> dict[str, float]:
    """Evenly spread ability, weakest first."""
    return {s: 0.1 + 0.85 * i / (len(students) - 1) for i, s in enumerate(students)}


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """20 learners, one module, really graded: each learner answers an item right when their ability is
    above the item's threshold (a different one per item); the planted item is right below it instead."""
    from course.compliance.roster import import_roster
    from course.grading.pipeline import grade
    from course.grading.release import release

    ws = Workspace.init(tmp_path_factory.mktemp("items") / "ws")
    students = sorted(import_roster(ws, _demo_roster(ws, 20)).added)
    release(course_dir=ws.root, assignments=[ASSIGNMENT])
    released = simulate.read(ws.root / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    solution = simulate.read(solutions_dir() / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    answer_ids = list(simulate.answer_cells(released))
    for index, (student, skill) in enumerate(skills(students).items()):
        fills: dict[str, simulate.Fill] = {}
        for j, grade_id in enumerate(answer_ids):
            threshold = 0.3 + 0.4 * j / len(answer_ids)
            right = skill < 0.5 if grade_id == f"{PLANTED}_answer" else skill > threshold
            fills[grade_id] = "right" if right else ("blank" if index % 4 == 0 else "wrong")
        nb = simulate.make_submission(released, solution, fills, learner_id=student)
        target = ws.root / "submitted" / student / ASSIGNMENT
        target.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, target / f"{ASSIGNMENT}.ipynb")
        (target / "timestamp.txt").write_text(f"2026-11-0{1 + index % 9} 09:00:00.000000 UTC", "utf-8")
    grade(ws.root, [ASSIGNMENT])
    return ws


def expected_answers() -> dict[str, str]:
    """The model answers of the module's answer cells, as `name = value` (trainer-side, for the leak check)."""
    solution = simulate.read(solutions_dir() / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    out = {}
    for grade_id, cell in simulate.answer_cells(solution).items():
        if cell.cell_type == "code":
            for node in ast.parse(simulate.solution_region(cell.source)).body:
                if isinstance(node, ast.Assign):
                    out[grade_id] = f"{node.targets[0].id} = {ast.literal_eval(node.value)!r}"
    return out


@pytest.mark.slow
def test_the_planted_item_is_flagged_and_normal_ones_are_not(graded: Workspace, tmp_path: Path) -> None:
    result = write_items(graded.root, tmp_path / "out")
    table = result.table.set_index("item")
    planted = table.loc[PLANTED]
    assert "negative discrimination" in planted["flags"] and planted["discrimination"] < 0
    assert planted["upper_lower"] < 0
    for item in NORMAL:
        row = table.loc[item]
        assert row["flags"] == "", (item, row.to_dict())
        assert row["discrimination"] > 0.3 and 0.2 <= row["difficulty"] <= 0.9
    assert table.loc["post_1_value", "submitted"] == 20
    assert table.loc["post_1_value", "attempted"] < 20  # some learners left it blank
    assert "'(wrong)' (×" in table.loc["post_1_value", "wrong_answers"]
    assert table.loc["explain_actionable_update", "kind"] == "written"

    csv_text = (tmp_path / "out" / "items.csv").read_text("utf-8")
    html = (tmp_path / "out" / "items.html").read_text("utf-8")
    assert csv_text.splitlines()[0].startswith("assignment,notebook,item,kind,points,submitted,attempted,difficulty")
    for answer in expected_answers().values():  # wrong answers only: no model answer anywhere
        assert answer not in html and answer not in csv_text, answer
    assert stat.S_IMODE((tmp_path / "out").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "out" / "items.html").stat().st_mode) == 0o600

    # accessibility basics that need no browser: language, heading order, charts with text and data
    assert '<html lang="en">' in html
    levels = [int(h) for h in re.findall(r"<h([1-6])[ >]", html)]
    assert levels[0] == 1 and all(b - a <= 1 for a, b in itertools.pairwise(levels))
    charts = re.findall(r'<svg [^>]*role="img" aria-labelledby="([^"]+)"', html)
    assert len(charts) == 2
    for ids in charts:
        for part in ids.split():
            assert f'id="{part}"' in html
    assert f"Flagged: {PLANTED} (negative discrimination)" in html
    assert 'tabindex="0" role="region"' in html and "<caption>" in html

    from course.compliance.report import build_report  # the dashboard beside it links the page

    build_report(graded.root, tmp_path / "out", formats=["html"])
    assert '<a href="items.html">item analysis</a>' in (tmp_path / "out" / "dashboard.html").read_text("utf-8")


def test_statistics_on_a_known_table() -> None:
    """Ten learners, six items: the textbook numbers (p, point-biserial, upper-lower) and the flags."""
    rows = []
    for i, student in enumerate("ABCDEFGHIJ"):
        for item, correct in (("good", i >= 4), ("bad", i < 3), ("base1", i >= 2), ("base2", i >= 3),
                              ("base3", i >= 5), ("easy", True)):
            rows.append({"assignment": "m", "notebook": "m", "item": item, "student": student,
                         "score": 1.0 if correct else 0.0, "max_score": 1.0, "cell_type": "code",
                         "needs_manual_grade": False})
    answers = {(s, "m", "m"): {"bad": Answer(True, "x = 'no'")} for s in "DEFGHIJ"}
    table = item_statistics(pd.DataFrame(rows), answers).set_index("item")
    assert list(table.index) == ["good", "bad", "base1", "base2", "base3", "easy"]
    assert table.loc["good", "difficulty"] == 0.6 and table.loc["good", "discrimination"] > 0.5
    assert table.loc["bad", "flags"] == "negative discrimination" and table.loc["bad", "upper_lower"] == -1.0
    assert table.loc["easy", "flags"] == "too easy" and pd.isna(table.loc["easy", "discrimination"])
    assert table.loc["bad", "wrong_answers"] == "x = 'no' (×7)"


@pytest.mark.parametrize(("source", "expected"), [
    ("# Which one?\nanswer = ...\n", Answer(False, None)),
    ("# Which one?\nanswer = 'phone'\n", Answer(True, "answer = 'phone'")),
    ("s = {'b', 'a'}\n", Answer(True, "s = {'a', 'b'}")),
    ("answer = 'ph\n", Answer(True, "(not valid Python)")),
    ("employee_id = 'E1001'\n", Answer(True, None)),  # identifies a person: never shown
])
def test_answer_literals(source: str, expected: Answer) -> None:
    assert _literal_text(source) == expected


def test_a_written_answer_left_as_released_is_not_attempted(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("YOUR ANSWER HERE", metadata={"nbgrader": {"solution": True, "grade": True,
                                                                                 "grade_id": "w"}}),
        nbformat.v4.new_code_cell("a = 1", metadata={"nbgrader": {"solution": True, "grade_id": "a_answer"}}),
        nbformat.v4.new_code_cell("assert a", metadata={"nbgrader": {"grade": True, "grade_id": "a"}}),
    ])
    path = tmp_path / "n.ipynb"
    nbformat.write(nb, path)
    assert notebook_answers(path) == {"w": Answer(False, None), "a": Answer(True, "a = 1")}


@pytest.mark.slow
@pytest.mark.browser
def test_the_page_passes_axe_and_works_with_the_keyboard(graded: Workspace, tmp_path: Path, chromium: object) -> None:
    """axe-core finds nothing serious or critical; Tab reaches each table region (they scroll sideways)."""
    from tests.browser.axe import assert_no_new_findings

    write_items(graded.root, tmp_path / "out")
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto((tmp_path / "out" / "items.html").as_uri())
        report = assert_no_new_findings(page, "items", whole_page_is_ours=True)
        assert report.serious(ours=True) == []
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.getAttribute('aria-label')")
        assert focused == f"Items of {ASSIGNMENT}"
        assert requests == [(tmp_path / "out" / "items.html").as_uri()]  # loads nothing else
    finally:
        context.close()
