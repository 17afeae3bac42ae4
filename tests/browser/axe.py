"""axe-core in the real browser: run it on a page, tell our findings from JupyterLab's and nbgrader's,
and hold theirs against the committed baseline (``tests/browser/axe-baseline.yaml``).

axe-core comes from npm, pinned in ``tools/axe/package-lock.json`` and installed by ``make test`` into
``tools/axe/node_modules`` (never a global install). It is injected with ``page.add_script_tag`` and
run with ``axe.run``, checking WCAG 2.0, 2.1 and 2.2 A and AA rules.

Who owns a finding is decided by where its node lives: inside a notebook's outputs (widget views,
HTML outputs), its rendered markdown, or a page this project renders (dashboard, feedback, report) it
is ours and must be fixed; anywhere else in JupyterLab (menus, file browser, toolbars, editors,
status bar) it belongs to JupyterLab or nbgrader. Only theirs may be baselined, each entry with the
upstream issue it belongs to. Every run writes what it found to ``var/test-artifacts/a11y/``.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from playwright.sync_api import Page

from tests.conftest import REPO, missing_part

AXE_JS = REPO / "tools" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
BASELINE = Path(__file__).with_name("axe-baseline.yaml")
ARTIFACTS = REPO / "var" / "test-artifacts" / "a11y"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
SERIOUS = ("serious", "critical")
OWNERS = ("jupyterlab", "nbgrader")

#: Where a node is ours inside JupyterLab: what a cell renders (outputs, widget views, markdown). The
#: prompts, toolbars and editors around them are JupyterLab's.
OURS_IN_LAB = (".jp-OutputArea-output", ".jp-MarkdownOutput", ".jp-RenderedMarkdown")

_CLASSIFY_JS = """
async ([ours, tags, baseline, wholePage]) => {
  const results = await axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] });
  const found = [];
  for (const v of results.violations) {
    for (const node of v.nodes) {
      const selector = node.target.map(t => Array.isArray(t) ? t.join(" >>> ") : t).join(" ");
      let el = null;
      try { el = document.querySelector(node.target[node.target.length - 1]); } catch (e) { el = null; }
      const mine = wholePage || (el !== null && ours.some(s => el.closest(s) !== null));
      let covered = null;
      if (!mine && el !== null) {
        const entry = baseline.find(b => b.rule === v.id && el.closest(b.selector) !== null);
        covered = entry ? entry.selector : null;
      }
      found.push({ rule: v.id, impact: node.impact || v.impact || "", target: selector,
                   html: node.html.slice(0, 300), summary: (node.failureSummary || "").slice(0, 400),
                   help: v.help, ours: mine, baseline: covered });
    }
  }
  return found;
}
"""


#: JupyterLab's <body> has ``overflow: hidden`` and, since everything in it is absolutely placed, a height of
#: 0. The browser applies a body's overflow to the viewport, so nothing is clipped on screen, but axe-core
#: takes the body for a 0 px clipping box and then treats every element as off screen: it silently skips the
#: visual rules (colour contrast above all) on the whole page. Giving the body the viewport's height
#: changes no pixel and lets axe-core see what the learner sees.
_BODY_FIX_JS = """
() => {
  const body = document.body;
  if (body && getComputedStyle(body).overflow === 'hidden' && body.getBoundingClientRect().height < 2) {
    document.documentElement.style.height = '100%';
    body.style.height = '100%';
  }
}
"""


@dataclass(frozen=True)
class Finding:
    """One node axe-core flagged, under one rule."""

    rule: str
    impact: str
    target: str
    html: str
    summary: str
    help: str
    ours: bool
    baseline: str | None  # the baseline selector that covers it (theirs only), else None

    @property
    def serious(self) -> bool:
        return self.impact in SERIOUS

    def line(self) -> str:
        return (f"[{self.impact}] {self.rule} at {self.target}: {self.help}\n    {self.html[:160]}\n"
                f"    {self.summary[:240]}")


@dataclass(frozen=True)
class AxeReport:
    """What one axe-core run found on a page, sorted into ours and theirs."""

    name: str
    findings: list[Finding]

    def serious(self, *, ours: bool) -> list[Finding]:
        return [f for f in self.findings if f.serious and f.ours == ours]

    def new(self) -> list[Finding]:
        """Serious and critical findings the test must fail on: all of ours, and theirs not in the baseline."""
        return [f for f in self.findings if f.serious and (f.ours or f.baseline is None)]

    def counts(self) -> dict[str, int]:
        return {"ours": len(self.serious(ours=True)), "theirs": len(self.serious(ours=False)),
                "theirs_baselined": sum(1 for f in self.serious(ours=False) if f.baseline),
                "new": len(self.new())}

    def message(self) -> str:
        new = self.new()
        return (f"{self.name}: {len(new)} serious/critical axe-core finding(s) not allowed "
                f"(ours must be fixed; JupyterLab's or nbgrader's go into {BASELINE.name} with their upstream "
                "issue):\n" + "\n".join(f.line() for f in new))


def need_axe() -> Path:
    """The pinned axe-core; skip when it is not installed, fail under CI=true."""
    if AXE_JS.is_file():
        return AXE_JS
    missing_part(f"axe-core is not installed at {AXE_JS.relative_to(REPO)}; `make test` installs it with npm")


@cache
def _axe_source() -> str:
    return need_axe().read_text("utf-8")


@cache
def baseline() -> tuple[dict[str, str], ...]:
    """The committed baseline: findings of JupyterLab or nbgrader, each with its upstream issue."""
    entries = yaml.safe_load(BASELINE.read_text("utf-8")) or []
    for i, entry in enumerate(entries):
        missing = {"rule", "selector", "owner", "issue", "why"} - set(entry)
        if missing:
            raise ValueError(f"{BASELINE.name} entry {i}: missing {sorted(missing)}")
        if entry["owner"] not in OWNERS:
            raise ValueError(f"{BASELINE.name} entry {i}: owner must be one of {OWNERS}, not {entry['owner']!r}")
        if not re.fullmatch(r"https://github\.com/(jupyterlab/jupyterlab|jupyter/nbgrader)/issues/\d+", entry["issue"]):
            raise ValueError(f"{BASELINE.name} entry {i}: issue must be an upstream issue URL, not {entry['issue']!r}")
    return tuple(entries)


def run_axe(page: Page, name: str, *, whole_page_is_ours: bool = False) -> AxeReport:
    """Run axe-core on the page as it is now; ``whole_page_is_ours`` for pages this project renders.

    The findings go to ``var/test-artifacts/a11y/<name>.json``.
    """
    page.evaluate(_BODY_FIX_JS)
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # evaluated through the browser's protocol, not a <script> tag, so the strict Content-Security-Policy
        # of the pages we render (no scripts at all) does not stop the check
        page.evaluate(f"() => {{ {_axe_source()}\n }}")
    entries = [{"rule": e["rule"], "selector": e["selector"]} for e in baseline()]
    raw: list[dict[str, Any]] = page.evaluate(_CLASSIFY_JS, [list(OURS_IN_LAB), TAGS, entries, whole_page_is_ours])
    report = AxeReport(name, [Finding(**f) for f in raw])
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
    (ARTIFACTS / f"{safe}.json").write_text(json.dumps(
        {"page": name, "counts": report.counts(), "findings": [asdict(f) for f in report.findings]},
        indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return report


def assert_no_new_findings(page: Page, name: str, *, whole_page_is_ours: bool = False) -> AxeReport:
    """Run axe-core and fail on any serious or critical finding of ours, or of theirs not in the baseline."""
    report = run_axe(page, name, whole_page_is_ours=whole_page_is_ours)
    assert not report.new(), report.message()
    return report
