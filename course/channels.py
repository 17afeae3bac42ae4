"""Pure functions over the channel policy, for module 03's notebook and widgets.

Look up a channel, describe it in plain words, list the rules that name it, filter channels by what a
message needs (private, safe for confidential matters, on record, a reply within some hours), and
resolve the escalation path to the contacts of the moderation policy. Nothing here takes a question's
id or picks "the" channel for a situation: choosing is the learner's job.
"""

from __future__ import annotations

from dataclasses import dataclass

from course.policy import (
    Channel,
    ChannelPolicy,
    ChannelRule,
    EscalationContact,
    EscalationStep,
    PolicyError,
    PolicySet,
)

__all__ = [
    "TRAITS",
    "ResolvedStep",
    "channel_names",
    "channels_matching",
    "describe_channel",
    "escalation_contact_ids",
    "escalation_steps",
    "reply_time",
    "rules_naming",
    "traits",
]

#: The yes/no facts about every channel, with the words used to show them.
TRAITS: dict[str, tuple[str, str]] = {
    "private": ("Only the people you choose see it", "Others can see it too"),
    "public": ("Anyone, even outside the company, can see it", "Not visible outside the company"),
    "confidential_ok": ("Safe for confidential matters", "Not for confidential matters"),
    "recorded": ("Leaves a written record", "Leaves no written record"),
}


def traits(channel: Channel) -> list[tuple[str, bool, str]]:
    """(trait, value, words) for each of :data:`TRAITS`, e.g. ``("recorded", False, "Leaves no written record")``."""
    return [(name, getattr(channel, name), yes if getattr(channel, name) else no)
            for name, (yes, no) in TRAITS.items()]


def reply_time(channel: Channel) -> str:
    """How fast people expect a reply, in words, with the working hours when the policy gives them."""
    hours = channel.reply_within_hours
    if hours is None:
        return channel.reply_expected
    if hours == 0:
        return f"{channel.reply_expected} (a live conversation)"
    unit = "working hour" if hours == 1 else "working hours"
    return f"{channel.reply_expected} (at most {hours:g} {unit})"


def describe_channel(policy: ChannelPolicy, channel_id: str) -> str:
    """A channel in plain words: what it is, who sees it, whether it is on record, how fast people reply."""
    channel = policy.channel(channel_id)
    facts = "; ".join(words.lower() for _, _, words in traits(channel))
    return f"{channel.name}: {channel.summary} {facts[0].upper()}{facts[1:]}. Reply expected: {reply_time(channel)}."


def channel_names(policy: ChannelPolicy, channel_ids: list[str]) -> str:
    """Channel names joined in plain English: "Phone call or Email"."""
    names = [policy.channel(c).name for c in channel_ids]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " or " + names[-1]


def rules_naming(policy: ChannelPolicy, channel_id: str) -> tuple[list[ChannelRule], list[ChannelRule]]:
    """The rules that say to use this channel, and the rules that say never to use it."""
    policy.channel(channel_id)  # an unknown id is a KeyError that lists the known ones
    return ([r for r in policy.rules if channel_id in r.use], [r for r in policy.rules if channel_id in r.never])


def channels_matching(
    policy: ChannelPolicy,
    *,
    private: bool | None = None,
    confidential: bool = False,
    recorded: bool | None = None,
    outside_company: bool | None = None,
    reply_within_hours: float | None = None,
) -> list[Channel]:
    """The channels that have every property asked for, in policy order. ``None`` means "either way".

    ``confidential=True`` keeps only channels safe for confidential matters; ``outside_company=True``
    only public ones (``False`` only those outsiders cannot see); ``reply_within_hours`` only channels
    where people are expected to reply at least that fast.
    """
    out = []
    for channel in policy.channels:
        if private is not None and channel.private != private:
            continue
        if confidential and not channel.confidential_ok:
            continue
        if recorded is not None and channel.recorded != recorded:
            continue
        if outside_company is not None and channel.public != outside_company:
            continue
        if reply_within_hours is not None and (
                channel.reply_within_hours is None or channel.reply_within_hours > reply_within_hours):
            continue
        out.append(channel)
    return out


@dataclass(frozen=True)
class ResolvedStep:
    """One step of the escalation path, with the contact's details from the moderation policy."""

    number: int
    step: EscalationStep
    contact: EscalationContact
    channel: Channel


def escalation_steps(policies: PolicySet) -> list[ResolvedStep]:
    """The escalation path in order, each contact looked up in the moderation policy.

    Raises :class:`PolicyError` naming ``channels.yaml`` and the step when a contact id is not one of
    the moderation policy's escalation contacts.
    """
    policy = policies.channels
    contacts = {c.id: c for c in policies.moderation.escalation_contacts}
    out = []
    for index, step in enumerate(policy.escalation.steps):
        if step.contact not in contacts:
            raise PolicyError(policies.directory / "channels.yaml", f"escalation.steps[{index}].contact",
                              f"{step.contact!r} is not an escalation contact of moderation.yaml; expected one of "
                              f"{sorted(contacts)}")
        out.append(ResolvedStep(index + 1, step, contacts[step.contact], policy.channel(step.channel)))
    return out


def escalation_contact_ids(policies: PolicySet) -> list[str]:
    """Every escalation contact's id in the moderation policy, in alphabetical order (not the path's order)."""
    return sorted(c.id for c in policies.moderation.escalation_contacts)
