"""course.channels: look-ups, plain-words descriptions, filters and the escalation path over the policy."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from course.channels import (
    channel_names,
    channels_matching,
    describe_channel,
    escalation_steps,
    reply_time,
    rules_naming,
    traits,
)
from course.policy import PolicyError, load_policies

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def policy():
    return load_policies().channels


def test_traits_are_words_for_every_fact(policy) -> None:
    """Each channel's yes/no facts come with words, so widgets never rely on colour or symbols alone."""
    phone = dict((name, (value, words)) for name, value, words in traits(policy.channel("phone")))
    assert phone["private"] == (True, "Only the people you choose see it")
    assert phone["recorded"] == (False, "Leaves no written record")


def test_reply_time_in_words(policy) -> None:
    """Live, timed and no-reply channels are each described in plain words."""
    assert "live conversation" in reply_time(policy.channel("phone"))
    assert "at most 1 working hour)" in reply_time(policy.channel("text"))
    assert "at most 8 working hours" in reply_time(policy.channel("email"))
    assert reply_time(policy.channel("wiki")) == policy.channel("wiki").reply_expected


def test_describe_channel(policy) -> None:
    text = describe_channel(policy, "public_post")
    assert text.startswith("Public post: ") and "anyone, even outside the company" in text
    with pytest.raises(KeyError, match="known: email, phone"):
        describe_channel(policy, "carrier_pigeon")


def test_channel_names_join_in_plain_english(policy) -> None:
    assert channel_names(policy, ["phone"]) == "Phone call"
    assert channel_names(policy, ["phone", "email", "wiki"]) == "Phone call, Email or Wiki"
    assert channel_names(policy, []) == ""


def test_rules_naming_a_channel(policy) -> None:
    """The rules that say to use a channel and those that forbid it, by id."""
    use, never = rules_naming(policy, "public_post")
    assert "announced_news" in [r.id for r in use]
    assert "customer_details_in_public" in [r.id for r in never]


def test_channels_matching_filters_by_every_property(policy) -> None:
    """Each filter narrows the list; None means either way; order is the policy's."""
    assert channels_matching(policy) == list(policy.channels)
    confidential = channels_matching(policy, confidential=True)
    assert confidential and all(c.confidential_ok and c.private for c in confidential)
    fast = channels_matching(policy, reply_within_hours=1)
    assert all(c.reply_within_hours is not None and c.reply_within_hours <= 1 for c in fast)
    assert "wiki" not in [c.id for c in fast]
    outside = channels_matching(policy, outside_company=True)
    assert [c.id for c in outside] == [c.id for c in policy.channels if c.public]
    on_record_private = channels_matching(policy, private=True, recorded=True)
    assert all(c.private and c.recorded for c in on_record_private)


def test_escalation_steps_resolve_moderation_contacts() -> None:
    """Each step carries the contact's details from moderation.yaml and the channel to reach them."""
    policies = load_policies()
    steps = escalation_steps(policies)
    assert [s.number for s in steps] == list(range(1, len(steps) + 1))
    for step in steps:
        assert step.contact.id == step.step.contact and step.contact.phone
        assert step.channel.id == step.step.channel


def test_shipped_escalation_agrees_with_moderation_policy() -> None:
    """The people module 03 says to call are the people module 05 says a crisis goes to, in the same order."""
    policies = load_policies()
    crisis = next(c for c in policies.moderation.comment_categories if c.action == "escalate")
    assert [s.contact for s in policies.channels.escalation.steps] == crisis.escalate_to
    assert policies.channels.escalation.steps[0].within_minutes <= crisis.act_within_minutes


def test_unknown_escalation_contact_names_the_file_and_step(tmp_path: Path) -> None:
    for name in ("channels.yaml", "moderation.yaml", "privacy.yaml"):
        shutil.copy(REPO / "data" / "policies" / name, tmp_path / name)
    data = yaml.safe_load((tmp_path / "channels.yaml").read_text("utf-8"))
    data["escalation"]["steps"][1]["contact"] = "night_manager"
    (tmp_path / "channels.yaml").write_text(yaml.safe_dump(data), "utf-8")
    with pytest.raises(PolicyError) as info:
        escalation_steps(load_policies(tmp_path))
    assert info.value.file.name == "channels.yaml"
    assert info.value.key == "escalation.steps[1].contact" and "night_manager" in info.value.expected


def test_escalation_contact_ids_are_all_contacts_sorted() -> None:
    """The ids to choose from are every moderation contact, alphabetically, so their order gives nothing away."""
    from course.channels import escalation_contact_ids

    policies = load_policies()
    ids = escalation_contact_ids(policies)
    assert ids == sorted(c.id for c in policies.moderation.escalation_contacts)
