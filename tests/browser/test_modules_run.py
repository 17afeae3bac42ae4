"""Every module's exercise opens in the learner's JupyterLab and runs from top to bottom without a problem."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from course.workspace import Workspace
from tests.browser.conftest import RunningLab
from tests.browser.jlab import Lab, problems, shot
from tests.modules import MODULES

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.mark.parametrize("module", MODULES)
def test_module_runs_all_cells_without_error(module: str, learner: Lab, learner_server: RunningLab,
                                             course_workspace: Workspace, artifacts: Path) -> None:
    """Opened from the file browser and run with Run > Run All Cells, the released exercise runs every
    cell and shows no traceback and no broken widget; the only errors are the one-line "You have not
    answered ... yet" messages of its unanswered questions."""
    folder = learner_server.server.root_dir / "exercises" / module
    shutil.copytree(course_workspace.root / "release" / module, folder, dirs_exist_ok=True)
    learner.open(f"run-{module}")
    learner.open_from_file_browser("exercises", module, f"{module}.ipynb")
    shot(learner.page, artifacts, "01-opened")

    cells = learner.run_all()
    shot(learner.page, artifacts, "02-after-run-all")

    code = [c for c in cells if c.kind == "code"]
    assert code, "the notebook shows no code cells"
    found = problems(cells)
    assert not found, f"{module} after Run All Cells:\n" + "\n".join(found)
