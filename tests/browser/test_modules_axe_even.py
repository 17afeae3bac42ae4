"""axe-core on modules 00, 02, 04, 06 after Run All, Light and Dark themes (see module_axe.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from course.workspace import Workspace
from tests.browser.conftest import RunningLab
from tests.browser.jlab import Lab
from tests.browser.module_axe import assert_clean, check_module, themed_lab  # noqa: F401 (fixture)
from tests.modules import MODULES

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.mark.parametrize("module", MODULES[0::2])
def test_module_has_no_new_serious_axe_finding(module: str, themed_lab: Lab, learner_server: RunningLab,  # noqa: F811
                                               course_workspace: Workspace, artifacts: Path) -> None:
    """After Run All, in the Light and the Dark theme, axe-core finds nothing serious or critical in
    what the module renders, and nothing of JupyterLab's or nbgrader's beyond the baseline."""
    assert_clean(module, check_module(module, themed_lab, learner_server, course_workspace, artifacts))
