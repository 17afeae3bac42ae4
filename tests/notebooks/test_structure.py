"""Every module follows the course's conventions: metadata, objectives, answer/test pairs, widgets."""

from __future__ import annotations

import re

import pytest

from tests.modules import MODULES, nbgrader_meta, read, solution_notebook

pytestmark = pytest.mark.skipif(not MODULES, reason="no modules in solutions/ yet")


@pytest.fixture(params=MODULES)
def module(request: pytest.FixtureRequest) -> str:
    return request.param


def test_folder_and_notebook_share_a_name(module: str) -> None:
    """Each module folder holds exactly one notebook, named like the folder."""
    notebooks = sorted(p.name for p in solution_notebook(module).parent.glob("*.ipynb"))
    assert notebooks == [f"{module}.ipynb"]


def test_metadata_states_objectives_time_and_pass_mark(module: str) -> None:
    """The notebook metadata and the first cell both state objectives, minutes and the pass mark."""
    nb = read(solution_notebook(module))
    meta = nb.metadata["course"]
    assert meta["module"] == module
    assert meta["title"]
    assert len(meta["objectives"]) >= 3
    assert 10 <= meta["estimated_minutes"] <= 120
    assert 50 <= meta["pass_mark_percent"] <= 100
    first = nb.cells[0]
    assert first.cell_type == "markdown"
    for objective in meta["objectives"]:
        assert objective in first.source, f"objective missing from the first cell: {objective}"
    assert f"{meta['estimated_minutes']} minutes" in first.source
    assert f"{meta['pass_mark_percent']}%" in first.source


def test_setup_cell_is_locked(module: str) -> None:
    """The second cell imports what the notebook needs and is read-only."""
    cell = read(solution_notebook(module)).cells[1]
    meta = nbgrader_meta(cell)
    assert cell.cell_type == "code" and meta.get("locked") and meta.get("grade_id") == "setup"
    assert "from course" in cell.source


def test_answer_cells_pair_with_test_cells(module: str) -> None:
    """Each answer cell is followed by its test cell (id + '_answer'), with a docstring and hidden tests."""
    cells = read(solution_notebook(module)).cells
    autograded = 0
    for index, cell in enumerate(cells):
        meta = nbgrader_meta(cell)
        if not (meta.get("solution") and cell.cell_type == "code"):
            continue
        grade_id = meta["grade_id"]
        assert grade_id.endswith("_answer"), grade_id
        assert re.search(r"^\w+ = \.\.\.", cell.source, re.M), f"{grade_id}: no `name = ...` placeholder line"
        assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source
        test = cells[index + 1]
        test_meta = nbgrader_meta(test)
        assert test_meta.get("grade") and not test_meta.get("solution"), f"{grade_id}: next cell is not a test"
        assert test_meta["grade_id"] == grade_id.removesuffix("_answer")
        assert test_meta.get("points", 0) > 0
        assert test.source.lstrip().startswith('"""'), f"{test_meta['grade_id']}: test cell needs a docstring"
        assert "check_answer(" in test.source
        assert "### BEGIN HIDDEN TESTS" in test.source
        autograded += 1
    assert autograded >= 8, f"{module} has {autograded} autograded items; at least 8 are required"


def test_grade_ids_are_readable_and_unique(module: str) -> None:
    ids = [nbgrader_meta(c)["grade_id"] for c in read(solution_notebook(module)).cells if nbgrader_meta(c)]
    assert len(ids) == len(set(ids))
    for grade_id in ids:
        assert re.fullmatch(r"[a-z][a-z0-9_]{2,60}", grade_id), f"unreadable grade id {grade_id!r}"
        assert not grade_id.startswith("cell-")


def test_has_a_practice_widget(module: str) -> None:
    """Each module offers at least one practice widget from course.widgets."""
    sources = "\n".join(c.source for c in read(solution_notebook(module)).cells if c.cell_type == "code")
    assert re.search(r"\b(practice_scenarios|\w+_panel|\w+_checker|\w+_explorer)\(", sources)


def test_saved_without_outputs(module: str) -> None:
    """Solutions are saved with outputs cleared, so nothing stale or answer-bearing is committed."""
    for cell in read(solution_notebook(module)).cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None
