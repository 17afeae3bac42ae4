"""course.widgets.brand: the brand-voice guide as tables, the module 04 drafts, and the one-voice panel."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from course.policy import PolicyError, load_policies
from course.widgets.brand import (
    TABLES,
    draft_text,
    load_drafts,
    one_voice_panel,
    show_draft,
    voice_about,
    voice_table,
)

REPO = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("name", sorted(TABLES))
def test_every_table_has_a_caption_and_header_cells(name: str) -> None:
    """Each table is announced by a caption and column and row headers, for screen readers."""
    html = voice_table(name).data
    assert "<caption" in html and "scope='col'" in html and "scope='row'" in html


def test_tables_show_the_guide_and_severity_in_words() -> None:
    """Channel ids, limits, rule ids and points come from brand_voice.yaml; severity is told in words."""
    policies = load_policies()
    voice = policies.brand_voice
    channels = voice_table("channels").data
    for c in voice.channels:
        assert f"<code>{c.id}</code>" in channels and str(c.pass_score) in channels
    assert f"{voice.channel('x').max_characters.max:,} (⛔ Must fix)" in channels
    avoid = voice_table("avoid").data
    assert all(f"<code>words.{a.id}</code>" in avoid for a in voice.avoid)
    required = voice_table("required").data
    assert all(f"<code>required.{r.id}</code>" in required for r in voice.required)
    assert "\\w" not in required, "regular expressions are not shown to learners"
    rules = voice_table("rules").data
    assert all(f"<code>sensitive.{k}</code>" in rules for k in policies.sensitive.kind_ids)
    scoring = voice_table("scoring").data
    assert f"vertical-align:top'>{voice.scoring.blocking}</td>" in scoring and "⛔ Must fix" in scoring
    assert voice.company in voice_about().data


def test_unknown_table_names_the_choices() -> None:
    with pytest.raises(ValueError, match="channels"):
        voice_table("limits")


def test_draft_cards_fill_in_the_names_and_escape_the_text() -> None:
    """A draft is a labelled card with its channel's name; {brand} is replaced; text is escaped."""
    voice = load_policies().brand_voice
    card = show_draft("late_delivery_reply").data
    assert "aria-label" in card and voice.channel("customer_care_reply").name in card
    assert "{brand}" not in card and voice.company_names[-1] in card
    assert "{brand}" not in draft_text("late_delivery_reply")
    launch = show_draft("clearflow_launch").data
    assert "For each channel" in launch and voice.channel("linkedin").name in launch


def _copy(tmp_path: Path) -> tuple[Path, Path]:
    policies = tmp_path / "policies"
    shutil.copytree(REPO / "data" / "policies", policies)
    scenarios = tmp_path / "scenarios"
    scenarios.mkdir()
    shutil.copy(REPO / "data" / "scenarios" / "04-one-brand-voice.yaml", scenarios)
    return policies, scenarios


def test_another_guide_changes_the_tables_and_names(tmp_path: Path) -> None:
    """A company with its own guide sees its own name, limits and points, without touching the notebook."""
    policy_dir, _ = _copy(tmp_path)
    path = policy_dir / "brand_voice.yaml"
    data = yaml.safe_load(path.read_text("utf-8"))
    data["company"], data["company_names"] = "Greywater Logistics", ["Greywater Logistics", "Greywater"]
    next(c for c in data["channels"] if c["id"] == "x")["max_characters"]["max"] = 250
    data["scoring"]["advice"] = 3
    path.write_text(yaml.safe_dump(data), "utf-8")
    policies = load_policies(policy_dir)
    assert "Greywater Logistics" in voice_about(policies=policies).data
    assert "250 (⛔ Must fix)" in voice_table("channels", policies=policies).data
    assert "vertical-align:top'>3</td>" in voice_table("scoring", policies=policies).data
    assert "Greywater is looking into it" in draft_text("late_delivery_reply", policies=policies)


def test_a_draft_for_a_channel_the_guide_lacks_is_refused(tmp_path: Path) -> None:
    """A draft's channel must be one of the guide's, and the error names the key."""
    _, scenario_dir = _copy(tmp_path)
    path = scenario_dir / "04-one-brand-voice.yaml"
    path.write_text(path.read_text("utf-8").replace("channel: linkedin", "channel: linked_in"), "utf-8")
    with pytest.raises(PolicyError, match=r"drafts\[3\]\.channel"):
        load_drafts(directory=scenario_dir)


def test_an_unknown_placeholder_is_refused(tmp_path: Path) -> None:
    _, scenario_dir = _copy(tmp_path)
    path = scenario_dir / "04-one-brand-voice.yaml"
    path.write_text(path.read_text("utf-8").replace("{brand} store", "{shop} store"), "utf-8")
    with pytest.raises(PolicyError, match=r"unknown placeholder \{shop\}"):
        load_drafts(directory=scenario_dir)


def test_one_voice_panel_checks_each_version_for_its_own_channel() -> None:
    """Typing into one channel's text area re-checks it for that channel and updates the tally."""
    panel = one_voice_panel(["x", "linkedin", "internal_network"])
    assert "0 of 3" in panel.summary.value
    x = panel.versions["x"]
    assert x.draft.description.endswith(":") and x.draft.continuous_update is True
    x.draft.value = "Our new FlowPod hose reels are in stores on Saturday."
    assert x.report is not None and "required.employment_disclosure" in x.report.rule_ids
    assert "✘ Does not pass yet" in x.verdict.value and "0 of 3" in panel.summary.value
    x.draft.value += " #BrightwaterEmployee"
    assert x.report.passes and "✔ Passes" in x.verdict.value and "1 of 3" in panel.summary.value
    panel.versions["internal_network"].draft.value = "FlowPod reels arrive on Saturday: <b>book</b> training."
    assert "2 of 3" in panel.summary.value
    assert "<b>" not in panel.versions["internal_network"].verdict.value


def test_one_voice_panel_refuses_an_unknown_channel() -> None:
    with pytest.raises(Exception, match="no channel called 'tiktok'"):
        one_voice_panel(["x", "tiktok"])
