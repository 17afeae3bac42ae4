"""course.widgets.privacy: module 02's situations, mock profile, answer kind and privacy panel."""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import Any

import pytest
import yaml

from course._paths import data_dir
from course.answers import AnswerFormatError, check_answer
from course.policy import PolicyError, PolicySet, load_policies
from course.widgets import practice_scenarios
from course.widgets.controls import LiveRegion
from course.widgets.privacy import (
    MODULE,
    fill,
    fit_verdict,
    internal_network,
    load_privacy_scenarios,
    mock_profile,
    privacy_panel,
    show_profile,
    show_situation,
)


@pytest.fixture
def policies() -> PolicySet:
    return load_policies()


PolicyVariant = Callable[[Callable[[dict[str, Any]], None]], PolicySet]


@pytest.fixture
def policy_variant(tmp_path: Path) -> PolicyVariant:
    """Another company's policy: the course's own privacy.yaml, changed by ``edit``."""

    def make(edit: Callable[[dict[str, Any]], None]) -> PolicySet:
        data = yaml.safe_load((data_dir() / "policies" / "privacy.yaml").read_text("utf-8"))
        edit(data)
        folder = tmp_path / "policies"
        folder.mkdir(exist_ok=True)
        (folder / "privacy.yaml").write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
        return load_policies(folder)

    return make


def write_scenarios(tmp_path: Path, data: dict[str, Any]) -> Path:
    folder = tmp_path / "scenarios"
    folder.mkdir(exist_ok=True)
    (folder / f"{MODULE}.yaml").write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
    return folder


# -- the scenario file -------------------------------------------------------------------------------

def test_the_course_scenarios_load_and_every_situation_renders_with_names_filled_in(policies: PolicySet) -> None:
    """Every situation renders as HTML with the company's names and no placeholder left."""
    scenarios = load_privacy_scenarios(policies=policies)
    assert scenarios.situations
    for situation in scenarios.situations:
        html = show_situation(situation.id, policies=policies).data
        assert "{" not in html and "}" not in html, situation.id
        assert 'aria-label="' in html
    assert internal_network(policies.privacy).name in show_situation("statement_b", policies=policies).data


def test_a_draft_is_shown_as_a_quote_with_author_place_and_photo(policies: PolicySet) -> None:
    html = show_situation("draft_6", policies=policies).data
    assert "<blockquote" in html and "Draft by" in html
    assert "The photo shows" in html
    assert internal_network(policies.privacy).name in html


def test_an_unknown_placeholder_is_reported_with_file_and_key(tmp_path: Path, policies: PolicySet) -> None:
    situation = {"id": "a", "title": "A", "story": "On {intranet}"}
    folder = write_scenarios(tmp_path, {"title": "t", "situations": [situation]})
    with pytest.raises(PolicyError) as info:
        load_privacy_scenarios(policies=policies, directory=folder)
    assert info.value.key == "situations[0].story"
    assert "{intranet}" in str(info.value)


def test_a_stray_brace_is_reported_with_file_and_key(tmp_path: Path, policies: PolicySet) -> None:
    situation = {"id": "a", "title": "A", "draft": "Price list {draft"}
    folder = write_scenarios(tmp_path, {"title": "t", "situations": [situation]})
    with pytest.raises(PolicyError) as info:
        load_privacy_scenarios(policies=policies, directory=folder)
    assert info.value.key == "situations[0].draft"


def test_a_profile_setting_the_policy_does_not_know_is_reported(tmp_path: Path, policies: PolicySet) -> None:
    folder = write_scenarios(tmp_path, {
        "title": "t", "situations": [{"id": "a", "title": "A", "story": "s"}],
        "profiles": [{"id": "p", "owner": "Pat", "site": "a site", "settings": {"share_locations": True}}],
    })
    with pytest.raises(PolicyError) as info:
        load_privacy_scenarios(policies=policies, directory=folder)
    assert info.value.key == "profiles[0].settings.share_locations"


def test_a_situation_needs_a_story_or_a_draft(tmp_path: Path, policies: PolicySet) -> None:
    folder = write_scenarios(tmp_path, {"title": "t", "situations": [{"id": "a", "title": "A"}]})
    with pytest.raises(PolicyError, match="story"):
        load_privacy_scenarios(policies=policies, directory=folder)


def test_situation_text_is_escaped(tmp_path: Path, policies: PolicySet, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = write_scenarios(tmp_path, {
        "title": "t", "situations": [{"id": "a", "title": "A & B", "draft": "<script>alert(1)</script>"}],
    })
    monkeypatch.setenv("COURSE_DATA_DIR", str(folder.parent))
    html = show_situation("a", policies=policies).data
    assert "<script>" not in html and "&lt;script&gt;" in html and "A &amp; B" in html


# -- names from the policy --------------------------------------------------------------------------

def test_fill_uses_the_company_and_its_internal_network(policies: PolicySet) -> None:
    privacy = policies.privacy
    text = fill("{company} staff post on {internal_network}.", privacy)
    assert text == f"{privacy.company} staff post on {internal_network(privacy).name}."


def test_the_internal_network_is_the_internal_platform_that_reaches_furthest(policy_variant: PolicyVariant) -> None:
    """A policy that lists team chat first still gets its company-wide network."""

    def team_chat_first(data: dict[str, Any]) -> None:
        data["platforms"].sort(key=lambda p: p["id"] != "team_chat")

    privacy = policy_variant(team_chat_first).privacy
    assert privacy.platforms[0].id == "team_chat"
    assert internal_network(privacy).id == "connect"


def test_without_an_internal_platform_names_fall_back_to_plain_words(policy_variant: PolicyVariant) -> None:
    def outside_only(data: dict[str, Any]) -> None:
        data["platforms"] = [p for p in data["platforms"] if p["kind"] == "external"]

    privacy = policy_variant(outside_only).privacy
    with pytest.raises(LookupError):
        internal_network(privacy)
    assert fill("{internal_network}", privacy) == "your company's internal network"


# -- the mock profile ------------------------------------------------------------------------------

def test_mock_profile_lists_every_policy_setting_in_policy_order(policies: PolicySet) -> None:
    profile = mock_profile("sam_profile", policies=policies)
    assert list(profile) == [s.id for s in policies.privacy.profile_settings]
    assert all(type(v) is bool for v in profile.values())


def test_a_setting_the_profile_leaves_out_is_off(policy_variant: PolicyVariant) -> None:
    def add_setting(data: dict[str, Any]) -> None:
        data["profile_settings"].append(
            {"id": "face_recognition", "label": "Suggest my name in photos", "required": False, "why": "Privacy."})

    policies = policy_variant(add_setting)
    assert mock_profile("sam_profile", policies=policies)["face_recognition"] is False
    assert "Suggest my name in photos" in show_profile("sam_profile", policies=policies).data


def test_show_profile_shows_the_values_now_and_not_what_the_policy_requires(policies: PolicySet) -> None:
    html = show_profile("sam_profile", policies=policies).data
    profile = mock_profile("sam_profile", policies=policies)
    assert html.count("✔ On") == sum(profile.values())
    assert html.count("Off") == len(profile) - sum(profile.values())
    assert "Must be" not in html and "required" not in html.lower()
    for setting in policies.privacy.profile_settings:
        assert f"<code>{setting.id}</code>" in html


# -- the answer kind "setting" -----------------------------------------------------------------------

def test_a_setting_id_in_the_right_form_is_confirmed(capsys: pytest.CaptureFixture[str]) -> None:
    check_answer("photo_setting", "share_location", kind="setting")
    assert "right form (a setting id)" in capsys.readouterr().out


@pytest.mark.parametrize(("value", "message"), [
    ("share_locaton", 'Did you mean "share_location"?'),
    ("Share location", 'Did you mean "share_location"?'),
    (["share_location"], "it is a list"),
    (True, "it is True or False"),
])
def test_a_setting_answer_in_the_wrong_form_gets_a_plain_message(value: Any, message: str) -> None:
    with pytest.raises(AnswerFormatError) as info:
        check_answer("photo_setting", value, kind="setting")
    assert message in str(info.value)
    assert str(info.value).startswith("`photo_setting`")


# -- the privacy panel --------------------------------------------------------------------------------

def test_the_panel_opens_on_the_internal_network_with_its_default_marked(policies: PolicySet) -> None:
    panel = privacy_panel(policies=policies)
    network = internal_network(policies.privacy)
    assert panel.platform.value == network.id
    info = panel.platform_info.value
    default_label = policies.privacy.audience(network.default_audience).label
    assert f"<strong>{default_label}</strong> (<code>{network.default_audience}</code>)" in info
    assert info.count("★ Default") == 1
    assert "only people who work here" in info


def test_picking_a_platform_shows_its_audiences_default_and_notes(policies: PolicySet) -> None:
    panel = privacy_panel(policies=policies)
    outside = next(p for p in policies.privacy.platforms if p.kind == "external")
    panel.platform.value = outside.id
    info = panel.platform_info.value
    assert "outside site" in info
    for audience_id in outside.audiences:
        assert f"<code>{audience_id}</code>" in info
    assert outside.notes.split()[0] in info


def test_the_verdict_waits_until_both_kind_and_audience_are_picked(policies: PolicySet) -> None:
    panel = privacy_panel(policies=policies)
    assert "Pick a kind of information and an audience" in panel.verdict.value
    panel.kind.value = "team_logistics"
    assert "ℹ Note" in panel.verdict.value
    assert "For example" in panel.kind_example.value


def test_a_too_wide_audience_is_flagged_with_the_reason(policies: PolicySet) -> None:
    panel = privacy_panel(policies=policies)
    panel.kind.value = "team_logistics"
    panel.audience.value = "public"
    verdict = panel.verdict.value
    assert "✘ Too wide" in verdict
    assert isinstance(panel.verdict, LiveRegion)  # a role="status" region that stays while its text changes
    widest = policies.privacy.audience(policies.privacy.widest_audience("team_logistics")).label
    assert f"may reach at most “{widest}”" in verdict


def test_the_widest_allowed_audience_fits_and_says_so(policies: PolicySet) -> None:
    panel = privacy_panel(policies=policies)
    panel.kind.value = "internal_news"
    panel.audience.value = policies.privacy.widest_audience("internal_news")
    assert "✔ Fits the policy" in panel.verdict.value
    assert "exactly that" in panel.verdict.value


def test_a_narrower_audience_fits(policies: PolicySet) -> None:
    panel = privacy_panel(policies=policies)
    panel.kind.value = "general_expertise"
    panel.audience.value = "only_me"
    assert "✔ Fits the policy" in panel.verdict.value
    assert "narrower" in panel.verdict.value


def test_the_verdict_notes_when_the_chosen_platform_does_not_offer_the_audience(policies: PolicySet) -> None:
    panel = privacy_panel(policies=policies)
    outside = next(p for p in policies.privacy.platforms if "my_team" not in p.audiences)
    panel.platform.value = outside.id
    panel.kind.value = "team_logistics"
    panel.audience.value = "my_team"
    assert f"you cannot choose “My team” on {outside.name}" in panel.verdict.value


def test_the_verdict_warns_when_a_too_wide_audience_is_the_platform_default(policies: PolicySet) -> None:
    network = internal_network(policies.privacy)
    fits, message = fit_verdict(policies.privacy, "team_logistics", network.default_audience, network.id)
    assert fits is False
    assert "Careful" in message and "default" in message


def test_another_companys_policy_changes_the_verdict(policy_variant: PolicyVariant) -> None:
    def rotas_for_everyone(data: dict[str, Any]) -> None:
        for kind in data["information_kinds"]:
            if kind["id"] == "team_logistics":
                kind["widest_audience"] = "whole_company"

    panel = privacy_panel(policies=policy_variant(rotas_for_everyone))
    panel.kind.value = "team_logistics"
    panel.audience.value = "whole_company"
    assert "✔ Fits the policy" in panel.verdict.value


def test_the_panel_lists_what_never_fits_any_audience(policies: PolicySet) -> None:
    panel = privacy_panel(policies=policies)
    text = " ".join(child.value for child in panel.children if hasattr(child, "value") and isinstance(child.value, str))
    for item in policies.privacy.never_post:
        assert escape(item.label) in text


# -- the practice deck's data ------------------------------------------------------------------------

def test_every_practice_item_confirms_its_own_answer_when_checked(policies: PolicySet) -> None:
    deck = practice_scenarios(MODULE, policies=policies)
    for index, item in enumerate(deck.practice.items):
        deck.show(index)
        deck.choice.value = item.answer
        deck.check_button.click()
        assert "✔ Correct" in deck.feedback.value, item.id


def test_a_wrong_practice_choice_gets_its_own_hint(policies: PolicySet) -> None:
    deck = practice_scenarios(MODULE, policies=policies)
    index, item = next((i, it) for i, it in enumerate(deck.practice.items) if it.hints)
    wrong, hint = next(iter(item.hints.items()))
    deck.show(index)
    deck.choice.value = wrong
    deck.check_button.click()
    assert "✘ Not yet" in deck.feedback.value
    assert hint.split()[0] in deck.feedback.value


def test_practice_choices_are_a_radio_group_and_feedback_a_live_region(policies: PolicySet) -> None:
    """The practice deck offers its options in a RadioGroup (native radios: arrow keys, group role) and
    answers in a LiveRegion; a value that is not one of the options is refused with the choices named."""
    import traitlets

    from course.widgets.controls import LiveRegion, RadioGroup

    deck = practice_scenarios("02-privacy-and-audiences", policies=policies)
    assert isinstance(deck.choice, RadioGroup) and isinstance(deck.feedback, LiveRegion)
    assert deck.choice.description == "Your answer:" and deck.choice.value is None
    values = [v for _, v in deck.choice.options]
    assert len(values) >= 2 and all(len(pair) == 2 for pair in deck.choice.options)
    with pytest.raises(traitlets.TraitError, match="not one of the choices"):
        deck.choice.value = "no-such-option"
    deck.choice.value = values[0]
    deck.show(1)  # a new situation clears the pick and offers its own options
    assert deck.choice.value is None and deck.feedback.value == ""
