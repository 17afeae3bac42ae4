"""A synthetic workspace (real nbgrader gradebook, roster, ledger) shared by the compliance tests."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from course.compliance.synthetic import SyntheticCounts, build_workspace
from course.workspace import Workspace

AS_OF = date(2026, 11, 20)


@pytest.fixture(scope="session")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, SyntheticCounts]:
    """120 invented employees over every track, all 8 modules released, every status present."""
    return build_workspace(tmp_path_factory.mktemp("synthetic") / "ws", employees=120, as_of=AS_OF, seed=11)


@pytest.fixture
def workspace_copy(synthetic: tuple[Workspace, SyntheticCounts], tmp_path: Path) -> Workspace:
    """A private copy of the synthetic workspace, for tests that record events or tamper with files."""
    import shutil

    target = tmp_path / "ws"
    shutil.copytree(synthetic[0].root, target, symlinks=True)
    text = (target / "course-workspace.json").read_text("utf-8").replace(str(synthetic[0].root), str(target))
    (target / "course-workspace.json").write_text(text, "utf-8")
    return Workspace.init(target)
