"""The pages compliance staff read, measured in Chromium with axe-core: the dashboard has no serious or
critical finding (all of it is ours: no baseline applies), every chart has a text alternative and a
data table, headings go in order, and it stays readable at 200 % zoom and in forced-colours mode.
Certificates are accessible PDFs and `course certificate verify` says its verdict in words.

The item-analysis page (`course items`) joins ITEM_PAGES here once it is on main.
"""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from course.compliance.report import ReportResult, build_report
from course.compliance.synthetic import build_workspace
from tests.browser.axe import ARTIFACTS, assert_no_new_findings

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("a11y-pages")]

AS_OF = date(2026, 11, 20)
#: Report pages besides the dashboard, by file name in the report folder, once they exist (e.g. the
#: item analysis of `course items`: add its page here and it is held to the same bar).
ITEM_PAGES: tuple[str, ...] = ()
CHARTS = ("chart-dept", "chart-status", "chart-time", "chart-modules")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> ReportResult:
    """A report of 40 invented employees (every status present), as of a day with certificates issued."""
    root = tmp_path_factory.mktemp("a11y-report")
    workspace, _ = build_workspace(root / "ws", employees=40, as_of=AS_OF, seed=5)
    return build_report(workspace.root, root / "report", as_of=AS_OF, today=AS_OF, formats=["html", "pdf"])


@pytest.fixture
def tab(chromium) -> Iterator[Page]:
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, device_scale_factor=1)
    yield context.new_page()
    context.close()


def _headings(page: Page) -> list[int]:
    return page.evaluate("() => Array.from(document.querySelectorAll('h1,h2,h3,h4,h5,h6'))"
                         ".filter(h => h.offsetParent !== null).map(h => Number(h.tagName[1]))")


def test_dashboard_has_no_serious_axe_finding(report: ReportResult, tab: Page) -> None:
    """axe-core (WCAG 2.2 A and AA) finds nothing serious or critical on the dashboard, which is all ours;
    its headings start at one h1 and never skip a level."""
    tab.goto((report.out / "dashboard.html").as_uri())
    tab.wait_for_selector("#people tbody tr")
    assert_no_new_findings(tab, "dashboard", whole_page_is_ours=True)
    levels = _headings(tab)
    assert levels[0] == 1 and levels.count(1) == 1, levels
    assert all(b - a <= 1 for a, b in itertools.pairwise(levels)), levels
    for name in ITEM_PAGES:
        tab.goto((report.out / name).as_uri())
        assert_no_new_findings(tab, name, whole_page_is_ours=True)


def test_every_chart_has_a_text_alternative_and_a_data_table(report: ReportResult, tab: Page) -> None:
    """Each chart is an image with a name and a description, and a table (caption, header cells) holds
    the numbers it draws, so a screen-reader user gets them without the picture."""
    tab.goto((report.out / "dashboard.html").as_uri())
    for chart in CHARTS:
        table = tab.locator(f"table[data-chart='{chart}']")
        expect(table).to_have_count(1)
        svg = tab.locator(f"svg[aria-labelledby^='{chart}']")
        expect(svg).to_have_count(1)
        assert svg.get_attribute("role") == "img"
        name = svg.evaluate("s => s.getAttribute('aria-labelledby').split(' ').map(i => "
                            "document.getElementById(i).textContent).join(' ')")
        assert len(name.split()) >= 4, (chart, name)
        tab.get_by_text(re.compile(": the numbers as a table$")).nth(CHARTS.index(chart)).focus()
        tab.keyboard.press("Enter")  # the disclosure opens from the keyboard
        expect(table).to_be_visible()
        assert (table.locator("caption").text_content() or "").strip(), chart
        assert table.locator("thead th[scope=col]").count() >= 2, chart
        assert table.locator("tbody tr").count() >= 1, chart
        assert table.locator("tbody th[scope=row]").count() == table.locator("tbody tr").count(), chart
    summary = report.summary
    dept = tab.locator("table[data-chart='chart-dept'] tbody tr")
    assert dept.count() == min(20, len(summary.departments))
    first = summary.departments[0]
    row = dept.first.locator("td")
    assert dept.first.locator("th").text_content() == first.name
    assert [row.nth(i).text_content() for i in range(3)] == [
        f"{first.certified:,}", f"{first.in_progress:,}", f"{first.overdue:,}"]
    status_rows = tab.locator("table[data-chart='chart-status'] tbody tr")
    assert status_rows.count() == len(summary.status_items())


@pytest.mark.parametrize("mode", ["zoom-200", "forced-colours"])
def test_dashboard_is_readable_zoomed_and_in_forced_colours(mode: str, report: ReportResult, chromium) -> None:
    """At 200 % zoom (a 640 px wide window at twice the pixels, as browsers zoom) the page needs no
    sideways scrolling and hides nothing; in forced-colours mode the charts, chips and pills still show
    their words and the focus ring shows. A screenshot of each is kept in var/test-artifacts/a11y/."""
    folder = ARTIFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(
        viewport={"width": 640, "height": 450} if mode == "zoom-200" else {"width": 1280, "height": 900},
        device_scale_factor=2 if mode == "zoom-200" else 1,
        forced_colors="active" if mode == "forced-colours" else "none")
    try:
        page = context.new_page()
        page.goto((report.out / "dashboard.html").as_uri())
        page.wait_for_selector("#people tbody tr")
        overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        if mode == "zoom-200":
            assert overflow <= 1, f"the page scrolls sideways by {overflow}px at 200 % zoom"
        hidden = page.evaluate("""() => Array.from(document.querySelectorAll('h1,h2,h3,caption,.kpi .value,label'))
            .filter(e => !e.classList.contains('visually-hidden') && !e.closest('.visually-hidden'))
            .filter(e => { const r = e.getBoundingClientRect(); return r.width < 1 || r.height < 1; })
            .map(e => e.textContent.trim())""")
        assert hidden == [], f"hidden at {mode}: {hidden}"
        page.get_by_role("searchbox", name="Search").focus()
        page.keyboard.press("Tab")
        outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
        assert outline not in ("none", ""), f"no visible focus ring in {mode}"
        page.screenshot(path=str(folder / f"dashboard-{mode}.png"), full_page=True)
        if mode == "zoom-200":  # in forced colours the system picks the colours, which axe-core cannot see
            assert_no_new_findings(page, f"dashboard-{mode}", whole_page_is_ours=True)
    finally:
        context.close()


def test_certificates_are_accessible_pdfs(report: ReportResult) -> None:
    """Each certificate PDF has a title shown as the window title, English as its language, text that
    can be selected and read out (not an image), and the verification code among that text."""
    from pypdf import PdfReader

    assert report.certificates, "the synthetic workspace issued no certificates"
    for path in report.certificates[:3]:
        reader = PdfReader(path)
        root = reader.trailer["/Root"]
        assert reader.metadata.title and reader.metadata.title.startswith("Certificate SMW-")
        assert str(root.get("/Lang")) == "en"
        assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"]) is True
        text = reader.pages[0].extract_text()
        code = reader.metadata.title.removeprefix("Certificate ")
        assert code in text, text
        assert "Certificate of completion" in text and "Verification code" in text
        assert not reader.pages[0].images, "a certificate should hold text, not pictures of text"


def test_certificate_verify_says_its_verdict_in_words(report: ReportResult, tmp_path: Path) -> None:
    """`course certificate verify` prints plain text (no colour needed, no HTML form to check): "genuine"
    or "not genuine" in words beside ✔ / ✘, and the holder and modules as readable lines."""
    from pypdf import PdfReader

    code = PdfReader(report.certificates[0]).metadata.title.removeprefix("Certificate ")
    course = Path(sys.executable).with_name("course")
    env = {**os.environ, "NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "100"}
    workspace = report.out.parent / "ws"
    good = subprocess.run([str(course), "certificate", "verify", code, "--course-dir", str(workspace)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert good.returncode == 0, good.stderr
    assert "\x1b[" not in good.stdout
    assert re.search(rf"✔ {code}: genuine", good.stdout), good.stdout
    assert re.search(r"^\s+\S.*\(\S+\), .+: certified \d{4}-\d\d-\d\d", good.stdout, re.M), good.stdout
    bad = subprocess.run([str(course), "certificate", "verify", code[:-1] + ("A" if code[-1] != "A" else "B"),
                          "--course-dir", str(workspace)], capture_output=True, text=True, env=env, timeout=120)
    assert bad.returncode == 1 and "not genuine" in bad.stderr and "\x1b[" not in bad.stderr, bad.stderr
