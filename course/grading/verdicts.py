"""Scores decided outside the learner's process: each notebook's tests run again in a clean kernel.

Threat model. A learner's notebook runs in a kernel that their code controls completely: it can
patch ``showtraceback``, rebind ``AssertionError`` or the helpers hidden tests call
(``course.answers.same``), rebind globals the tests read (``policies``), install hooks that run
before every cell, behave differently when ``NBGRADER_EXECUTION`` is set, return objects whose
``__eq__`` says yes to everything, or patch ipykernel itself so every reply says "ok". Whatever that
kernel reports about a test is therefore only a claim. The sandbox (:mod:`course.grading.sandbox`)
keeps that code away from the gradebook, the hidden tests' files and other learners; this module
keeps it away from the scores.

Design. A graded answer in this course is a plain literal (``draft_1_audience = "my_team"``). So
the coordinator, which is trusted, builds a second notebook for every submission, the *re-run*:

* every locked cell exactly as the gradebook holds it (setup cells, test cells with their hidden
  tests), kept only when its source is the gradebook's;
* the course author's own unmarked code cells (same source as in ``source/`` or ``release/``); those
  that only show a widget or a table (:data:`DISPLAY_ONLY_MODULES`) are kept but tagged for nbclient
  to skip, as they decide nothing;
* and from everything the learner wrote (answer cells, added cells), only statements that bind a
  plain literal (``ast.literal_eval``) to a name the model answers bind, written out again as
  ``name = repr(value)``. Nothing else the learner wrote is run: no call, no import, no attribute.

The worker runs the re-run in a fresh sandboxed kernel that never ran learner code, in a folder
with the assignment's own files only (a learner's extra ``course/`` package would otherwise shadow
the real one on ``sys.path``), and the record step gives each test cell the lower of its two
results (:func:`apply`): the learner's own run can only cost points (as in stock nbgrader, where a
learner's broken cell fails their own tests), and a test passes only if it also passes on the
learner's plain answers alone. When it does not, the test cell's outputs are replaced by the
re-run's, with a note, and the submission gets an integrity flag. Honest submissions get identical
results in both runs, so their scores are exactly stock nbgrader's.

Where answers are code (another nbgrader course asking for a function: the model answer in
``source/`` is not a literal), the re-run cannot be built and the score comes from the learner's
own run as in stock nbgrader, with nbgrader's ``Execute`` turning an ``error`` reply whose
traceback was suppressed into an error output. That stops a patched ``showtraceback`` and a
redefined test helper that raises nothing, but not code that patches the kernel's replies or the
helpers the hidden tests use; for such courses the sandbox protects the gradebook, not the score.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import nbformat
from nbformat.notebooknode import NotebookNode

#: Modules whose functions only show something (a widget, a table, a chart) and change no state a
#: test could read: the author's cells that only call them are skipped in the re-run, which then
#: costs a kernel start, the setup cell, the answers and the tests, not the whole lesson again.
DISPLAY_ONLY_MODULES = ("course.widgets",)
#: Longest answer cell the coordinator reads literals from (a bigger one is not an answer).
MAX_ANSWER_SOURCE = 64 * 1024
NOTE = ("[course grade] This test was run again in a fresh kernel on your answers alone (the plain values "
        "in your answer cells, nothing else you wrote) and did not pass there, so this result counts.")


# -- literals ---------------------------------------------------------------------------------------

def _parse(source: str) -> ast.Module | None:
    if len(source) > MAX_ANSWER_SOURCE:
        return None
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _literal(node: ast.AST) -> tuple[bool, Any]:
    try:
        return True, ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
        return False, None


def literal_names(source: str) -> set[str] | None:
    """The names ``source`` binds when it does nothing but bind plain literals to names (comments
    and a bare ``...`` allowed); None when it does anything else."""
    tree = _parse(source)
    if tree is None:
        return None
    names: set[str] = set()
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and all(isinstance(t, ast.Name) for t in stmt.targets):
            if not _literal(stmt.value)[0]:
                return None
            names.update(t.id for t in stmt.targets if isinstance(t, ast.Name))
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue
        else:
            return None
    return names


def _render(value: Any) -> str | None:
    """Python source that gives back exactly ``value`` (a plain literal), or None."""
    if value is Ellipsis:
        return "..."  # the placeholder of an unanswered question
    text = repr(value)
    try:
        return text if _identical(ast.literal_eval(text), value) else None  # not nan, inf, ... inside
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
        return None


def _identical(a: Any, b: Any) -> bool:
    """Same type and value all the way down (plain literals only; nan is never identical)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(_identical(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_identical(a[k], b[k]) for k in a)
    if isinstance(a, float | complex):
        return a == b and a == a  # nan is never identical
    return bool(a == b)


def literal_part(source: str, allowed: Iterable[str]) -> tuple[str, bool]:
    """``name = value`` lines for each statement of ``source`` that binds an allowed name to a plain
    literal, in order, and whether anything else was there (and left out)."""
    allowed = set(allowed)
    tree = _parse(source)
    if tree is None:
        return "", bool(source.strip())
    lines: list[str] = []
    dropped = False
    for stmt in tree.body:
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue  # a docstring or a bare ...: does nothing
        text = None
        if isinstance(stmt, ast.Assign) and all(isinstance(t, ast.Name) and t.id in allowed for t in stmt.targets):
            ok, value = _literal(stmt.value)
            text = _render(value) if ok else None
        if text is None:
            dropped = True
            continue
        lines.extend(f"{target.id} = {text}" for target in stmt.targets)  # type: ignore[union-attr]
    return "\n".join(lines), dropped


# -- what the re-run of one notebook may use ----------------------------------------------------------

@dataclass(frozen=True)
class NotebookRules:
    """What the re-run of one assignment notebook is built from (coordinator side)."""

    #: Names the model answers bind; None when some answer is code (no re-run possible).
    answer_names: frozenset[str] | None
    #: Locked code cells by grade id, as the gradebook holds them.
    locked: Mapping[str, str] = field(default_factory=dict)
    #: Sources of the author's own unmarked code cells.
    author_code: frozenset[str] = frozenset()
    why_not: str = ""


def _nbgrader(cell: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, Mapping) else {}


def _source(cell: Mapping[str, Any]) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def _read(path: Path) -> NotebookNode | None:
    try:
        return nbformat.read(path, as_version=4)
    except Exception:  # a missing or broken author notebook only means no re-run
        return None


def rules_for(*, locked: Mapping[str, str], solution: Path | None, released: Path | None) -> NotebookRules:
    """The rules for one notebook from the gradebook's locked cells and the author's notebooks:
    the solution in ``source/`` (preferred) or the released stub in ``release/``."""
    author: set[str] = set()
    names: set[str] = set()
    model = None
    for path, is_model in ((solution, True), (released, False)):
        nb = _read(path) if path is not None else None
        if nb is None:
            continue
        for cell in nb.cells:
            if cell.cell_type == "code" and not _nbgrader(cell):
                author.add(_source(cell).strip())
        if model is None:
            model = (nb, is_model)
    if model is None:
        return NotebookRules(None, locked, frozenset(author), why_not="neither the source nor the released notebook "
                                                                      "is in the course directory")
    nb, _ = model
    for cell in nb.cells:
        meta = _nbgrader(cell)
        if cell.cell_type != "code" or not meta.get("solution"):
            continue
        bound = literal_names(_source(cell))
        if not bound:
            return NotebookRules(None, locked, frozenset(author),
                                 why_not=f"the answer {meta.get('grade_id', '?')} is code, not a plain value")
        names |= bound
    return NotebookRules(frozenset(names), locked, frozenset(author))


def _is_locked_copy(source: str, original: str) -> bool:
    """``source`` is the gradebook's cell, or nbgrader's re-added copy of it (comment lines first)."""
    if source == original:
        return True
    if not source.endswith(original):
        return False
    prefix = source[: len(source) - len(original)]
    return prefix.endswith("\n") and all(not line.strip() or line.lstrip().startswith("#")
                                         for line in prefix.splitlines())


def _trusted(cell: NotebookNode, rules: NotebookRules) -> bool:
    """A locked cell as the gradebook holds it, or one of the author's own unmarked cells."""
    meta = _nbgrader(cell)
    grade_id, source = str(meta.get("grade_id", "")), _source(cell)
    return (grade_id in rules.locked and _is_locked_copy(source, rules.locked[grade_id])) or (
        not meta.get("solution") and source.strip() in rules.author_code)


def display_names(sources: Iterable[str]) -> frozenset[str]:
    """Names the trusted ``sources`` import from :data:`DISPLAY_ONLY_MODULES` and never bind otherwise."""
    imported: set[str] = set()
    rebound: set[str] = set()
    for source in sources:
        tree = _parse(source)
        if tree is None:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and any(
                    node.module == m or node.module.startswith(m + ".") for m in DISPLAY_ONLY_MODULES):
                imported.update(a.asname or a.name for a in node.names)
            elif isinstance(node, ast.Import | ast.ImportFrom):
                rebound.update((a.asname or a.name).split(".")[0] for a in node.names)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
                rebound.add(node.id)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                rebound.add(node.name)
    return frozenset(imported - rebound)


def only_displays(source: str, display: frozenset[str]) -> bool:
    """``source`` is nothing but calls of display-only functions on plain literals, e.g.
    ``show_situation("draft_1")``: leaving it out of the re-run changes no test's result."""
    tree = _parse(source)
    if tree is None or not tree.body:
        return False
    for stmt in tree.body:
        if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)):
            return False
        call = stmt.value
        if not (isinstance(call.func, ast.Name) and call.func.id in display):
            return False
        if not all(_literal(arg)[0] for arg in (*call.args, *(k.value for k in call.keywords))):
            return False
        if any(k.arg is None for k in call.keywords) or any(isinstance(a, ast.Starred) for a in call.args):
            return False
    return True


def skip_tag(config: Mapping[str, Mapping[str, Any]]) -> str:
    """The tag nbclient does not run a cell for, under the job's ``config`` ("skip-execution" by default)."""
    tag = "skip-execution"
    for section in ("NotebookClient", "ExecutePreprocessor", "Execute"):
        tag = config.get(section, {}).get("skip_cells_with_tag", tag)
    return str(tag)


def build_rerun(notebook: bytes, rules: NotebookRules, *, skip_tag: str = "skip-execution"
                ) -> tuple[bytes | None, list[str]]:
    """The re-run of the sanitized notebook ``notebook`` and notes for the trainer; (None, [why])
    when this notebook's answers are code."""
    if rules.answer_names is None:
        return None, []
    nb = nbformat.reads(notebook.decode("utf-8"), as_version=4)
    cells = []
    notes: list[str] = []
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    trusted_ids = {id(cell) for cell in code if _trusted(cell, rules)}
    display = display_names(_source(cell) for cell in code if id(cell) in trusted_ids)
    for cell in code:
        meta = _nbgrader(cell)
        grade_id = str(meta.get("grade_id", ""))
        source = _source(cell)
        skip = False
        if id(cell) in trusted_ids:
            kept = source
            # the author's widget or table shows something and decides nothing: nbclient skips it
            # (kept, so that a learner's notebook with only the author's cells still equals its re-run)
            skip = not meta and only_displays(source, display)
        else:
            kept, dropped = literal_part(source, rules.answer_names)
            if dropped and meta.get("solution"):
                notes.append(f"answer cell {grade_id} holds code besides plain values; only its plain values "
                             "were graded")
        # only nbgrader's metadata: a learner's "skip-execution" tag on a test cell would make nbclient
        # skip the test (no output = full marks in nbgrader), in stock nbgrader too
        metadata: dict[str, Any] = {"nbgrader": json.loads(json.dumps(dict(meta)))} if meta else {}
        if skip:
            metadata["tags"] = [skip_tag]
        new = nbformat.v4.new_code_cell(kept, metadata=metadata)
        cells.append(new)
    out = nbformat.v4.new_notebook(cells=cells, metadata=json.loads(json.dumps(dict(nb.metadata))))
    return nbformat.writes(out).encode("utf-8"), notes


# -- the record step's side --------------------------------------------------------------------------

def _tests(nb: NotebookNode) -> dict[str, NotebookNode]:
    return {str(_nbgrader(c)["grade_id"]): c for c in nb.cells
            if c.cell_type == "code" and _nbgrader(c).get("grade") and not _nbgrader(c).get("solution")
            and _nbgrader(c).get("grade_id")}


def apply(executed: NotebookNode, rerun: NotebookNode) -> list[str]:
    """Give each test cell of ``executed`` the lower of its two results: where the re-run scores
    lower, its outputs replace the cell's (nbgrader then records that score). Returns flags."""
    from nbgrader.utils import determine_grade

    again = _tests(rerun)
    flags = []
    for grade_id, cell in _tests(executed).items():
        other = again.get(grade_id)
        mine = determine_grade(cell)[0] or 0.0
        theirs = (determine_grade(other)[0] or 0.0) if other is not None else 0.0
        if theirs < mine:
            outputs = list(other.outputs) if other is not None else [nbformat.v4.new_output(
                "error", ename="MissingTest", evalue="this test was not in the re-run", traceback=[])]
            outputs.append(nbformat.v4.new_output("display_data", data={"text/plain": NOTE}))
            cell.outputs = outputs
            flags.append(f"test {grade_id} passed in the learner's kernel but not on the plain answers "
                         f"in a clean kernel ({mine:g} -> {theirs:g} points)")
    return flags


class Planner:
    """Builds the re-run for each notebook job, with the rules of each assignment notebook read once."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self._rules: dict[tuple[str, str], NotebookRules] = {}
        self._files: dict[str, tuple[tuple[str, bytes], ...]] = {}

    def rules(self, assignment: str, notebook: str) -> NotebookRules:
        key = (assignment, notebook)
        if key not in self._rules:
            self._rules[key] = self._read_rules(assignment, notebook)
        return self._rules[key]

    def _read_rules(self, assignment: str, notebook: str) -> NotebookRules:
        cd = self.session.coursedir
        locked: dict[str, str] = {}
        with self.session.course.gradebook() as gb:
            try:
                nb = gb.find_notebook(notebook, assignment)
                locked = {c.name: c.source for c in nb.source_cells if c.locked and c.cell_type == "code"}
            except Exception:
                return NotebookRules(None, why_not="the notebook is not in the gradebook")
        source = Path(cd.format_path(cd.source_directory, ".", assignment)) / f"{notebook}.ipynb"
        release = Path(cd.format_path(cd.release_directory, ".", assignment)) / f"{notebook}.ipynb"
        return rules_for(locked=locked, solution=source if source.is_file() else None,
                         released=release if release.is_file() else None)

    def files(self, assignment: str) -> tuple[tuple[str, bytes], ...]:
        """The assignment's own files (not notebooks) from ``source/``: the re-run's folder gets these
        only. A learner's extra files (a ``course/`` package that shadows the real one, say) never."""
        if assignment not in self._files:
            from nbgrader import utils

            cd = self.session.coursedir
            source = Path(cd.format_path(cd.source_directory, ".", assignment))
            found: list[tuple[str, bytes]] = []
            if source.is_dir():
                for name in sorted(utils.find_all_files(str(source), [*cd.ignore, "*.ipynb"])):
                    path = Path(name)
                    if path.is_file() and not path.is_symlink():
                        found.append((path.relative_to(source).as_posix(), path.read_bytes()))
            self._files[assignment] = tuple(found)
        return self._files[assignment]

    def job(self, prepared: Any, plan: Any, job: Any) -> Any:
        """``job`` with its re-run attached (when the notebook's answers are plain values)."""
        rules = self.rules(prepared.assignment, plan.name)
        try:
            rerun, notes = build_rerun(job.notebook, rules, skip_tag=skip_tag(job.config))
        except Exception as exc:  # the sanitized notebook is nbgrader's own output: this is a bug
            rerun, notes = None, [f"{plan.name}: no clean re-run ({type(exc).__name__}: {exc})"]
        prepared.flags.extend(f"{plan.name}: {note}" for note in notes)
        if rerun is None:
            return job
        return replace(job, rerun=rerun, rerun_files=self.files(prepared.assignment))
