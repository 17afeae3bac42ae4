"""Grading into a PostgreSQL gradebook (a real, throwaway server): the same as stock nbgrader's."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from course.grading import grade
from tests.grading import courses

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def _release_into(course: Path, url: str) -> None:
    with open(course / "nbgrader_config.py", "a", encoding="utf-8") as handle:
        handle.write(f"\nc.CourseDirectory.db_url = {url!r}\n")
    courses.nbgrader(course, "generate_assignment", courses.QUICKSTART_ASSIGNMENT, "--force")


def test_grading_into_postgresql_matches_stock_nbgrader_into_postgresql(quickstart: Path, tmp_path: Path,
                                                                        postgres: Callable[[str], str]) -> None:
    """Two PostgreSQL databases, one per copy of the course: `nbgrader autograde` fills one, `course
    grade` the other; every grade, comment and penalty is equal, and the scores are nbgrader's."""
    subs = courses.quickstart_submissions(quickstart)
    for kind in ("right", "wrong", "partial", "edited-test", "not-json"):
        courses.submit(quickstart, kind, courses.QUICKSTART_ASSIGNMENT, subs[kind])
    stock = courses.clone(quickstart, tmp_path / "stock")
    stock_url, ours_url = postgres("stock"), postgres("ours")
    _release_into(stock, stock_url)
    _release_into(quickstart, ours_url)
    courses.nbgrader(stock, "autograde", courses.QUICKSTART_ASSIGNMENT, check=False)

    report = grade(quickstart, jobs=2)

    assert courses.gradebook_dump(f"sqlite:///{quickstart / 'gradebook.db'}", ["ps1"]) == {}
    ours, theirs = courses.gradebook_dump(ours_url), courses.gradebook_dump(stock_url)
    assert ours and courses.diff(theirs, ours) == []
    totals = courses.totals(ours_url)
    assert totals[("ps1", "right")][0] > totals[("ps1", "wrong")][0]
    assert len(report.results) == 5


def test_the_db_option_sends_scores_to_another_gradebook(quickstart: Path, postgres: Callable[[str], str]) -> None:
    """`db_url` (the CLI's --db) overrides the course's gradebook: scores land in PostgreSQL."""
    url = postgres("override")
    courses.nbgrader(quickstart, "generate_assignment", courses.QUICKSTART_ASSIGNMENT, "--force",
                     f"--CourseDirectory.db_url={url}")
    courses.submit(quickstart, "right", courses.QUICKSTART_ASSIGNMENT,
                   courses.quickstart_submissions(quickstart)["right"])
    sqlite_before = courses.gradebook_dump(f"sqlite:///{quickstart / 'gradebook.db'}")

    grade(quickstart, jobs=1, db_url=url)

    score, max_score = courses.totals(url)[("ps1", "right")]
    assert score == 3.0 and max_score > score
    assert courses.gradebook_dump(f"sqlite:///{quickstart / 'gradebook.db'}") == sqlite_before
