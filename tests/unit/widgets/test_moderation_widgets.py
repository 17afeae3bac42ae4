"""course.widgets.moderation: policy tables, comment cards, the listening summary and the reply template panel."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from course.policy import load_policies
from course.widgets.moderation import (
    TABLES,
    listening_dashboard,
    moderation_about,
    moderation_table,
    reply_template_panel,
    show_comment,
    show_comments,
)

REPO = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("name", sorted(TABLES))
def test_every_table_has_a_caption_and_header_cells(name: str) -> None:
    """Each table is announced by a caption and column and row headers, for screen readers."""
    html = moderation_table(name).data
    assert "<caption" in html and "scope='col'" in html and "scope='row'" in html


def test_tables_show_policy_values() -> None:
    policies = load_policies()
    m = policies.moderation
    categories = moderation_table("comment_categories").data
    for c in m.comment_categories:
        assert f"<code>{c.id}</code>" in categories
    assert m.contact(m.category("crisis").escalate_to[0]).name in categories
    assert policies.privacy.platform(m.site_norms[0].platform).name in moderation_table("site_norms").data
    assert m.owner.split(" (")[0] in moderation_about().data


def test_unknown_table_names_the_choices() -> None:
    with pytest.raises(ValueError, match="comment_categories"):
        moderation_table("categories")


def test_comment_cards_fill_in_the_company() -> None:
    """A comment is shown with its author, platform and text, and {company} is replaced."""
    policies = load_policies()
    card = show_comment("comment_3").data
    assert "Comment 3" in card and policies.privacy.company in card and "{company}" not in card
    assert "aria-label" in card
    assert show_comments().data.count("<section") == 10
    assert show_comments("comment_1", "comment_2").data.count("<section") == 2


def test_listening_dashboard_adds_subtotals() -> None:
    html = listening_dashboard().data
    assert "All social channels" in html and "All traditional channels" in html
    assert "1,184" in html  # thousands are grouped so figures are easy to read


def test_template_panel_lists_gaps_then_the_finished_reply() -> None:
    """Pressing the button with gaps left lists them (✘ and words); once filled it shows the reply (✔)."""
    policies = load_policies()
    panel = reply_template_panel(policies=policies)
    panel.template.value = "take_it_private"
    assert list(panel.inputs) == ["first_name", "problem", "signature"]
    panel.show_button.click()
    assert "✘" in panel.feedback.value and "Still to fill in" in panel.feedback.value
    panel.inputs["first_name"].value = "Priya"
    panel.inputs["problem"].value = "the cracked tiles"
    panel.inputs["signature"].value = "Sam"
    panel.show_button.click()
    assert "✔" in panel.feedback.value
    assert "Hi Priya" in panel.preview.value
    assert policies.moderation.template_values["care_email"] in panel.preview.value


def test_template_panel_rebuilds_fields_and_labels_them() -> None:
    panel = reply_template_panel()
    panel.template.value = "holding_reply"
    assert list(panel.inputs) == ["first_name"]
    assert all(box.description.endswith(":") for box in panel.inputs.values())
    assert panel.preview.value == ""


def test_template_panel_without_templates(tmp_path: Path) -> None:
    """A company whose policy has no templates gets a note, not an error."""
    shutil.copy(REPO / "data" / "policies" / "privacy.yaml", tmp_path)
    data = yaml.safe_load((REPO / "data" / "policies" / "moderation.yaml").read_text("utf-8"))
    data["response_templates"] = []
    (tmp_path / "moderation.yaml").write_text(yaml.safe_dump(data), "utf-8")
    panel = reply_template_panel(policies=load_policies(tmp_path))
    assert "no response templates" in panel.children[1].value
