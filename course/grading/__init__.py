"""The trainer's side of nbgrader: release, collect, grade, feedback.

Works on any nbgrader course directory; this course's own settings are in :mod:`course.grading.nbconfig`.
"""

from __future__ import annotations

# ``collect`` and ``feedback`` are both a module and the function it exports: importing the
# functions here (after their modules) keeps ``course.grading.collect`` the function.
from course.grading.collect import CollectError, CollectReport, collect
from course.grading.coursedir import GradingError, open_course
from course.grading.execute import (
    ExecuteJob,
    ExecuteResult,
    KernelLauncher,
    KernelRequest,
    LocalKernelLauncher,
    execute_job,
)
from course.grading.feedback import FeedbackReport, feedback
from course.grading.pipeline import GradeReport, grade
from course.grading.release import LeakError, ReleaseResult, check_no_leaks, release
from course.grading.state import SubmissionState

__all__ = [
    "CollectError",
    "CollectReport",
    "ExecuteJob",
    "ExecuteResult",
    "FeedbackReport",
    "GradeReport",
    "GradingError",
    "KernelLauncher",
    "KernelRequest",
    "LeakError",
    "LocalKernelLauncher",
    "ReleaseResult",
    "SubmissionState",
    "check_no_leaks",
    "collect",
    "execute_job",
    "feedback",
    "grade",
    "open_course",
    "release",
]
