"""The trainer's side of nbgrader: release, collect, grade, feedback.

Works on any nbgrader course directory; this course's own settings are in :mod:`course.grading.nbconfig`.

The grading pipeline (``collect``, ``grade``, ``feedback`` and the execute step's seam) is imported
on first use, so ``import course.grading`` stays as light as the release needs.
"""

from __future__ import annotations

import importlib
from typing import Any

from course.grading.release import LeakError, ReleaseResult, check_no_leaks, release

_LAZY = {
    "collect": "course.grading.collect",
    "CollectReport": "course.grading.collect",
    "CollectError": "course.grading.collect",
    "grade": "course.grading.pipeline",
    "GradeReport": "course.grading.pipeline",
    "feedback": "course.grading.feedback",
    "FeedbackReport": "course.grading.feedback",
    "GradingError": "course.grading.coursedir",
    "open_course": "course.grading.coursedir",
    "SubmissionState": "course.grading.state",
    "ExecuteJob": "course.grading.execute",
    "ExecuteResult": "course.grading.execute",
    "execute_job": "course.grading.execute",
    "KernelLauncher": "course.grading.execute",
    "KernelRequest": "course.grading.execute",
    "LocalKernelLauncher": "course.grading.execute",
}

__all__ = ["LeakError", "ReleaseResult", "check_no_leaks", "release", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'course.grading' has no attribute {name!r}")
