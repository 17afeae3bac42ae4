"""dashboard.html in headless Chromium: it renders its charts and table, logs no errors, fetches nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from course.compliance.report import build_report
from course.workspace import Workspace
from tests.compliance.conftest import AS_OF
from tests.conftest import REPO

ARTIFACTS = REPO / "var" / "test-artifacts" / "compliance"


@pytest.mark.browser
def test_dashboard_renders_in_chromium(workspace_copy: Workspace, tmp_path: Path, chromium: object) -> None:
    """The page shows four charts and the employee table, sorts and filters, has no console errors or requests."""
    result = build_report(workspace_copy.root, tmp_path / "report", as_of=AS_OF, today=AS_OF,
                          formats=["html"])
    page_file = result.out / "dashboard.html"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    requests: list[str] = []
    context = chromium.new_context(viewport={"width": 1360, "height": 1000}, device_scale_factor=1)
    try:
        page = context.new_page()
        page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
                if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(page_file.as_uri())
        page.wait_for_selector("#people tbody tr")

        for chart in ("chart-dept", "chart-status", "chart-time", "chart-modules"):
            box = page.locator(f"svg[aria-labelledby^='{chart}']").bounding_box()
            assert box and box["width"] > 150 and box["height"] > 100, chart
        assert page.locator("svg[aria-labelledby^='chart-dept'] rect").count() > 5
        assert page.locator("svg[aria-labelledby^='chart-time'] polyline").count() == 2
        assert page.locator("#overdue tbody tr").count() > 0

        rows = page.locator("#people tbody tr")
        assert rows.count() == 50
        total = result.summary.active
        assert page.locator("#shown").inner_text().replace(",", "").endswith(f"of {total}")
        page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)

        page.select_option("#f-overall", "certified")
        certified = result.summary.certified
        assert page.locator("#shown").inner_text().replace(",", "").endswith(f"of {certified}")
        assert set(page.locator("#people tbody td:nth-child(5)").all_inner_texts()) == {"certified"}
        page.select_option("#f-overall", "")
        first = page.locator("#people tbody tr:first-child small").inner_text()
        page.fill("#q", first)
        assert page.locator("#people tbody tr").count() == 1
        page.fill("#q", "")
        page.click("#people th[data-key='7'] button")
        page.click("#people th[data-key='7'] button")
        passed = page.locator("#people tbody td:nth-child(7)").all_inner_texts()
        counts = [int(t.split("/")[0]) for t in passed]
        assert counts == sorted(counts, reverse=True)
        assert page.locator("#people th[data-key='7']").get_attribute("aria-sort") == "descending"
        page.screenshot(path=str(ARTIFACTS / "dashboard-sorted.png"))
    finally:
        context.close()
    assert problems == []
    assert requests == [page_file.as_uri()], "the dashboard must load nothing but itself"
