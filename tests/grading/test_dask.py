"""``course grade --scheduler ADDR``: notebooks run on a Dask cluster, scores are the same."""

from __future__ import annotations

from pathlib import Path

import pytest

from course.grading import grade
from course.grading.state import NEEDS_MANUAL, NOT_GRADABLE
from tests.grading import courses

pytestmark = pytest.mark.slow


def test_a_dask_cluster_gives_the_same_gradebook_as_local_workers(quickstart: Path, tmp_path: Path) -> None:
    """Graded on a LocalCluster of two worker processes (jobs travel as bytes, no shared folder is
    needed), the gradebook and autograded folder equal those of a local run."""
    from distributed import LocalCluster

    subs = courses.quickstart_submissions(quickstart)
    for kind in ("right", "wrong", "partial", "deleted-test", "not-json"):
        courses.submit(quickstart, kind, courses.QUICKSTART_ASSIGNMENT, subs[kind])
    local = courses.clone(quickstart, tmp_path / "local")
    grade(local, jobs=2)

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        report = grade(quickstart, scheduler=cluster.scheduler_address)
        assert report.backend == "dask" and report.workers == 2
        with cluster.get_client() as client:
            workers = set(client.scheduler_info()["workers"])
            assert len(workers) == 2

    db = {c: f"sqlite:///{c / 'gradebook.db'}" for c in (local, quickstart)}
    assert courses.diff(courses.gradebook_dump(db[local]), courses.gradebook_dump(db[quickstart])) == []
    assert courses.diff(courses.autograded_tree(local), courses.autograded_tree(quickstart)) == []
    by = {r.student: r.status for r in report.results}
    assert by == {"right": NEEDS_MANUAL, "wrong": NEEDS_MANUAL, "partial": NEEDS_MANUAL,
                  "deleted-test": NEEDS_MANUAL, "not-json": NOT_GRADABLE}
