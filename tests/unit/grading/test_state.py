"""The grading state table and the status file: durable rows, atomic files."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from course.grading.state import (
    GRADED,
    NOT_GRADABLE,
    STATUS_FILE,
    GradingState,
    SubmissionState,
    atomic_write_bytes,
    write_status_file,
)


def test_rows_survive_reopening_and_replace_by_student_and_assignment(tmp_path: Path) -> None:
    """A stored row is there after the table is reopened; storing again replaces it."""
    with GradingState(tmp_path) as state:
        state.put(SubmissionState("ps1", "alice", GRADED, score=3, max_score=4, flags=["x deleted"]))
        state.put(SubmissionState("ps1", "bob", NOT_GRADABLE, reason="not JSON", failed_at="prepare"))
        state.put(SubmissionState("ps1", "alice", GRADED, score=4, max_score=4))
    with GradingState(tmp_path) as state:
        rows = state.all()
        assert [(r.student, r.score) for r in rows] == [("alice", 4), ("bob", None)]
        assert state.get("ps1", "bob").reason == "not JSON"
        assert state.get("ps2", "alice") is None


def test_the_status_file_has_one_line_per_submission(tmp_path: Path) -> None:
    """grading-status.csv lists status, reason, score, lateness and integrity flags per submission."""
    rows = [SubmissionState("ps1", "alice", GRADED, score=2.5, max_score=4, seconds_late=60, late_penalty=1,
                            flags=["a deleted", "b edited"]),
            SubmissionState("ps1", "bob", NOT_GRADABLE, reason="problem1.ipynb: not a notebook")]
    path = write_status_file(tmp_path, rows)
    assert path == tmp_path / STATUS_FILE
    with open(path, newline="", encoding="utf-8") as handle:
        lines = list(csv.DictReader(handle))
    assert lines[0]["score"] == "2.5" and lines[0]["late"] == "yes"
    assert lines[0]["integrity_flags"] == "a deleted; b edited"
    assert lines[1]["status"] == NOT_GRADABLE and lines[1]["reason"] == "problem1.ipynb: not a notebook"
    assert not list(tmp_path.glob(".*.tmp"))


def test_an_atomic_write_leaves_the_old_file_when_it_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """If writing fails half-way, readers still see the whole old file and no temporary file remains."""
    target = tmp_path / "file.csv"
    atomic_write_bytes(target, b"old")

    def full_disk(_fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("os.fsync", full_disk)
    with pytest.raises(OSError, match="No space"):
        atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["file.csv"]
