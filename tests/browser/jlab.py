"""Driving JupyterLab the way a learner does: file browser, menus, cells, the Validate button, the
Assignments list. Only what a person can see and press; no JupyterLab internals.
"""

from __future__ import annotations

import contextlib
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

#: The one error a learner may see after running an unanswered exercise: the one line (no traceback)
#: that course.answers.NotAnsweredError shows, e.g. "✏️ You have not answered `x` yet: replace the ...".
NOT_ANSWERED = re.compile(r"^✏️ [^\n]+$")
#: What JupyterLab shows when a widget does not render, and the plain repr shown when no widget manager loads.
WIDGET_FAILURES = ("Error displaying widget", "Loading widget...", "Failed to load model class",
                   "Model not found")
WIDGET_REPR = re.compile(r"\b[A-Z]\w*\(children=\(")

RUN_TIMEOUT_S = 120.0


@dataclass
class CellState:
    """What one notebook cell shows on screen after running."""

    index: int
    kind: str  # "code", "markdown" or "raw"
    prompt: str
    errors: list[str] = field(default_factory=list)
    text: str = ""
    widgets: int = 0

    @property
    def ran(self) -> bool:
        return bool(re.fullmatch(r"\[\d+\]:", self.prompt))

    def problems(self) -> list[str]:
        """Everything on this cell a learner should never see: tracebacks, broken widgets, cells not run."""
        if self.kind != "code":
            return []
        found = []
        if not self.ran:
            found.append(f"cell {self.index} did not run (prompt {self.prompt!r})")
        for error in self.errors:
            if not NOT_ANSWERED.match(error):
                found.append(f"cell {self.index} shows an error: {error[:300]!r}")
        for failure in WIDGET_FAILURES:
            if failure in self.text:
                found.append(f"cell {self.index} shows {failure!r}: {self.text[:200]!r}")
        if WIDGET_REPR.search(self.text):
            found.append(f"cell {self.index} shows a widget's text instead of the widget: {self.text[:120]!r}")
        return found


_CELLS_JS = """
(panel) => Array.from(panel.querySelectorAll('.jp-Notebook .jp-Cell')).map((cell, index) => ({
    index,
    kind: cell.classList.contains('jp-CodeCell') ? 'code'
      : cell.classList.contains('jp-MarkdownCell') ? 'markdown' : 'raw',
    prompt: (cell.querySelector('.jp-InputPrompt')?.textContent ?? '').trim(),
    errors: Array.from(cell.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'))
      .map(e => e.textContent.trim()),
    text: cell.querySelector('.jp-OutputArea')?.textContent ?? '',
    widgets: cell.querySelectorAll('.jp-OutputArea .jupyter-widgets').length,
  }))
"""


class Lab:
    """One browser tab on a running JupyterLab."""

    def __init__(self, page: Page, base_url: str, token: str) -> None:
        self.page = page
        self.base_url = base_url.rstrip("/")
        self.token = token

    # -- opening things ---------------------------------------------------------------------------

    def open(self, workspace: str) -> None:
        """Open JupyterLab in a fresh, named workspace (no tabs restored from another test)."""
        self.page.goto(f"{self.base_url}/lab/workspaces/{workspace}?reset&token={self.token}")
        expect(self.page.locator(".jp-DirListing-content")).to_be_visible(timeout=60_000)
        expect(self.page.get_by_role("menuitem", name="File", exact=True)).to_be_visible()

    def menu(self, *path: str) -> None:
        """Choose a menu entry, e.g. ``menu("Run", "Run All Cells")``."""
        self.page.get_by_role("menuitem", name=path[0], exact=True).click()
        for name in path[1:]:
            self.page.get_by_role("menuitem", name=name, exact=True).click()

    def file_browser_item(self, name: str) -> Locator:
        return self.page.locator(".jp-DirListing-item").filter(
            has=self.page.locator(".jp-DirListing-itemText", has_text=re.compile(f"^{re.escape(name)}$")))

    def open_from_file_browser(self, *parts: str) -> Locator:
        """Double-click through folders in the file browser, from its top, and open the notebook at the end."""
        self.page.locator(".jp-FileBrowser .jp-BreadCrumbs-home").click()
        for part in parts:
            item = self.file_browser_item(part)
            expect(item).to_be_visible(timeout=15_000)
            item.dblclick()
        panel = self.notebook()
        expect(panel.locator(".jp-Cell").first).to_be_visible(timeout=30_000)
        expect(self.page.locator(".jp-mod-current .lm-TabBar-tabLabel, .lm-TabBar-tab.jp-mod-current")
               .first).to_contain_text(parts[-1][:12])
        self.wait_kernel_idle()
        return panel

    def close_tab(self) -> None:
        """Close the document shown in the main area (the × on its tab), discarding unsaved changes."""
        self.page.locator("#jp-main-dock-panel .lm-TabBar-tab.jp-mod-current .lm-TabBar-tabCloseIcon").click()
        dialog = self.page.locator(".jp-Dialog")
        with contextlib.suppress(AssertionError):
            expect(dialog).to_be_visible(timeout=2_000)
            dialog.get_by_role("button", name=re.compile("^(Discard|Don't Save|Close)")).first.click()
        expect(self.page.locator(".jp-Dialog")).to_have_count(0)

    def notebook(self) -> Locator:
        """The notebook currently shown in the main area."""
        return self.page.locator("#jp-main-dock-panel .jp-NotebookPanel:not(.lm-mod-hidden)")

    def command(self, label: str) -> None:
        """Run a command from the keyboard: Ctrl+Shift+C opens the command palette, type its label,
        arrow down to the entry whose label is exactly ``label`` (the best match comes first), Enter."""
        self.page.keyboard.press("Escape")
        self.page.keyboard.press("Control+Shift+c")
        expect(self.page.locator(".lm-CommandPalette-input")).to_be_focused()
        self.page.keyboard.type(label)
        active = self.page.locator(".lm-CommandPalette-item.lm-mod-active .lm-CommandPalette-itemLabel")
        for _ in range(10):
            expect(active).to_have_count(1)
            if active.inner_text().strip() == label:
                break
            self.page.keyboard.press("ArrowDown")
        expect(active).to_have_text(label)
        self.page.keyboard.press("Enter")

    def focused(self) -> str:
        """The start of the focused element's markup (for messages)."""
        return self.page.evaluate("() => (document.activeElement?.outerHTML ?? '').slice(0, 160)")

    def press_until(self, key: str, target: Locator, *, limit: int = 12) -> int:
        """Press ``key`` (e.g. "Tab") until ``target`` or something inside it has the focus; returns
        how many presses it took."""
        for presses in range(1, limit + 1):
            self.page.keyboard.press(key)
            if target.evaluate("el => el.contains(document.activeElement)"):
                return presses
        raise AssertionError(f"{key} x{limit} never reached {target}; the focus is on {self.focused()}")

    def set_theme(self, name: str) -> None:
        """Switch JupyterLab's theme (e.g. "JupyterLab Dark") and wait until it is applied."""
        if self.page.locator("body").get_attribute("data-jp-theme-name") == name:
            return
        self.command(f"Use Theme: {name}")
        expect(self.page.locator("body")).to_have_attribute("data-jp-theme-name", name, timeout=30_000)
        self.page.wait_for_load_state("networkidle")

    def show_whole_notebook(self, *, limit_px: int = 60_000) -> None:
        """Make the window tall enough for every cell of the open notebook to be on screen at once.

        JupyterLab renders only the cells near the visible part of a notebook (the rest wait with
        ``content-visibility: auto``), and axe-core checks colours only of what is on screen; a window as
        tall as the notebook lets one axe-core run see every cell as a learner would while scrolling.
        ``restore_window()`` puts the window back.
        """
        outer = self.notebook().locator(".jp-WindowedPanel-outer")
        viewport = self.page.viewport_size or {"width": 1280, "height": 900}
        for _ in range(20):  # a busy machine renders the cells it just laid out slowly
            # the cells' bottom, measured from the top of the scrolled list, against the visible height
            needed, visible = outer.evaluate("""o => { o.scrollTop = 0;
                const cells = o.querySelectorAll('.jp-Cell');
                const last = cells[cells.length - 1], top = o.getBoundingClientRect().top;
                return [Math.ceil(last.getBoundingClientRect().bottom - top + o.scrollTop) + 40, o.clientHeight]; }""")
            if needed <= visible:
                return
            height = (self.page.viewport_size or viewport)["height"] + needed - visible
            if height > limit_px:
                raise AssertionError(f"the notebook is {needed}px tall, more than the {limit_px}px window allowed")
            self.page.set_viewport_size({"width": viewport["width"], "height": height})
            self.page.wait_for_timeout(500)  # JupyterLab measures the cells it has just rendered
        raise AssertionError("the notebook kept growing as the window grew")

    def restore_window(self, viewport: dict[str, int]) -> None:
        self.page.set_viewport_size(viewport)

    # -- running ------------------------------------------------------------------------------------

    def kernel_status(self) -> str | None:
        indicator = self.notebook().locator(".jp-Notebook-ExecutionIndicator")
        return indicator.get_attribute("data-status") if indicator.count() else None

    def wait_kernel_idle(self, timeout: float = 60.0) -> None:
        """Wait until the notebook's kernel has started and is idle, as the status bar says."""
        status_bar = self.page.locator("#jp-main-statusbar")
        expect(status_bar).to_contain_text(re.compile(r"\| Idle"), timeout=timeout * 1000)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.kernel_status() == "idle":
                return
            time.sleep(0.25)
        raise AssertionError(f"the kernel did not become idle within {timeout:g}s (status {self.kernel_status()!r})")

    def wait_until_settled(self, timeout: float = RUN_TIMEOUT_S) -> None:
        """Wait until nothing is running or queued: kernel idle and no ``[*]`` prompt, three times in a row."""
        deadline = time.monotonic() + timeout
        calm = 0
        while time.monotonic() < deadline:
            busy = self.kernel_status() != "idle" or any("*" in c.prompt for c in self.cells())
            calm = 0 if busy else calm + 1
            if calm >= 3:
                return
            time.sleep(0.3)
        raise AssertionError(f"cells still running after {timeout:g}s")

    def run_all(self) -> list[CellState]:
        """Run > Run All Cells, wait for the kernel to finish, and return what every cell shows."""
        self.wait_kernel_idle()
        self.menu("Run", "Run All Cells")
        first = self.notebook().locator(".jp-CodeCell .jp-InputPrompt").first
        expect(first).not_to_have_text(re.compile(r"^\s*\[ \]:\s*$"), timeout=30_000)
        self.wait_until_settled()
        time.sleep(1.0)  # widget views render just after the kernel reports idle
        return self.cells()

    def run_cell(self, index: int) -> None:
        """Select one cell that has not run yet, run it with Ctrl+Enter, and wait until it has run."""
        cell = self.cell(index)
        cell.scroll_into_view_if_needed()
        cell.locator(".jp-InputPrompt").first.click()
        self.page.keyboard.press("Control+Enter")
        expect(cell.locator(".jp-InputPrompt").first).to_have_text(re.compile(r"^\s*\[\d+\]:\s*$"),
                                                                   timeout=RUN_TIMEOUT_S * 1000)

    def run_every_cell(self) -> tuple[list[CellState], list[str]]:
        """Run All Cells, then run one by one any code cell it left unrun, as a learner would.

        Returns what every cell shows at the end, and the problems Run All Cells itself left.
        """
        after_run_all = self.run_all()
        found = problems(after_run_all)
        left = [c.index for c in after_run_all if c.kind == "code" and not c.ran]
        for index in left:
            self.run_cell(index)
        if left:
            self.wait_until_settled()
            time.sleep(1.0)
        return self.cells(), found

    def scroll_to(self, index: int) -> None:
        self.cell(index).scroll_into_view_if_needed()

    def cells(self) -> list[CellState]:
        raw = self.notebook().evaluate(_CELLS_JS)
        return [CellState(**c) for c in raw]

    def cell(self, index: int) -> Locator:
        return self.notebook().locator(".jp-Cell").nth(index)

    # -- editing ------------------------------------------------------------------------------------

    def type_into_cell(self, index: int, text: str) -> None:
        """Replace a code cell's text by typing, as a learner does (select all, then type)."""
        cell = self.cell(index)
        cell.scroll_into_view_if_needed()
        editor = cell.locator(".cm-content")
        editor.click()
        self.page.keyboard.press("Control+a")
        self.page.keyboard.type(text)
        self.page.keyboard.press("Escape")
        got = editor.inner_text()
        if _squash(got) != _squash(text):
            raise AssertionError(f"cell {index} reads {got!r} after typing {text!r}")

    def write_markdown_answer(self, index: int, text: str) -> None:
        """Open a written-answer (markdown) cell for editing, type the answer, and render it again."""
        cell = self.cell(index)
        cell.scroll_into_view_if_needed()
        cell.dblclick()
        editor = cell.locator(".cm-content")
        expect(editor).to_be_visible()
        editor.click()
        self.page.keyboard.press("Control+a")
        self.page.keyboard.type(text)
        self.page.keyboard.press("Control+Enter")
        expect(cell.locator(".jp-RenderedMarkdown")).to_contain_text(text[:40])

    def type_answers(self, typed: object) -> list[str]:
        """Type every graded answer of ``typed`` (an nbformat notebook, the one open) into its cell, as
        a learner does: code cells by :meth:`type_into_cell`, written answers by
        :meth:`write_markdown_answer`. Returns the answers' grade ids, in order."""
        from course.grading import simulate

        index = {id(c): i for i, c in enumerate(typed.cells)}  # type: ignore[attr-defined]
        answers = simulate.answer_cells(typed)
        for cell in answers.values():
            if cell.cell_type == "markdown":
                self.write_markdown_answer(index[id(cell)], cell.source)
            else:
                self.type_into_cell(index[id(cell)], cell.source)
        return list(answers)

    def save(self) -> None:
        """Ctrl+S, then wait until the tab no longer shows unsaved changes."""
        self.notebook().locator(".jp-Notebook").click(position={"x": 5, "y": 5})
        self.page.keyboard.press("Escape")
        self.page.keyboard.press("Control+s")
        expect(self.page.locator(".lm-TabBar-tab.jp-mod-current.jp-mod-dirty")).to_have_count(0, timeout=15_000)

    # -- nbgrader -----------------------------------------------------------------------------------

    def validate(self) -> Locator:
        """Press nbgrader's Validate button and return the results dialog once it has appeared."""
        self.notebook().locator(".jp-Toolbar").get_by_text("Validate", exact=True).click()
        dialog = self.page.locator(".jp-Dialog")
        expect(dialog).to_contain_text("Validation Results", timeout=RUN_TIMEOUT_S * 1000)
        return dialog

    def close_dialog(self) -> None:
        self.page.locator(".jp-Dialog").get_by_role("button", name="Ok").click()
        expect(self.page.locator(".jp-Dialog")).to_have_count(0)

    def assignments(self) -> Locator:
        """Open Nbgrader > Assignment List and return it once its lists have loaded."""
        self.menu("Nbgrader", "Assignment List")
        panel = self.page.locator("#nbgrader-assignment-list")
        expect(panel.locator("#released_assignments_list_loading")).to_be_hidden(timeout=30_000)
        return panel

    def assignment_row(self, panel: Locator, section: str, assignment: str) -> Locator:
        """A row of the Assignments list: ``section`` is "released", "fetched" or "submitted"."""
        return panel.locator(f"#{section}_assignments_list .list_item").filter(has_text=assignment).first

    def submit(self, assignment: str, *, timeout_ms: int = 30_000) -> Locator:
        """Press Submit on the fetched ``assignment`` in the Assignments list and wait until it is
        listed as submitted; returns the list."""
        panel = self.assignments()
        self.assignment_row(panel, "fetched", assignment).get_by_role("button", name="Submit").click()
        expect(self.assignment_row(panel, "submitted", assignment)).to_be_visible(timeout=timeout_ms)
        return panel


def problems(cells: list[CellState]) -> list[str]:
    """All cells' problems, errors first, the cells that did not run summed up in one line."""
    found = [p for c in cells for p in c.problems() if "did not run" not in p]
    not_run = [c for c in cells if c.kind == "code" and not c.ran]
    if not_run:
        friendly = [c.index for c in cells if any(NOT_ANSWERED.match(e) for e in c.errors)]
        found.append(f"{len(not_run)} code cell(s) did not run, from cell {not_run[0].index} on "
                     f"(prompts {sorted({c.prompt for c in not_run})}); the last cell that ran is "
                     f"{max((c.index for c in cells if c.ran), default=None)}; cells with a 'not answered' "
                     f"message: {friendly}"
                     + ("; JupyterLab stops Run All after a cell that raises, unless that cell is tagged "
                        "'raises-exception'" if friendly and max(friendly) < not_run[0].index else ""))
    return found


#: What counts as a control a learner can operate inside a widget's output.
CONTROLS = ("input:not([type=hidden])", "select", "button", "textarea", "[role=button]", "[role=slider]",
            "[role=checkbox]", "[role=radio]", "[role=combobox]", "[role=textbox]", "[role=switch]")
_ARIA_LINE = re.compile(r'^- (?P<role>[\w-]+)(?: "(?P<name>(?:[^"\\]|\\.)*)")?')


def widget_controls(lab: Lab) -> list[tuple[str, str]]:
    """(role, accessible name) of every control in the notebook's rendered widgets, as the browser's
    accessibility tree reports them (what a screen reader announces)."""
    found = []
    controls = lab.notebook().locator(", ".join(f".jp-OutputArea .jupyter-widgets {c}" for c in CONTROLS))
    for i in range(controls.count()):
        snapshot = controls.nth(i).aria_snapshot().strip().splitlines()
        match = _ARIA_LINE.match(snapshot[0]) if snapshot else None
        role = match["role"] if match else "?"
        name = (match["name"] or "") if match else ""
        found.append((role, name.strip()))
    return found


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ")).strip()


def shot(page: Page, folder: Path, name: str, *, target: Locator | None = None) -> Path:
    """A screenshot of the page (or one element of it), kept as a test artifact."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    (target or page).screenshot(path=str(path))
    return path
