"""``course grade`` killed with SIGKILL at random points, then run again until it finishes, leaves the
gradebook exactly as one uninterrupted run does, and loses no submission.

Both runs use the real command in a subprocess, on two copies of one workspace of module 02 with
right, wrong, blank, partial, tampered and broken submissions. The kill points are random but
seeded, spread over the length of the uninterrupted run, and only the coordinator is killed (as the
OOM killer would): its workers and kernels must go by themselves.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from course.grading import simulate
from course.grading.release import release
from course.grading.state import GradingState
from course.workspace import Workspace
from tests.grading import courses
from tests.grading.hostile.corpus import tree_hashes
from tests.modules import SOLUTIONS

pytestmark = pytest.mark.slow

MODULE = "02-privacy-and-audiences"
SEED = 20261122
KILLS = 3
BIN = Path(sys.executable).parent


def _workspace(root: Path) -> Path:
    ws = Workspace.init(root)
    release(course_dir=ws.root, assignments=[MODULE])
    released = simulate.read(ws.root / "release" / MODULE / f"{MODULE}.ipynb")
    solution = simulate.read(SOLUTIONS / MODULE / f"{MODULE}.ipynb")
    for kind, nb in courses.module_submissions(released, solution, seed=3).items():
        courses.submit(ws.root, kind, MODULE, {f"{MODULE}.ipynb": nb})
    courses.submit(ws.root, "not-json", MODULE, {f"{MODULE}.ipynb": b'{"cells": ['})
    return ws.root


def _grade(ws: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.Popen([str(BIN / "course"), "grade", "--course-dir", str(ws), "--jobs", "2"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _finish(proc: subprocess.Popen[bytes]) -> int:
    _, err = proc.communicate(timeout=1200)
    assert proc.returncode in (0, 1), err.decode(errors="replace")[-3000:]
    return proc.returncode


def _statuses(ws: Path) -> dict[str, tuple[str, float | None]]:
    with GradingState(ws / ".course") as state:
        return {s.student: (s.status, s.score) for s in state.all()}


def _recorded(ws: Path) -> int:
    """Submissions with an outcome in the state table (read-only, while `course grade` may run)."""
    path = ws / ".course" / "grading.sqlite"
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as db:
            return int(db.execute("SELECT count(*) FROM submissions").fetchone()[0])
    except sqlite3.Error:
        return 0


def _db(ws: Path) -> str:
    return f"sqlite:///{ws / 'gradebook.db'}"


def _parents() -> dict[int, tuple[int, bytes]]:
    """pid -> (parent pid, state) of every process."""
    out = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_bytes().rsplit(b")", 1)[1].split()
                out[int(entry.name)] = (int(fields[1]), fields[0])
            except (OSError, IndexError, ValueError):
                continue
    return out


def _descendants(pid: int) -> set[int]:
    table = _parents()
    found, frontier = set(), {pid}
    while frontier:
        frontier = {p for p, (parent, _) in table.items() if parent in frontier} - found
        found |= frontier
    return found


def _alive(pids: set[int]) -> set[int]:
    table = _parents()
    return {p for p in pids if p in table and table[p][1] not in (b"Z", b"X")}


def test_killed_runs_end_with_the_gradebook_of_an_uninterrupted_run(tmp_path: Path) -> None:
    """SIGKILLs of `course grade` at seeded random moments (one while it starts, two after a random
    number of submissions is recorded), each followed by a new run, end with the same grades,
    comments and statuses as one run that was never interrupted; every submission has its outcome,
    the originals are untouched, the killed runs' workers and kernels stop by themselves and the
    ledger still verifies."""
    template = _workspace(tmp_path / "template")
    reference = courses.clone(template, tmp_path / "reference")
    crashed = courses.clone(template, tmp_path / "crashed")
    originals = tree_hashes(crashed / "submitted")

    started = time.perf_counter()
    _finish(_grade(reference))
    full_run = time.perf_counter() - started

    total = len(list((crashed / "submitted").iterdir()))
    rng = random.Random(SEED)
    # one kill while it starts or prepares, then two after a random number of submissions is recorded
    plan = [("after seconds", rng.uniform(0.5, 4.0)),
            *(("after recorded", n) for n in sorted(rng.sample(range(1, total), KILLS - 1)))]
    kills, runs = 0, 0
    left_running: set[int] = set()
    recorded_at_kill: list[int] = []  # submissions with an outcome when each kill came
    for how, when in plan:
        runs += 1
        proc = _grade(crashed)
        if how == "after seconds":
            time.sleep(when)
        else:
            while proc.poll() is None and _recorded(crashed) < when:
                time.sleep(0.1)
            time.sleep(rng.uniform(0.0, 1.5))  # somewhere in the next submission's prepare, execute or record
        if proc.poll() is not None:
            _finish(proc)  # it finished first: nothing left to interrupt
            continue
        orphans = _descendants(proc.pid)  # its workers and their kernels
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        kills += 1
        recorded_at_kill.append(_recorded(crashed))
        deadline = time.monotonic() + 20
        while _alive(orphans) and time.monotonic() < deadline:
            time.sleep(0.5)
        left_running |= _alive(orphans)
    runs += 1
    _finish(_grade(crashed))

    assert kills >= 1, f"no run was interrupted (uninterrupted run took {full_run:.0f} s)"
    assert any(0 < n < total for n in recorded_at_kill), f"no kill in the middle of the batch: {recorded_at_kill}"
    assert left_running == set(), "workers or kernels of a killed run were still running 20 s later"
    assert courses.diff(courses.gradebook_dump(_db(reference)), courses.gradebook_dump(_db(crashed))) == []
    assert _statuses(crashed) == _statuses(reference)
    assert set(_statuses(crashed)) == {p.name for p in (crashed / "submitted").iterdir()}
    assert courses.diff(courses.autograded_tree(reference), courses.autograded_tree(crashed)) == []
    assert tree_hashes(crashed / "submitted") == originals
    ledger = subprocess.run([str(BIN / "course"), "ledger", "verify", "--course-dir", str(crashed)],
                            capture_output=True, text=True)
    assert ledger.returncode == 0, ledger.stdout + ledger.stderr
    print(f"{runs} runs, {kills} killed with {recorded_at_kill} of {total} recorded; uninterrupted run "
          f"{full_run:.0f} s")
