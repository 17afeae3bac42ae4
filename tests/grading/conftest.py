"""Course directories for the grading tests, built once per session with real nbgrader, then copied.

* ``quickstart``: the course ``nbgrader quickstart`` makes (its own config, nothing of ours), with a
  due date and the "zero" late penalty so lateness shows in scores;
* ``module_workspace``: a trainer workspace of this course with two of its modules released.

Submissions are written by each test (``tests.grading.courses``); the original course is never
changed, every test works on a copy.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from course.workspace import Workspace
from tests.grading import courses
from tests.modules import MODULES

#: Two modules are enough to show the same scores on real course notebooks and keep the suite short.
GRADED_MODULES = MODULES[:2]
DUE = "2026-11-20 12:00:00 UTC"


@pytest.fixture(scope="session")
def quickstart_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = courses.make_quickstart(tmp_path_factory.mktemp("quickstart"))
    with open(root / "nbgrader_config.py", "a", encoding="utf-8") as handle:
        handle.write("\nc.LateSubmissionPlugin.penalty_method = 'zero'\n")
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", courses.QUICKSTART_COURSE) as gb:
        gb.update_or_create_assignment(courses.QUICKSTART_ASSIGNMENT, duedate=DUE)
    return root


@pytest.fixture
def quickstart(quickstart_template: Path, tmp_path: Path) -> Path:
    """A fresh copy of the quickstart course, no submissions yet."""
    return courses.clone(quickstart_template, tmp_path / "quickstart")


@pytest.fixture(scope="session")
def module_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not GRADED_MODULES:
        pytest.skip("no modules in solutions/ yet")
    from course.grading.release import release

    ws = Workspace.init(tmp_path_factory.mktemp("modules") / "ws")
    release(course_dir=ws.root, assignments=GRADED_MODULES)
    return ws.root


@pytest.fixture
def module_workspace(module_template: Path, tmp_path: Path) -> Path:
    """A fresh copy of a workspace with two modules released, no submissions yet."""
    return courses.clone(module_template, tmp_path / "ws")
