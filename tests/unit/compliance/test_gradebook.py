"""course.compliance.gradebook: the few-query fast path gives exactly nbgrader's own numbers."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from nbgrader import api
from nbgrader.api import Gradebook

from course.compliance import gradebook as fast
from course.compliance.gradebook import parse_timestamp, read_gradebook


@pytest.fixture(scope="module")
def db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A gradebook filled through nbgrader's own API, with every scoring feature in use."""
    url = f"sqlite:///{tmp_path_factory.mktemp('gb') / 'gradebook.db'}"
    start = datetime(2026, 3, 1, 9, 30)
    with Gradebook(url, "course") as gb:
        for name in ("01-value-not-noise", "02-privacy-and-audiences", "03-never-submitted"):
            gb.add_assignment(name)
            gb.add_notebook(name, name)
            for k in range(3):
                gb.add_grade_cell(f"auto_{k}", name, name, max_score=2.0 + k, cell_type="code")
            gb.add_grade_cell("written", name, name, max_score=4.0, cell_type="markdown")
            gb.add_task_cell("task", name, name, max_score=1.5, cell_type="markdown")
        gb.add_notebook("extra", "02-privacy-and-audiences")
        gb.add_grade_cell("extra_auto", "extra", "02-privacy-and-audiences", max_score=3.0, cell_type="code")
        for i in range(6):
            gb.add_student(f"E{i}", first_name=f"First{i}", last_name=f"Last{i}", email=f"e{i}@x.example")
        for i in range(6):
            for a in ("01-value-not-noise", "02-privacy-and-audiences"):
                if i == 5 and a.startswith("02"):
                    continue  # never submitted
                sub = gb.add_submission(a, f"E{i}", timestamp=start + timedelta(days=i))
                for nb in sub.notebooks:
                    nb.late_submission_penalty = 1.0 if i == 3 else None
                    nb.flagged = i == 4
                    for g in nb.grades:
                        if g.cell.name.startswith("auto") or g.cell.name == "extra_auto":
                            g.auto_score = float(i % 3)
                            g.needs_manual_grade = False
                        elif g.cell.name == "written":
                            g.auto_score = None
                            g.manual_score = None if i == 2 else 3.0
                            g.extra_credit = 0.5 if i == 1 else None
                            g.needs_manual_grade = i == 2
                        else:  # task cell: manual score overrides an auto score
                            g.auto_score = 1.0
                            g.manual_score = 0.5 if i == 0 else None
                            g.needs_manual_grade = False
        gb.db.commit()
    return url


@pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")  # raised inside nbgrader's add_submission
def test_fast_path_matches_nbgrader(db_url: str) -> None:
    """Scores, penalties, max scores, manual-grading and flags equal what nbgrader's ORM computes."""
    data = read_gradebook(db_url)
    got = {(s.student_id, s.assignment): s for s in data.submissions}
    with Gradebook(db_url, "course") as gb:
        expected = {}
        for a in gb.assignments:
            for s in gb.students:
                try:
                    sub = gb.find_submission(a.name, s.id)
                except api.MissingEntry:
                    continue
                expected[(s.id, a.name)] = sub
                mine = got[(s.id, a.name)]
                assert mine.raw_score == sub.score
                assert mine.late_penalty == sub.late_submission_penalty
                assert mine.score == max(0.0, sub.score - sub.late_submission_penalty)  # as `nbgrader export`
                assert mine.max_score == sub.max_score
                assert mine.needs_manual_grade == sub.needs_manual_grade
                assert mine.flagged == any(nb.flagged for nb in sub.notebooks)
                assert mine.timestamp == sub.timestamp
            assert data.assignments[a.name] == a.max_score
        assert set(got) == set(expected)
        assert set(data.students) == {s.id for s in gb.students}
    assert got[("E0", "01-value-not-noise")].raw_score == 0 + 3.0 + 0.5  # manual overrides auto on the task
    assert got[("E1", "01-value-not-noise")].raw_score == 3 * 1.0 + 3.0 + 0.5 + 1.0
    assert got[("E2", "02-privacy-and-audiences")].needs_manual_grade
    assert data.assignments["02-privacy-and-audiences"] == 2 + 3 + 4 + 4 + 1.5 + 3


def test_mirrored_tables_match_nbgrader() -> None:
    """The columns the fast path declares exist in nbgrader's schema with the same names."""
    pairs = [(fast.ASSIGNMENT, api.Assignment), (fast.NOTEBOOK, api.Notebook), (fast.BASE_CELL, api.BaseCell),
             (fast.GRADE_CELLS, api.GradeCell), (fast.TASK_CELLS, api.TaskCell), (fast.STUDENT, api.Student),
             (fast.SUBMITTED_ASSIGNMENT, api.SubmittedAssignment),
             (fast.SUBMITTED_NOTEBOOK, api.SubmittedNotebook), (fast.GRADE, api.Grade)]
    for mine, model in pairs:
        theirs = model.__table__
        assert mine.name == theirs.name
        assert {c.name for c in mine.columns} <= {c.name for c in theirs.columns}, mine.name


def test_collected_submissions_are_read(tmp_path: Path, db_url: str) -> None:
    """Submissions in submitted/ are read with nbgrader's timestamp rules; unreadable stamps are skipped."""
    for student, stamp in (("E1", "2026-04-01 10:00:00.000000 UTC"), ("E2", "not a time")):
        folder = tmp_path / "submitted" / student / "02-privacy-and-audiences"
        folder.mkdir(parents=True)
        (folder / "timestamp.txt").write_text(stamp, "utf-8")
    data = read_gradebook(db_url, course_dir=tmp_path)
    assert data.collected == {("E1", "02-privacy-and-audiences"): datetime(2026, 4, 1, 10)}
    assert parse_timestamp("2026-04-01 12:00:00 Europe/Berlin") == datetime(2026, 4, 1, 10)
