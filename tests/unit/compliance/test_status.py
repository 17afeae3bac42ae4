"""course.compliance.status: every status, on both sides of the due, grace and recertification boundaries."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from course.compliance.status import (
    Attempt,
    ModuleStatus,
    Overall,
    Status,
    due_date,
    module_status,
    overall_status,
)
from course.policy import CompletionPolicy

DUE = date(2026, 3, 1)
GRACE = 7
RECERT = 365
DEADLINE = DUE + timedelta(days=GRACE)  # 2026-03-08: the last day that is not overdue


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, datetime.min.time()) + timedelta(hours=hour)


def graded(day: date, score: float, *, manual: bool = False, flags: tuple[str, ...] = ()) -> Attempt:
    return Attempt(submitted_at=at(day), score=score, max_score=16.0, needs_manual_grade=manual, flags=flags)


def pending(day: date) -> Attempt:
    return Attempt(submitted_at=at(day), score=None, max_score=16.0)


def status(attempts: list[Attempt], as_of: date, *, pass_mark: float = 75.0) -> ModuleStatus:
    return module_status("02-privacy-and-audiences", attempts, pass_mark=pass_mark, due=DUE, grace_days=GRACE,
                         recertify_after_days=RECERT, as_of=as_of)


PASS = 12.0  # 75 % of 16: exactly the pass mark
FAIL = 11.5


@pytest.mark.parametrize(("as_of", "expected"), [
    (DUE - timedelta(days=30), Status.NOT_STARTED),
    (DUE, Status.NOT_STARTED),
    (DEADLINE, Status.NOT_STARTED),
    (DEADLINE + timedelta(days=1), Status.OVERDUE),
])
def test_not_started_becomes_overdue_the_day_after_due_plus_grace(as_of: date, expected: Status) -> None:
    """With no attempt, a module is not started up to due + grace days, and overdue the day after."""
    result = status([], as_of)
    assert result.status is expected
    assert result.late is (expected is Status.OVERDUE)
    assert result.deadline == DEADLINE


@pytest.mark.parametrize(("as_of", "expected"), [
    (DEADLINE, Status.FAILED),
    (DEADLINE + timedelta(days=1), Status.OVERDUE),
])
def test_failed_may_retake_until_the_deadline(as_of: date, expected: Status) -> None:
    """A final attempt below the pass mark is failed until the deadline, then overdue (with its score kept)."""
    result = status([graded(DUE - timedelta(days=10), FAIL)], as_of)
    assert result.status is expected
    assert result.score == FAIL


def test_pass_mark_is_inclusive() -> None:
    """Exactly the pass mark passes; a hair below fails."""
    assert status([graded(DUE, PASS)], DUE).status is Status.PASSED
    assert status([graded(DUE, PASS - 0.01)], DUE).status is Status.FAILED
    assert status([graded(DUE, 15.0)], DUE, pass_mark=95.0).status is Status.FAILED


@pytest.mark.parametrize("as_of", [DEADLINE, DEADLINE + timedelta(days=400)])
def test_awaiting_a_trainer_is_never_overdue(as_of: date) -> None:
    """Submitted and needs-manual-grading stay so after the deadline: the trainer has the move."""
    assert status([pending(DUE)], as_of).status is Status.SUBMITTED
    manual = status([graded(DUE, 14.0, manual=True)], as_of)
    assert manual.status is Status.NEEDS_MANUAL_GRADING and not manual.late


def test_manual_grading_blocks_a_pass() -> None:
    """A high score with manual grading outstanding is not yet a pass."""
    assert status([graded(DUE, 16.0, manual=True)], DUE).status is Status.NEEDS_MANUAL_GRADING


def test_late_pass_is_passed() -> None:
    """Passing after the deadline makes the module passed (the date shows it was late)."""
    result = status([graded(DEADLINE + timedelta(days=20), 14.0)], DEADLINE + timedelta(days=30))
    assert result.status is Status.PASSED and result.passed_on == DEADLINE + timedelta(days=20)


@pytest.mark.parametrize(("offset", "expected", "late"), [
    (0, Status.PASSED, False),
    (1, Status.EXPIRED, False),
    (GRACE, Status.EXPIRED, False),
    (GRACE + 1, Status.EXPIRED, True),
])
def test_recertification_boundaries(offset: int, expected: Status, late: bool) -> None:
    """A pass is valid through passed_on + 365 days, expired after it, and late after the grace days too."""
    passed_on = date(2025, 1, 10)
    valid_until = passed_on + timedelta(days=RECERT)
    result = status([graded(passed_on, 14.0)], valid_until + timedelta(days=offset))
    assert result.status is expected
    assert result.valid_until == valid_until
    assert result.late is late
    if expected is Status.EXPIRED:
        assert result.action_by == valid_until


def test_retake_after_expiry() -> None:
    """After expiry a pending retake shows as submitted, a failing one leaves it expired, a passing one renews."""
    old = graded(date(2025, 1, 10), 14.0)
    as_of = date(2026, 2, 1)
    assert status([old, pending(date(2026, 1, 20))], as_of).status is Status.SUBMITTED
    assert status([old, graded(date(2026, 1, 20), 5.0)], as_of).status is Status.EXPIRED
    renewed = status([old, graded(date(2026, 1, 20), 15.0)], as_of)
    assert renewed.status is Status.PASSED and renewed.valid_until == date(2027, 1, 20)


def test_a_valid_pass_outlasts_a_worse_retake() -> None:
    """Retaking and failing while the pass is still valid leaves the module passed, with the passing score."""
    result = status([graded(DUE, 15.0), graded(DUE + timedelta(days=5), 3.0)], DUE + timedelta(days=6))
    assert result.status is Status.PASSED and result.score == 15.0


def test_attempts_after_as_of_do_not_count() -> None:
    """A report as of an earlier date ignores later submissions."""
    assert status([graded(DUE + timedelta(days=3), 15.0)], DUE).status is Status.NOT_STARTED


def test_flags_are_carried_not_scored() -> None:
    """Integrity flags travel with the status and never change it."""
    result = status([graded(DUE, 15.0, flags=("edited_test_cell",))], DUE)
    assert result.status is Status.PASSED and result.flags == ("edited_test_cell",)


def test_overall_status() -> None:
    """Certified when every module passed (until the earliest expiry); overdue when any is late; else in progress."""
    a = status([graded(date(2026, 1, 5), 14.0)], DUE)
    b = status([graded(date(2026, 2, 5), 14.0)], DUE)
    certified = overall_status("E1", [a, b])
    assert certified.overall is Overall.CERTIFIED
    assert certified.certified_until == date(2027, 1, 5) and certified.certified_on == date(2026, 2, 5)
    assert overall_status("E1", [a, status([], DUE)]).overall is Overall.IN_PROGRESS
    assert overall_status("E1", [a, status([], DEADLINE + timedelta(days=1))]).overall is Overall.OVERDUE
    lapsed = status([graded(date(2024, 1, 1), 14.0)], date(2026, 1, 1))
    assert lapsed.status is Status.EXPIRED and lapsed.late
    assert overall_status("E1", [a, lapsed]).overall is Overall.OVERDUE
    assert overall_status("E1", []).overall is Overall.IN_PROGRESS


def _policy(**due: object) -> CompletionPolicy:
    return CompletionPolicy.model_validate({
        "version": "t", "programme_start": "2026-01-05", "due": due or {"days_after_start": 60}, "grace_days": 7,
        "recertify_after_days": 365, "activity_iri": "https://x.example/xapi/",
        "modules": [{"id": "00-start-here", "title": "Start", "pass_mark_percent": 75}],
        "tracks": [{"id": "all_staff", "label": "All", "modules": ["00-start-here"]},
                   {"id": "fixed", "label": "Fixed", "modules": ["00-start-here"],
                    "due": {"fixed_date": "2026-06-30"}}],
    })


def test_due_dates() -> None:
    """Days count from the latest of start, track change, release and programme start; fixed dates are fixed."""
    policy = _policy()
    assert due_date(policy, "all_staff", start=date(2025, 6, 1)) == date(2026, 3, 6)  # programme start + 60
    assert due_date(policy, "all_staff", start=date(2026, 4, 1)) == date(2026, 5, 31)
    assert due_date(policy, "all_staff", start=date(2026, 4, 1), track_since=date(2026, 8, 1)) == date(2026, 9, 30)
    assert due_date(policy, "all_staff", start=date(2026, 4, 1), released_on=date(2026, 10, 1)) == date(2026, 11, 30)
    assert due_date(policy, "fixed", start=date(2020, 1, 1)) == date(2026, 6, 30)
    assert due_date(policy, "fixed", start=date(2026, 9, 1)) == date(2026, 6, 30)
