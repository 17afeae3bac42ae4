"""`course demo` runs the whole cycle, and running it again works on the same workspace."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from course.compliance.ledger import Ledger
from course.demo import run_demo
from course.workspace import Workspace

pytestmark = pytest.mark.slow


def test_demo_twice(tmp_path: Path) -> None:
    """The second run refreshes the workspace, grades nothing new, and the ledger still verifies."""
    out = io.StringIO()
    console = Console(file=out, width=160)
    root = run_demo(directory=tmp_path / "demo", learners=2, console=console)
    first = out.getvalue()
    assert "5. Graded 8 module(s) x 2 learners" in first
    assert "dashboard.html" in first
    run_demo(directory=tmp_path / "demo", learners=2, console=console)
    ws = Workspace.open(root)
    with ws.gradebook() as gb:
        assert len(gb.students) == 2
        assert sum(1 for a in gb.assignments for _ in gb.assignment_submissions(a.name)) == 16
    assert (root / "report" / "status.csv").exists()
    assert Ledger.for_workspace(root).verify().ok
