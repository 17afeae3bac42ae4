"""Completion status per employee and module, as of a date, from attempts and the completion policy.

Terms. An *attempt* is a submission with its time (from the collector, never from the learner). It is
*graded* once autograding has scored it, *pending* while it waits to be graded, and *final* when graded
with no manual grading outstanding. It *passes* when final and ``score / max_score`` reaches the
module's pass mark. Attempts after the as-of date do not count. All dates are UTC.

* ``due`` = the track's due rule: a fixed date, or N days after the latest of the employee's start
  date, the day they joined their track, the module's release and the policy's ``programme_start``;
* ``deadline`` = ``due + grace_days``;
* ``valid_until`` = the latest passing attempt's date + ``recertify_after_days`` (the last valid day).

Module status, the first rule that applies wins:

====================  =========================================================================
status                when
====================  =========================================================================
passed                a passing attempt exists and ``as_of <= valid_until``
submitted             the latest attempt is pending (collected, not graded yet)
needs manual grading  the latest attempt is graded but a trainer still has to grade part of it.
                      Neither of these two is ever overdue: the trainer has the next move
expired               a passing attempt exists but has lapsed (``as_of > valid_until``):
                      recertification is due by ``valid_until``, and *late* once
                      ``as_of > valid_until + grace_days``
overdue               no pass ever, and ``as_of > deadline`` (always *late*)
failed                the latest attempt is final and below the pass mark (may retake)
not started           no attempt
====================  =========================================================================

A module is *late* when it is overdue, or expired for longer than the grace days. Late modules
go to the overdue list and to managers; a failed or not-started module becomes overdue at the
deadline.

Overall status per employee, over the modules their track requires that have been released:

* ``certified`` (until the earliest ``valid_until``) when every one of them is *passed*;
* ``overdue`` when any of them is *late* (overdue, or expired beyond the grace days);
* ``in progress`` otherwise.

Modules that the track requires but that are not in the gradebook yet (not released) are left out.
Integrity flags (from grading) are carried through to every output; they never change a status.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from course.policy import CompletionPolicy


class Status(StrEnum):
    NOT_STARTED = "not started"
    SUBMITTED = "submitted"
    NEEDS_MANUAL_GRADING = "needs manual grading"
    FAILED = "failed"
    PASSED = "passed"
    OVERDUE = "overdue"
    EXPIRED = "expired"


class Overall(StrEnum):
    CERTIFIED = "certified"
    IN_PROGRESS = "in progress"
    OVERDUE = "overdue"


#: Display order: what needs attention first.
STATUS_ORDER = (Status.OVERDUE, Status.EXPIRED, Status.FAILED, Status.NOT_STARTED, Status.SUBMITTED,
                Status.NEEDS_MANUAL_GRADING, Status.PASSED)


@dataclass(frozen=True)
class Attempt:
    submitted_at: datetime | None  # naive UTC; None when the gradebook has no time for it
    score: float | None  # None while pending
    max_score: float
    needs_manual_grade: bool = False
    flags: tuple[str, ...] = ()

    @property
    def pending(self) -> bool:
        return self.score is None

    @property
    def final(self) -> bool:
        return self.score is not None and not self.needs_manual_grade

    @property
    def percent(self) -> float | None:
        if self.score is None or self.max_score <= 0:
            return None
        return 100.0 * self.score / self.max_score

    def passes(self, pass_mark_percent: float) -> bool:
        if not self.final or self.max_score <= 0 or self.score is None:
            return False
        # score/max >= mark/100 without dividing, so 7.5/10 passes a 75 % mark exactly
        return self.score * 100.0 >= pass_mark_percent * self.max_score - 1e-9

    @property
    def on(self) -> date | None:
        return self.submitted_at.date() if self.submitted_at is not None else None


@dataclass(frozen=True)
class ModuleStatus:
    module: str
    status: Status
    due: date
    deadline: date
    pass_mark: float
    attempt: Attempt | None = None  # the latest attempt that counts
    passed_on: date | None = None  # date of the latest passing attempt
    passed_attempt: Attempt | None = None
    valid_until: date | None = None
    flags: tuple[str, ...] = ()

    @property
    def score(self) -> float | None:
        shown = self.passed_attempt if self.status is Status.PASSED else self.attempt
        return shown.score if shown else None

    @property
    def max_score(self) -> float | None:
        shown = self.passed_attempt if self.status is Status.PASSED else self.attempt
        return shown.max_score if shown else None

    @property
    def percent(self) -> float | None:
        shown = self.passed_attempt if self.status is Status.PASSED else self.attempt
        return shown.percent if shown else None

    late: bool = False

    @property
    def action_by(self) -> date:
        """The date by which the learner should act: the due date, or the end of validity when recertifying."""
        if self.status is Status.EXPIRED and self.valid_until is not None:
            return self.valid_until
        return self.due

    @property
    def late_since(self) -> date | None:
        """The first day the module counted as late."""
        if not self.late:
            return None
        return self.action_by + (self.deadline - self.due) + timedelta(days=1)


@dataclass(frozen=True)
class EmployeeStatus:
    employee_id: str
    overall: Overall
    modules: tuple[ModuleStatus, ...]
    certified_until: date | None = None
    certified_on: date | None = None  # when the current certification was reached
    flags: tuple[str, ...] = field(default=())

    @property
    def passed_count(self) -> int:
        return sum(1 for m in self.modules if m.status is Status.PASSED)


def due_date(policy: CompletionPolicy, track: str, *, start: date, track_since: date | None = None,
             released_on: date | None = None) -> date:
    """The due date of a module of ``track`` for an employee (see the module docstring)."""
    rule = policy.due_rule(track)
    counted_from = max(d for d in (start, track_since, released_on, policy.programme_start) if d is not None)
    return rule.due(counted_from)


def module_status(module: str, attempts: Iterable[Attempt], *, pass_mark: float, due: date, grace_days: int,
                  recertify_after_days: int, as_of: date) -> ModuleStatus:
    """Apply the rules of the module docstring to one employee's attempts at one module."""
    deadline = due + timedelta(days=grace_days)
    counted = [a for a in attempts if a.on is None or a.on <= as_of]
    counted.sort(key=lambda a: (a.submitted_at or datetime.min, not a.pending))
    latest = counted[-1] if counted else None
    passing = [a for a in counted if a.passes(pass_mark)]
    last_pass = passing[-1] if passing else None
    flags = tuple(sorted({f for a in counted for f in a.flags}))
    common = {"module": module, "due": due, "deadline": deadline, "pass_mark": pass_mark, "attempt": latest,
              "flags": flags}
    if last_pass is not None:
        passed_on = last_pass.on or as_of
        valid_until = passed_on + timedelta(days=recertify_after_days)
        common.update(passed_on=passed_on, passed_attempt=last_pass, valid_until=valid_until)
        if as_of <= valid_until:
            return ModuleStatus(status=Status.PASSED, **common)
    if latest is not None and latest.pending:
        return ModuleStatus(status=Status.SUBMITTED, **common)
    if latest is not None and latest.needs_manual_grade:
        return ModuleStatus(status=Status.NEEDS_MANUAL_GRADING, **common)
    if last_pass is not None:
        late = as_of > common["valid_until"] + timedelta(days=grace_days)
        return ModuleStatus(status=Status.EXPIRED, late=late, **common)
    if as_of > deadline:
        return ModuleStatus(status=Status.OVERDUE, late=True, **common)
    if latest is not None:
        return ModuleStatus(status=Status.FAILED, **common)
    return ModuleStatus(status=Status.NOT_STARTED, **common)


def overall_status(employee_id: str, modules: Sequence[ModuleStatus]) -> EmployeeStatus:
    """Roll the module statuses of one employee up into their overall status."""
    flags = tuple(sorted({f for m in modules for f in m.flags}))
    if modules and all(m.status is Status.PASSED for m in modules):
        until = min(m.valid_until for m in modules if m.valid_until is not None)
        on = max(m.passed_on for m in modules if m.passed_on is not None)
        return EmployeeStatus(employee_id, Overall.CERTIFIED, tuple(modules), certified_until=until,
                              certified_on=on, flags=flags)
    if any(m.late for m in modules):
        return EmployeeStatus(employee_id, Overall.OVERDUE, tuple(modules), flags=flags)
    return EmployeeStatus(employee_id, Overall.IN_PROGRESS, tuple(modules), flags=flags)
