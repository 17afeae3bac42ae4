"""The brand-voice guide: each channel's norms, words we avoid, required elements, and scoring weights.

Loaded from ``data/policies/brand_voice.yaml``. Rule ids that findings carry are listed in
:data:`RULE_IDS` (built in) plus ``words.<avoid id>`` and ``required.<element id>`` from the file.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from course.policy._base import Ident, PolicyModel, Text, unique_ids
from course.policy._sensitive import SafePattern, Severity

#: A rule that a channel may switch off: a severity, or ``allowed``.
SeverityOrAllowed = Severity | Literal["allowed"]

#: The built-in rules, in the order a learner reads about them.
RULE_IDS = (
    "length.characters",
    "length.words",
    "length.sentences",
    "reading.grade",
    "tone.shouting",
    "tone.exclamations",
    "tone.emoji",
    "tone.hashtags",
    "tone.first_person_plural",
    "links.shortened",
    "links.tracking",
)


class Limit(PolicyModel):
    """An upper limit on something countable, and how serious it is to go over it."""

    max: int = Field(ge=0)
    severity: Severity = "warning"


class GradeLimit(PolicyModel):
    """A reading-grade ceiling (Flesch-Kincaid grade), checked only on drafts long enough to measure."""

    max: float = Field(gt=0, le=30)
    min_words: int = Field(default=20, ge=5, description="shorter drafts are not graded")
    severity: Severity = "advice"


class LinkRules(PolicyModel):
    """How a channel treats shortened links (bit.ly) and links carrying tracking parameters."""

    shortened: SeverityOrAllowed = "warning"
    tracking: SeverityOrAllowed = "warning"


class VoiceChannel(PolicyModel):
    """One place staff write, with the norms the guide sets for it."""

    id: Ident
    name: Text
    audience: Literal["internal", "external"]
    guide: Text = Field(description="the channel's norms in a sentence or two, shown to learners")
    pass_score: int = Field(ge=0, le=100, description="a draft passes at this score with nothing blocking")
    max_characters: Limit | None = None
    max_words: Limit | None = None
    max_sentences: Limit | None = None
    max_reading_grade: GradeLimit | None = None
    max_emoji: Limit | None = None
    max_hashtags: Limit | None = None
    max_exclamation_run: Limit | None = Field(default=None, description="1 allows '!' but not '!!'")
    shouting: SeverityOrAllowed = "warning"
    first_person_plural: Severity | None = Field(
        default=None, description="when set, the company speaks as 'we', never 'Brightwater is ...'"
    )
    links: LinkRules = Field(default_factory=LinkRules)


class AvoidRule(PolicyModel):
    """Words or phrases the guide asks us not to use, with what to say instead."""

    id: Ident
    phrases: list[Text] = Field(min_length=1, description="matched as whole words, in any case")
    suggestion: Text
    why: Text
    severity: Severity = "advice"
    channels: list[Ident] | None = Field(default=None, description="only these channels (default: all)")


class Match(PolicyModel):
    """Phrases (whole words, any case) and patterns (regular expressions) that recognise something."""

    phrases: list[Text] = Field(default_factory=list)
    patterns: list[SafePattern] = Field(default_factory=list)

    @model_validator(mode="after")
    def _not_empty(self) -> Match:
        if not self.phrases and not self.patterns:
            raise ValueError("give at least one entry in phrases or patterns")
        return self


class RequiredElement(PolicyModel):
    """Something a draft must contain on some channels, e.g. saying you work here when promoting us."""

    id: Ident
    label: Text
    channels: list[Ident] = Field(min_length=1)
    when: Match | None = Field(default=None, description="only required when the draft contains one of these")
    present: Match = Field(description="what satisfies the requirement")
    position: Literal["anywhere", "start", "end"] = "anywhere"
    severity: Severity = "warning"
    message: Text
    suggestion: Text


class Scoring(PolicyModel):
    """Points a broken rule costs, by severity. Each rule costs its points once per draft."""

    blocking: int = Field(ge=0, le=100)
    warning: int = Field(ge=0, le=100)
    advice: int = Field(ge=0, le=100)

    def weight(self, severity: str) -> int:
        return int(getattr(self, severity))


class Shouting(PolicyModel):
    """What counts as shouting: runs of capital letters, apart from everyday acronyms."""

    min_letters: int = Field(default=4, ge=2, le=20, description="capitals in a run before it counts")
    acronyms: list[str] = Field(default_factory=list, description="capitalised words that are fine (FAQ, UK)")


class LinkLists(PolicyModel):
    """Which link shorteners and tracking parameters the link rules look for."""

    shorteners: list[Text] = Field(min_length=1, description="domains such as bit.ly")
    tracking_parameters: list[Text] = Field(min_length=1, description="names or prefixes such as utm_")


class BrandVoicePolicy(PolicyModel):
    """``brand_voice.yaml``: the company's brand-voice guide, rule by rule and channel by channel."""

    company: Text
    version: Text
    company_names: list[Text] = Field(min_length=1, description="how the company is named, longest first")
    scoring: Scoring
    shouting: Shouting = Field(default_factory=Shouting)
    links: LinkLists
    channels: list[VoiceChannel] = Field(min_length=1)
    avoid: list[AvoidRule] = Field(default_factory=list)
    required: list[RequiredElement] = Field(default_factory=list)

    @model_validator(mode="after")
    def _cross_references(self) -> BrandVoicePolicy:
        unique_ids(self.channels, "channel")
        unique_ids(self.avoid, "avoid rule")
        unique_ids(self.required, "required element")
        known = [c.id for c in self.channels]
        for rule in self.avoid:
            for ch in rule.channels or []:
                if ch not in known:
                    raise ValueError(f"avoid rule {rule.id!r} lists channel {ch!r}, expected one of {known}")
        for element in self.required:
            for ch in element.channels:
                if ch not in known:
                    raise ValueError(
                        f"required element {element.id!r} lists channel {ch!r}, expected one of {known}"
                    )
        return self

    @property
    def channel_ids(self) -> list[str]:
        return [c.id for c in self.channels]

    def channel(self, channel_id: str) -> VoiceChannel:
        for c in self.channels:
            if c.id == channel_id:
                return c
        raise KeyError(f"no channel called {channel_id!r}; known: {', '.join(self.channel_ids)}")
