"""What the tests know about the course's modules: found from solutions/, never listed by hand."""

from __future__ import annotations

from pathlib import Path

import nbformat

from course.grading.release import find_assignments

REPO = Path(__file__).resolve().parent.parent
SOLUTIONS = REPO / "solutions"
EXERCISES = REPO / "exercises"

MODULES = find_assignments(SOLUTIONS) if SOLUTIONS.is_dir() else []


def solution_notebook(module: str) -> Path:
    return SOLUTIONS / module / f"{module}.ipynb"


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def nbgrader_meta(cell: nbformat.NotebookNode) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})
