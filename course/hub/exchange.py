"""nbgrader's filesystem exchange on one machine, with the permissions done right.

Why this exchange: on one machine the kernel's file permissions are the strongest isolation there is
and JupyterLab's Assignments tab, formgrader and ``course collect`` already speak it. (On many
machines the Kubernetes path replaces it; nothing here needs a world-writable share.)

::

    exchange/                               root      0755   (stock nbgrader: 0777, world-writable)
    exchange/<course>/                      owner     2775
    exchange/<course>/outbound/             owner     2775   released modules, read-only to learners
    exchange/<course>/inbound/              owner     2773   learners may enter and create, never list
    exchange/<course>/inbound/<submission>/ learner   2770   files 0640: the learner and the course
                                                             owner's group only (stock nbgrader: 0777/0644)
    exchange/<course>/feedback/             owner     2771   files named by a hash only the learner can
                                                             compute from their own submission's secret

The group of everything is the course owner's private group (nobody else is in it); the set-group-id
bit gives each learner's submission that group, so the owner can read it. nbgrader runs with
``CourseDirectory.groupshared = True`` so that it neither needs nor makes a world-writable root.

A learner cannot list who submitted (no read on ``inbound``), cannot read or change another's
submission (no access for others), and the submission's time is taken by ``course collect`` from
the exchange, never from the learner's ``timestamp.txt``.
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

from nbgrader.exchange.default.submit import ExchangeSubmit

SUBMISSION_DIR_MODE = 0o2770
SUBMISSION_FILE_MODE = 0o640
#: The most one submission may hold, in kilobytes (nbgrader's ``CourseDirectory.max_dir_size``; the
#: learners' config sets ``max_file_size`` to the same, so no file is ever left out without a word).
MAX_SUBMISSION_KB = 20_000


def too_big_message(size_bytes: int, limit_kb: int, assignment: str) -> str:
    """What a learner reads when their submission is over the limit."""
    return (f"Your submission of {assignment} was not sent: its folder holds {size_bytes / 1e6:.1f} MB and the "
            f"course accepts at most {limit_kb / 1000:.0f} MB. Remove large files (data, videos, images) from "
            f"the folder {assignment} and submit again.")


class PrivateSubmit(ExchangeSubmit):
    """nbgrader's submit, except that the submission is readable only by the learner and the course group."""

    def set_perms(self, dest: str, fileperms: int, dirperms: int) -> None:
        if Path(dest).resolve().parent == Path(self.inbound_path).resolve():
            fileperms, dirperms = SUBMISSION_FILE_MODE, SUBMISSION_DIR_MODE
        super().set_perms(dest, fileperms=fileperms, dirperms=dirperms)

    def do_copy(self, src: str, dest: str, log: object = None) -> None:
        """Copy the learner's folder into the inbox without copying folder modes.

        Stock nbgrader copies with ``shutil.copytree``, whose ``copystat`` gives each new folder the
        mode of the learner's own folder and so clears the set-group-id bit that the folder got from
        ``inbound``. ``timestamp.txt`` and ``submission_secret.txt``, written next, then belonged to
        the learner's private group and the course owner could not collect the submission (a learner
        cannot chgrp to a group they are not in, nor set the bit again). Folders made with ``mkdir``
        keep the inherited group and bit; the size limits and ignore rules are nbgrader's own.
        """
        if Path(dest).resolve().parent != Path(self.inbound_path).resolve():
            super().do_copy(src, dest, log)
            return
        from nbgrader.utils import ignore_patterns

        size = self.get_size(src)
        if size > 1000 * self.coursedir.max_dir_size:
            shutil.rmtree(dest, ignore_errors=True)  # nothing half-sent stays in the inbox
            self.fail(too_big_message(size, self.coursedir.max_dir_size, Path(src).name))  # logged, no traceback
        ignore = ignore_patterns(exclude=self.coursedir.ignore, include=self.coursedir.include,
                                 max_file_size=self.coursedir.max_file_size, log=self.log)
        for dirpath, dirnames, filenames in os.walk(src):
            skipped = set(ignore(dirpath, dirnames + filenames))
            dirnames[:] = [d for d in dirnames if d not in skipped]
            target = Path(dest) / Path(dirpath).relative_to(src)
            target.mkdir(exist_ok=True)
            for name in filenames:
                if name not in skipped:
                    shutil.copyfile(Path(dirpath) / name, target / name)

    def copy_files(self) -> None:
        # Stock nbgrader opens the submission folder to everyone (0777) after set_perms; close it again.
        super().copy_files()
        dest = Path(self.inbound_path) / self.assignment_filename
        if dest.is_dir():
            os.chmod(dest, SUBMISSION_DIR_MODE)


def ensure_exchange(root: Path, course_id: str, *, owner: str) -> Path:
    """Create (or correct the permissions of) the exchange for ``course_id``; returns the course's folder."""
    root.mkdir(parents=True, exist_ok=True)
    os.chmod(root, 0o755)
    course = root / course_id
    # nbgrader's own modes with CourseDirectory.groupshared (the group is the owner's private one)
    modes = {course: 0o2775, course / "outbound": 0o2775, course / "inbound": 0o2773, course / "feedback": 0o2771}
    for path, mode in modes.items():
        path.mkdir(exist_ok=True)
        shutil.chown(path, owner, owner)
        os.chmod(path, mode)
    return course


def world_accessible(path: Path) -> list[Path]:
    """Files and folders under ``path`` that anyone may read or write (for ``course doctor`` and tests)."""
    out = []
    for item in [path, *path.rglob("*")]:
        mode = item.lstat().st_mode
        if stat.S_ISLNK(mode):
            continue
        if mode & (stat.S_IROTH | stat.S_IWOTH):
            out.append(item)
    return out
