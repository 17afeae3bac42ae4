"""axe-core on every module as a learner sees it after Run All, in JupyterLab's Light and Dark themes.

Each module is opened once and run once; axe-core runs in the theme the tab is in, then JupyterLab's
own theme command (``apputils:change-theme``, "Use Theme: ..." in the command palette) switches the
theme and axe-core runs again on the same rendered cells, so no kernel runs twice. The modules are
split over two test files (``test_modules_axe_even.py``, ``test_modules_axe_odd.py``) so that xdist
can give them to two workers. Findings in what the course renders (widget views, outputs, markdown)
fail the test; JupyterLab's and nbgrader's own pass only when ``axe-baseline.yaml`` lists them.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from course.workspace import Workspace
from tests.browser.axe import AxeReport, need_axe, run_axe
from tests.browser.conftest import VIEWPORT, RunningLab
from tests.browser.jlab import Lab, problems, shot

THEMES = ("JupyterLab Light", "JupyterLab Dark")


@pytest.fixture(scope="module")
def themed_lab(browser, learner_server: RunningLab) -> Iterator[Lab]:
    """One learner tab for the file's modules; the theme is set back to Light at the end, since
    JupyterLab keeps it in the server's user settings, which the other browser tests share."""
    need_axe()
    context = browser.new_context(viewport=VIEWPORT)
    lab = Lab(context.new_page(), learner_server.url, learner_server.token)
    lab.page.set_default_timeout(30_000)
    lab.open("axe-modules")
    try:
        yield lab
    finally:
        lab.set_theme(THEMES[0])
        context.close()


def check_module(module: str, lab: Lab, learner_server: RunningLab, course_workspace: Workspace,
                 artifacts: Path) -> dict[str, AxeReport]:
    """Open ``module``'s exercise, Run All, and run axe-core in both themes (the one the tab is in first,
    so consecutive modules need one theme switch each); returns the report per theme."""
    folder = learner_server.server.root_dir / "axe" / module
    shutil.copytree(course_workspace.root / "release" / module, folder, dirs_exist_ok=True)
    reports: dict[str, AxeReport] = {}
    try:
        lab.open_from_file_browser("axe", module, f"{module}.ipynb")
        cells = lab.run_all()
        assert not problems(cells), problems(cells)
        current = lab.page.locator("body").get_attribute("data-jp-theme-name")
        order = sorted(THEMES, key=lambda t: t != current)
        for theme in order:
            lab.set_theme(theme)
            lab.show_whole_notebook()
            reports[theme] = run_axe(lab.page, f"{module}-{theme.split()[-1].lower()}")
            shot(lab.page, artifacts, theme.split()[-1].lower())
            lab.restore_window(VIEWPORT)
    finally:
        learner_server.shut_down_kernels()
        lab.close_tab()
    return reports


def assert_clean(module: str, reports: dict[str, AxeReport]) -> None:
    """No serious or critical finding of ours in either theme, and none of JupyterLab's outside the baseline."""
    messages = [r.message() for r in reports.values() if r.new()]
    assert not messages, "\n\n".join(messages)
