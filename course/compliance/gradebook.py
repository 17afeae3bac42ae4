"""Read an nbgrader gradebook fast: a few aggregate SQL queries instead of one ORM query per learner.

The numbers are nbgrader's own definitions (``nbgrader/api.py``), computed in SQL:

* a grade's score is ``manual_score`` when set, else ``auto_score``, else 0, plus ``extra_credit``;
* a submission's raw score is the sum of its grades' scores; its late penalty the sum of its
  notebooks' ``late_submission_penalty``; its score ``max(0, raw - penalty)`` (as ``nbgrader export``);
* its max score is the assignment's: the sum of ``max_score`` over its grade cells and task cells;
* it needs manual grading when any of its grades has ``needs_manual_grade`` set;
* it is flagged when any of its notebooks is ``flagged``.

Works with any SQLAlchemy URL nbgrader accepts (SQLite, PostgreSQL). Submissions collected into
``DIR/submitted/`` but not yet in the gradebook (or newer than the gradebook's copy) are read from
their ``timestamp.txt`` as attempts awaiting grading.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    MetaData,
    String,
    Table,
    case,
    cast,
    create_engine,
    func,
    inspect,
    literal,
    select,
)

# The columns of nbgrader 0.9's tables that the report reads (``nbgrader/api.py``). Declared here so
# reading a gradebook does not import nbgrader (seconds of start-up); tests check them against it.
_meta = MetaData()
ASSIGNMENT = Table("assignment", _meta, Column("id", String(32), primary_key=True), Column("name", String(128)))
NOTEBOOK = Table("notebook", _meta, Column("id", String(32), primary_key=True), Column("name", String(128)),
                 Column("assignment_id", String(32)))
BASE_CELL = Table("base_cell", _meta, Column("id", String(32), primary_key=True), Column("notebook_id", String(32)))
GRADE_CELLS = Table("grade_cells", _meta, Column("id", String(32), primary_key=True), Column("max_score", Float))
TASK_CELLS = Table("task_cells", _meta, Column("id", String(32), primary_key=True), Column("max_score", Float))
STUDENT = Table("student", _meta, Column("id", String(128), primary_key=True), Column("first_name", String(128)),
                Column("last_name", String(128)), Column("email", String(128)))
SUBMITTED_ASSIGNMENT = Table("submitted_assignment", _meta, Column("id", String(32), primary_key=True),
                             Column("assignment_id", String(32)), Column("student_id", String(128)),
                             Column("timestamp", DateTime))
SUBMITTED_NOTEBOOK = Table("submitted_notebook", _meta, Column("id", String(32), primary_key=True),
                           Column("assignment_id", String(32)), Column("notebook_id", String(32)),
                           Column("flagged", Boolean), Column("late_submission_penalty", Float))
GRADE = Table("grade", _meta, Column("id", String(32), primary_key=True), Column("notebook_id", String(32)),
              Column("cell_id", String(32)), Column("auto_score", Float), Column("manual_score", Float),
              Column("extra_credit", Float), Column("needs_manual_grade", Boolean))


@dataclass(frozen=True)
class Submission:
    """One learner's current submission of one assignment, as the gradebook holds it."""

    student_id: str
    assignment: str
    timestamp: datetime | None  # naive UTC, as nbgrader stores it
    raw_score: float
    late_penalty: float
    max_score: float
    needs_manual_grade: bool
    graded: bool  # the gradebook has grades for it (autograde ran)
    flagged: bool

    @property
    def score(self) -> float:
        return max(0.0, self.raw_score - self.late_penalty)


@dataclass(frozen=True)
class StudentRow:
    id: str
    first_name: str | None
    last_name: str | None
    email: str | None


@dataclass
class GradebookData:
    assignments: dict[str, float]  # name -> max score
    students: dict[str, StudentRow]
    submissions: list[Submission]
    collected: dict[tuple[str, str], datetime]  # (student, assignment) -> timestamp, from submitted/


def read_gradebook(db_url: str, *, course_dir: Path | str | None = None) -> GradebookData:
    """Everything the compliance report needs from the gradebook, in four queries."""
    a, nb, sa, sn, g = ASSIGNMENT, NOTEBOOK, SUBMITTED_ASSIGNMENT, SUBMITTED_NOTEBOOK, GRADE
    bc, gc, tc, st = BASE_CELL, GRADE_CELLS, TASK_CELLS, STUDENT
    zero = literal(0.0)
    extra = func.coalesce(g.c.extra_credit, zero)
    grade_score = case(
        (g.c.manual_score.is_not(None), g.c.manual_score + extra),
        (g.c.auto_score.is_not(None), g.c.auto_score + extra),
        else_=zero,
    )
    engine = create_engine(db_url, future=True)
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("submitted_assignment"):  # no gradebook yet: nothing released or graded
                return GradebookData(assignments={}, students={}, submissions=[], collected={})
            maxes: dict[str, float] = {row.name: 0.0 for row in conn.execute(select(a.c.name))}
            for cells in (gc, tc):
                q = (select(a.c.name, func.coalesce(func.sum(cells.c.max_score), zero))
                     .select_from(cells.join(bc, bc.c.id == cells.c.id).join(nb, nb.c.id == bc.c.notebook_id)
                                  .join(a, a.c.id == nb.c.assignment_id))
                     .group_by(a.c.name))
                for name, total in conn.execute(q):
                    maxes[name] += float(total)
            students = {row.id: StudentRow(row.id, row.first_name, row.last_name, row.email)
                        for row in conn.execute(select(st.c.id, st.c.first_name, st.c.last_name, st.c.email))}
            per_nb = (select(sn.c.assignment_id.label("sa_id"),
                             func.sum(func.coalesce(sn.c.late_submission_penalty, zero)).label("penalty"),
                             func.max(case((sn.c.flagged, 1), else_=0)).label("flagged"))
                      .group_by(sn.c.assignment_id).subquery())
            per_grade = (select(sn.c.assignment_id.label("sa_id"),
                                func.sum(cast(grade_score, Float)).label("raw"),
                                func.max(case((g.c.needs_manual_grade, 1), else_=0)).label("manual"),
                                func.count(g.c.id).label("n"))
                         .select_from(g.join(sn, sn.c.id == g.c.notebook_id))
                         .group_by(sn.c.assignment_id).subquery())
            q = (select(sa.c.student_id, a.c.name, sa.c.timestamp, per_grade.c.raw, per_grade.c.manual,
                        per_grade.c.n, per_nb.c.penalty, per_nb.c.flagged)
                 .select_from(sa.join(a, a.c.id == sa.c.assignment_id)
                              .outerjoin(per_grade, per_grade.c.sa_id == sa.c.id)
                              .outerjoin(per_nb, per_nb.c.sa_id == sa.c.id)))
            submissions = [
                Submission(student_id=sid, assignment=name, timestamp=_naive(ts), raw_score=float(raw or 0.0),
                           late_penalty=float(pen or 0.0), max_score=maxes.get(name, 0.0),
                           needs_manual_grade=bool(manual), graded=bool(n), flagged=bool(flag))
                for sid, name, ts, raw, manual, n, pen, flag in conn.execute(q)
            ]
    finally:
        engine.dispose()
    collected = _collected(Path(course_dir)) if course_dir is not None else {}
    return GradebookData(assignments=maxes, students=students, submissions=submissions, collected=collected)


def _naive(ts: datetime | str | None) -> datetime | None:
    """A naive UTC datetime (SQLite returns naive values, PostgreSQL may return aware ones)."""
    if ts is None:
        return None
    if isinstance(ts, str):
        ts = datetime.fromisoformat(ts)
    offset = ts.utcoffset()
    return (ts - offset).replace(tzinfo=None) if offset is not None else ts


def parse_timestamp(text: str) -> datetime | None:
    """A ``timestamp.txt`` as nbgrader reads it (``nbgrader.utils.parse_utc``), as naive UTC."""
    from dateutil import parser as dateparser
    from dateutil import tz as dateutil_tz

    parts = text.strip().split(" ")
    if len(parts) == 3:
        try:
            zone: object = int(parts[2])
        except ValueError:
            zone = dateutil_tz.gettz(parts[2])
        return _naive(dateparser.parse(" ".join([*parts[:2], "TZ"]), tzinfos={"TZ": zone}))
    return _naive(dateparser.parse(text.strip()))


def _collected(course_dir: Path) -> dict[tuple[str, str], datetime]:
    """``(student, assignment) -> timestamp`` of every submission in ``DIR/submitted/``."""
    out: dict[tuple[str, str], datetime] = {}
    base = course_dir / "submitted"
    if not base.is_dir():
        return out
    for student in os.scandir(base):
        if not student.is_dir():
            continue
        for assignment in os.scandir(student.path):
            stamp = Path(assignment.path) / "timestamp.txt"
            if assignment.is_dir() and stamp.exists():
                try:
                    out[(student.name, assignment.name)] = parse_timestamp(stamp.read_text("utf-8"))
                except (ValueError, OverflowError, TypeError):
                    continue  # an unreadable timestamp: the grading pipeline reports it
    return out
