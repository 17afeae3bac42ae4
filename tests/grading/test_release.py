"""course release: exercises/ is exactly a fresh release of solutions/, and nothing answer-bearing leaks."""

from __future__ import annotations

import importlib
import json
import shutil
from pathlib import Path

import nbformat
import pytest

from course.grading.release import LeakError, ReleaseError, check_course_for_leaks, check_no_leaks, release
from tests.modules import EXERCISES, MODULES, SOLUTIONS

pytestmark = pytest.mark.skipif(not MODULES, reason="no modules in solutions/ yet")


def _tree(root: Path) -> dict[str, object]:
    out: dict[str, object] = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file() and ".ipynb_checkpoints" not in p.parts):
        rel = str(path.relative_to(root))
        out[rel] = json.loads(path.read_text("utf-8")) if path.suffix == ".ipynb" else path.read_bytes()
    return out


@pytest.mark.slow
def test_committed_exercises_match_a_fresh_release(tmp_path: Path) -> None:
    """Releasing solutions/ again reproduces the committed exercises/ file for file (run `make release`)."""
    release(release_dir=tmp_path)
    assert sorted(p.name for p in EXERCISES.iterdir() if p.is_dir()) == MODULES
    assert _tree(EXERCISES) == _tree(tmp_path), "exercises/ drifted from solutions/: run `make release`"


def test_nothing_answer_bearing_in_exercises_or_data() -> None:
    """No solution, hidden test or mark scheme (markers or their lines) is in exercises/ or data/."""
    assert check_course_for_leaks() == []


def test_leak_check_finds_a_copied_solution(tmp_path: Path) -> None:
    """A solution notebook dropped into a release is reported, by marker and by line."""
    module = MODULES[0]
    fake = tmp_path / module
    shutil.copytree(SOLUTIONS / module, fake)
    leaks = check_no_leaks(SOLUTIONS / module, fake)
    assert any("BEGIN SOLUTION" in leak.what for leak in leaks)
    assert any("solution or hidden-test text" in leak.what for leak in leaks)


def test_leak_check_finds_an_answer_line_without_markers(tmp_path: Path) -> None:
    """An answer line pasted into a data file is found even without nbgrader's markers."""
    module = MODULES[0]
    nb = nbformat.read(SOLUTIONS / module / f"{module}.ipynb", as_version=4)
    hidden = next(c.source for c in nb.cells if "### BEGIN HIDDEN TESTS" in c.source)
    line = next(ln.strip() for ln in hidden.split("### BEGIN HIDDEN TESTS")[1].splitlines()
                if len(ln.strip()) >= 12 and not ln.strip().startswith("#"))
    (tmp_path / "notes.txt").write_text(f"remember: {line}\n", "utf-8")
    leaks = check_no_leaks(SOLUTIONS / module, tmp_path / "empty", also=[tmp_path / "notes.txt"])
    assert [leak.path.name for leak in leaks] == ["notes.txt"]


@pytest.mark.slow
def test_a_failed_release_leaves_the_previous_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """When nbgrader fails on a broken source, the earlier release stays in place, untouched."""
    module = MODULES[0]
    solutions = tmp_path / "solutions"
    shutil.copytree(SOLUTIONS / module, solutions / module)
    target = tmp_path / "exercises"
    module_ = importlib.import_module("course.grading.release")  # the package re-exports a function of that name
    monkeypatch.setattr(module_, "solutions_dir", lambda: solutions)
    monkeypatch.setattr(module_, "repo_root", lambda: tmp_path)
    release(release_dir=target)
    before = _tree(target)
    nb_path = solutions / module / f"{module}.ipynb"
    nb = nbformat.read(nb_path, as_version=4)
    answer = next(c for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get("solution")
                  and c.cell_type == "code")
    answer.source += "\n### BEGIN SOLUTION\nunfinished = True"  # no END SOLUTION
    nbformat.write(nb, nb_path)
    with pytest.raises(ReleaseError, match=module):
        release(release_dir=target)
    assert _tree(target) == before


def test_leak_error_lists_the_places() -> None:
    from course.grading.release import Leak

    error = LeakError([Leak(Path("exercises/x.ipynb"), "contains the marker 'BEGIN SOLUTION'")])
    assert "exercises/x.ipynb" in str(error) and "1 answer leak" in str(error)
