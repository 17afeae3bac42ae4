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


def _source_of(value: object) -> str:
    """``repr(value)``, but a set's members in sorted order: a set's own order changes from one Python
    process to the next, and the same learner must write the same bytes every time."""
    if isinstance(value, set | frozenset):
        if not value:
            return "set()" if isinstance(value, set) else "frozenset()"
        inner = "{" + ", ".join(sorted(repr(m) for m in value)) + "}"
        return inner if isinstance(value, set) else f"frozenset({inner})"
    return repr(value)


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
            out.append(f"{m.group(1)}{m.group(2)} = {_source_of(wrong[m.group(2)])}{m.group(3)}")
        else:
            out.append(line)
    return "\n".join(out)


def make_submission(
    released: NotebookNode,
    solution: NotebookNode,
    fills: Mapping[str, Fill] | Fill,
    *,
    rng: random.Random | None = None,
    learner_id: str | None = None,
) -> NotebookNode:
    """A learner's notebook: ``released`` with each answer cell filled as ``fills`` says.

    ``fills`` maps answer grade ids to a :data:`Fill`, or is one Fill for every cell. Unlisted cells
    stay blank. With ``learner_id``, a final check (a notebook that asks for the employee id) is
    answered as that learner would: their own id, and "right" means right for *their* paper.
    """
    rng = rng or random.Random(0)
    nb = copy.deepcopy(released)
    solution_cells = answer_cells(solution)
    pool = _literals(solution)
    own = paper_answers(solution, learner_id) if learner_id is not None else {}
    for grade_id, cell in answer_cells(nb).items():
        how = fills if isinstance(fills, str) else fills.get(grade_id, "blank")
        sol = solution_cells.get(grade_id)
        if how == "blank" or sol is None:
            continue
        if cell.cell_type == "markdown":
            cell.source = _WRITTEN[how == "right"]
        elif how == "right":
            region = solution_region(sol.source)
            names = [n.targets[0].id for n in _parse(region).body if isinstance(n, ast.Assign)
                     and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name)]
            if own and names and all(name in own for name in names):
                region = "\n".join(f"{name} = {_source_of(own[name])}" for name in names)
            cell.source = _placeholder_free(cell.source) + "\n" + region
        else:
            cell.source = wrong_source(cell.source, sol.source, pool, rng)
    return nb


class _Probe:
    """Stands in for an answer while a hidden test works out what it expects."""


def paper_answers(solution: NotebookNode, learner_id: str) -> dict[str, object]:
    """For a final check: the right answer to each question of ``learner_id``'s own paper, by answer
    name, worked out by the solution's hidden tests themselves (they compute ``expected`` from the
    paper and the company's policies, then assert). Empty for any other notebook."""
    from course.final_check import ANSWER_VARIABLE

    answers = answer_cells(solution)
    if not any(ANSWER_VARIABLE in c.source for c in answers.values() if c.cell_type == "code"):
        return {}
    out: dict[str, object] = {ANSWER_VARIABLE: learner_id}
    for cell in solution.cells:
        meta = _nbgrader(cell)
        if cell.cell_type != "code" or not meta.get("grade") or meta.get("solution"):
            continue
        hidden = _hidden_part(cell.source)
        if not hidden:
            continue
        names = {n.id for n in ast.walk(_parse(cell.source)) if isinstance(n, ast.Name)}
        targets = sorted(n for n in names if n != ANSWER_VARIABLE and any(
            re.search(rf"^\s*{re.escape(n)}\s*=", c.source, re.M) for c in answers.values()))
        if len(targets) != 1:
            continue
        namespace: dict[str, object] = {ANSWER_VARIABLE: learner_id, targets[0]: _Probe()}
        try:
            exec(compile(hidden, f"<hidden test {meta.get('grade_id')}>", "exec"), namespace)  # trusted author code
        except AssertionError:
            pass  # the probe is not the answer: ``expected`` is set by now
        except Exception:
            continue  # no paper for this id (not an employee id): that question keeps the model answer
        if "expected" in namespace:
            want = namespace["expected"]
            out[targets[0]] = want[0] if isinstance(want, list) else want
    return out


def _hidden_part(source: str) -> str:
    begin, end = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
    if begin not in source:
        return ""
    return source.split(begin, 1)[1].split(end, 1)[0]


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
