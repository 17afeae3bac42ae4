"""Synthetic submissions, made from a released notebook and its solution: for the demo, tests and
benchmarks. Trainer-side only: it reads ``solutions/``, which learners never get.

Each answer cell (an nbgrader solution cell) is filled in one of three ways:

* ``"right"``: the solution's own lines, exactly what a learner who got it right would type;
* ``"blank"``: left as released (the ``...`` placeholder), as a learner who skipped it;
* ``"wrong"``: the placeholder replaced by a different literal of the same type (another option's
  value, a flipped True/False, a set with one member changed, another number).

Written answers (markdown solution cells) get a short synthetic paragraph when ``"right"`` or
``"wrong"``. The result is deterministic for a given ``random.Random``.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import random
import re
from collections.abc import Mapping
from typing import Literal

import nbformat
from nbformat.notebooknode import NotebookNode

Fill = Literal["right", "blank", "wrong"]

_BEGIN, _END = "### BEGIN SOLUTION", "### END SOLUTION"


def _nbgrader(cell: NotebookNode) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def answer_cells(nb: NotebookNode) -> dict[str, NotebookNode]:
    """The notebook's answer cells (nbgrader solution cells), by grade id, in order."""
    return {_nbgrader(c)["grade_id"]: c for c in nb.cells if _nbgrader(c).get("solution")}


def test_points(nb: NotebookNode) -> dict[str, float]:
    """Points of each autograded test cell (grade, not solution), by grade id."""
    return {
        _nbgrader(c)["grade_id"]: float(_nbgrader(c).get("points", 0))
        for c in nb.cells
        if _nbgrader(c).get("grade") and not _nbgrader(c).get("solution")
    }


def solution_region(source: str) -> str:
    """The text between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` (the whole source if none)."""
    if _BEGIN not in source:
        return source
    lines, inside, out = source.splitlines(), False, []
    for line in lines:
        if _BEGIN in line:
            inside = True
        elif _END in line:
            inside = False
        elif inside:
            out.append(line)
    return "\n".join(out)


def _literals(nb: NotebookNode) -> list[object]:
    values: list[object] = []
    for cell in answer_cells(nb).values():
        if cell.cell_type != "code":
            continue
        for node in ast.walk(_parse(solution_region(cell.source))):
            if isinstance(node, ast.Assign):
                with contextlib.suppress(ValueError):
                    values.append(ast.literal_eval(node.value))
    return values


def _parse(source: str) -> ast.Module:
    try:
        return ast.parse(source)
    except SyntaxError:
        return ast.Module(body=[], type_ignores=[])


def _wrong_value(value: object, pool: list[object], rng: random.Random) -> object:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + rng.choice([1, 2, 5])
    if isinstance(value, str):
        # Never another option (an item may accept several, e.g. any channel a rule allows) and
        # never the right text plus a bit (a rewrite would still pass): a value wrong under every policy.
        return "(wrong)"
    if isinstance(value, set | frozenset):
        members = sorted({m for v in pool if isinstance(v, set | frozenset) for m in v} | set(value), key=str)
        changed = set(value)
        if changed and (len(members) == len(changed) or rng.random() < 0.5):
            changed.discard(rng.choice(sorted(changed, key=str)))
        else:
            changed.add(rng.choice([m for m in members if m not in changed] or ["not_a_setting"]))
        return type(value)(changed)
    if isinstance(value, list | tuple):
        return type(value)(reversed(value)) if len(value) > 1 else type(value)()
    return None


def wrong_source(released_source: str, solution_source: str, pool: list[object], rng: random.Random) -> str:
    """The released answer cell with each ``name = ...`` placeholder given a wrong literal."""
    wrong: dict[str, object] = {}
    for node in _parse(solution_region(solution_source)).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                continue
            wrong[node.targets[0].id] = _wrong_value(value, pool, rng)
    out = []
    for line in released_source.splitlines():
        m = re.match(r"^(\s*)([A-Za-z_]\w*)\s*=\s*\.\.\.(.*)$", line)
        if m and m.group(2) in wrong:
            out.append(f"{m.group(1)}{m.group(2)} = {wrong[m.group(2)]!r}{m.group(3)}")
        else:
            out.append(line)
    return "\n".join(out)


def make_submission(
    released: NotebookNode,
    solution: NotebookNode,
    fills: Mapping[str, Fill] | Fill,
    *,
    rng: random.Random | None = None,
) -> NotebookNode:
    """A learner's notebook: ``released`` with each answer cell filled as ``fills`` says.

    ``fills`` maps answer grade ids to a :data:`Fill`, or is one Fill for every cell. Unlisted cells
    stay blank.
    """
    rng = rng or random.Random(0)
    nb = copy.deepcopy(released)
    solution_cells = answer_cells(solution)
    pool = _literals(solution)
    for grade_id, cell in answer_cells(nb).items():
        how = fills if isinstance(fills, str) else fills.get(grade_id, "blank")
        sol = solution_cells.get(grade_id)
        if how == "blank" or sol is None:
            continue
        if cell.cell_type == "markdown":
            cell.source = _WRITTEN[how == "right"]
        elif how == "right":
            cell.source = _placeholder_free(cell.source) + "\n" + solution_region(sol.source)
        else:
            cell.source = wrong_source(cell.source, sol.source, pool, rng)
    return nb


def _placeholder_free(source: str) -> str:
    """The released cell without its ``name = ...`` placeholder lines (comments are kept)."""
    return "\n".join(line for line in source.splitlines() if not re.match(r"^\s*[A-Za-z_]\w*\s*=\s*\.\.\.", line))


_WRITTEN = {
    True: ("Before I post I check who will see it: our internal network shares with the whole company "
           "by default, so I pick my team for team news. Anything about customers stays out of posts."),
    False: "I would just post it, everyone can see it anyway.",
}


def read(path) -> NotebookNode:
    return nbformat.read(path, as_version=4)
