"""Modules at 200 % zoom and in forced-colours mode, in the learner's JupyterLab: nothing the course
renders is lost.

A 200 % zoom is a window half as wide in CSS pixels at twice the pixel density (a 1280 px screen
shows 640 CSS px), which is how browsers zoom; forced-colours mode is Chromium's emulation of Windows
high-contrast themes (``forced-colors: active``), where the system replaces every colour and drops
backgrounds and shadows. The modules with the richest widgets are checked, each run once: after Run
All at 100 %, the window is narrowed to 200 % zoom, and then forced colours are switched on.

What "nothing lost" means here, measured on every output of every cell (widget views, tables, HTML):

* no output needs sideways scrolling, and no text is cut off (an ipywidgets label or box that hides
  its overflow, or an ellipsis);
* what must scroll on its own (a wide table) sits in a box that takes the keyboard focus;
* every control (button, drop-down, text box, radio button) and every label is on screen with a size;
* the text of each output is the same as at 100 % (nothing hidden by the narrow layout or by forced
  colours);
* headings, markdown's and the widgets' alike, start at h1 and never skip a level on the way down;
* in forced colours the focus ring of a widget's controls still shows (an outline, since the box
  shadows JupyterLab and ipywidgets use for focus are dropped).

Screenshots of each module at 200 % and in forced colours: ``var/test-artifacts/a11y/screenshots/``.
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from course.workspace import Workspace
from tests.browser.axe import ARTIFACTS
from tests.browser.conftest import RunningLab
from tests.browser.jlab import Lab, problems
from tests.modules import MODULES

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("a11y-zoom")]

#: The modules with the most widgets: audience picker and practice deck (02), the voice checker and
#: policy tables (04), the moderation queue (05), the case explorer with its charts and tables (06).
RICH = [m for m in MODULES if m[:2] in ("02", "04", "05", "06")]
FULL = {"width": 1280, "height": 900}
ZOOMED = {"width": 640, "height": 450}

#: Every output's text, and what in it is lost: sideways scrolling, cut-off text, controls or labels
#: with no size, scroll boxes the keyboard cannot reach.
_MEASURE_JS = """
(panel) => {
  const outputs = Array.from(panel.querySelectorAll('.jp-OutputArea-output'));
  const lost = [];
  const texts = outputs.map(o => (o.innerText || '').replace(/\\s+/g, ' ').trim());
  const where = (el) => {
    const cell = el.closest('.jp-Cell');
    const index = cell ? Array.from(panel.querySelectorAll('.jp-Cell')).indexOf(cell) : -1;
    return `cell ${index} <${el.tagName.toLowerCase()} class="${(el.className && el.className.baseVal === undefined
      ? el.className : '').toString().slice(0, 60)}"> "${(el.innerText || el.value || '').trim().slice(0, 50)}"`;
  };
  const shown = (el) => el.offsetParent !== null || getComputedStyle(el).position === 'fixed';
  for (const o of outputs) {
    if (!shown(o)) continue;
    if (o.scrollWidth > o.clientWidth + 1) {
      lost.push(`${where(o)}: the output scrolls sideways by ${o.scrollWidth - o.clientWidth}px`);
    }
    for (const el of o.querySelectorAll('*')) {
      if (!shown(el) || el.closest('.visually-hidden, .sr-only, [aria-hidden=true]')) continue;
      const style = getComputedStyle(el);
      const wide = el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0;
      if (wide && ['hidden', 'clip'].includes(style.overflowX) && (el.innerText || '').trim()) {
        // text that runs past a box that hides it: cut off (e.g. ipywidgets labels end in an ellipsis)
        lost.push(`${where(el)}: text cut off (${el.scrollWidth}px of text in ${el.clientWidth}px)`);
      }
      if (wide && ['auto', 'scroll'].includes(style.overflowX) && el.tabIndex < 0
          && !el.querySelector('a[href],button,input,select,textarea,[tabindex]')) {
        lost.push(`${where(el)}: scrolls sideways but the keyboard cannot reach it (no tabindex)`);
      }
      if (el.matches('button, select, input:not([type=hidden]), textarea, label, .widget-label')) {
        const r = el.getBoundingClientRect();
        const visuallyHiddenInput = el.matches('input[type=radio], input[type=checkbox]') && el.closest('label');
        const named = el.innerText || el.value || el.tagName !== 'LABEL';
        if ((r.width < 1 || r.height < 1) && !visuallyHiddenInput && named) {
          lost.push(`${where(el)}: a control or label with no size (${r.width}x${r.height})`);
        }
      }
    }
  }
  // every heading a learner's screen reader lists, in page order: markdown cells and outputs alike
  const headings = Array.from(panel.querySelectorAll(
      '.jp-RenderedMarkdown :is(h1,h2,h3,h4,h5,h6), .jp-OutputArea-output :is(h1,h2,h3,h4,h5,h6,[role=heading])'))
    .map(h => ({ level: Number(h.getAttribute('aria-level') || h.tagName.slice(1)) || 2,
                 text: (h.textContent || '').trim().slice(0, 60) }));
  return { texts, lost, headings };
}
"""


@pytest.fixture(scope="module")
def zoom_lab(browser, learner_server: RunningLab) -> Iterator[Lab]:
    """A learner tab at twice the pixel density, so a 640 px window looks as a 200 % zoom does."""
    context = browser.new_context(viewport=FULL, device_scale_factor=2)
    lab = Lab(context.new_page(), learner_server.url, learner_server.token)
    lab.page.set_default_timeout(30_000)
    lab.open("a11y-zoom")
    try:
        yield lab
    finally:
        context.close()


def _measure(lab: Lab) -> dict[str, Any]:
    lab.page.wait_for_timeout(500)  # ipywidgets and JupyterLab re-measure after a resize
    # every cell rendered (JupyterLab renders only those near the screen); a long module in a narrow
    # window may need more than one round of growing the window while JupyterLab renders what came on screen
    for attempt in range(3):
        try:
            lab.show_whole_notebook()
            break
        except AssertionError:
            if attempt == 2:
                raise
    return lab.notebook().evaluate(_MEASURE_JS)


def _focus_ring(lab: Lab) -> list[str]:
    """The widget buttons whose keyboard focus shows no outline."""
    missing = []
    buttons = lab.notebook().locator(".jp-OutputArea-output button:visible")
    for i in range(min(buttons.count(), 6)):
        button = buttons.nth(i)
        button.scroll_into_view_if_needed()
        button.focus()
        lab.page.keyboard.press("Shift+Tab")
        lab.page.keyboard.press("Tab")  # a keyboard focus, so :focus-visible applies
        style = button.evaluate("b => document.activeElement === b ? [getComputedStyle(b).outlineStyle,"
                                " getComputedStyle(b).outlineWidth] : null")
        if style is not None and (style[0] == "none" or style[1] in ("0px", "")):
            missing.append(button.inner_text().strip()[:40] or button.get_attribute("aria-label") or "?")
    return missing


@pytest.mark.parametrize("module", RICH)
def test_module_loses_nothing_at_200_percent_zoom_and_in_forced_colours(
        module: str, zoom_lab: Lab, learner_server: RunningLab, course_workspace: Workspace) -> None:
    """After Run All, at 200 % zoom and then in forced-colours mode, no output of the module scrolls
    sideways, cuts text off or hides a control, every output says what it said at 100 %, and in forced
    colours a widget button's keyboard focus still shows."""
    lab = zoom_lab
    folder = learner_server.server.root_dir / "a11y-zoom" / module
    shutil.copytree(course_workspace.root / "release" / module, folder, dirs_exist_ok=True)
    shots = ARTIFACTS / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    try:
        lab.open_from_file_browser("a11y-zoom", module, f"{module}.ipynb")
        cells = lab.run_all()
        assert not problems(cells), problems(cells)
        full = _measure(lab)
        assert len(full["texts"]) >= 3 and sum(map(len, full["texts"])) > 200, "the module shows too little"
        levels = [h["level"] for h in full["headings"]]
        skips = [f"h{a['level']} {a['text']!r} -> h{b['level']} {b['text']!r}"
                 for a, b in itertools.pairwise(full["headings"]) if b["level"] - a["level"] > 1]
        assert levels and levels[0] == 1 and skips == [], f"{module}: headings skip a level: {skips}"
        lab.restore_window(FULL)

        lab.command("Show Left Sidebar")  # a zoomed-in learner closes the file browser for room
        lab.restore_window(ZOOMED)
        zoomed = _measure(lab)
        lab.page.screenshot(path=str(shots / f"{module}-zoom-200.png"), full_page=False)
        assert zoomed["lost"] == [], f"{module} at 200 % zoom:\n" + "\n".join(zoomed["lost"])
        assert zoomed["texts"] == full["texts"], f"{module}: outputs say something else at 200 % zoom"
        lab.restore_window(FULL)

        lab.page.emulate_media(forced_colors="active")
        forced = _measure(lab)
        lab.page.screenshot(path=str(shots / f"{module}-forced-colours.png"), full_page=False)
        lab.restore_window(FULL)
        assert forced["lost"] == [], f"{module} in forced colours:\n" + "\n".join(forced["lost"])
        assert forced["texts"] == full["texts"], f"{module}: outputs say something else in forced colours"
        no_ring = _focus_ring(lab)
        assert no_ring == [], f"{module}: in forced colours these buttons show no focus ring: {no_ring}"
    finally:
        lab.page.emulate_media(forced_colors="none")
        lab.restore_window(FULL)
        if lab.page.locator("#jp-left-stack").is_hidden():
            lab.command("Show Left Sidebar")
        learner_server.shut_down_kernels()
        lab.close_tab()


def test_the_zoom_check_can_fail(zoom_lab: Lab, learner_server: RunningLab, course_workspace: Workspace) -> None:
    """Planted in a notebook's rendered cell, as an output would show them: a label cut off with an
    ellipsis, a wide box that scrolls but takes no focus, a button with no size, and a button whose only
    focus mark is a box shadow; at 200 % zoom the first three are reported, and in forced colours the
    last one (the shadow is dropped there)."""
    lab = zoom_lab
    module = MODULES[0]
    folder = learner_server.server.root_dir / "a11y-zoom" / module
    shutil.copytree(course_workspace.root / "release" / module, folder, dirs_exist_ok=True)
    try:
        lab.open_from_file_browser("a11y-zoom", module, f"{module}.ipynb")
        lab.notebook().locator(".jp-MarkdownCell .jp-RenderedMarkdown").first.evaluate("""m => {
            const o = document.createElement('div'); o.className = 'jp-OutputArea-output'; o.innerHTML = `
              <div class="widget-label" style="white-space:nowrap;overflow:hidden;text-overflow:ellipsis;width:200px">
                Planted label that is far too long to fit in its two hundred pixel box</div>
              <div id="planted-scroll" style="overflow-x:auto"><div style="width:2000px">Planted wide table</div></div>
              <button id="planted-tiny" style="width:0;height:0;padding:0;border:0;overflow:hidden">Tiny</button>
              <button id="planted-shadow" style="outline:none">Planted shadow focus</button>
              <style>#planted-shadow:focus { outline: none; box-shadow: 0 0 0 3px #06c; }</style>`;
            m.appendChild(o); }""")
        lab.command("Show Left Sidebar")
        lab.restore_window(ZOOMED)
        lost = "\n".join(_measure(lab)["lost"])
        lab.restore_window(FULL)
        lab.command("Show Left Sidebar")
        assert "Planted label" in lost and "text cut off" in lost, lost
        assert "Planted wide table" in lost and "keyboard cannot reach it" in lost, lost
        assert '"Tiny"' in lost and "no size" in lost, lost
        lab.page.emulate_media(forced_colors="active")
        assert "Planted shadow focus" in _focus_ring(lab)
    finally:
        lab.page.emulate_media(forced_colors="none")
        lab.restore_window(FULL)
        learner_server.shut_down_kernels()
        lab.close_tab()
