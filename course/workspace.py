"""A trainer workspace: a standard nbgrader course directory for this course, outside the repo.

Layout (nbgrader's own, so formgrader and the ``nbgrader`` command work in it as usual)::

    DIR/nbgrader_config.py        this course's settings + the workspace's paths
    DIR/course-workspace.json     what course and gradebook this workspace belongs to
    DIR/gradebook.db              the gradebook (SQLite by default, any SQLAlchemy URL allowed)
    DIR/source/ release/ submitted/ autograded/ feedback/
    DIR/exchange/                 a local nbgrader exchange, so fetch/submit/collect work on one machine
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from course._paths import repo_root

COURSE_ID = "social-media-at-work"
MARKER = "course-workspace.json"

_CONFIG_TEMPLATE = '''"""nbgrader settings for this trainer workspace (written by `course workspace init`)."""

from course.grading.nbconfig import configure

c = get_config()  # noqa: F821 - provided by nbgrader
configure(c)
c.CourseDirectory.root = {root!r}
c.CourseDirectory.course_id = {course_id!r}
c.CourseDirectory.db_url = {db_url!r}
c.Exchange.root = {exchange!r}
c.Exchange.path_includes_course = True
'''


class WorkspaceError(RuntimeError):
    """The folder is not a workspace, or cannot become one."""


@dataclass
class Workspace:
    root: Path
    db_url: str
    course_root: str
    created: str
    course_id: str = COURSE_ID

    @property
    def exchange(self) -> Path:
        return self.root / "exchange"

    @property
    def config_file(self) -> Path:
        return self.root / "nbgrader_config.py"

    @classmethod
    def open(cls, directory: Path | str) -> Workspace:
        root = Path(directory).resolve()
        marker = root / MARKER
        if not marker.exists():
            raise WorkspaceError(
                f"{root} is not a course workspace (no {MARKER}); create one with `course workspace init {directory}`"
            )
        try:
            data = json.loads(marker.read_text("utf-8"))
            return cls(root=root, db_url=data["db_url"], course_root=data["course_root"],
                       created=data["created"], course_id=data.get("course_id", COURSE_ID))
        except (ValueError, KeyError) as exc:
            raise WorkspaceError(f"{marker} is damaged ({exc}); re-create the workspace") from exc

    @classmethod
    def init(cls, directory: Path | str, *, db_url: str | None = None) -> Workspace:
        """Create (or refresh the settings of) a workspace in ``directory``. Existing data is kept."""
        root = Path(directory).resolve()
        root.mkdir(parents=True, exist_ok=True)
        if (root / MARKER).exists():
            existing = cls.open(root)
            if db_url and db_url != existing.db_url:
                existing.db_url = db_url
            ws = existing
        else:
            ws = cls(root=root, db_url=db_url or f"sqlite:///{root / 'gradebook.db'}",
                     course_root=str(repo_root()), created=datetime.now(UTC).isoformat(timespec="seconds"))
        for sub in ("source", "release", "submitted", "autograded", "feedback", "exchange"):
            (root / sub).mkdir(exist_ok=True)
        os.chmod(root / "exchange", 0o777)
        ws._write()
        return ws

    def _write(self) -> None:
        data = {k: str(v) for k, v in asdict(self).items() if k != "root"}
        _atomic_write(self.root / MARKER, json.dumps(data, indent=2) + "\n")
        _atomic_write(self.config_file, _CONFIG_TEMPLATE.format(
            root=str(self.root), course_id=self.course_id, db_url=self.db_url, exchange=str(self.exchange)))

    def gradebook(self):
        from nbgrader.api import Gradebook

        return Gradebook(self.db_url, self.course_id)


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
