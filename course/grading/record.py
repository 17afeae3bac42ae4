"""The record step (trusted, serial, on the coordinator): the "grade" half of nbgrader's autograde.

The executed notebooks go through the rest of nbgrader's autograde preprocessors (``SaveAutoGrades``,
``AssignLatePenalties``, ``CheckCellMetadata`` by default) against the gradebook, are written as
nbgrader writes them, and the staged folder replaces ``autograded/<student>/<assignment>/`` in one
rename. The gradebook ends up exactly as ``nbgrader autograde`` leaves it, except that a test which
passed only in the learner's own kernel, not in the clean re-run, gets the re-run's result
(:mod:`course.grading.verdicts`).
"""

from __future__ import annotations

import copy
import os
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbconvert.exporters import NotebookExporter

from course.grading import verdicts
from course.grading.execute import ExecuteResult
from course.grading.prepare import AutogradeSession, PreparedSubmission


@dataclass
class Recorded:
    """What the gradebook says about a submission once it is recorded."""

    ok: bool
    reason: str = ""
    failed_at: str = ""
    score: float | None = None
    max_score: float | None = None
    needs_manual_grade: bool = False
    late_penalty: float = 0.0
    seconds_late: float = 0.0
    flags: list[str] = field(default_factory=list)
    execute_seconds: float = 0.0


class Recorder:
    """Writes executed notebooks' scores through nbgrader's own preprocessors."""

    def __init__(self, session: AutogradeSession) -> None:
        self.session = session
        conv = session.converter
        self.exporter = NotebookExporter(parent=conv, config=conv.config)
        for pp in session.record_preprocessors:
            self.exporter.register_preprocessor(pp)

    def record(self, prepared: PreparedSubmission, results: list[ExecuteResult]) -> Recorded:
        """Record the executed notebooks in order, stopping at the first failure (as nbgrader does)."""
        conv = self.session.converter
        failure, failed_at = None, ""
        seconds = sum(r.seconds for r in results)
        for plan, result in zip(prepared.notebooks, results, strict=True):
            if not result.ok or result.notebook is None:
                failure, failed_at = f"{plan.name}.ipynb: {result.reason}", "execute"
                break
            if result.rerun is None and result.rerun_reason is not None:
                failure, failed_at = (f"{plan.name}.ipynb: the answers could not be checked again in a clean kernel "
                                      f"({result.rerun_reason})"), "execute"
                break
            try:
                nb = nbformat.reads(result.notebook.decode("utf-8"), as_version=4)
                if result.rerun is not None:  # scores decided outside the learner's kernel
                    rerun = nbformat.reads(result.rerun.decode("utf-8"), as_version=4)
                    prepared.flags.extend(f"{plan.name}: {flag}" for flag in verdicts.apply(nb, rerun))
                output, resources = self.exporter.from_notebook_node(nb, resources=copy.deepcopy(plan.resources))
                conv.write_single_notebook(output, resources)
            except Exception as exc:  # a gradebook or validation error for this notebook only
                failure, failed_at = f"{plan.name}.ipynb: {type(exc).__name__}: {exc}", "execute"
                break
        if failure is None and prepared.failure is not None:
            failure, failed_at = prepared.failure, "prepare"
        if failure is not None:
            shutil.rmtree(prepared.staging, ignore_errors=True)  # nbgrader removes a failed submission's output
            return self._summary(prepared, ok=False, reason=failure, failed_at=failed_at, seconds=seconds)
        conv.set_permissions(prepared.assignment, prepared.student)
        publish(prepared.staging, self.autograded(prepared.student, prepared.assignment),
                trash=self.session.staging_root.parent / "trash")
        return self._summary(prepared, ok=True, seconds=seconds)

    def autograded(self, student: str, assignment: str) -> Path:
        return self.session.course.path(self.session.course.coursedir.autograded_directory, student, assignment)

    def _summary(self, prepared: PreparedSubmission, *, ok: bool, reason: str = "", failed_at: str = "",
                 seconds: float = 0.0) -> Recorded:
        out = Recorded(ok=ok, reason=reason, failed_at=failed_at, flags=list(prepared.flags),
                       execute_seconds=seconds)
        if not prepared.in_gradebook:
            return out
        with self.session.course.gradebook() as gb:
            try:
                sub = gb.find_submission(prepared.assignment, prepared.student)
            except Exception:
                return out
            out.seconds_late = float(sub.total_seconds_late or 0)
            if ok:
                out.score = float(sub.score)
                out.max_score = float(sub.max_score)
                out.needs_manual_grade = bool(sub.needs_manual_grade)
                out.late_penalty = float(sub.late_submission_penalty or 0)
        return out


def publish(staged: Path, final: Path, *, trash: Path) -> None:
    """Put ``staged`` in place of ``final`` with renames only (a reader sees old or new, never half)."""
    final.parent.mkdir(parents=True, exist_ok=True)
    trash.mkdir(parents=True, exist_ok=True)
    old = trash / uuid.uuid4().hex
    if final.exists():
        os.rename(final, old)
    os.rename(staged, final)
    if old.exists():
        shutil.rmtree(old, ignore_errors=True)
