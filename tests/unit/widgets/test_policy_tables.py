"""course.widgets.tables: policy facts rendered as accessible HTML tables."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from course._paths import data_dir
from course.policy import PolicySet, load_policies
from course.widgets.tables import TABLES, policy_about, policy_table


@pytest.fixture
def policies() -> PolicySet:
    return load_policies()


@pytest.mark.parametrize("name", list(TABLES))
def test_every_table_has_a_caption_column_headers_and_row_headers(name: str, policies: PolicySet) -> None:
    html = policy_table(name, policies=policies).data
    # one table, in a scroll box keyboard users can focus (named after the caption) if it is too wide
    assert html.startswith("<div role='region' tabindex='0' aria-label=") and html.endswith("</table></div>")
    assert html.count("<table>") == 1
    assert "<caption" in html
    assert "<th scope='col'" in html and "<th scope='row'" in html
    assert "Write it as" in html


@pytest.mark.parametrize(("name", "items"), [
    ("audiences", "audiences"),
    ("platforms", "platforms"),
    ("profile_settings", "profile_settings"),
    ("information_kinds", "information_kinds"),
    ("never_post", "never_post"),
])
def test_every_table_lists_every_id_of_its_policy_list(name: str, items: str, policies: PolicySet) -> None:
    html = policy_table(name, policies=policies).data
    for item in getattr(policies.privacy, items):
        assert f"<code>{item.id}</code>" in html
    assert html.count("<tr>") == len(getattr(policies.privacy, items)) + 1


def test_the_audiences_table_runs_from_narrowest_to_widest(policies: PolicySet) -> None:
    html = policy_table("audiences", policies=policies).data
    positions = [html.index(f"<code>{a}</code>") for a in policies.privacy.audience_ids]
    assert positions == sorted(positions)


def test_the_platforms_table_shows_each_default_in_bold(policies: PolicySet) -> None:
    html = policy_table("platforms", policies=policies).data
    for platform in policies.privacy.platforms:
        label = policies.privacy.audience(platform.default_audience).label
        assert f"<strong>{label} (<code>{platform.default_audience}</code>)</strong>" in html


def test_the_settings_table_says_on_or_off_in_words(policies: PolicySet) -> None:
    html = policy_table("profile_settings", policies=policies).data
    settings = policies.privacy.profile_settings
    assert html.count("Must be ON") == sum(s.required for s in settings)
    assert html.count("Must be OFF") == sum(not s.required for s in settings)


def test_an_unknown_table_name_lists_the_names_there_are(policies: PolicySet) -> None:
    with pytest.raises(ValueError, match="platforms") as info:
        policy_table("platform", policies=policies)
    assert "no policy table called 'platform'" in str(info.value)


def test_policy_about_names_the_company_its_version_and_who_to_ask(policies: PolicySet) -> None:
    html = policy_about(policies=policies).data
    privacy = policies.privacy
    assert privacy.company in html and privacy.version in html
    assert privacy.contact.split()[0] in html


def test_another_companys_policy_changes_the_tables_and_is_escaped(tmp_path: Path) -> None:
    data = yaml.safe_load((data_dir() / "policies" / "privacy.yaml").read_text("utf-8"))
    data["company"] = "Smith & Jones <Wholesale>"
    data["never_post"][0]["label"] = "Client <records>"
    (tmp_path / "privacy.yaml").write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
    other = load_policies(tmp_path)
    assert "Smith &amp; Jones &lt;Wholesale&gt;" in policy_about(policies=other).data
    html = policy_table("never_post", policies=other).data
    assert "Client &lt;records&gt;" in html and "<records>" not in html


def test_a_dataframe_sits_in_a_named_scroll_box_keyboard_users_can_focus() -> None:
    """dataframe_html wraps pandas' own table in a focusable region named after the table's size."""
    import pandas as pd

    from course.widgets.tables import dataframe_html

    frame = pd.DataFrame({"case_id": ["C001", "C002"], "channel": ["email", "public_post"], "lesson": ["a", "b"]})
    html = dataframe_html(frame)
    assert html is not None
    assert html.startswith("<div role='region' tabindex='0' aria-label='Table of 2 rows and 3 columns; scroll "
                           "sideways to see every column' style='overflow-x:auto;max-width:100%'>")
    assert frame._repr_html_() in html and html.endswith("</div>")
    assert dataframe_html(frame.head(1)).count("1 row and 3 columns") == 1


def test_scrollable_tables_makes_ipython_show_every_dataframe_in_the_box() -> None:
    """Once scrollable_tables() has run, IPython's display shows a DataFrame in the scroll box; outside
    IPython it does nothing."""
    import pandas as pd
    from IPython.core.interactiveshell import InteractiveShell

    from course.widgets import scrollable_tables

    frame = pd.DataFrame({"a": [1, 2]})
    scrollable_tables()  # no shell yet: nothing happens, nothing fails
    shell = InteractiveShell.instance()
    try:
        scrollable_tables()
        data, _ = shell.display_formatter.format(frame)
        assert data["text/html"].startswith("<div role='region' tabindex='0'")
        assert "text/plain" in data
    finally:
        InteractiveShell.clear_instance()
