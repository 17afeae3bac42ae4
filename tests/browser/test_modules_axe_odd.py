"""axe-core on modules 01, 03, 05, 07 after Run All, Light and Dark themes (see module_axe.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from course.workspace import Workspace
from tests.browser.axe import run_axe
from tests.browser.conftest import VIEWPORT, RunningLab
from tests.browser.jlab import Lab
from tests.browser.module_axe import THEMES, assert_clean, check_module, themed_lab  # noqa: F401 (fixture)
from tests.modules import MODULES

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.mark.parametrize("module", MODULES[1::2])
def test_module_has_no_new_serious_axe_finding(module: str, themed_lab: Lab, learner_server: RunningLab,  # noqa: F811
                                               course_workspace: Workspace, artifacts: Path) -> None:
    """After Run All, in the Light and the Dark theme, axe-core finds nothing serious or critical in
    what the module renders, and nothing of JupyterLab's or nbgrader's beyond the baseline."""
    assert_clean(module, check_module(module, themed_lab, learner_server, course_workspace, artifacts))


def test_axe_sees_every_cell_in_both_themes(themed_lab: Lab, learner_server: RunningLab,  # noqa: F811
                                            course_workspace: Workspace) -> None:
    """The check can fail: grey-on-grey text planted in the last cell's rendered markdown, far below the
    first screen, is reported as ours in Light and Dark (axe-core skips what it takes to be off screen,
    so without the whole notebook on screen and the <body> fix in axe.py it would find nothing)."""
    module = MODULES[-1]
    folder = learner_server.server.root_dir / "axe" / module
    shutil.copytree(course_workspace.root / "release" / module, folder, dirs_exist_ok=True)
    lab = themed_lab
    try:
        lab.open_from_file_browser("axe", module, f"{module}.ipynb")
        last = lab.notebook().locator(".jp-MarkdownCell .jp-RenderedMarkdown").last
        last.evaluate("m => { const p = document.createElement('p'); p.id = 'planted-low-contrast';"
                      " p.textContent = 'Planted text'; p.style.color = '#777'; p.style.background = '#888';"
                      " m.appendChild(p); }")
        for theme in THEMES:
            lab.set_theme(theme)
            lab.show_whole_notebook()
            report = run_axe(lab.page, f"planted-{theme.split()[-1].lower()}")
            lab.restore_window(VIEWPORT)
            planted = [f for f in report.findings if f.rule == "color-contrast" and "planted-low-contrast" in f.html]
            assert len(planted) == 1 and planted[0].ours and planted[0] in report.new(), report.findings
    finally:
        learner_server.shut_down_kernels()
        lab.close_tab()
