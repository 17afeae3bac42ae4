"""README.md stays true: its module table matches the notebooks, and the commands it names exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.modules import MODULES, nbgrader_meta, read, solution_notebook

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text("utf-8")


def _row(module: str) -> list[str]:
    match = re.search(rf"^\| `{re.escape(module)}` \|(.+)\|$", README, re.M)
    assert match, f"README's module table has no row for {module}"
    return [cell.strip() for cell in match.group(1).split("|")]


@pytest.mark.parametrize("module", MODULES)
def test_module_table_matches_the_notebook(module: str) -> None:
    """Time, pass mark, autograded items and points, and written answers are those of the notebook."""
    nb = read(solution_notebook(module))
    meta = nb.metadata["course"]
    metas = [nbgrader_meta(c) for c in nb.cells]
    tests = [m for m in metas if m.get("grade") and not m.get("solution")]
    written = [c for c in nb.cells if nbgrader_meta(c).get("grade") and nbgrader_meta(c).get("solution")]
    points = sum(t.get("points", 0) for t in tests)
    _, time, pass_mark, items, n_written = _row(module)
    assert time == f"{meta['estimated_minutes']} min"
    assert pass_mark == f"{meta['pass_mark_percent']}%"
    assert items == f"{len(tests)} ({points:g})"
    assert n_written == str(len(written))


def test_every_module_row_is_a_module() -> None:
    rows = re.findall(r"^\| `(\d\d-[a-z0-9-]+)` \|", README, re.M)
    assert rows == MODULES


@pytest.mark.parametrize("target", ["demo", "test", "test-fast", "lab", "release", "bench", "lint"])
def test_make_targets_named_in_the_readme_exist(target: str) -> None:
    makefile = (REPO / "Makefile").read_text("utf-8")
    assert re.search(rf"^{re.escape(target)}:", makefile, re.M)
    assert f"make {target}" in README
