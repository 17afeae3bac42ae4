"""course.widgets.channels: tables, escalation path and persona guide from the policy; the explorer answers."""

from __future__ import annotations

from course.policy import load_policies
from course.widgets.channels import (
    REPLY_CHOICES,
    channel_explorer,
    channel_rules,
    channel_table,
    escalation_path,
    persona_guide,
)
from course.widgets.controls import LiveRegion


def test_channel_table_lists_every_channel_with_words_for_each_fact() -> None:
    """Each channel appears with its id; yes/no facts are in words with ✔/✘, never colour alone."""
    policy = load_policies().channels
    html = channel_table().data
    for channel in policy.channels:
        assert f"<code>{channel.id}</code>" in html
    assert "✔ Safe for confidential matters" in html and "✘ Leaves no written record" in html
    assert "<caption" in html and "scope='row'" in html


def test_rules_table_names_channels_and_contacts() -> None:
    policy = load_policies().channels
    html = channel_rules().data
    for rule in policy.rules:
        assert rule.label in html
        if rule.contact:
            assert rule.contact.split(":")[0] in html


def test_escalation_path_shows_thresholds_and_contacts_in_order() -> None:
    """The thresholds come from channels.yaml and the contacts' details from moderation.yaml, in path order."""
    policies = load_policies()
    esc = policies.channels.escalation
    html = escalation_path().data
    assert f"{esc.followers_at_least:,}" in html and f"{esc.shares_in_an_hour_at_least:,}" in html
    contacts = {c.id: c for c in policies.moderation.escalation_contacts}
    positions = [html.index(contacts[step.contact].name) for step in esc.steps]
    assert positions == sorted(positions)
    assert contacts[esc.steps[0].contact].phone in html
    assert 'aria-label="Escalation path for high-profile cases"' in html


def test_persona_guide_shows_what_stays_and_what_changes() -> None:
    persona = load_policies().channels.persona
    html = persona_guide().data
    assert all(item.split(":")[0] in html for item in persona.keep_the_same)
    assert "What changes from channel to channel" in html


def test_explorer_shows_the_chosen_channel() -> None:
    """Picking a channel in the dropdown shows its card, with the rules that name it."""
    explorer = channel_explorer()
    explorer.channel.value = "public_post"
    assert "write it as <code>public_post</code>" in explorer.card.value
    assert "Rules that say never to use it:" in explorer.card.value


def test_finder_lists_confidential_channels_after_a_click() -> None:
    """Ticking 'confidential' and pressing the button lists only channels safe for confidential matters."""
    policy = load_policies().channels
    explorer = channel_explorer()
    explorer.confidential.value = True
    explorer.find_button.click()
    result = explorer.result.value
    assert isinstance(explorer.result, LiveRegion) and "✔ Channels that fit:" in result
    for channel in policy.channels:
        assert (f"({channel.id})" in result) == channel.confidential_ok


def test_finder_says_so_when_nothing_fits() -> None:
    """An impossible combination gets a ✘ and a suggestion, in words."""
    explorer = channel_explorer()
    explorer.confidential.value = True
    explorer.recorded.value = True
    explorer.reply.value = "now"
    explorer.find_button.click()
    assert "✘ No channel fits:" in explorer.result.value and "two channels" in explorer.result.value


def test_controls_are_labelled() -> None:
    """Every control has a visible label that screen readers announce."""
    explorer = channel_explorer()
    for control in (explorer.channel, explorer.confidential, explorer.private, explorer.recorded,
                    explorer.insiders, explorer.reply, explorer.find_button):
        assert control.description
    assert [o[0] for o in explorer.reply.options] == [label for label, _ in REPLY_CHOICES.values()]
