"""Which graded items follow the company's policy, and which are judgement calls to review when it changes.

Reads the hidden tests in ``solutions/`` and prints one table per module (Markdown), for the README's
"Use your own policy" section and for course owners who swap in their own policy::

    .venv/bin/python tools/policy_items.py            # every module
    .venv/bin/python tools/policy_items.py 02-privacy-and-audiences

It only reads notebooks, so it is safe to run again at any time. How an item is classified:

``policy``
    its hidden test reads the policy (``policies...``): re-checked automatically under any policy.
``judgement call + policy``
    marked ``# judgement call`` (what the situation is) and reads the policy (what to do about it):
    the policy part follows automatically; review the judgement when your policy's categories change.
``judgement call``
    marked ``# judgement call`` and fixed in the hidden test: review it when the policy changes.
``written``
    a written answer marked by a trainer with the rubric in the solution: review the rubric.
``course data``
    worked out from the course's own data files (case library, activity log, listening week):
    does not depend on the policy.
``course fact``
    marked ``# course fact``: a fact about the course itself (how notebooks work), the same for every company.
``unmarked``
    none of the above: a fixed answer that is neither read from the policy nor marked. Every item
    should be one of the kinds above (``tests/unit/test_policy_items.py`` checks).
"""

from __future__ import annotations

import argparse
import io
import re
import sys
import tokenize
from dataclasses import dataclass
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parent.parent
SOLUTIONS = REPO / "solutions"

POLICY = "policy"
JUDGEMENT_AND_POLICY = "judgement call + policy"
JUDGEMENT = "judgement call"
WRITTEN = "written"
DATA = "course data"
COURSE_FACT = "course fact"
UNMARKED = "unmarked"

#: What a course owner does with each kind when the policy changes, in the order tables list them.
ADVICE = {
    POLICY: "nothing: re-checked from your policy",
    JUDGEMENT_AND_POLICY: "review the situation; the answer follows your policy",
    JUDGEMENT: "review: the expected answer is fixed in the hidden test",
    WRITTEN: "review the rubric in the solution",
    DATA: "nothing: worked out from the course's data files",
    COURSE_FACT: "nothing: the same for every company",
    UNMARKED: "mark it (policy, # judgement call or # course fact)",
}

_HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS(.*?)### END HIDDEN TESTS", re.S)
_READS_POLICY = re.compile(r"\b\w*policies\b|\bcourse\.policy\b")
_JUDGEMENT = re.compile(r"#.*\bjudgement call\b", re.I)
_COURSE_FACT = re.compile(r"#.*\bcourse fact\b", re.I)
_READS_DATA = re.compile(r"\b(load_cases|load_activity_log|load_moderation_scenarios|course\.cases|"
                         r"course\.moderation)\b")


@dataclass(frozen=True)
class Item:
    """One graded item of a module: its grade id, points and kind."""

    module: str
    grade_id: str
    points: float
    kind: str

    @property
    def advice(self) -> str:
        return ADVICE[self.kind]


def _code_only(source: str) -> str:
    """``source`` without its comments, so a comment that mentions the policy does not count as reading it."""
    try:
        tokens = [t for t in tokenize.generate_tokens(io.StringIO(source).readline) if t.type != tokenize.COMMENT]
        return tokenize.untokenize(tokens)
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return re.sub(r"#[^\n]*", "", source)


def classify(hidden_tests: str) -> str:
    """The kind of an autograded item, from the source of its hidden tests."""
    policy = bool(_READS_POLICY.search(_code_only(hidden_tests)))
    if _JUDGEMENT.search(hidden_tests):
        return JUDGEMENT_AND_POLICY if policy else JUDGEMENT
    if policy:
        return POLICY
    if _COURSE_FACT.search(hidden_tests):
        return COURSE_FACT
    if _READS_DATA.search(hidden_tests):
        return DATA
    return UNMARKED


def module_items(notebook: Path) -> list[Item]:
    """Every graded item of one solution notebook, in notebook order."""
    nb = nbformat.read(notebook, as_version=4)
    items: list[Item] = []
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if not meta.get("grade"):
            continue
        kind = WRITTEN if cell.cell_type == "markdown" else classify("\n".join(_HIDDEN.findall(cell.source)))
        items.append(Item(notebook.parent.name, meta["grade_id"], float(meta.get("points", 0)), kind))
    return items


def modules(solutions: Path = SOLUTIONS) -> list[str]:
    """Module folders (``NN-name``) that hold their notebook, in order."""
    return sorted(p.parent.name for p in solutions.glob("[0-9][0-9]-*/*.ipynb") if p.stem == p.parent.name)


def all_items(solutions: Path = SOLUTIONS, only: list[str] | None = None) -> list[Item]:
    chosen = only or modules(solutions)
    return [item for module in chosen for item in module_items(solutions / module / f"{module}.ipynb")]


def _points(value: float) -> str:
    return f"{value:g}"


def markdown(items: list[Item]) -> str:
    """One Markdown table per module: item, points, kind and what to do when the policy changes."""
    out: list[str] = []
    for module in dict.fromkeys(i.module for i in items):
        rows = [i for i in items if i.module == module]
        out.append(f"#### {module}\n")
        out.append("| Item | Points | Kind | When your policy changes |")
        out.append("|---|---|---|---|")
        out.extend(f"| `{i.grade_id}` | {_points(i.points)} | {i.kind} | {i.advice} |" for i in rows)
        out.append("")
    counts = {kind: sum(1 for i in items if i.kind == kind) for kind in ADVICE}
    out.append("Totals: " + ", ".join(f"{kind} {n}" for kind, n in counts.items() if n) + ".")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", help="module folders to list (default: every module in solutions/)")
    parser.add_argument("--solutions", type=Path, default=SOLUTIONS, help="the solutions folder to read")
    args = parser.parse_args(argv)
    known = modules(args.solutions)
    unknown = [m for m in args.modules if m not in known]
    if unknown:
        parser.error(f"no such module in {args.solutions}: {', '.join(unknown)}; known: {', '.join(known)}")
    sys.stdout.write(markdown(all_items(args.solutions, args.modules or None)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
