"""The trainer's side of nbgrader: release, collect, grade, feedback.

Works on any nbgrader course directory; this course's own settings are in :mod:`course.grading.nbconfig`.
"""

from course.grading.release import LeakError, ReleaseResult, check_no_leaks, release

__all__ = ["LeakError", "ReleaseResult", "check_no_leaks", "release"]
