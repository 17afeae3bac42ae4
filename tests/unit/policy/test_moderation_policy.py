"""course.policy moderation: the shipped file loads; broken cross-references name what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from course.policy import ModerationPolicy, PolicyError, load_policies, load_policy_file

REPO = Path(__file__).resolve().parents[3]
MODERATION = REPO / "data" / "policies" / "moderation.yaml"


@pytest.fixture
def data() -> dict:
    return yaml.safe_load(MODERATION.read_text("utf-8"))


def load(tmp_path: Path, data: dict) -> ModerationPolicy:
    path = tmp_path / "moderation.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
    return load_policy_file(path, ModerationPolicy)


def test_shipped_policy_loads_and_answers_look_ups() -> None:
    """It loads the shipped moderation policy through the PolicySet and finds categories, actions, templates."""
    m = load_policies().moderation
    assert "crisis" in m.category_ids and "escalate" in m.action_ids
    crisis = m.category("crisis")
    assert crisis.action in m.action_ids and all(c in m.contact_ids for c in crisis.escalate_to)
    template = m.template_for("complaint")
    assert template is not None and template.for_category == "complaint"
    assert m.template_for("troll") is None


def test_site_norms_name_platforms_of_the_privacy_policy() -> None:
    """Every site in the moderation policy's norms is a platform the privacy policy lists."""
    policies = load_policies()
    platforms = {p.id for p in policies.privacy.platforms}
    assert {n.platform for n in policies.moderation.site_norms} <= platforms


def test_contacts_use_example_domains(tmp_path: Path, data: dict) -> None:
    """An escalation contact at a real-looking domain is rejected: contacts are synthetic."""
    data["escalation_contacts"][0]["email"] = "press@brightwater.com"
    with pytest.raises(PolicyError) as info:
        load(tmp_path, data)
    assert info.value.key == "escalation_contacts[0].email"


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (lambda d: d["comment_categories"][0].update(action="shout"), "has action 'shout'"),
        (lambda d: d["comment_categories"][2].update(escalate_to=["the_boss"]), "escalates to 'the_boss'"),
        (lambda d: d["house_rules"][0].update(when_broken="ban_forever"), "when_broken 'ban_forever'"),
        (lambda d: d["response_templates"][0].update(for_category="gossip"), "is for 'gossip'"),
        (lambda d: d["response_templates"][0].update(text="Hi {nickname}"), "uses {nickname}"),
        (lambda d: d["response_templates"][0].update(text="Thanks {first_name}! {signature}"),
         "field 'colleague' that its text never uses"),
        (lambda d: d["response_templates"][1].update(for_category="praise"), "more than one response template"),
        (lambda d: d["response_templates"][0].update(text="Thanks {first_name"), "broken placeholder"),
        (lambda d: d["comment_categories"].append(dict(d["comment_categories"][0])), "'praise' appears more than once"),
        (lambda d: d["site_norms"].append(dict(d["site_norms"][0])), "lists a platform more than once"),
    ],
)
def test_cross_references_are_checked(tmp_path: Path, data: dict, change, fragment: str) -> None:
    """A reference to an unknown action, contact, category or placeholder is an error that names both."""
    change(data)
    with pytest.raises(PolicyError, match=r"moderation\.yaml") as info:
        load(tmp_path, data)
    assert fragment in info.value.expected


def test_a_field_may_not_shadow_a_policy_value(tmp_path: Path, data: dict) -> None:
    """A template field with the name of a policy-filled value would be ambiguous, so it is rejected."""
    data["response_templates"][0]["fields"].append({"id": "company", "label": "Company", "example": "X"})
    with pytest.raises(PolicyError, match="also filled in by the policy"):
        load(tmp_path, data)


def test_deadline_must_be_positive(tmp_path: Path, data: dict) -> None:
    data["comment_categories"][0]["act_within_minutes"] = 0
    with pytest.raises(PolicyError) as info:
        load(tmp_path, data)
    assert info.value.key == "comment_categories[0].act_within_minutes"
