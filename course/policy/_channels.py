"""The channel policy: when to use email, phone, text, direct message, the internal network, a public post
or the wiki; rules for particular situations; the escalation path for high-profile cases; and how
contact-centre staff keep one persona across channels."""

from __future__ import annotations

from pydantic import Field, model_validator

from course.policy._base import Ident, PolicyModel, Text, unique_ids


class Channel(PolicyModel):
    """A way to reach people, when to use it, and what it is like: who sees it, how fast people reply."""

    id: Ident
    name: Text
    summary: Text = Field(description="what it is, in one line")
    examples: Text | None = Field(None, description="what it is called at this company")
    use_when: list[Text] = Field(min_length=1)
    not_for: list[Text] = Field(min_length=1)
    reply_expected: Text = Field(description="how fast people expect a reply, in words")
    reply_within_hours: float | None = Field(
        None, ge=0, description="the same in working hours; 0 for a live conversation, none when no reply is expected")
    private: bool = Field(description="only the people you choose can see it")
    public: bool = Field(description="anyone, inside or outside the company, can see it")
    confidential_ok: bool = Field(description="safe for confidential matters (HR, contracts, unannounced plans)")
    recorded: bool = Field(description="leaves a written record that can be found later")

    @model_validator(mode="after")
    def _consistent(self) -> Channel:
        if self.private and self.public:
            raise ValueError(f"channel {self.id!r} cannot be both private and public")
        if self.confidential_ok and not self.private:
            raise ValueError(f"channel {self.id!r} is confidential_ok but not private: only private channels "
                             "are safe for confidential matters")
        return self


class ChannelRule(PolicyModel):
    """What to do in one kind of situation: the channels to use (best first) and those never to use."""

    id: Ident
    label: Text
    when: Text = Field(description="the situation the rule is about")
    use: list[Ident] = Field(min_length=1, description="channel ids to use, best first")
    never: list[Ident] = Field(default_factory=list, description="channel ids never to use for it")
    how: Text = Field(description="what to do, step by step if needed")
    contact: Text | None = Field(None, description="who to contact, with their details")

    @model_validator(mode="after")
    def _no_overlap(self) -> ChannelRule:
        both = sorted(set(self.use) & set(self.never))
        if both:
            raise ValueError(f"rule {self.id!r} lists {both} under both 'use' and 'never'")
        return self


class EscalationSign(PolicyModel):
    """A sign that a case is high-profile, besides the follower and sharing thresholds."""

    id: Ident
    label: Text


class EscalationStep(PolicyModel):
    """Who to contact (an escalation contact of the moderation policy), how, and how fast."""

    contact: Ident = Field(description="the id of an escalation contact in moderation.yaml")
    channel: Ident = Field(description="the channel to reach them by")
    within_minutes: int = Field(gt=0, description="how soon after you spot the case")
    what_to_do: Text


class Escalation(PolicyModel):
    """When a case is high-profile, and the path to follow when it is."""

    what_counts: Text
    followers_at_least: int = Field(gt=0, description="the poster has at least this many followers")
    shares_in_an_hour_at_least: int = Field(gt=0, description="the post was shared or replied to this often in an hour")
    other_signs: list[EscalationSign] = Field(min_length=1)
    steps: list[EscalationStep] = Field(min_length=1, description="in order, first contact first")
    in_public_meanwhile: Text = Field(description="what to do, and not do, in public while it is escalated")

    @property
    def sign_ids(self) -> list[str]:
        return [s.id for s in self.other_signs]


class PersonaAdaptation(PolicyModel):
    channel: Ident
    how: Text


class Persona(PolicyModel):
    """How someone who answers customers on several channels stays one recognisable person."""

    summary: Text
    keep_the_same: list[Text] = Field(min_length=1)
    adapt: list[PersonaAdaptation] = Field(default_factory=list, description="what changes from channel to channel")
    handover: Text = Field(description="how to move a customer from one channel to another")


class ChannelPolicy(PolicyModel):
    version: Text
    contact: Text = Field(description="who to ask when unsure which channel to use")
    channels: list[Channel] = Field(min_length=2)
    rules: list[ChannelRule] = Field(min_length=1)
    escalation: Escalation
    persona: Persona

    @model_validator(mode="after")
    def _cross_references(self) -> ChannelPolicy:
        unique_ids(self.channels, "channel")
        unique_ids(self.rules, "rule")
        unique_ids(self.escalation.other_signs, "escalation sign")
        known = {c.id for c in self.channels}

        def check(channel_id: str, where: str) -> None:
            if channel_id not in known:
                raise ValueError(f"{where} names channel {channel_id!r}, expected one of {sorted(known)}")

        for rule in self.rules:
            for channel_id in [*rule.use, *rule.never]:
                check(channel_id, f"rule {rule.id!r}")
        for index, step in enumerate(self.escalation.steps):
            check(step.channel, f"escalation step {index + 1}")
        for adaptation in self.persona.adapt:
            check(adaptation.channel, "persona.adapt")
        return self

    # -- look-ups -----------------------------------------------------------------------------
    @property
    def channel_ids(self) -> list[str]:
        return [c.id for c in self.channels]

    def channel(self, channel_id: str) -> Channel:
        return _find(self.channels, channel_id, "channel")

    def rule(self, rule_id: str) -> ChannelRule:
        return _find(self.rules, rule_id, "channel rule")


def _find(items: list, item_id: str, what: str):
    for item in items:
        if item.id == item_id:
            return item
    raise KeyError(f"no {what} called {item_id!r}; known: {', '.join(i.id for i in items)}")
