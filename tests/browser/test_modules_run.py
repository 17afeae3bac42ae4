"""Every module's exercise opens in the learner's JupyterLab and runs from top to bottom without a problem."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from course.workspace import Workspace
from tests.browser.conftest import VIEWPORT, RunningLab
from tests.browser.jlab import Lab, problems, shot
from tests.modules import MODULES

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def lab(browser, learner_server: RunningLab) -> Iterator[Lab]:
    """One learner tab for all modules: each test opens its module in it, as a learner would one after another."""
    context = browser.new_context(viewport=VIEWPORT)
    tab = Lab(context.new_page(), learner_server.url, learner_server.token)
    tab.page.set_default_timeout(30_000)
    tab.open("modules")
    yield tab
    context.close()


@pytest.mark.parametrize("module", MODULES)
def test_module_runs_all_cells_without_error(module: str, lab: Lab, learner_server: RunningLab,
                                             course_workspace: Workspace, artifacts: Path) -> None:
    """Opened from the file browser and run with Run > Run All Cells, the released exercise runs every
    cell and shows no traceback and no broken widget; the only errors are the one-line "You have not
    answered ... yet" messages of its unanswered questions."""
    folder = learner_server.server.root_dir / "exercises" / module
    shutil.copytree(course_workspace.root / "release" / module, folder, dirs_exist_ok=True)
    try:
        lab.open_from_file_browser("exercises", module, f"{module}.ipynb")
        shot(lab.page, artifacts, "01-opened")
        cells = lab.run_all()
        shot(lab.page, artifacts, "02-after-run-all")
        code = [c for c in cells if c.kind == "code"]
        assert code, "the notebook shows no code cells"
        found = problems(cells)
        assert not found, f"{module} after Run All Cells:\n" + "\n".join(found)
    finally:
        learner_server.shut_down_kernels()
        lab.close_tab()
