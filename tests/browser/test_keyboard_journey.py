"""Module 00 from Fetch to Submit with the keyboard alone: no click, no mouse at all.

The learner opens the Assignments list from the command palette and fetches the module, opens it from
the file browser with the arrow keys and Enter, runs it, practises with its radio group, types every
answer (the written one too), saves, presses nbgrader's Validate in the notebook toolbar and Submit in
the Assignments list, each reached with Tab. Every control reached shows where the focus is, and
nothing traps the focus: Escape leaves a cell's editor, Tab leaves the notebook. A screenshot is kept
at every step under ``var/test-artifacts/browser/test_module_00_from_fetch_to_submit.../``.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from playwright.sync_api import Locator, expect

from course.grading import simulate
from course.workspace import Workspace
from tests.browser.conftest import LEARNER, RunningLab, need
from tests.browser.jlab import RUN_TIMEOUT_S, Lab, problems, shot
from tests.modules import MODULES, SOLUTIONS

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MODULE = "00-start-here"

#: Whether the focused element (inside web components too) shows a focus indicator: an outline or a
#: box shadow of its own, or on the shadow part that holds the focus.
_FOCUS_JS = """
() => {
  let el = document.activeElement;
  while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
  const shown = e => { const s = getComputedStyle(e);
    return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none'; };
  let e = el, found = false;
  for (let i = 0; e && i < 3 && !found; i++) {
    found = shown(e);
    e = e.parentElement || (e.getRootNode() && e.getRootNode().host);
  }
  return { found, html: el ? el.outerHTML.slice(0, 160) : '' };
}
"""


def assert_focus_visible(lab: Lab, what: str) -> None:
    seen = lab.page.evaluate(_FOCUS_JS)
    assert seen["found"], f"no visible focus on {what}: {seen['html']}"


def no_mouse(lab: Lab) -> None:
    """Record any mouse press on the page (there must be none)."""
    lab.page.evaluate("() => { window.__mousePresses = []; addEventListener('mousedown', e => "
                      "window.__mousePresses.push(e.target.outerHTML.slice(0, 80)), true); }")


def tab_to(lab: Lab, target: Locator, what: str, *, key: str = "Tab", limit: int = 80) -> int:
    presses = lab.press_until(key, target, limit=limit)
    assert_focus_visible(lab, what)
    return presses


def back_to_cell(lab: Lab, *, limit: int = 10) -> None:
    """Shift+Tab until the focus is on the active cell itself (command mode), not on something inside it."""
    for _ in range(limit):
        lab.page.keyboard.press("Shift+Tab")
        if lab.page.evaluate("() => document.activeElement.matches('.jp-Cell.jp-mod-active')"):
            return
    raise AssertionError(f"Shift+Tab x{limit} did not lead back to the cell; the focus is on {lab.focused()}")


def go_to_cell(lab: Lab, index: int) -> None:
    """In command mode, move to cell ``index`` with the arrow keys (as the status bar's "Cell n/m" shows)."""
    position = lab.page.locator("#jp-main-statusbar").get_by_text(re.compile(r"^Cell \d+/\d+$"))
    for _ in range(200):
        current = int(position.inner_text().split()[1].split("/")[0]) - 1
        if current == index:
            return
        lab.page.keyboard.press("ArrowDown" if current < index else "ArrowUp")
    raise AssertionError(f"could not reach cell {index} with the arrow keys: at {position.inner_text()}, "
                         f"the focus is on {lab.focused()}")


def test_module_00_from_fetch_to_submit(learner: Lab, learner_server: RunningLab, course_workspace: Workspace,
                                        artifacts: Path) -> None:
    """Fetch, open, run, practise, answer, save, Validate and Submit module 00 with the keyboard alone;
    Validate passes and the submission reaches the exchange."""
    need(MODULE in MODULES, f"module {MODULE} is not in solutions/ yet")
    lab, page = learner, learner.page
    released = simulate.read(course_workspace.root / "release" / MODULE / f"{MODULE}.ipynb")
    solution = simulate.read(SOLUTIONS / MODULE / f"{MODULE}.ipynb")
    typed = simulate.make_submission(released, solution, "right", rng=random.Random(3))

    lab.open("keyboard")
    no_mouse(lab)

    # Fetch: the command palette opens the Assignments list; Tab reaches Fetch, Enter presses it.
    lab.command("Assignment List")
    panel = page.locator("#nbgrader-assignment-list")
    expect(panel.locator("#released_assignments_list_loading")).to_be_hidden(timeout=30_000)
    fetch = lab.assignment_row(panel, "released", MODULE).get_by_role("button", name="Fetch")
    tab_to(lab, fetch, "the Fetch button")
    shot(page, artifacts, "00-fetch-focused")
    page.keyboard.press("Enter")
    expect(lab.assignment_row(panel, "fetched", MODULE)).to_be_visible(timeout=30_000)

    # Open: Tab into the file browser's list, arrow keys to the folder, Enter, twice, then the notebook.
    listing = page.locator(".jp-FileBrowser .jp-DirListing-content")
    expect(lab.file_browser_item(course_workspace.course_id)).to_be_visible(timeout=15_000)
    tab_to(lab, listing, "the file list", key="Shift+Tab")
    for name in (course_workspace.course_id, MODULE, f"{MODULE}.ipynb"):
        item = lab.file_browser_item(name)
        expect(item).to_be_visible(timeout=15_000)
        for _ in range(30):
            if "jp-mod-selected" in (item.get_attribute("class") or ""):
                break
            page.keyboard.press("ArrowDown")
        expect(item).to_have_class(re.compile("jp-mod-selected"))
        page.keyboard.press("Enter")
    notebook = lab.notebook()
    expect(notebook.locator(".jp-Cell").first).to_be_visible(timeout=30_000)
    lab.wait_kernel_idle()
    shot(page, artifacts, "01-opened")

    # Run every cell from the command palette.
    lab.command("Run All Cells")
    lab.wait_until_settled()
    page.wait_for_timeout(1000)
    found = problems(lab.cells())
    assert not [p for p in found if "did not run" not in p], found

    # Practise: Tab to the radio group, arrow keys pick, Tab to Check my answer, Enter.
    widget = notebook.locator(".jp-OutputArea .widget-vbox").filter(
        has=page.get_by_role("heading", name=re.compile(r"^Practice:"))).first
    practice_cell = next(i for i, c in enumerate(released.cells) if "practice_scenarios(" in c.source)
    go_to_cell(lab, practice_cell)
    group = widget.get_by_role("radiogroup", name="Your answer:")
    tab_to(lab, group, "the practice options")
    page.keyboard.press("ArrowDown")
    tab_to(lab, widget.get_by_role("button", name="Check my answer"), "Check my answer")
    page.keyboard.press("Enter")
    expect(widget.get_by_role("status")).to_contain_text(re.compile(r"^(✔ Correct|✘ Not yet):"))
    shot(page, artifacts, "02-practised", target=widget)
    # No trap: Shift+Tab leaves the widget for its cell (the notebook's Tab stop), in command mode, where
    # the arrow keys move between cells again.
    back_to_cell(lab)

    # Answer: arrow keys to each answer cell, Enter edits it, Ctrl+A and type, Escape leaves the editor.
    index = {id(c): i for i, c in enumerate(typed.cells)}
    for cell in simulate.answer_cells(typed).values():
        i = index[id(cell)]
        go_to_cell(lab, i)
        page.keyboard.press("Enter")
        editor = lab.cell(i).locator(".cm-content")
        expect(editor).to_be_focused()
        page.keyboard.press("Control+a")
        page.keyboard.type(cell.source)
        if cell.cell_type == "markdown":
            page.keyboard.press("Shift+Enter")
            expect(lab.cell(i).locator(".jp-RenderedMarkdown")).to_contain_text(cell.source[:40])
        else:
            page.keyboard.press("Escape")
        expect(editor).not_to_be_focused()
    shot(page, artifacts, "03-answered")
    page.keyboard.press("Control+s")
    expect(page.locator(".lm-TabBar-tab.jp-mod-current.jp-mod-dirty")).to_have_count(0, timeout=15_000)

    # Validate: from the notebook, Shift+Tab reaches its toolbar (one Tab stop), the arrow keys move
    # along it to Validate, Enter presses it.
    toolbar = notebook.locator(".jp-NotebookPanel-toolbar")
    lab.press_until("Shift+Tab", toolbar)
    validate = toolbar.locator(".validate-button")
    for _ in range(30):
        if validate.evaluate("b => b.contains(document.activeElement)"):
            break
        page.keyboard.press("ArrowRight")
    expect(validate).to_be_focused()
    assert_focus_visible(lab, "Validate")
    shot(page, artifacts, "04-validate-focused")
    page.keyboard.press("Enter")
    dialog = page.locator(".jp-Dialog")
    expect(dialog).to_contain_text("Validation Results", timeout=RUN_TIMEOUT_S * 1000)
    expect(dialog).to_contain_text("Success! Your notebook passes all the tests.")
    ok = dialog.get_by_role("button", name="Ok")
    expect(ok).to_be_focused()
    assert_focus_visible(lab, "the dialog's Ok button")
    shot(page, artifacts, "05-validated")
    page.keyboard.press("Enter")
    expect(dialog).to_have_count(0)

    # Submit: the Assignments list again; Tab reaches Submit in the fetched row; Enter.
    lab.command("Assignment List")
    expect(panel.locator("#fetched_assignments_list_loading")).to_be_hidden(timeout=30_000)
    submit = lab.assignment_row(panel, "fetched", MODULE).get_by_role("button", name="Submit")
    tab_to(lab, submit, "the Submit button")
    page.keyboard.press("Enter")
    expect(lab.assignment_row(panel, "submitted", MODULE)).to_be_visible(timeout=30_000)
    shot(page, artifacts, "06-submitted")

    inbound = course_workspace.exchange / course_workspace.course_id / "inbound"
    assert any(p.name.startswith(f"{LEARNER}+{MODULE}+") for p in inbound.iterdir()), list(inbound.iterdir())
    assert page.evaluate("() => window.__mousePresses") == [], "the journey used the mouse"
