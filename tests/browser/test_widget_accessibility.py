"""The course's widgets in the browser, as a keyboard or screen-reader user meets them: every control
has a name the browser's accessibility tree announces, the practice deck and the privacy panel work
from the keyboard alone, and feedback says ✔ / ✘ in words, never by colour alone."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from course.policy import load_policies
from course.practice import load_practice, options_for
from course.workspace import Workspace
from tests.browser.conftest import JOURNEY_MODULE, VIEWPORT, RunningLab, need
from tests.browser.jlab import Lab, shot, widget_controls
from tests.modules import MODULES

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MODULE = JOURNEY_MODULE


@pytest.fixture(scope="module")
def module_02(browser, learner_server: RunningLab, course_workspace: Workspace) -> Iterator[Lab]:
    """Module 02's exercise open in the learner's lab with every cell run, shared by this file's tests
    (each leaves the widgets usable for the next)."""
    need(MODULE in MODULES, f"module {MODULE} is not in solutions/ yet")
    folder = learner_server.server.root_dir / "a11y" / MODULE
    shutil.copytree(course_workspace.root / "release" / MODULE, folder, dirs_exist_ok=True)
    context = browser.new_context(viewport=VIEWPORT)
    lab = Lab(context.new_page(), learner_server.url, learner_server.token)
    lab.page.set_default_timeout(30_000)
    lab.open("a11y")
    lab.open_from_file_browser("a11y", MODULE, f"{MODULE}.ipynb")
    lab.run_every_cell()
    yield lab
    context.close()
    learner_server.shut_down_kernels()


def test_every_widget_control_has_a_name(module_02: Lab, artifacts: Path) -> None:
    """Each radio button, drop-down and button of module 02's widgets has a non-empty accessible name,
    and the practice options are announced by their own labels."""
    controls = widget_controls(module_02)
    assert len(controls) >= 10, controls
    unnamed = [role for role, name in controls if not name]
    assert not unnamed, f"controls without an accessible name: {unnamed} (all: {controls})"
    policies = load_policies()
    item = load_practice(MODULE, policies=policies).items[0]
    radios = {name for role, name in controls if role == "radio"}
    assert {o.label for o in options_for(item, policies)} <= radios
    expect(module_02.notebook().get_by_role("radiogroup", name="Your answer:")).to_have_count(1)
    assert {"Platform:", "Kind of information:", "Audience:"} <= {name for role, name in controls
                                                                  if role == "combobox"}
    assert any(name.endswith("Check my answer") for role, name in controls if role == "button")


def test_practice_works_from_the_keyboard(module_02: Lab, artifacts: Path) -> None:
    """The options are one radio group, one Tab stop: Tab lands on it, the arrow keys move between the
    options and pick them (staying in the widget, not moving to another cell), the next Tab goes
    straight to "Check my answer" and Enter presses it: a wrong pick says "✘ Not yet", the right one
    "✔ Correct", in a live region screen readers announce; Next and Previous work from the keyboard too."""
    lab = module_02
    policies = load_policies()
    item = load_practice(MODULE, policies=policies).items[0]
    labels = {o.value: o.label for o in options_for(item, policies)}
    wrong = next(iter(item.hints), next(v for v in labels if v != item.answer))
    widget = lab.notebook().locator(".jp-OutputArea .widget-vbox").filter(
        has=lab.page.get_by_role("heading", name=re.compile(r"^Practice:"))).first
    widget.scroll_into_view_if_needed()
    group = widget.get_by_role("radiogroup", name="Your answer:")
    expect(group).to_have_count(1)
    check = widget.get_by_role("button", name="Check my answer")
    feedback = widget.get_by_role("status")
    expect(feedback).to_have_attribute("aria-live", "polite")
    cell_position = lab.page.locator("#jp-main-statusbar").get_by_text(re.compile(r"^Cell \d+/\d+$"))

    for choice, verdict in ((wrong, "✘ Not yet:"), (item.answer, "✔ Correct:")):
        widget.get_by_role("heading").click()  # start from the top of the widget, as a reader would
        cell_before = cell_position.inner_text()
        # Tab lands on the checked option, or on the first one when none is checked yet
        lab.press_until("Tab", group.locator("input:checked") if choice != wrong else group.get_by_role("radio").first)
        radio = group.get_by_role("radio", name=labels[choice], exact=True)
        for _ in labels:
            if radio.is_checked():
                break
            lab.page.keyboard.press("ArrowDown")
        expect(radio).to_be_checked()
        expect(radio).to_be_focused()
        assert radio.evaluate("r => getComputedStyle(r).outlineStyle") != "none", "no visible focus on the option"
        assert cell_position.inner_text() == cell_before, "the arrow keys moved to another cell"
        assert lab.press_until("Tab", check) == 1, "the other options should not be Tab stops"
        lab.page.keyboard.press("Enter")
        expect(feedback).to_contain_text(verdict)
        shot(lab.page, artifacts, f"keyboard-{'right' if choice == item.answer else 'wrong'}", target=widget)

    position = widget.get_by_text(re.compile(r"^Situation \d+ of \d+$"))
    expect(position).to_have_text(re.compile(r"^Situation 1 of"))
    lab.press_until("Tab", widget.get_by_role("button", name="Next situation"))
    lab.page.keyboard.press("Enter")
    expect(position).to_have_text(re.compile(r"^Situation 2 of"))
    lab.page.keyboard.press("Shift+Tab")
    expect(widget.get_by_role("button", name="Previous situation")).to_be_focused()
    lab.page.keyboard.press("Enter")
    expect(position).to_have_text(re.compile(r"^Situation 1 of"))


def test_privacy_panel_works_from_the_keyboard(module_02: Lab, artifacts: Path) -> None:
    """The privacy panel's drop-downs are reached with Tab and changed with the arrow keys (which stay
    on the drop-down instead of moving to another cell), and its verdict names the result in words
    and a symbol (✔ Fits the policy / ✘ Too wide); outside widgets the arrows still move between cells."""
    lab = module_02
    panel = lab.notebook().locator(".jp-OutputArea .widget-vbox").filter(
        has=lab.page.get_by_role("heading", name=re.compile(r"^Explore:"))).first
    panel.scroll_into_view_if_needed()
    kind = panel.get_by_role("combobox", name="Kind of information:")
    audience = panel.get_by_role("combobox", name="Audience:")
    verdict = panel.get_by_role("status")
    panel.get_by_role("heading").click()
    lab.press_until("Tab", kind)
    lab.page.keyboard.press("ArrowDown")
    expect(kind).to_be_focused()
    expect(kind).not_to_have_value("")
    lab.press_until("Tab", audience)
    lab.page.keyboard.press("ArrowDown")
    expect(verdict).to_contain_text(re.compile(r"(✔ Fits the policy|✘ Too wide):"))
    shot(lab.page, artifacts, "privacy-panel-keyboard", target=panel)

    # Outside widgets the arrow keys still move from cell to cell, as JupyterLab users expect.
    position = lab.page.locator("#jp-main-statusbar").get_by_text(re.compile(r"^Cell \d+/\d+$"))
    lab.cell(0).click()
    expect(position).to_have_text(re.compile(r"^Cell 1/"))
    lab.page.keyboard.press("ArrowDown")
    expect(position).to_have_text(re.compile(r"^Cell 2/"))
