"""The ``course collect``, ``grade`` and ``feedback`` commands on a course nbgrader made itself."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from tests.grading import courses

pytestmark = pytest.mark.slow
COURSE = str(Path(sys.executable).parent / "course")


def _course(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([COURSE, *args], capture_output=True, text=True, timeout=900,
                          env={**os.environ, "COLUMNS": "120"})


def test_collect_grade_and_feedback_from_an_lms_zip(quickstart: Path, tmp_path: Path) -> None:
    """A zip goes in, scores come out: the commands print what they did and exit 0, or 1 when a
    submission could not be graded, `--timings` says where the time went, and a second `grade` only
    reports what it skipped."""
    subs = courses.quickstart_submissions(quickstart)
    export = tmp_path / "lms-export.zip"
    with zipfile.ZipFile(export, "w") as z:
        for student, kind in (("ana", "right"), ("ben", "wrong")):
            for name, nb in subs[kind].items():
                z.writestr(f"ps1-export/{student}/ps1/{name}", nbformat.writes(nb))
        z.writestr("ps1-export/cleo/ps1/problem1.ipynb", b"")
        z.writestr("ps1-export/cleo/ps1/problem2.ipynb", nbformat.writes(subs["right"]["problem2.ipynb"]))

    collected = _course("collect", "--course-dir", str(quickstart), "--zip", str(export))
    assert collected.returncode == 0, collected.stderr
    assert "3 new, 0 updated, 0 unchanged, 0 rejected" in collected.stdout

    graded = _course("grade", "--course-dir", str(quickstart), "--jobs", "2", "--timings")
    assert graded.returncode == 1, graded.stderr  # cleo's empty notebook
    out = graded.stdout
    rows = [[cell.strip() for cell in line.split("│")] for line in out.splitlines() if line.count("│") > 3]
    steps = {row[1]: row[2] for row in rows if row[1] in {"collect", "prepare", "execute", "record"}}
    # where the time went: one collect, a prepare and record per submission, an execute per notebook run
    # (ana's and ben's two each; cleo's empty notebook stops her submission at prepare)
    assert "Where the time went" in out and steps == {"collect": "1", "prepare": "3", "execute": "4", "record": "3"}
    assert "Grading 3 submission(s) with 2 local worker(s)" in out and "Grading summary" in out
    assert "cleo" in out and "problem1.ipynb: not a notebook: the file is empty" in " ".join(out.split())
    assert f"Status of every submission: {quickstart / 'grading-status.csv'}" in out.replace("\n", "")

    again = _course("grade", "--course-dir", str(quickstart))  # the same bytes would fail the same way
    assert again.returncode == 0 and "3 submission(s) unchanged since they were graded: skipped." in again.stdout

    pages = _course("feedback", "--course-dir", str(quickstart))
    assert pages.returncode == 0, pages.stderr
    assert "Feedback: 2 written, 0 unchanged, 0 failed" in pages.stdout
    assert (quickstart / "feedback/ana/ps1/problem1.html").exists()


def test_mistakes_are_one_clean_line_with_status_2(quickstart: Path, tmp_path: Path) -> None:
    """An unknown assignment, a missing course folder and a bad zip each print one error line."""
    for args, message in (
        (["grade", "ps9", "--course-dir", str(quickstart)], "error: not in the gradebook of"),
        (["grade", "--course-dir", str(tmp_path / "nowhere")], "error: course directory not found"),
        (["collect", "--course-dir", str(quickstart), "--zip", str(tmp_path / "none.zip")],
         "error: zip file not found"),
    ):
        done = _course(*args)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert done.stderr.startswith(message) and "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) <= 2
