"""Stock nbgrader, run in-process on a course directory with that directory's own config.

Used by the demo and as the reference that ``course grade`` must agree with.
"""

from __future__ import annotations

import logging
from pathlib import Path

from nbgrader.apps.api import NbGraderAPI
from nbgrader.converters import Autograde
from nbgrader.coursedir import CourseDirectory
from nbgrader.utils import temp_attrs
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader


def load_course_config(course_dir: Path | str) -> Config:
    """The config an nbgrader app would use in ``course_dir``: its ``nbgrader_config.py``, rooted there."""
    root = Path(course_dir).resolve()
    config = Config()
    if (root / "nbgrader_config.py").exists():
        config.merge(PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config())
    config.CourseDirectory.root = str(root)
    return config


def autograde(course_dir: Path | str, assignment: str, *, student: str = "*", force: bool = True) -> None:
    """``nbgrader autograde ASSIGNMENT`` (all students by default) with the course's own settings."""
    config = load_course_config(course_dir)
    api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
    with temp_attrs(api.coursedir, assignment_id=assignment, student_id=student):
        app = Autograde(coursedir=api.coursedir, parent=api)
        app.force = force
        app.create_student = True
        app.log.setLevel(logging.ERROR)
        app.start()
