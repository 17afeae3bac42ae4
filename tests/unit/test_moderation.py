"""course.moderation: comments and the listening week load and validate; templates fill from the policy."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from course.answers import AnswerFormatError, check_answer
from course.moderation import (
    INTERNAL_NETWORK,
    MODULE,
    fill_template,
    format_minutes,
    load_moderation_scenarios,
    platform_name,
    policy_values,
)
from course.policy import PolicyError, load_policies
from course.practice import load_practice, options_for

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = REPO / "data" / "scenarios" / f"{MODULE}.yaml"


@pytest.fixture
def scenario_data() -> dict:
    return yaml.safe_load(SCENARIOS.read_text("utf-8"))


def write(tmp_path: Path, data: dict) -> Path:
    (tmp_path / f"{MODULE}.yaml").write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("minutes", "words"),
    [(None, "no deadline"), (1, "1 minute"), (30, "30 minutes"), (60, "1 hour"), (240, "4 hours"),
     (90, "1 h 30 min"), (1440, "1 day (24 hours)"), (2880, "2 days")],
)
def test_format_minutes(minutes: int | None, words: str) -> None:
    assert format_minutes(minutes) == words


def test_shipped_scenarios_load() -> None:
    """The module's comments and listening week load, and hold no answers (no category or action keys)."""
    scenarios = load_moderation_scenarios()
    assert len(scenarios.comments) == 10
    assert scenarios.comment("comment_4").platform == "facebook"
    assert {r.kind for r in scenarios.listening.rows} == {"social", "traditional"}
    raw = SCENARIOS.read_text("utf-8")
    for key in ("category:", "action:", "answer:"):
        assert key not in raw


def test_unknown_placeholder_is_named(tmp_path: Path, scenario_data: dict) -> None:
    scenario_data["comments"][1]["text"] = "Hello {ceo_name}"
    with pytest.raises(PolicyError) as info:
        load_moderation_scenarios(directory=write(tmp_path, scenario_data))
    assert info.value.key == "comments[1].text" and "{ceo_name}" in info.value.expected


def test_shipped_comments_name_platforms_the_policy_knows() -> None:
    """Every comment is on a platform of the shipped privacy policy, the internal-network alias, or the website."""
    policies = load_policies()
    known = {p.id for p in policies.privacy.platforms} | {INTERNAL_NETWORK, None}
    assert {c.platform for c in load_moderation_scenarios().comments} <= known


def test_listening_parts_cannot_exceed_contacts(tmp_path: Path, scenario_data: dict) -> None:
    """Questions, complaints and praise are part of the contacts, so they cannot add up to more."""
    scenario_data["listening"]["rows"][0]["complaints"] = 10_000
    with pytest.raises(PolicyError, match="add up to more than contacts"):
        load_moderation_scenarios(directory=write(tmp_path, scenario_data))


def test_platform_name_falls_back(tmp_path: Path) -> None:
    """A platform is named as the policy names it, else by its usual name; the alias finds the internal network."""
    policies = load_policies()
    assert platform_name("x", policies) == policies.privacy.platform("x").name
    assert platform_name(INTERNAL_NETWORK, policies) == policies.privacy.platform("connect").name
    assert platform_name("myspace", policies) == "myspace"
    assert "website" in platform_name(None, policies)
    privacy = yaml.safe_load((REPO / "data" / "policies" / "privacy.yaml").read_text("utf-8"))
    privacy["platforms"] = [p for p in privacy["platforms"] if p["id"] != "x"]
    (tmp_path / "privacy.yaml").write_text(yaml.safe_dump(privacy), "utf-8")
    assert platform_name("x", load_policies(tmp_path)) == "X"


def test_fill_template_marks_the_gaps_and_fills_policy_values() -> None:
    """Empty fields show as [label] and are listed; the policy's values and the company name are filled in."""
    policies = load_policies()
    template = policies.moderation.template_for("complaint")
    assert template is not None
    partial = fill_template(template, {"first_name": "Priya", "problem": "  "}, policies)
    assert not partial.complete
    assert partial.missing == [f.label for f in template.fields if f.id != "first_name"]
    assert "Hi Priya" in partial.text and "{" not in partial.text
    assert policies.moderation.template_values["care_email"] in partial.text
    assert partial.from_policy["company"] == policies.privacy.company
    full = fill_template(template, {"first_name": "Priya", "problem": "the cracked tiles", "signature": "Sam"},
                         policies)
    assert full.complete and "the cracked tiles" in full.text


def test_policy_values_include_the_company() -> None:
    policies = load_policies()
    values = policy_values(policies)
    assert values["company"] == policies.privacy.company
    assert set(policies.moderation.template_values) <= set(values)


def test_answer_kinds_for_moderation(capsys: pytest.CaptureFixture[str]) -> None:
    """comment_category and moderation_action accept policy ids and suggest the closest for a near miss."""
    check_answer("a", "link_begging", kind="comment_category")
    check_answer("b", "delete_and_block", kind="moderation_action")
    assert capsys.readouterr().out.count("right form") == 2
    with pytest.raises(AnswerFormatError, match='Did you mean "link_begging"'):
        check_answer("a", "link begging", kind="comment_category")
    with pytest.raises(AnswerFormatError, match="response action id"):
        check_answer("b", 3, kind="moderation_action")


def test_practice_options_from_the_moderation_policy() -> None:
    """The module's practice deck loads, with options from the policy's categories and actions."""
    policies = load_policies()
    practice = load_practice(MODULE, policies=policies)
    sources = {item.options_from for item in practice.items}
    assert sources == {"comment_categories", "moderation_actions"}
    item = next(i for i in practice.items if i.options_from == "moderation_actions")
    assert [o.value for o in options_for(item, policies)] == policies.moderation.action_ids


def test_privacy_practice_works_without_a_moderation_policy(tmp_path: Path) -> None:
    """Options are read only for the source an item asks for, so a privacy-only company still works."""
    shutil.copy(REPO / "data" / "policies" / "privacy.yaml", tmp_path / "privacy.yaml")
    policies = load_policies(tmp_path)
    (tmp_path / "practice").mkdir()
    item = {"id": "a", "prompt": "p", "options_from": "audiences", "answer": "my_team", "explanation": "e"}
    (tmp_path / "practice" / "demo.yaml").write_text(yaml.safe_dump({"title": "T", "items": [item]}), "utf-8")
    practice = load_practice("demo", policies=policies, directory=tmp_path / "practice")
    assert options_for(practice.items[0], policies)[0].value == policies.privacy.audience_ids[0]
