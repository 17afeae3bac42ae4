"""The prepare step (trusted, on the coordinator): nbgrader's own ``Autograde`` converter does the
gradebook bookkeeping and the "sanitize" half of autograding, exactly as ``nbgrader autograde``.

For one learner's submission this runs, in nbgrader's order: ``Autograde.init_assignment`` (student
and submission rows, timestamp, the assignment's files copied over the learner's, missing notebooks
scored zero), then per notebook the sanitize preprocessors (``ClearOutput``, ``DeduplicateIds``,
``OverwriteKernelspec``, ``OverwriteCells``, ``CheckCellMetadata`` or whatever the course configures).
Output goes to a staging folder, never straight into ``autograded/``; the result is one
:class:`~course.grading.execute.ExecuteJob` per notebook, holding bytes only.

It also records integrity flags (protected cells deleted, edited or duplicated; notebooks missing
or unknown) by comparing the learner's notebook with the gradebook's copy of the assignment.
"""

from __future__ import annotations

import contextlib
import copy
import glob
import hashlib
import json
import logging
import os
import pickle
import re
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import nbformat
from nbconvert.exporters.exporter import ResourcesDict
from nbconvert.writers import FilesWriter
from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.converters import Autograde
from nbgrader.converters.base import BaseConverter
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import ClearHiddenTests, ClearMarkScheme, DeduplicateIds, NbGraderPreprocessor

from course.grading.coursedir import Course, GradingError
from course.grading.execute import DEFAULT_LAUNCHER, DEFAULT_NOTEBOOK_TIMEOUT, ExecuteJob

#: Seconds a cell's last output may take to arrive after its reply, unless the course sets
#: ``Execute.iopub_timeout`` (nbgrader's own default is 4).
IOPUB_TIMEOUT = 20

log = logging.getLogger("course.grading")
log.addHandler(logging.NullHandler())  # nbgrader's warnings reach the trainer as integrity flags instead

#: nbgrader autograde preprocessors that only look at the notebook (no gradebook): they run on the
#: worker, after Execute, in the course's configured order.
_PURE_NAMES = {"Execute", "IgnorePattern", "ClearMetadataPreprocessor", "LimitOutput"}
#: Config sections a worker needs besides its preprocessors' own (kernel manager, exporter).
_WORKER_SECTIONS = {"KernelManager", "AsyncKernelManager", "Exporter", "NotebookExporter", "NotebookClient"}


@dataclass
class NotebookPlan:
    name: str  # notebook id (file name without .ipynb)
    staged: Path  # the sanitized notebook in the staging folder
    resources: dict[str, Any]  # what nbgrader's autograde pass gives its preprocessors
    job: ExecuteJob


@dataclass
class PreparedSubmission:
    student: str
    assignment: str
    key: str
    content_sha256: str
    staging: Path
    notebooks: list[NotebookPlan] = field(default_factory=list)
    #: Why the submission cannot be graded, found while preparing (after ``notebooks``, which are
    #: graded and recorded first, as nbgrader records the notebooks before a failing one).
    failure: str | None = None
    flags: list[str] = field(default_factory=list)
    timestamp: datetime | None = None
    #: True once nbgrader's bookkeeping for it has touched the gradebook.
    in_gradebook: bool = False


class ForgetDuplicates(NbGraderPreprocessor):
    """Make the extra copies of a duplicated graded cell plain cells (right after ``DeduplicateIds``).

    nbgrader's ``DeduplicateIds`` keeps the last copy of a duplicated cell and empties the others'
    ``nbgrader`` metadata, which ``CheckCellMetadata`` then rejects as "schema version 0": in stock
    nbgrader 0.9 that error stops the whole batch. Removing the emptied metadata lets the notebook be
    graded exactly as nbgrader intends (on the kept copy); the duplication becomes an integrity flag.
    """

    def preprocess_cell(self, cell: NotebookNode, resources: ResourcesDict,
                        cell_index: int) -> tuple[NotebookNode, ResourcesDict]:
        if "nbgrader" in cell.metadata and cell.metadata.nbgrader == {}:
            del cell.metadata["nbgrader"]
        return cell, resources


class PrepareFailure(Exception):
    """Preparation stopped; the message is the plain reason shown to the trainer."""


def _class_path(cls: Any) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _as_class(item: Any) -> type:
    if isinstance(item, str):
        module, _, name = item.rpartition(".")
        return getattr(__import__(module, fromlist=[name]), name)
    return item


class AutogradeSession:
    """nbgrader's Autograde converter for one grading run, writing into a staging folder."""

    def __init__(self, course: Course, staging_root: Path, *, cell_timeout: int | None = None,
                 notebook_timeout: float = DEFAULT_NOTEBOOK_TIMEOUT, launcher: str = DEFAULT_LAUNCHER,
                 prestart: bool = True) -> None:
        self.course = course
        self.staging_root = staging_root
        cfg = copy.deepcopy(course.config)
        cfg.CourseDirectory.root = str(course.root)
        cfg.CourseDirectory.autograded_directory = str(staging_root)
        if cell_timeout is not None:
            cfg.Execute.timeout = int(cell_timeout)
        if "iopub_timeout" not in cfg.Execute:
            # nbgrader raises when a cell's last output takes more than 4 s to arrive after its
            # reply: on a busy grading machine that made sound notebooks (and ones whose endless
            # printing loop was interrupted) not gradable. A course's own setting still wins.
            cfg.Execute.iopub_timeout = IOPUB_TIMEOUT
        sanitize = [_as_class(p) for p in Autograde(config=cfg).sanitize_preprocessors]
        if DeduplicateIds in sanitize and ForgetDuplicates not in sanitize:
            sanitize.insert(sanitize.index(DeduplicateIds) + 1, ForgetDuplicates)
            cfg.Autograde.sanitize_preprocessors = sanitize
        self.config = cfg
        self.coursedir = CourseDirectory(config=cfg)
        self.converter = Autograde(coursedir=self.coursedir, config=cfg)
        self.converter.log = log.getChild("nbgrader")
        self.converter.writer = FilesWriter(parent=self.converter, config=self.converter.config)
        self.converter.exporter = self.converter.exporter_class(parent=self.converter, config=self.converter.config)
        self.notebook_timeout = notebook_timeout
        self.launcher = launcher
        self.prestart = prestart
        worker, rest = self._split_autograde_preprocessors()
        self.worker_preprocessors = tuple(_class_path(c) for c in worker)
        self.record_preprocessors = rest
        self.worker_config = self._worker_config(worker)
        tests, schemes = ClearHiddenTests(config=cfg), ClearMarkScheme(config=cfg)
        self._hidden_delimiters = [(tests.begin_test_delimeter, tests.end_test_delimeter),
                                   (schemes.begin_mark_scheme_delimeter, schemes.end_mark_scheme_delimeter)]

    # -- nbgrader's autograde list, split between worker and coordinator -----------------------

    def _split_autograde_preprocessors(self) -> tuple[list[type], list[type]]:
        classes = [_as_class(p) for p in self.converter.autograde_preprocessors]
        cut = 0
        while cut < len(classes) and any(b.__name__ in _PURE_NAMES for b in classes[cut].__mro__):
            cut += 1
        worker, rest = classes[:cut], classes[cut:]
        if not any(any(b.__name__ == "Execute" for b in c.__mro__) for c in worker):
            raise GradingError(
                "this course's Autograde.autograde_preprocessors does not start with Execute "
                f"({', '.join(c.__name__ for c in classes)}); course grade cannot split it safely")
        leftover = [c.__name__ for c in rest if any(b.__name__ in _PURE_NAMES for b in c.__mro__)]
        if leftover:
            raise GradingError(f"Autograde.autograde_preprocessors lists {', '.join(leftover)} after a "
                               "preprocessor that needs the gradebook; course grade cannot split it safely")
        return worker, rest

    def _worker_config(self, worker: list[type]) -> dict[str, dict[str, Any]]:
        names = set(_WORKER_SECTIONS)
        for cls in worker:
            names.update(b.__name__ for b in cls.__mro__)
        out: dict[str, dict[str, Any]] = {}
        for name in sorted(names):
            if name in self.config and isinstance(self.config[name], dict):
                section = {k: v for k, v in self.config[name].items()}
                if section:
                    out[name] = section
        try:
            pickle.dumps(out)
        except Exception as exc:
            raise GradingError(f"a setting for the execute step cannot be sent to a worker ({exc}); "
                               f"sections: {', '.join(out)}") from exc
        return out

    def settings_fingerprint(self) -> str:
        """The settings that change scores; part of every submission's key."""
        sections = {}
        for name in sorted(self.config):
            if name in {"CourseDirectory", "Exchange", "NbGrader", "GenerateAssignment", "GenerateFeedback",
                        "ClearSolutions", "IncludeHeaderFooter", "HTMLExporter", "FormgradeExtension"}:
                continue
            value = self.config[name]
            if isinstance(value, dict):
                sections[name] = {k: repr(v) for k, v in sorted(value.items())}
        sections["_worker"] = {"pre": list(self.worker_preprocessors),
                               "post": [_class_path(c) for c in self.record_preprocessors],
                               "notebook_timeout": self.notebook_timeout}
        return hashlib.sha256(json.dumps(sections, sort_keys=True).encode()).hexdigest()

    # -- paths ----------------------------------------------------------------------------------

    def submitted(self, student: str, assignment: str) -> Path:
        return Path(self.coursedir.format_path(self.coursedir.submitted_directory, student, assignment))

    def staged(self, student: str, assignment: str) -> Path:
        return Path(self.coursedir.format_path(self.coursedir.autograded_directory, student, assignment))

    def notebooks_in(self, submitted: Path) -> list[str]:
        pattern = self.coursedir.notebook_id + ".ipynb"
        return sorted(str(p) for p in submitted.glob(pattern) if p.is_file())

    # -- the step -------------------------------------------------------------------------------

    def prepare(self, student: str, assignment: str, *, key: str, content_sha256: str) -> PreparedSubmission:
        """Bookkeeping + sanitize for one submission; never raises for a bad submission."""
        src = self.submitted(student, assignment)
        staging = self.staged(student, assignment)
        prepared = PreparedSubmission(student=student, assignment=assignment, key=key,
                                      content_sha256=content_sha256, staging=staging)
        if staging.exists():
            shutil.rmtree(staging)
        try:
            prepared.timestamp = _read_timestamp(src)
            notebooks = self.notebooks_in(src)
            if not notebooks:
                raise PrepareFailure(f"no notebook in the submission ({_listing(src)})")
            self._bookkeeping(prepared, notebooks)
        except PrepareFailure as exc:
            prepared.failure = str(exc)
            return prepared
        for path in self.converter.notebooks:
            try:
                prepared.notebooks.append(self._sanitize(prepared, Path(path)))
            except Exception as exc:  # nbgrader's preprocessors raise many kinds; each is a reason
                prepared.failure = f"{Path(path).name}: {_plain(exc)}"
                break
        return prepared

    def _bookkeeping(self, prepared: PreparedSubmission, notebooks: list[str]) -> None:
        conv = self.converter
        conv.notebooks = list(notebooks)
        known = self._known_notebooks(prepared.assignment)
        names = {Path(n).stem for n in notebooks}
        unknown = sorted(names - known)
        prepared.flags.extend(f"unknown notebook {n}.ipynb (not graded)" for n in unknown)
        prepared.flags.extend(f"missing notebook {n}.ipynb (scored 0)" for n in sorted(known - names))
        prepared.in_gradebook = True
        try:
            conv.init_assignment(prepared.assignment, prepared.student)
        except Exception as exc:
            if known and not names & known:
                expected = ", ".join(f"{k}.ipynb" for k in sorted(known))
                found = ", ".join(Path(n).name for n in notebooks)
                raise PrepareFailure(f"wrong notebook name: found {found}, expected {expected}") from exc
            raise PrepareFailure(f"nbgrader could not set up the submission: {_plain(exc)}") from exc
        for path in conv.notebooks:
            prepared.flags.extend(self._integrity_flags(Path(path), prepared.assignment, prepared.student))

    def _known_notebooks(self, assignment: str) -> set[str]:
        with self.course.gradebook() as gb:
            try:
                return {nb.name for nb in gb.find_assignment(assignment).notebooks}
            except Exception:
                return set()

    def _sanitize(self, prepared: PreparedSubmission, path: Path) -> NotebookPlan:
        conv = self.converter
        conv._sanitizing = True
        conv._init_preprocessors()
        BaseConverter.convert_single_notebook(conv, str(path))
        staged = prepared.staging / path.name
        conv._sanitizing = False
        resources = conv.init_single_notebook_resources(str(staged))
        conv._sanitizing = True
        resources["metadata"] = ResourcesDict(name=staged.stem, path=str(staged.parent), modified_date="")
        files = tuple(
            (p.relative_to(prepared.staging).as_posix(), p.read_bytes())
            for p in sorted(prepared.staging.rglob("*"))
            if p.is_file() and p.suffix != ".ipynb"
        )
        job = ExecuteJob(
            key=f"{prepared.assignment}/{prepared.student}/{staged.name}",
            notebook_name=staged.name,
            notebook=staged.read_bytes(),
            files=files,
            preprocessors=self.worker_preprocessors,
            config=self.worker_config,
            resources={k: v for k, v in resources["nbgrader"].items() if k != "db_url"},
            notebook_timeout=self.notebook_timeout,
            launcher=self.launcher,
            prestart=self.prestart,
        )
        return NotebookPlan(name=staged.stem, staged=staged, resources=dict(resources), job=job)

    # -- integrity flags ------------------------------------------------------------------------

    def _integrity_flags(self, path: Path, assignment: str, student: str) -> list[str]:
        """Deleted, edited or duplicated protected cells, from the learner's own file, and a final
        check drawn for another employee id than the learner's."""
        try:
            raw = json.loads(path.read_bytes())
            if isinstance(raw, dict) and raw.get("nbformat") != 4:
                raw = nbformat.reads(json.dumps(raw), as_version=4)  # nbformat 3 keeps its cells in worksheets
            cells = [c for c in raw.get("cells", []) if isinstance(c, dict)] if isinstance(raw, dict) else []
        except Exception:
            return []  # sanitizing reports unreadable notebooks
        by_id: dict[str, list[dict]] = {}
        for cell in cells:
            meta = cell.get("metadata", {}).get("nbgrader", {}) if isinstance(cell, dict) else {}
            if isinstance(meta, dict) and meta.get("grade_id"):
                by_id.setdefault(str(meta["grade_id"]), []).append(cell)
        flags: list[str] = []
        with self.course.gradebook() as gb:
            try:
                source = gb.find_notebook(path.stem, assignment)
            except Exception:
                return []
            graded = {c.name for c in source.grade_cells} | {c.name for c in source.task_cells}
            for cell in source.source_cells:
                protected = cell.locked or cell.name in graded
                got = by_id.get(cell.name, [])
                if not got:
                    kind = "protected cell" if protected else "answer cell"
                    flags.append(f"{path.stem}: {kind} {cell.name} deleted")
                    continue
                if len(got) > 1:
                    flags.append(f"{path.stem}: cell {cell.name} duplicated ({len(got)} copies)")
                mine = got[-1]  # nbgrader keeps the last copy
                if cell.locked and (_joined(mine.get("source", "")) != self._as_released(cell.source)
                                    or mine.get("cell_type") != cell.cell_type):
                    flags.append(f"{path.stem}: protected cell {cell.name} edited (restored)")
        code = [{"cell_type": "code", "source": _joined(c.get("source", ""))} for c in cells
                if c.get("cell_type") == "code"]
        flags.extend(f"{path.stem}: {flag}" for flag in paper_flags({"cells": code}, student))
        return flags


    def _as_released(self, source: str) -> str:
        """A protected cell as learners got it: the gradebook's copy without hidden tests or mark scheme."""
        for begin, end in self._hidden_delimiters:
            if begin in source:
                kept, inside = [], False
                for line in source.split("\n"):
                    if begin in line:
                        inside = True
                    elif end in line:
                        inside = False
                    elif not inside:
                        kept.append(line)
                source = "\n".join(kept)
        return source


def paper_flags(nb: Any, student: str) -> list[str]:
    """The final check draws each learner's questions from the employee id they write in it
    (:mod:`course.final_check`): a paper drawn for someone else's id is flagged, not re-scored."""
    from course.final_check import ANSWER_VARIABLE, declared_learner_id

    if not any(cell.get("cell_type") == "code" and ANSWER_VARIABLE in _joined(cell.get("source", ""))
               for cell in nb.get("cells", [])):
        return []  # not a final check
    declared = declared_learner_id(nb)
    if declared is None or declared == student.strip().upper():
        return []
    return [f"the paper was drawn for employee id {declared}, not for this learner's id {student}"]


def _joined(source: Any) -> str:
    return "".join(source) if isinstance(source, list) else str(source)


def _read_timestamp(src: Path) -> datetime | None:
    path = src / "timestamp.txt"
    if not path.exists():
        return None
    text = path.read_text("utf-8", errors="replace").strip()
    if not text:
        return None
    try:
        return utils.parse_utc(text)
    except (ValueError, OverflowError):
        raise PrepareFailure(f"timestamp.txt is not a date and time: {text[:60]!r}") from None


def _listing(src: Path) -> str:
    names = sorted(p.name for p in src.iterdir()) if src.is_dir() else []
    if not names:
        return "the folder is empty"
    shown = ", ".join(names[:5]) + (" ..." if len(names) > 5 else "")
    return f"found {shown}"


def _plain(exc: BaseException) -> str:
    """nbgrader's and nbformat's exceptions, in one line a trainer can act on."""
    name = type(exc).__name__
    text = " ".join(str(exc).split())
    if name in {"NotJSONError", "JSONDecodeError"} or "Notebook does not appear to be JSON" in text:
        return "not a notebook: the file is empty or not valid JSON"
    if name == "ValidationError":
        return f"not a valid notebook ({text[:200]})"
    if "Inconsistent checksums" in text:
        return f"a protected cell could not be restored ({text[:200]})"
    if isinstance(exc, UnicodeDecodeError):
        return "not a notebook: the file is not UTF-8 text"
    return f"{name}: {text[:300]}" if text else name


# -- content keys -------------------------------------------------------------------------------

def content_sha256(folder: Path, ignore: list[str]) -> str:
    """SHA-256 over every file of a submission (names and bytes), in a stable order."""
    digest = hashlib.sha256()
    for name in sorted(utils.find_all_files(str(folder), ignore)):
        path = Path(name)
        rel = path.relative_to(folder).as_posix().encode()
        data = path.read_bytes()
        digest.update(len(rel).to_bytes(4, "big") + rel + len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


def assignment_version(session: AutogradeSession, assignment: str, gb: Any = None) -> str:
    """What grading depends on besides the learner's files: the gradebook's copy of the assignment
    (cells, checksums, points, kernel, due date), its source files and the grading settings."""
    digest = hashlib.sha256(session.settings_fingerprint().encode())
    with contextlib.nullcontext(gb) if gb is not None else session.course.gradebook() as gb:
        a = gb.find_assignment(assignment)
        digest.update(repr(a.duedate).encode())
        for nb in sorted(a.notebooks, key=lambda n: n.name):
            digest.update(f"nb:{nb.name}:{nb.kernelspec}".encode())
            for c in sorted(nb.source_cells, key=lambda c: c.name):
                digest.update(f"src:{c.name}:{c.cell_type}:{c.locked}:{c.checksum}".encode())
            for c in sorted(nb.grade_cells, key=lambda c: c.name):
                digest.update(f"grade:{c.name}:{c.max_score}".encode())
            for c in sorted(nb.solution_cells, key=lambda c: c.name):
                digest.update(f"sol:{c.name}".encode())
            for c in sorted(nb.task_cells, key=lambda c: c.name):
                digest.update(f"task:{c.name}:{c.max_score}".encode())
    source = Path(session.coursedir.format_path(session.coursedir.source_directory, ".", assignment))
    if source.is_dir():
        for name in sorted(utils.find_all_files(str(source), [*session.coursedir.ignore, "*.ipynb"])):
            digest.update(Path(name).relative_to(source).as_posix().encode())
            digest.update(hashlib.sha256(Path(name).read_bytes()).digest())
    return digest.hexdigest()


def find_submissions(session: AutogradeSession, assignment: str) -> list[str]:
    """Student ids with a submission of ``assignment`` in ``submitted/``, as nbgrader finds them."""
    cd = session.coursedir
    pattern = cd.format_path(cd.submitted_directory, cd.student_id or "*", glob.escape(assignment))
    regexp = cd.format_path(cd.submitted_directory, "(?P<student_id>.*)", re.escape(assignment), escape=True)
    excluded = set(filter(None, (cd.student_id_exclude or "").split(",")))
    found = []
    for folder in sorted(glob.glob(pattern)):
        m = re.fullmatch(regexp, folder)
        if m and os.path.isdir(folder) and m.group("student_id") not in excluded:
            found.append(m.group("student_id"))
    return found
