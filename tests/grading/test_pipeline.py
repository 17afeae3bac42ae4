"""``course grade`` as a batch: only new work is done, an interruption loses nothing, bad submissions
get a reason while the rest are graded, and the learners' files are never changed."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from course.grading import grade
from course.grading.state import GRADED, NEEDS_MANUAL, NOT_GRADABLE, SKIPPED, STATE_FILE, STATUS_FILE
from tests.grading import courses

pytestmark = pytest.mark.slow
PS1 = courses.QUICKSTART_ASSIGNMENT


def _submit_some(course: Path, students: list[str]) -> None:
    subs = courses.quickstart_submissions(course)
    kinds = ["right", "wrong", "partial", "blank"]
    for i, student in enumerate(students):
        courses.submit(course, student, PS1, subs[kinds[i % len(kinds)]])


def _digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _descendants(pid: int) -> set[int]:
    """Every process started (directly or not) by ``pid``, from /proc."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parents[int(stat.parent.name)] = int(fields[1])
        except (OSError, IndexError, ValueError):
            continue
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _db(course: Path) -> str:
    return f"sqlite:///{course / 'gradebook.db'}"


def test_unchanged_submissions_are_skipped_and_changed_ones_graded_again(quickstart: Path) -> None:
    """A second run grades nothing; after one learner resubmits only that one is graded; --force
    grades all; a submission whose autograded folder vanished is graded again."""
    _submit_some(quickstart, ["a1", "a2", "a3"])
    first = grade(quickstart, jobs=2)
    assert sorted(r.status for r in first.results) == sorted([NEEDS_MANUAL] * 3)
    scores = courses.gradebook_dump(_db(quickstart))
    stamp = (quickstart / "autograded/a1/ps1/problem1.ipynb").stat().st_mtime_ns

    again = grade(quickstart, jobs=2)
    assert [r.status for r in again.results] == [SKIPPED] * 3 and again.workers == 0
    assert (quickstart / "autograded/a1/ps1/problem1.ipynb").stat().st_mtime_ns == stamp
    assert courses.gradebook_dump(_db(quickstart)) == scores

    subs = courses.quickstart_submissions(quickstart)
    courses.submit(quickstart, "a2", PS1, subs["right"])
    shutil.rmtree(quickstart / "autograded/a3")
    third = grade(quickstart, jobs=2)
    assert {r.student: r.status for r in third.results} == {"a1": SKIPPED, "a2": NEEDS_MANUAL, "a3": NEEDS_MANUAL}
    assert courses.totals(_db(quickstart))[(PS1, "a2")][0] == 3.0  # now the right answers

    forced = grade(quickstart, jobs=2, force=True)
    assert all(r.status == NEEDS_MANUAL for r in forced.results)


def test_a_killed_run_loses_nothing_and_the_next_run_finishes_the_rest(quickstart: Path, tmp_path: Path) -> None:
    """`kill -9` in the middle of `course grade`: what was recorded stays recorded, nothing
    half-written is used, and the next run grades only the rest, to the same gradebook as one run."""
    students = [f"k{i}" for i in range(8)]
    _submit_some(quickstart, students)
    reference = courses.clone(quickstart, tmp_path / "reference")
    grade(reference, jobs=2)

    proc = subprocess.Popen([str(Path(sys.executable).parent / "course"), "grade", "--course-dir", str(quickstart),
                             "--jobs", "1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    state_db = quickstart / ".course" / STATE_FILE
    deadline = time.monotonic() + 600
    recorded = 0
    while time.monotonic() < deadline and proc.poll() is None:
        if state_db.exists():
            try:
                with sqlite3.connect(state_db) as db:
                    recorded = db.execute("SELECT count(*) FROM submissions").fetchone()[0]
            except sqlite3.OperationalError:  # the table is being created
                recorded = 0
            if recorded >= 2:
                break
        time.sleep(0.2)
    assert proc.poll() is None, "the run finished before it could be interrupted"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()

    resumed = grade(quickstart, jobs=2)
    statuses = [r.status for r in resumed.results]
    assert statuses.count(SKIPPED) >= 2 and statuses.count(NEEDS_MANUAL) == len(students) - statuses.count(SKIPPED)
    assert courses.diff(courses.gradebook_dump(_db(reference)), courses.gradebook_dump(_db(quickstart))) == []
    assert courses.diff(courses.autograded_tree(reference), courses.autograded_tree(quickstart)) == []
    assert not list((quickstart / ".course").glob("staging/*")), "the killed run's staging folder is cleaned"


def test_ctrl_c_stops_the_run_cleanly(quickstart: Path) -> None:
    """SIGINT ends `course grade` with status 130 and a one-line message, leaving no worker behind."""
    _submit_some(quickstart, [f"c{i}" for i in range(6)])
    proc = subprocess.Popen([str(Path(sys.executable).parent / "course"), "grade", "--course-dir", str(quickstart),
                             "--jobs", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    deadline = time.monotonic() + 600
    running: set[int] = set()
    while time.monotonic() < deadline and proc.poll() is None:
        running = _descendants(proc.pid)
        if len(running) >= 4:  # two workers, each with a kernel
            break
        time.sleep(0.2)
    assert proc.poll() is None and len(running) >= 4, "no kernels were running to interrupt"
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "interrupted" in err
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() for pid in running):
        time.sleep(0.2)
    assert [pid for pid in running if Path(f"/proc/{pid}").exists()] == []


def test_bad_submissions_get_a_reason_and_the_rest_are_graded(quickstart: Path) -> None:
    """An empty folder, a wrong notebook name, a broken timestamp and a notebook that runs too long
    are 'not gradable' with a plain reason; the good submission beside them is graded; every
    learner's file is byte for byte what it was; the status file lists them all."""
    subs = courses.quickstart_submissions(quickstart)
    courses.submit(quickstart, "good", PS1, subs["right"])
    (quickstart / "submitted/empty/ps1").mkdir(parents=True)
    courses.submit(quickstart, "renamed", PS1, {"Problem 1.ipynb": subs["right"]["problem1.ipynb"]})
    courses.submit(quickstart, "bad-time", PS1, subs["right"], timestamp="next tuesday")
    slow = courses.edit_cell(subs["right"]["problem1.ipynb"], "squares",
                             subs["right"]["problem1.ipynb"].cells[courses.find_cell(
                                 subs["right"]["problem1.ipynb"], "squares")].source + "\nimport time\ntime.sleep(30)")
    courses.submit(quickstart, "slow", PS1, {"problem1.ipynb": slow, "problem2.ipynb": subs["right"]["problem2.ipynb"]})
    before = _digest(quickstart / "submitted")

    report = grade(quickstart, jobs=2, notebook_timeout=8)

    by = {r.student: r for r in report.results}
    assert by["good"].status == NEEDS_MANUAL and by["good"].score == 3.0
    assert by["empty"].status == NOT_GRADABLE
    assert by["empty"].reason == "no notebook in the submission (the folder is empty)"
    assert by["renamed"].status == NOT_GRADABLE
    assert by["renamed"].reason == "wrong notebook name: found Problem 1.ipynb, expected problem1.ipynb, problem2.ipynb"
    assert by["bad-time"].status == NOT_GRADABLE and "timestamp.txt is not a date" in by["bad-time"].reason
    assert by["slow"].status == NOT_GRADABLE and "stopped after 8 s" in by["slow"].reason
    assert _digest(quickstart / "submitted") == before
    status = (quickstart / STATUS_FILE).read_text("utf-8")
    for student in by:
        assert f"ps1,{student}," in status
    assert "wrong notebook name" in status
    # nbgrader's own bookkeeping ran for the renamed one (as `nbgrader autograde` does), not for the others
    dump = courses.gradebook_dump(_db(quickstart))
    assert ("submission", PS1, "renamed") in dump and ("submission", PS1, "empty") not in dump
    assert by["good"].status in {GRADED, NEEDS_MANUAL}
