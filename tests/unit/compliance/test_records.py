"""course.compliance.records: the grading pipeline's ledger events count as attempts, flags and release dates."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from course.compliance.gradebook import GradebookData, Submission
from course.compliance.ledger import Ledger
from course.compliance.records import collect
from course.compliance.roster import Employee, RosterEntry
from course.compliance.status import Status
from course.policy import load_policies

MODULES = ["00-start-here", "01-value-not-noise", "02-privacy-and-audiences", "03-choosing-the-channel",
           "07-final-check"]


def test_pipeline_events_are_read(tmp_path: Path) -> None:
    """An earlier pass known only from the ledger outlasts a worse resubmission; flags and releases are used."""
    ledger = Ledger(tmp_path / "ledger")
    ledger.append_many([
        ("released", {"assignment": "03-choosing-the-channel", "released_on": "2026-05-01"}),
        ("submitted", {"employee_id": "E1", "assignment": "02-privacy-and-audiences", "sha256": "aa",
                       "submitted_at": "2026-03-01T10:00:00"}),
        ("graded", {"employee_id": "E1", "assignment": "02-privacy-and-audiences", "score": 15.0, "max_score": 16.0,
                    "late_penalty": 1.0, "sha256": "aa", "needs_manual_grading": False,
                    "integrity_flags": "cell_edited: test_2; duplicated cell"}),
    ])
    employee = Employee("E1", "Ada Fernhollow", "ada@x.example", "Care", "lead@x.example", "all_staff",
                        date(2026, 1, 5))
    entries = {"E1": RosterEntry(employee, active=True, enrolled_on=date(2026, 1, 5), track_since=date(2026, 1, 5))}
    gradebook = GradebookData(
        assignments={m: 16.0 for m in MODULES}, students={}, collected={},
        submissions=[Submission("E1", "02-privacy-and-audiences", datetime(2026, 6, 1, 9), raw_score=5.0,
                                late_penalty=0.0, max_score=16.0, needs_manual_grade=False, graded=True,
                                flagged=False)])
    records = collect(tmp_path, "sqlite://", load_policies(), as_of=date(2026, 6, 2), gradebook=gradebook,
                      events=ledger.events(), entries=entries)
    modules = {m.module: m for m in records.statuses["E1"].modules}
    privacy = modules["02-privacy-and-audiences"]
    assert privacy.status is Status.PASSED
    assert privacy.score == 14.0 and privacy.passed_on == date(2026, 3, 1)
    assert privacy.attempt is not None and privacy.attempt.score == 5.0  # the latest attempt is still shown
    assert privacy.flags == ("cell_edited: test_2", "duplicated cell")
    assert records.released["03-choosing-the-channel"] == date(2026, 5, 1)
    assert modules["03-choosing-the-channel"].due == date(2026, 6, 30)  # counted from its release
    assert modules["00-start-here"].due == date(2026, 3, 6)  # counted from the start
    assert modules["00-start-here"].status is Status.OVERDUE
