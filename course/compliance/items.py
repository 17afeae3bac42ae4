"""Item analysis for trainers: how each graded item of each assignment performs, from the gradebook.

For every grade cell (an autograded test or a hand-graded written answer) of every assignment:

* ``submitted``: learners whose submission has a score for it (a written answer still waiting for a
  trainer is left out); ``attempted``: those whose answer cell is filled in (not the released ``...``
  placeholder, not the empty written-answer prompt);
* ``difficulty`` *p*: the share of ``submitted`` with full marks (a blank answer counts as wrong, as in
  classical test theory);
* ``discrimination``: the point-biserial correlation of the item's score (as a share of its points) with
  the learner's *rest* score (the assignment's total without this item); and ``upper_lower``: the share
  correct among the top :data:`GROUP_SHARE` (27%) of learners by rest score minus that among the bottom
  27%. Both are empty when the item or the rest score does not vary;
* ``wrong_answers``: the most common values learners wrote in the answer cell (the one that precedes the
  grade cell) when they did not get full marks. Values learners wrote, never the expected answer; an
  employee id (the final check's first answer) is never shown.

Flags for review (thresholds are module constants): ``too easy`` when p > :data:`TOO_EASY` (0.9),
``too hard`` when p < :data:`TOO_HARD` (0.2), ``negative discrimination`` when the point-biserial
correlation is below :data:`MIN_DISCRIMINATION` (0): strong learners get it wrong more than weak ones,
so the item or its expected answer is probably wrong. Fewer than :data:`MIN_LEARNERS` learners flag
nothing (too few to tell).

:func:`analyse_items` returns the table (a pandas DataFrame); :func:`write_items` writes ``items.csv`` and
``items.html`` (self-contained, charts as inline SVG with a text alternative and a data table) into an
owner-only folder. The page is for trainers: keep it in the workspace, never where learners can read it.
"""

from __future__ import annotations

import ast
import json
import math
from collections import Counter
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from course.compliance._files import private_dir, write_private

if TYPE_CHECKING:
    import pandas as pd

TOO_EASY = 0.9
TOO_HARD = 0.2
MIN_DISCRIMINATION = 0.0
GROUP_SHARE = 0.27
MIN_LEARNERS = 5
WRONG_SHOWN = 3
COLUMNS = ("assignment", "notebook", "item", "kind", "points", "submitted", "attempted", "difficulty",
           "discrimination", "upper_lower", "flags", "wrong_answers")
_PLACEHOLDER = "YOUR ANSWER HERE"
_PRIVATE_NAMES = {"employee_id"}  # answers that identify a person: counted, never shown

_SCORES_SQL = """
SELECT a.name AS assignment, nb.name AS notebook, bc.name AS item, sa.student_id AS student,
       g.auto_score AS auto_score, g.manual_score AS manual_score, g.extra_credit AS extra_credit,
       g.needs_manual_grade AS needs_manual_grade, gc.max_score AS max_score, gc.cell_type AS cell_type
FROM grade g
JOIN submitted_notebook sn ON sn.id = g.notebook_id
JOIN submitted_assignment sa ON sa.id = sn.assignment_id
JOIN assignment a ON a.id = sa.assignment_id
JOIN notebook nb ON nb.id = sn.notebook_id
JOIN base_cell bc ON bc.id = g.cell_id
JOIN grade_cells gc ON gc.id = g.cell_id
"""


class ItemsError(RuntimeError):
    """The gradebook cannot be read for item analysis."""


@dataclass(frozen=True)
class Answer:
    attempted: bool
    value: str | None  # what the learner wrote, as Python literals; None when not shown


def read_scores(db_url: str) -> pd.DataFrame:
    """One row per learner and grade cell: the score nbgrader gives it (manual, else auto, + extra credit)."""
    import pandas as pd
    from sqlalchemy import create_engine, inspect, text

    engine = create_engine(db_url, future=True)
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("grade"):
                return pd.DataFrame(columns=["assignment", "notebook", "item", "student", "score", "max_score",
                                             "cell_type", "needs_manual_grade"])
            frame = pd.read_sql(text(_SCORES_SQL), conn)
    finally:
        engine.dispose()
    base = frame["manual_score"].where(frame["manual_score"].notna(), frame["auto_score"]).fillna(0.0)
    frame["score"] = base + frame["extra_credit"].fillna(0.0)
    frame["needs_manual_grade"] = frame["needs_manual_grade"].fillna(False).astype(bool)
    return frame.drop(columns=["auto_score", "manual_score", "extra_credit"])


def _literal_text(cell_source: str) -> Answer:
    """What a code answer cell assigns, as ``name = value`` pairs; ``...`` everywhere means not attempted."""
    try:
        tree = ast.parse(cell_source)
    except SyntaxError:
        return Answer(True, "(not valid Python)")
    pairs, attempted = [], False
    for node in tree.body:
        if not isinstance(node, ast.Assign) or len(node.targets) != 1 or not isinstance(node.targets[0], ast.Name):
            attempted = True  # code other than name = value: an attempt of some kind
            continue
        name = node.targets[0].id
        if isinstance(node.value, ast.Constant) and node.value.value is Ellipsis:
            continue
        attempted = True
        if name in _PRIVATE_NAMES:
            return Answer(True, None)
        value = ast.get_source_segment(cell_source, node.value) or "?"
        try:
            literal = ast.literal_eval(node.value)
            if isinstance(literal, set | frozenset):  # one spelling per set, whatever order it was typed in
                value = "{" + ", ".join(sorted(repr(m) for m in literal)) + "}" if literal else "set()"
            else:
                value = repr(literal)
        except (ValueError, SyntaxError, TypeError):
            pass
        pairs.append(f"{name} = {' '.join(value.split())}")
    return Answer(attempted, "; ".join(pairs) if pairs else None)


def notebook_answers(path: Path) -> dict[str, Answer]:
    """For each grade cell of a learner's notebook, by grade id: their answer in the cell that precedes it
    (a written answer is its own cell). Empty when the notebook cannot be read."""
    try:
        cells = json.loads(path.read_text("utf-8")).get("cells", [])
    except (OSError, ValueError):
        return {}
    out: dict[str, Answer] = {}
    last: Answer | None = None
    for cell in cells:
        meta = (cell.get("metadata") or {}).get("nbgrader") or {}
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        if meta.get("solution"):
            if cell.get("cell_type") == "markdown":
                last = Answer(bool(source.strip()) and source.strip() != _PLACEHOLDER, None)
            else:
                last = _literal_text(source)
        if meta.get("grade") and meta.get("grade_id"):
            out[str(meta["grade_id"])] = last if last is not None else Answer(True, None)
    return out


def _answers(course_dir: Path, rows: pd.DataFrame) -> dict[tuple[str, str, str], dict[str, Answer]]:
    """(student, assignment, notebook) -> answers, read from autograded/ (else submitted/)."""
    out: dict[tuple[str, str, str], dict[str, Answer]] = {}
    for student, assignment, notebook in rows[["student", "assignment", "notebook"]].drop_duplicates().itertuples(
            index=False):
        for stage in ("autograded", "submitted"):
            path = course_dir / stage / student / assignment / f"{notebook}.ipynb"
            if path.exists():
                out[(student, assignment, notebook)] = notebook_answers(path)
                break
    return out


def _flags(p: float, r: float | None, n: int) -> list[str]:
    if n < MIN_LEARNERS:
        return []
    flags = []
    if p > TOO_EASY:
        flags.append("too easy")
    if p < TOO_HARD:
        flags.append("too hard")
    if r is not None and r < MIN_DISCRIMINATION:
        flags.append("negative discrimination")
    return flags


def _number(x: Any) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def item_statistics(scores: pd.DataFrame, answers: dict[tuple[str, str, str], dict[str, Answer]] | None = None
                    ) -> pd.DataFrame:
    """The item table from per-learner scores (columns of :func:`read_scores`) and their answers."""
    import pandas as pd

    answers = answers or {}
    graded = scores[~scores["needs_manual_grade"]].copy()
    graded["frac"] = (graded["score"] / graded["max_score"].where(graded["max_score"] > 0)).clip(0, 1).fillna(0.0)
    graded["correct"] = (graded["score"] >= graded["max_score"]) & (graded["max_score"] > 0)
    totals = graded.groupby(["assignment", "student"])["score"].sum().rename("total")
    graded = graded.join(totals, on=["assignment", "student"])
    graded["rest"] = graded["total"] - graded["score"]
    order = {name: i for i, name in enumerate(scores.drop_duplicates(["assignment", "notebook", "item"])
                                              .set_index(["assignment", "notebook", "item"]).index)}
    rows = []
    for (assignment, notebook, item), group in graded.groupby(["assignment", "notebook", "item"], sort=False):
        n = len(group)
        found = [answers.get((s, assignment, notebook), {}).get(item) for s in group["student"]]
        attempted = sum(1 for a, frac in zip(found, group["frac"], strict=True)
                        if (a.attempted if a is not None else frac > 0))
        p = float(group["correct"].mean())
        r = None
        if group["frac"].nunique() > 1 and group["rest"].nunique() > 1:
            r = _number(group["frac"].corr(group["rest"]))
        k = max(1, round(GROUP_SHARE * n))
        ranked = group.assign(rank=group["rest"].rank(method="first"))
        lower = ranked.nsmallest(k, "rank")["correct"].mean()
        upper = ranked.nlargest(k, "rank")["correct"].mean()
        d = float(upper - lower) if n >= 2 and group["rest"].nunique() > 1 else None
        wrong = Counter(a.value for a, ok in zip(found, group["correct"], strict=True)
                        if a is not None and a.attempted and not ok and a.value)
        rows.append({
            "assignment": assignment, "notebook": notebook, "item": item,
            "kind": "written" if group["cell_type"].iloc[0] == "markdown" else "autograded",
            "points": float(group["max_score"].iloc[0]), "submitted": n, "attempted": attempted,
            "difficulty": round(p, 3), "discrimination": None if r is None else round(r, 3),
            "upper_lower": None if d is None else round(d, 3), "flags": "; ".join(_flags(p, r, n)),
            "wrong_answers": " | ".join(f"{_clip(v, 60)} (×{c})" for v, c in wrong.most_common(WRONG_SHOWN)),
            "_order": order.get((assignment, notebook, item), 0),
        })
    table = pd.DataFrame(rows, columns=[*COLUMNS, "_order"])
    return table.sort_values(["assignment", "_order"]).drop(columns="_order").reset_index(drop=True)


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def analyse_items(course_dir: Path | str, *, db_url: str | None = None) -> pd.DataFrame:
    """The item table of a course directory (a trainer workspace or any nbgrader course)."""
    course_dir = Path(course_dir)
    if db_url is None:
        from course.grading.coursedir import open_course

        db_url = open_course(course_dir).db_url
    scores = read_scores(db_url)
    return item_statistics(scores, _answers(course_dir, scores))


@dataclass
class ItemsResult:
    table: pd.DataFrame
    files: list[Path]

    @property
    def flagged(self) -> pd.DataFrame:
        return self.table[self.table["flags"] != ""]


def write_items(course_dir: Path | str, out: Path | str, *, db_url: str | None = None) -> ItemsResult:
    """Write ``items.csv`` and ``items.html`` into ``out`` (made owner-only); each file whole or not at all."""
    table = analyse_items(course_dir, db_url=db_url)
    out = private_dir(Path(out))
    csv_path, html_path = out / "items.csv", out / "items.html"
    write_private(csv_path, table.to_csv(index=False))
    write_private(html_path, render_items(table))
    return ItemsResult(table=table, files=[csv_path, html_path])


# -- the page -----------------------------------------------------------------------------------------

FLAG_COLOUR, OK_COLOUR, INK, MUTED = "#b3261e", "#1f5f99", "#1f2937", "#4b5563"


def _bar_chart(rows: list[dict[str, Any]], key: str, *, chart_id: str, title: str, desc: str, lo: float,
               hi: float, marks: tuple[float, ...], flagged: set[str]) -> str:
    """Horizontal bars of ``key`` per item, a line at each of ``marks``; flagged items in red."""
    width, label_w, value_w, row_h = 640, 230, 56, 22
    bar_w = width - label_w - value_w
    height = 28 + row_h * max(1, len(rows))

    def x(v: float) -> float:
        return label_w + bar_w * (min(max(v, lo), hi) - lo) / (hi - lo)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" '
           f'aria-labelledby="{chart_id}-t {chart_id}-d" font-family="system-ui, sans-serif" font-size="12">'
           f'<title id="{chart_id}-t">{escape(title)}</title><desc id="{chart_id}-d">{escape(desc)}</desc>']
    for m in marks:
        out.append(f'<line x1="{x(m):.1f}" x2="{x(m):.1f}" y1="16" y2="{height - 4}" stroke="{MUTED}" '
                   f'stroke-dasharray="4 3"/><text x="{x(m):.1f}" y="12" text-anchor="middle" fill="{INK}">'
                   f'{m:g}</text>')
    for i, row in enumerate(rows):
        y = 22 + i * row_h
        value = row[key]
        colour = FLAG_COLOUR if row["item"] in flagged else OK_COLOUR
        out.append(f'<text x="{label_w - 8}" y="{y + 14}" text-anchor="end" fill="{INK}">'
                   f'{escape(_clip(row["item"], 32))}</text>')
        if value is None:
            out.append(f'<text x="{label_w + 4}" y="{y + 14}" fill="{MUTED}">no spread</text>')
            continue
        start, end = x(max(lo, 0.0) if lo < 0 else lo), x(value)
        out.append(f'<rect x="{min(start, end):.1f}" y="{y + 3}" width="{max(abs(end - start), 1):.1f}" height="14" '
                   f'fill="{colour}"><title>{escape(row["item"])}: {value:.2f}</title></rect>'
                   f'<text x="{label_w + bar_w + 6}" y="{y + 14}" fill="{INK}">{value:.2f}</text>')
    out.append("</svg>")
    return "".join(out)


def render_items(table: pd.DataFrame) -> str:
    """The self-contained trainers' page: per assignment, two charts and the data table they show."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    from course.compliance.dashboard import TEMPLATES

    sections = []
    for index, (assignment, group) in enumerate(table.groupby("assignment", sort=False)):
        rows = [{k: _number(v) if k in ("difficulty", "discrimination", "upper_lower") else v
                 for k, v in row.items()} for row in group.to_dict("records")]
        flagged = {r["item"] for r in rows if r["flags"]}
        names = ", ".join(f"{r['item']} ({r['flags']})" for r in rows if r["flags"]) or "none"
        sections.append({
            "id": f"a{index}", "assignment": assignment, "rows": rows, "flagged": len(flagged),
            "summary": f"{len(rows)} graded items; flagged for review: {names}.",
            "difficulty": _bar_chart(
                rows, "difficulty", chart_id=f"a{index}-p", title=f"{assignment}: difficulty per item",
                desc=f"Share of learners with full marks, per item, from 0 to 1; lines at {TOO_HARD:g} and "
                     f"{TOO_EASY:g}. Flagged: {names}. The same numbers are in the table below.",
                lo=0.0, hi=1.0, marks=(TOO_HARD, TOO_EASY), flagged=flagged),
            "discrimination": _bar_chart(
                rows, "discrimination", chart_id=f"a{index}-r", title=f"{assignment}: discrimination per item",
                desc="Point-biserial correlation of each item with the rest of the assignment, from -1 to 1; "
                     f"below 0 is flagged. Flagged: {names}. The same numbers are in the table below.",
                lo=-1.0, hi=1.0, marks=(0.0,), flagged=flagged),
        })
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html", "j2"]),
                      trim_blocks=True, lstrip_blocks=True)
    return env.get_template("items.html.j2").render(
        sections=sections, total=len(table), flagged=int((table["flags"] != "").sum()) if len(table) else 0,
        thresholds={"easy": TOO_EASY, "hard": TOO_HARD, "discrimination": MIN_DISCRIMINATION,
                    "group": round(GROUP_SHARE * 100), "min_learners": MIN_LEARNERS})
