"""What the pipeline remembers between runs: one row per submission in ``DIR/.course/grading.sqlite``.

Each row is written in its own transaction right after the submission's scores are in the gradebook,
so an interrupted run (Ctrl-C, ``kill -9``) loses nothing and the next run grades only what is left.
``DIR/grading-status.csv`` is the same table for people (one line per submission), rewritten
atomically at the end of every run.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

GRADED = "graded"
NEEDS_MANUAL = "needs manual grading"
NOT_GRADABLE = "not gradable"
SKIPPED = "skipped (unchanged)"

#: Why a submission was not gradable: found before running it (the same bytes always fail the same
#: way, so an unchanged one is not retried) or while running it (retried on the next run).
PREPARE, EXECUTE = "prepare", "execute"

STATUS_FILE = "grading-status.csv"
STATE_FILE = "grading.sqlite"


@dataclass
class SubmissionState:
    """The last grading outcome of one learner's submission of one assignment."""

    assignment: str
    student: str
    status: str
    reason: str = ""
    failed_at: str = ""  # PREPARE or EXECUTE when not gradable
    key: str = ""  # content + assignment-version key; unchanged key = nothing to do
    content_sha256: str = ""
    score: float | None = None
    max_score: float | None = None
    late_penalty: float = 0.0
    seconds_late: float = 0.0
    flags: list[str] = field(default_factory=list)
    submitted_at: str = ""
    graded_at: str = ""
    seconds: float = 0.0

    @property
    def late(self) -> bool:
        return self.seconds_late > 0

    @property
    def needs_manual_grading(self) -> bool:
        return self.status == NEEDS_MANUAL


_COLUMNS = [f.name for f in fields(SubmissionState)]


class GradingState:
    """The state table of one course directory."""

    def __init__(self, state_dir: Path) -> None:
        state_dir.mkdir(parents=True, exist_ok=True)
        self.path = state_dir / STATE_FILE
        self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS submissions (assignment TEXT NOT NULL, student TEXT NOT NULL, "
            "data TEXT NOT NULL, PRIMARY KEY (assignment, student))")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS feedback (assignment TEXT NOT NULL, student TEXT NOT NULL, "
            "key TEXT NOT NULL, PRIMARY KEY (assignment, student))")

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> GradingState:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, assignment: str, student: str) -> SubmissionState | None:
        row = self._db.execute("SELECT data FROM submissions WHERE assignment=? AND student=?",
                               (assignment, student)).fetchone()
        return _load(row[0]) if row else None

    def all(self) -> list[SubmissionState]:
        rows = self._db.execute("SELECT data FROM submissions ORDER BY assignment, student").fetchall()
        return [_load(r[0]) for r in rows]

    def put(self, state: SubmissionState) -> None:
        """Store one outcome, durably, in its own transaction."""
        with self._transaction():
            self._db.execute("INSERT OR REPLACE INTO submissions (assignment, student, data) VALUES (?, ?, ?)",
                             (state.assignment, state.student, json.dumps(asdict(state), sort_keys=True)))

    def feedback_key(self, assignment: str, student: str) -> str | None:
        row = self._db.execute("SELECT key FROM feedback WHERE assignment=? AND student=?",
                               (assignment, student)).fetchone()
        return row[0] if row else None

    def put_feedback_key(self, assignment: str, student: str, key: str) -> None:
        with self._transaction():
            self._db.execute("INSERT OR REPLACE INTO feedback (assignment, student, key) VALUES (?, ?, ?)",
                             (assignment, student, key))

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")


def _load(text: str) -> SubmissionState:
    data = json.loads(text)
    return SubmissionState(**{k: v for k, v in data.items() if k in _COLUMNS})


def status_rows(states: Iterable[SubmissionState]) -> list[dict[str, str]]:
    out = []
    for s in states:
        out.append({
            "assignment": s.assignment,
            "student_id": s.student,
            "status": s.status,
            "reason": s.reason,
            "score": "" if s.score is None else f"{s.score:g}",
            "max_score": "" if s.max_score is None else f"{s.max_score:g}",
            "late": "yes" if s.late else "no",
            "seconds_late": f"{s.seconds_late:g}",
            "late_penalty": f"{s.late_penalty:g}",
            "integrity_flags": "; ".join(s.flags),
            "submitted_at": s.submitted_at,
            "graded_at": s.graded_at,
            "sha256": s.content_sha256,
        })
    return out


def write_status_file(root: Path, states: Iterable[SubmissionState]) -> Path:
    """``root/grading-status.csv``: one line per submission, written atomically."""
    rows = status_rows(states)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(status_rows([SubmissionState("", "", "")])[0]))
    writer.writeheader()
    writer.writerows(rows)
    path = root / STATUS_FILE
    atomic_write_bytes(path, buffer.getvalue().encode("utf-8"))
    return path


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
