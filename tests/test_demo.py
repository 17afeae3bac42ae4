"""`course demo` runs the whole cycle, and running it again works on the same workspace."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from course.compliance.ledger import Ledger
from course.demo import run_demo
from course.workspace import Workspace

pytestmark = pytest.mark.slow


def test_demo_twice(tmp_path: Path) -> None:
    """The second run refreshes the workspace, grades nothing new, and the ledger still verifies."""
    out = io.StringIO()
    console = Console(file=out, width=160)
    root = run_demo(directory=tmp_path / "demo", learners=2, console=console)
    first = out.getvalue()
    assert "5. Graded 8 module(s) x 2 learners" in first
    assert "dashboard.html" in first
    out.truncate(0)
    out.seek(0)
    run_demo(directory=tmp_path / "demo", learners=2, console=console)
    second = out.getvalue()
    assert "16 submission(s) unchanged since they were graded: skipped." in second
    assert "Grading 0" not in second and "with 2 local worker(s)" not in second
    ws = Workspace.open(root)
    with ws.gradebook() as gb:
        assert len(gb.students) == 2
        assert sum(1 for a in gb.assignments for _ in gb.assignment_submissions(a.name)) == 16
    assert (root / "report" / "status.csv").exists()
    assert Ledger.for_workspace(root).verify().ok


def test_simulated_learners_write_the_same_bytes_in_every_process(tmp_path: Path) -> None:
    """A set answer is written in sorted order: Python orders a set differently from one process to
    the next (hash seeds), and a changed byte would make `course grade` grade it again."""
    import subprocess
    import sys

    code = (
        "import random, sys, nbformat\n"
        "from course._paths import solutions_dir\n"
        "from course.grading import simulate\n"
        "out = []\n"
        "for module in ('04-one-brand-voice', '02-privacy-and-audiences', '07-final-check'):\n"
        "    sol = simulate.read(solutions_dir() / module / f'{module}.ipynb')\n"
        "    for seed in range(6):\n"
        "        nb = simulate.make_submission(sol, sol, 'wrong' if seed % 2 else 'right', rng=random.Random(seed),\n"
        "                                      learner_id='E1003')\n"
        "        out.append(nbformat.writes(nb))\n"
        "sys.stdout.write(str(hash(tuple(out))) + chr(10) + '|'.join(out))\n"
    )
    runs = []
    for seed in ("1", "2", "3"):
        env = {**__import__("os").environ, "PYTHONHASHSEED": seed}
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True,
                              timeout=120)
        runs.append(done.stdout.split("\n", 1)[1])
    assert runs[0] == runs[1] == runs[2]
    assert "{" in runs[0]  # sets were written
