"""``course feedback``: one HTML page per graded notebook, in ``feedback/<student>/<assignment>/``
as ``nbgrader generate_feedback`` writes it (so ``nbgrader release_feedback`` works as usual).

It is nbgrader's own feedback (its template, scores and the trainer's comments from the gradebook
through ``GetGrades``) with two additions: a short "your results" table at the top saying which
checks passed and failed, and the removal of everything learners must not see. Stock nbgrader 0.9
shows hidden tests in feedback, because the autograded notebook runs them; here hidden-test
regions and mark schemes are cut from the source, and the output of a cell that held hidden tests
is reduced to the error's name. Before a page is written, it is searched for every line
of hidden test and mark scheme; a page that still contains one is not written.
"""

from __future__ import annotations

import copy
import hashlib
import html
import re
import shutil
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbconvert.exporters.exporter import ResourcesDict
from nbconvert.writers import FilesWriter
from nbformat.notebooknode import NotebookNode, from_dict
from nbgrader import __file__ as nbgrader_file
from nbgrader.converters import GenerateFeedback
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import ClearHiddenTests, ClearMarkScheme, GetGrades, NbGraderPreprocessor

from course.grading.coursedir import GradingError, exclusive, open_course, working_directory
from course.grading.record import publish
from course.grading.state import GradingState

WRITTEN, UNCHANGED, FAILED = "written", "unchanged", "failed"
_MIN_SECRET = 8  # shorter lines ("else:", "pass") are too common to search for


class FeedbackLeakError(GradingError):
    """A feedback page would have shown hidden-test or mark-scheme text; it was not written."""


@dataclass
class FeedbackItem:
    assignment: str
    student: str
    status: str  # WRITTEN, UNCHANGED or FAILED
    reason: str = ""
    pages: list[Path] = field(default_factory=list)


@dataclass
class FeedbackReport:
    course_dir: Path
    items: list[FeedbackItem] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for i in self.items if i.status == status)


def _region(lines: list[str], begin: str, end: str) -> tuple[list[str], list[str]]:
    """(kept lines, lines inside begin/end regions)."""
    kept, inside, hidden = [], False, []
    for line in lines:
        if begin in line:
            inside = True
        elif end in line:
            inside = False
        elif inside:
            hidden.append(line)
        else:
            kept.append(line)
    return kept, hidden


class HideHiddenTests(NbGraderPreprocessor):
    """Cut hidden tests and mark schemes out of the feedback, with anything their output could reveal."""

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict) -> tuple[NotebookNode, ResourcesDict]:
        tests = ClearHiddenTests(parent=self)
        schemes = ClearMarkScheme(parent=self)
        self._regions = [(tests.begin_test_delimeter, tests.end_test_delimeter),
                         (schemes.begin_mark_scheme_delimeter, schemes.end_mark_scheme_delimeter)]
        resources.setdefault("course_secrets", [])
        nb, resources = super().preprocess(nb, resources)
        nb.metadata.pop("celltoolbar", None)
        return nb, resources

    def preprocess_cell(self, cell: NotebookNode, resources: ResourcesDict,
                        cell_index: int) -> tuple[NotebookNode, ResourcesDict]:
        lines = cell.source.split("\n")
        secrets: list[str] = []
        for begin, end in self._regions:
            if any(begin in line for line in lines):
                lines, hidden = _region(lines, begin, end)
                secrets.extend(hidden)
        if not secrets:
            return cell, resources
        cell.source = "\n".join(lines)
        resources["course_secrets"].extend(s.strip() for s in secrets if len(s.strip()) >= _MIN_SECRET)
        if cell.cell_type == "code":
            cell.outputs = [_hidden_error(o) for o in cell.get("outputs", []) if o.output_type == "error"]
        return cell, resources


def _hidden_error(output: NotebookNode) -> NotebookNode:
    """An error from a cell with hidden tests, reduced to its name: its message and traceback may
    quote the hidden test or the expected answer (``assert x == "team", f"expected {answer}"``)."""
    text = f"{output.ename}: a check in this cell did not pass"
    return from_dict({"output_type": "error", "ename": output.ename, "evalue": "", "traceback": [text]})


class GetGradesAndStatus(GetGrades):
    """nbgrader's ``GetGrades``, also noting which grades still wait for the trainer."""

    def _get_score(self, cell: NotebookNode, resources: ResourcesDict) -> None:
        super()._get_score(cell, resources)
        grade = self.gradebook.find_grade(cell.metadata["nbgrader"]["grade_id"], self.notebook_id,
                                          self.assignment_id, self.student_id)
        cell.metadata.nbgrader["course_needs_manual_grade"] = bool(grade.needs_manual_grade)


class ResultsSummary(NbGraderPreprocessor):
    """Put a table at the top: each check, passed or not, and its points (after GetGrades)."""

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict) -> tuple[NotebookNode, ResourcesDict]:
        rows = []
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if not meta.get("grade") and not meta.get("task"):
                continue
            score, points = float(meta.get("score") or 0), float(meta.get("points") or 0)
            if meta.get("course_needs_manual_grade"):
                what = "written answer" if cell.cell_type == "markdown" else "your answer"
                rows.append(f"| {what} | waiting for your trainer | – / {points:g} |")
                continue
            if meta.get("solution") or meta.get("task"):
                what = "written answer (marked by your trainer)" if cell.cell_type == "markdown" else "your answer"
                result = f"{score:g} of {points:g} points"
            elif score >= points:
                what, result = _describe(cell), "✔ passed"
            elif score <= 0:
                what, result = _describe(cell), "✘ not passed"
            else:
                what, result = _describe(cell), "partly passed"
            rows.append(f"| {html.escape(what)} | {result} | {score:g} / {points:g} |")
        if rows:
            total, max_total = resources["nbgrader"].get("score", 0), resources["nbgrader"].get("max_score", 0)
            text = ("## Your results\n\n"
                    f"Score: **{float(total):g} of {float(max_total):g}** points.\n\n"
                    "| What was checked | Result | Points |\n|---|---|---|\n" + "\n".join(rows) + "\n")
            nb.cells.insert(0, from_dict({"cell_type": "markdown", "metadata": {}, "source": text,
                                          "id": "course-results-summary"}))
        return nb, resources


def _describe(cell: NotebookNode) -> str:
    """A test cell's first docstring line (nbgrader's convention), else its grade id."""
    m = re.match(r'\s*(?:"""|\'\'\')(.+?)(?:"""|\'\'\'|$)', cell.source, re.S)
    if m:
        return m.group(1).strip().splitlines()[0]
    return cell.metadata.nbgrader.get("grade_id", "check")


def feedback(
    course_dir: Path | str,
    assignments: Sequence[str] | None = None,
    *,
    db_url: str | None = None,
    force: bool = False,
) -> FeedbackReport:
    """Write feedback pages for every graded submission of ``assignments`` (default: all) whose
    grades, comments or autograded notebook changed since its last feedback (or all with ``force``)."""
    course = open_course(course_dir, db_url=db_url)
    report = FeedbackReport(course_dir=course.root)
    with exclusive(course, "feedback"), working_directory(course.root), GradingState(course.state_dir) as state:
        staging = course.state_dir / "feedback-staging" / uuid.uuid4().hex / "feedback"
        try:
            conv = _converter(course.config, course.root, staging)
            with course.gradebook() as gb:
                known = sorted(a.name for a in gb.assignments)
            names = list(assignments) if assignments else known
            unknown = [a for a in names if a not in known]
            if unknown:
                raise GradingError(f"not in the gradebook of {course.root}: {', '.join(unknown)}")
            for assignment in names:
                for student in _graded(course, conv, assignment):
                    report.items.append(_one(course, conv, state, staging, assignment, student, force))
        finally:
            shutil.rmtree(staging.parent, ignore_errors=True)
    return report


#: Our feedback template (nbgrader's, with the page language and readable link colours), unless the
#: course's nbgrader config chose a template of its own.
TEMPLATES = Path(__file__).resolve().parent / "templates"
_NBGRADER_TEMPLATES = str(Path(nbgrader_file).parent / "server_extensions" / "formgrader" / "templates")


def _converter(config: Any, root: Path, staging: Path) -> GenerateFeedback:
    cfg = copy.deepcopy(config)
    ours = "template_name" not in cfg.HTMLExporter and "extra_template_basedirs" not in cfg.HTMLExporter
    if ours:
        cfg.HTMLExporter.template_name = "course-feedback"
        cfg.HTMLExporter.extra_template_basedirs = [_NBGRADER_TEMPLATES, str(TEMPLATES)]
    cfg.CourseDirectory.root = str(root)
    cfg.CourseDirectory.feedback_directory = str(staging)
    probe = GenerateFeedback(coursedir=CourseDirectory(config=cfg), config=cfg)
    steps = [GetGradesAndStatus if p is GetGrades or p == "nbgrader.preprocessors.GetGrades" else p
             for p in probe.preprocessors]
    at = next((i + 1 for i, p in enumerate(steps) if p is GetGradesAndStatus), 0)
    steps[at:at] = [HideHiddenTests, ResultsSummary]
    cfg.GenerateFeedback.preprocessors = steps
    conv = GenerateFeedback(coursedir=CourseDirectory(config=cfg), config=cfg)
    conv.writer = FilesWriter(parent=conv, config=conv.config)
    exporter_config = copy.deepcopy(conv.config)
    if ours:  # where our template finds nbgrader's 'feedback/index.html.j2', next to nbgrader's CSS folder
        paths = list(exporter_config.HTMLExporter.get("extra_template_paths", []))
        exporter_config.HTMLExporter.extra_template_paths = [*paths, _NBGRADER_TEMPLATES]
    conv.exporter = conv.exporter_class(parent=conv, config=exporter_config)
    for pp in conv.preprocessors:
        conv.exporter.register_preprocessor(pp)
    return conv


def _graded(course: Any, conv: GenerateFeedback, assignment: str) -> list[str]:
    """Students whose submission has an autograded folder and a gradebook entry."""
    from nbgrader.api import Assignment, SubmittedAssignment

    with course.gradebook() as gb:
        in_gb = {s for (s,) in gb.db.query(SubmittedAssignment.student_id)
                 .join(Assignment, Assignment.id == SubmittedAssignment.assignment_id)
                 .filter(Assignment.name == assignment).all()}
    cd = course.coursedir
    found = []
    for student in sorted(in_gb):
        if Path(cd.format_path(cd.autograded_directory, student, assignment)).is_dir():
            found.append(student)
    return found


def _key(course: Any, assignment: str, student: str, autograded: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(autograded.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(autograded).as_posix().encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    with course.gradebook() as gb:
        sub = gb.find_submission(assignment, student)
        for nb in sorted(sub.notebooks, key=lambda n: n.name):
            digest.update(f"{nb.name}:{nb.late_submission_penalty}".encode())
            for g in sorted(nb.grades, key=lambda g: g.name):
                digest.update(f"g:{g.name}:{g.score}:{g.max_score}:{g.extra_credit}".encode())
            for c in sorted(nb.comments, key=lambda c: c.name):
                digest.update(f"c:{c.name}:{c.comment}".encode())
    return digest.hexdigest()


def _one(course: Any, conv: GenerateFeedback, state: GradingState, staging: Path, assignment: str,
         student: str, force: bool) -> FeedbackItem:
    cd = course.coursedir
    autograded = Path(cd.format_path(cd.autograded_directory, student, assignment))
    final = Path(cd.format_path(cd.feedback_directory, student, assignment))
    item = FeedbackItem(assignment, student, FAILED)
    try:
        key = _key(course, assignment, student, autograded)
        if not force and final.is_dir() and state.feedback_key(assignment, student) == key:
            item.status = UNCHANGED
            item.pages = sorted(final.glob("*.html"))
            return item
        target = staging / student / assignment
        if target.exists():
            shutil.rmtree(target)
        conv.init_assignment(assignment, student)
        for nb_path in sorted(autograded.glob(cd.notebook_id + ".ipynb")):
            resources = conv.init_single_notebook_resources(str(nb_path))
            output, resources = conv.exporter.from_filename(str(nb_path), resources=resources)
            _check_leaks(output, resources.get("course_secrets", []), nb_path)
            conv.write_single_notebook(output, resources)
        conv.set_permissions(assignment, student)
        publish(target, final, trash=course.state_dir / "trash")
        state.put_feedback_key(assignment, student, key)
        item.status = WRITTEN
        item.pages = sorted(final.glob("*.html"))
    except Exception as exc:  # one learner's page failing never stops the others
        item.reason = f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"
    return item


def visible_text(page: str) -> str:
    """The text of an HTML page as a reader sees it (code highlighting splits lines into spans)."""
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def _check_leaks(output: str, secrets: list[str], nb_path: Path) -> None:
    text = visible_text(output)
    leaked = sorted({s for s in secrets if s in text})
    if leaked:
        raise FeedbackLeakError(f"{nb_path.name}: feedback would show hidden-test text ({leaked[0][:60]!r}); "
                                "not written")

