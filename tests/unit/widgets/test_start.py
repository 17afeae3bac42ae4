"""course.widgets.start: the welcome box names the company and its contact from the policy."""

from __future__ import annotations

from pathlib import Path

import yaml

from course.policy import load_policies
from course.widgets.start import course_welcome, welcome_html

REPO = Path(__file__).resolve().parents[3]


def test_welcome_shows_company_and_contact_from_the_policy() -> None:
    """It shows the company's name, the policy version and who to ask, all read from privacy.yaml."""
    privacy = load_policies().privacy
    html = course_welcome().data
    assert privacy.company in html and privacy.version in html
    assert privacy.contact.split(" (")[0] in html
    assert "✔" in html and 'aria-label="Welcome"' in html


def test_welcome_follows_another_company(tmp_path: Path) -> None:
    """Another company's policy changes the welcome without touching the notebook, and is escaped."""
    data = yaml.safe_load((REPO / "data" / "policies" / "privacy.yaml").read_text("utf-8"))
    data["company"] = "Harbour & Hill Co"
    (tmp_path / "privacy.yaml").write_text(yaml.safe_dump(data), "utf-8")
    html = welcome_html(load_policies(tmp_path))
    assert "Harbour &amp; Hill Co" in html and "Brightwater Supplies" not in html
