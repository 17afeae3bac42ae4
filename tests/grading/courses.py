"""Real nbgrader courses for the grading tests: a ``nbgrader quickstart`` course and workspaces of
this course's modules, submissions that are right, wrong, partial, blank or tampered with, and the
comparison of two gradebooks and two ``autograded/`` folders."""

from __future__ import annotations

import copy
import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat
from nbformat.notebooknode import NotebookNode

from course.grading import simulate

BIN = Path(sys.executable).parent
QUICKSTART_COURSE = "course101"
QUICKSTART_ASSIGNMENT = "ps1"


def nbgrader(course: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Stock ``nbgrader`` on the command line, in ``course`` (as a trainer runs it)."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    proc = subprocess.run([str(BIN / "nbgrader"), *args], cwd=course, env=env, capture_output=True, text=True,
                          timeout=1800)
    if check and proc.returncode != 0:
        raise AssertionError(f"nbgrader {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return proc


def make_quickstart(parent: Path) -> Path:
    """``nbgrader quickstart`` + ``nbgrader generate_assignment ps1``: a course nbgrader itself made."""
    parent.mkdir(parents=True, exist_ok=True)
    nbgrader(parent, "quickstart", QUICKSTART_COURSE)
    root = parent / QUICKSTART_COURSE
    nbgrader(root, "generate_assignment", QUICKSTART_ASSIGNMENT, "--force")
    return root


def clone(src: Path, dst: Path) -> Path:
    """A copy of a course directory whose settings point at the copy (workspaces store absolute paths)."""
    shutil.copytree(src, dst, symlinks=True)
    for name in ("nbgrader_config.py", "course-workspace.json"):
        path = dst / name
        if path.exists():
            path.write_text(path.read_text("utf-8").replace(str(src), str(dst)), "utf-8")
    return dst


def submit(course: Path, student: str, assignment: str, notebooks: dict[str, NotebookNode | bytes],
           *, timestamp: str | None = "2026-11-20 10:00:00.000000 UTC") -> Path:
    """Write a learner's submission into ``submitted/`` (notebook name -> notebook or raw bytes)."""
    folder = course / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    for name, nb in notebooks.items():
        path = folder / name
        if isinstance(nb, bytes):
            path.write_bytes(nb)
        else:
            nbformat.write(nb, path)
    if timestamp is not None:
        (folder / "timestamp.txt").write_text(timestamp, "utf-8")
    return folder


def meta(cell: NotebookNode) -> dict[str, Any]:
    return cell.get("metadata", {}).get("nbgrader", {})


def find_cell(nb: NotebookNode, grade_id: str) -> int:
    return next(i for i, c in enumerate(nb.cells) if meta(c).get("grade_id") == grade_id)


def check_cell_ids(nb: NotebookNode) -> list[str]:
    return [meta(c)["grade_id"] for c in nb.cells if meta(c).get("grade") and not meta(c).get("solution")]


def answer_ids(nb: NotebookNode) -> list[str]:
    return [meta(c)["grade_id"] for c in nb.cells if meta(c).get("solution") and c.cell_type == "code"]


# -- tampering, as a learner might --------------------------------------------------------------

def delete_cell(nb: NotebookNode, grade_id: str) -> NotebookNode:
    out = copy.deepcopy(nb)
    del out.cells[find_cell(out, grade_id)]
    return out


def edit_cell(nb: NotebookNode, grade_id: str, source: str = "pass  # edited by the learner") -> NotebookNode:
    out = copy.deepcopy(nb)
    out.cells[find_cell(out, grade_id)].source = source
    return out


def duplicate_cell(nb: NotebookNode, grade_id: str, first_source: str | None = None) -> NotebookNode:
    """Two cells with the same grade id; the first copy gets ``first_source`` (nbgrader keeps the last)."""
    out = copy.deepcopy(nb)
    i = find_cell(out, grade_id)
    twin = copy.deepcopy(out.cells[i])
    if out.nbformat_minor >= 5:  # cell ids exist from nbformat 4.5 on, and must be unique
        twin["id"] = f"{twin.get('id', 'cell')}-twin"[:64]
    else:
        twin.pop("id", None)
    if first_source is not None:
        twin.source = first_source
    out.cells.insert(i, twin)
    return out


def unlock_and_inflate(nb: NotebookNode, grade_id: str) -> NotebookNode:
    """A test cell whose metadata the learner edited: unlocked, worth 100 points."""
    out = copy.deepcopy(nb)
    m = out.cells[find_cell(out, grade_id)].metadata.nbgrader
    m["locked"] = False
    m["points"] = 100
    return out


# -- submissions for this course's modules -------------------------------------------------------

def module_submissions(released: NotebookNode, solution: NotebookNode, *, seed: int) -> dict[str, NotebookNode]:
    """Right, wrong, blank, partial and tampered submissions of one module, deterministic per seed."""
    rng = random.Random(seed)
    ids = list(simulate.answer_cells(released))
    right = simulate.make_submission(released, solution, "right", rng=random.Random(seed))
    tests = check_cell_ids(right)
    code_answers = answer_ids(right)
    subs = {
        "right": right,
        "wrong": simulate.make_submission(released, solution, "wrong", rng=random.Random(seed + 1)),
        "blank": simulate.make_submission(released, solution, "blank", rng=random.Random(seed + 2)),
        "partial": simulate.make_submission(
            released, solution, {g: rng.choice(["right", "wrong", "blank"]) for g in ids}, rng=random.Random(seed + 3)),
        "deleted-test": delete_cell(right, tests[0]),
        "edited-test": edit_cell(right, tests[1]),
        "duplicated-answer": duplicate_cell(right, code_answers[0], first_source="x = 'a first copy'"),
        "inflated-test": unlock_and_inflate(right, tests[-1]),
    }
    return subs


# -- comparing results ---------------------------------------------------------------------------

def gradebook_dump(db_url: str, assignments: list[str] | None = None) -> dict[tuple, tuple]:
    """Every grade, comment, notebook penalty and submission timestamp in a gradebook."""
    from nbgrader.api import Comment, Grade, Gradebook, SubmittedAssignment, SubmittedNotebook

    out: dict[tuple, tuple] = {}
    with Gradebook(db_url) as gb:
        for g in gb.db.query(Grade).all():
            n = g.notebook
            key = ("grade", n.assignment.assignment.name, n.assignment.student_id, n.notebook.name, g.cell.name)
            out[key] = (g.auto_score, g.manual_score, g.extra_credit, g.needs_manual_grade)
        for c in gb.db.query(Comment).all():
            n = c.notebook
            key = ("comment", n.assignment.assignment.name, n.assignment.student_id, n.notebook.name, c.cell.name)
            out[key] = (c.auto_comment, c.manual_comment)
        for n in gb.db.query(SubmittedNotebook).all():
            out[("notebook", n.assignment.assignment.name, n.assignment.student_id, n.notebook.name)] = (
                n.late_submission_penalty, n.flagged)
        for s in gb.db.query(SubmittedAssignment).all():
            out[("submission", s.assignment.name, s.student_id)] = (str(s.timestamp), str(s.extension), s.score)
    if assignments is not None:
        out = {k: v for k, v in out.items() if k[1] in assignments}
    return out


def totals(db_url: str) -> dict[tuple[str, str], tuple[float, float]]:
    """(assignment, student) -> (score, max score), from nbgrader's own API."""
    from nbgrader.api import Gradebook

    with Gradebook(db_url) as gb:
        return {(s.assignment.name, s.student_id): (s.score, s.max_score)
                for a in gb.assignments for s in gb.assignment_submissions(a.name)}


def _normal(nb: dict) -> dict:
    """A notebook without what differs between two executions of the same code."""
    nb = copy.deepcopy(nb)
    nb.get("metadata", {}).pop("widgets", None)
    for cell in nb.get("cells", []):
        cell.get("metadata", {}).pop("execution", None)
        if "was missing from the submission" in "".join(cell.get("source", "")):
            cell.pop("id", None)  # a cell nbgrader put back gets a random id in each run
        merged: list[dict] = []
        for output in cell.get("outputs", []):  # how print() text is split into messages is timing
            if output.get("output_type") == "stream" and merged and merged[-1].get("output_type") == "stream" \
                    and merged[-1].get("name") == output.get("name"):
                merged[-1]["text"] = "".join(merged[-1]["text"]) + "".join(output["text"])
            else:
                merged.append(output)
        if "outputs" in cell:
            cell["outputs"] = merged
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                output["text"] = "".join(output["text"])
            view = output.get("data", {}).get("application/vnd.jupyter.widget-view+json")
            if view:
                view["model_id"] = "<widget>"
            if output.get("output_type") == "error":
                output["traceback"] = "<traceback>"
    return nb


def autograded_tree(course: Path) -> dict[str, Any]:
    """Every file under ``autograded/``: notebooks normalised, other files as bytes, with modes."""
    out: dict[str, Any] = {}
    base = course / "autograded"
    for path in sorted(base.rglob("*")):
        if path.is_file():
            rel = path.relative_to(base).as_posix()
            data = _normal(json.loads(path.read_bytes())) if path.suffix == ".ipynb" else path.read_bytes()
            out[rel] = (data, oct(path.stat().st_mode & 0o777))
    return out


def diff(a: dict, b: dict) -> list[tuple[Any, Any, Any]]:
    return [(k, a.get(k), b.get(k)) for k in sorted(set(a) | set(b), key=str) if a.get(k) != b.get(k)]


# -- submissions for the quickstart course -------------------------------------------------------

WRONG_SQUARES = "def squares(n):\n    return [0] * n"
WRONG_SUM = "def sum_of_squares(n):\n    return 1"


def quickstart_submissions(course: Path) -> dict[str, dict[str, NotebookNode | bytes]]:
    """Learners of the quickstart's ps1: right, wrong, partial, blank, tampered and broken ones."""
    def nb(step: str, name: str) -> NotebookNode:
        return nbformat.read(course / step / QUICKSTART_ASSIGNMENT / f"{name}.ipynb", as_version=4)

    right1, right2 = nb("source", "problem1"), nb("source", "problem2")
    blank1, blank2 = nb("release", "problem1"), nb("release", "problem2")
    wrong1 = edit_cell(edit_cell(blank1, "squares", WRONG_SQUARES), "sum_of_squares", WRONG_SUM)
    partial1 = edit_cell(blank1, "squares", right1.cells[find_cell(right1, "squares")].source)
    return {
        "right": {"problem1.ipynb": right1, "problem2.ipynb": right2},
        "blank": {"problem1.ipynb": blank1, "problem2.ipynb": blank2},
        "wrong": {"problem1.ipynb": wrong1, "problem2.ipynb": blank2},
        "partial": {"problem1.ipynb": partial1, "problem2.ipynb": right2},
        "deleted-test": {"problem1.ipynb": delete_cell(right1, "correct_squares"), "problem2.ipynb": right2},
        "edited-test": {"problem1.ipynb": edit_cell(wrong1, "correct_sum_of_squares"), "problem2.ipynb": blank2},
        "edited-locked": {"problem1.ipynb": edit_cell(right1, "jupyter", "I changed the instructions."),
                          "problem2.ipynb": right2},
        "duplicated-answer": {"problem1.ipynb": duplicate_cell(right1, "squares", WRONG_SQUARES),
                              "problem2.ipynb": right2},
        "inflated-test": {"problem1.ipynb": unlock_and_inflate(wrong1, "correct_squares"), "problem2.ipynb": blank2},
        "missing-notebook": {"problem1.ipynb": right1},
        "not-json": {"problem1.ipynb": right1, "problem2.ipynb": b"{ this is not json"},
        "empty-file": {"problem1.ipynb": b"", "problem2.ipynb": right2},
    }


#: Submitted after the due date (the course's late penalty makes them score zero).
LATE = {"late": "2026-11-21 09:30:00.000000 UTC"}


def submit_quickstart(course: Path) -> list[str]:
    """Write every quickstart submission (plus a late one and one without a timestamp); their ids."""
    subs = quickstart_submissions(course)
    for student, notebooks in subs.items():
        submit(course, student, QUICKSTART_ASSIGNMENT, notebooks)
    submit(course, "late", QUICKSTART_ASSIGNMENT, subs["right"], timestamp=LATE["late"])
    submit(course, "no-timestamp", QUICKSTART_ASSIGNMENT, subs["partial"], timestamp=None)
    return [*subs, "late", "no-timestamp"]
