"""Learners and trainers each get their own JupyterLab: the learner the Assignments list and Validate,
the trainer formgrader; both behind Jupyter's own token."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from course.workspace import Workspace
from tests.browser.conftest import RunningLab
from tests.browser.jlab import Lab
from tests.modules import MODULES

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _page_config(lab: RunningLab) -> dict:
    status, body = lab.get("/lab")
    assert status == 200
    match = re.search(rb'<script id="jupyter-config-data" type="application/json">(.*?)</script>', body, re.S)
    assert match, "no page config in /lab"
    return json.loads(match.group(1))


@pytest.mark.parametrize("role", ["learner_server", "trainer_server"])
def test_server_refuses_requests_without_its_token(role: str, request: pytest.FixtureRequest) -> None:
    """Without the token (or with a wrong one) the server answers 403; with it, 200."""
    lab: RunningLab = request.getfixturevalue(role)
    assert lab.get("/api/status", token=False)[0] == 403
    assert lab.get(f"/api/status?token={lab.token[:-1]}x", token=False)[0] == 403
    assert lab.get("/api/status")[0] == 200
    assert lab.url.startswith("http://127.0.0.1:")


def test_learner_server_lists_modules_and_has_no_formgrader(learner_server: RunningLab,
                                                            course_workspace: Workspace) -> None:
    """The learner's server lists every released module from the exchange; formgrader is not there."""
    status, body = learner_server.get(f"/assignments?course_id={course_workspace.course_id}")
    listing = json.loads(body)
    assert status == 200 and listing["success"], listing
    assert {a["assignment_id"] for a in listing["value"]} >= set(MODULES)
    assert learner_server.get("/formgrader")[0] == 404
    disabled = set(_page_config(learner_server)["disabledExtensions"])
    assert {"@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment"} <= disabled
    assert not {"@jupyter/nbgrader:assignment-list", "@jupyter/nbgrader:validate-assignment"} & disabled


def test_trainer_server_has_formgrader_and_no_assignment_list(trainer_server: RunningLab) -> None:
    """The trainer's server serves formgrader on the workspace; the learner's Assignments list is not there."""
    status, body = trainer_server.get("/formgrader/manage_assignments")
    assert status == 200 and b"Manage Assignments" in body
    assert b"not a subdirectory" not in body
    assert trainer_server.get("/assignments?course_id=x")[0] == 404
    disabled = set(_page_config(trainer_server)["disabledExtensions"])
    assert "@jupyter/nbgrader:assignment-list" in disabled
    assert "@jupyter/nbgrader:formgrader" not in disabled


def test_each_role_sees_its_own_nbgrader_menu(page, learner_server: RunningLab, trainer_server: RunningLab) -> None:
    """The Nbgrader menu offers a learner only the Assignment List, and a trainer Formgrader but not it."""
    learner = Lab(page, learner_server.url, learner_server.token)
    learner.open("menu")
    page.get_by_role("menuitem", name="Nbgrader", exact=True).click()
    menu = page.locator(".lm-Menu")
    expect(menu.get_by_role("menuitem", name="Assignment List")).to_be_visible()
    expect(menu.get_by_role("menuitem", name=re.compile("Formgrader|Create assignment|Course List"))).to_have_count(0)
    page.keyboard.press("Escape")

    trainer = Lab(page, trainer_server.url, trainer_server.token)
    trainer.open("menu")
    page.get_by_role("menuitem", name="Nbgrader", exact=True).click()
    expect(menu.get_by_role("menuitem", name="Formgrader", exact=True)).to_be_visible()
    expect(menu.get_by_role("menuitem", name="Assignment List")).to_have_count(0)
