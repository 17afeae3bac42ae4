"""Module 05 (norms and moderation): the incoming comments, the weekly listening summary and
response templates, as plain data and pure functions over the moderation policy.

``data/scenarios/05-norms-and-moderation.yaml`` holds the comments' texts and a synthetic week of
listening figures. It holds no answers: which category a comment is, and so what to do with it, is
decided in the hidden tests of ``solutions/``, from the company's moderation policy.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import Field, NonNegativeInt, model_validator

from course._paths import data_dir
from course.policy import PolicyError, PolicySet, ResponseTemplate, load_policy_file
from course.policy._base import Ident, PolicyModel, Text, unique_ids
from course.policy._moderation import BUILT_IN_VALUES

MODULE = "05-norms-and-moderation"

#: Names a comment's text may use in braces: filled in from the privacy policy.
PLACEHOLDERS = ("company",)


class IncomingComment(PolicyModel):
    """A comment that arrives on one of the company's pages, accounts or groups."""

    id: Ident
    author: Text
    platform: Ident | None = Field(None, description="a platform id of the privacy policy, or internal_network")
    place: Text = Field(description="where exactly, e.g. 'under the post about the new trade counter'")
    posted: Text = Field(description="when, e.g. 'Tuesday, 10:42'")
    text: Text
    context: Text | None = Field(None, description="what else the moderator can see, e.g. how fast it spreads")


class ListeningRow(PolicyModel):
    """One channel's figures for the week: what came in, and how fast the first reply was."""

    channel: Ident
    label: Text
    kind: Literal["traditional", "social"]
    contacts: NonNegativeInt = Field(description="calls, emails, mentions or comments received")
    questions: NonNegativeInt
    complaints: NonNegativeInt
    praise: NonNegativeInt
    median_first_reply_minutes: NonNegativeInt

    @model_validator(mode="after")
    def _parts_fit(self) -> ListeningRow:
        if self.questions + self.complaints + self.praise > self.contacts:
            raise ValueError(f"channel {self.channel!r}: questions, complaints and praise add up to more than contacts")
        return self


class ListeningWeek(PolicyModel):
    title: Text
    note: Text | None = None
    rows: list[ListeningRow] = Field(min_length=2)

    @model_validator(mode="after")
    def _unique(self) -> ListeningWeek:
        channels = [r.channel for r in self.rows]
        if len(channels) != len(set(channels)):
            raise ValueError("a channel appears more than once in the listening week")
        return self

    @property
    def channel_ids(self) -> list[str]:
        return [r.channel for r in self.rows]


class ModerationScenarios(PolicyModel):
    title: Text
    comments: list[IncomingComment] = Field(min_length=1)
    listening: ListeningWeek

    @model_validator(mode="after")
    def _unique(self) -> ModerationScenarios:
        unique_ids(self.comments, "comment")
        return self

    @property
    def comment_ids(self) -> list[str]:
        return [c.id for c in self.comments]

    def comment(self, comment_id: str) -> IncomingComment:
        for item in self.comments:
            if item.id == comment_id:
                return item
        raise KeyError(f"no comment called {comment_id!r}; known: {', '.join(self.comment_ids)}")


def load_moderation_scenarios(name: str = MODULE, *, directory: Path | None = None) -> ModerationScenarios:
    """Load ``data/scenarios/<name>.yaml`` and check its placeholders.

    A comment's platform is not checked against the privacy policy: another company may not use
    that site, and the comment is still shown, under the site's usual name.
    """
    path = (directory or data_dir() / "scenarios") / f"{name}.yaml"
    scenarios = load_policy_file(path, ModerationScenarios)
    for index, comment in enumerate(scenarios.comments):
        for key in ("author", "place", "text", "context"):
            value = getattr(comment, key)
            for _, field, _, _ in string.Formatter().parse(value or ""):
                if field is not None and field not in PLACEHOLDERS:
                    raise PolicyError(path, f"comments[{index}].{key}",
                                      f"unknown placeholder {{{field}}}; use {{company}}")
    return scenarios


def fill(text: str, policies: PolicySet) -> str:
    """``text`` with ``{company}`` replaced by the company's name."""
    return text.format_map({"company": policies.privacy.company})


#: The alias a scenario uses for "the company's own internal network", whatever its policy calls it.
INTERNAL_NETWORK = "internal_network"

#: How a site is named when the company's privacy policy does not list it.
USUAL_NAMES = {"x": "X", "facebook": "Facebook", "linkedin": "LinkedIn", "instagram": "Instagram",
               "youtube": "YouTube", "tiktok": "TikTok", INTERNAL_NETWORK: "the internal network"}


def platform_name(platform_id: str | None, policies: PolicySet) -> str:
    """What to call a platform: its name in the privacy policy, else its usual name, else its id.

    ``internal_network`` means the company's own internal network: of its internal platforms, the one
    whose audiences reach furthest. ``None`` means the company's own website or blog.
    """
    if platform_id is None:
        return "the company's own website"
    privacy = policies.privacy
    if platform_id == INTERNAL_NETWORK:
        internal = [p for p in privacy.platforms if p.kind == "internal"]
        if internal:
            return max(internal, key=lambda p: max(privacy.reach(a) for a in p.audiences)).name
    found = next((p.name for p in privacy.platforms if p.id == platform_id), None)
    return found or USUAL_NAMES.get(platform_id, platform_id)


def format_minutes(minutes: int | None) -> str:
    """A deadline in plain words: ``30`` -> "30 minutes", ``240`` -> "4 hours", ``None`` -> "no deadline"."""
    if minutes is None:
        return "no deadline"
    if minutes % 1440 == 0:
        days = minutes // 1440
        return "1 day (24 hours)" if days == 1 else f"{days} days"
    if minutes % 60 == 0:
        hours = minutes // 60
        return "1 hour" if hours == 1 else f"{hours} hours"
    if minutes > 60:
        return f"{minutes // 60} h {minutes % 60} min"
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


@dataclass(frozen=True)
class FilledTemplate:
    """A template's text with what could be filled in, and the fields still empty (by label)."""

    text: str
    missing: list[str]
    from_policy: dict[str, str]

    @property
    def complete(self) -> bool:
        return not self.missing


def policy_values(policies: PolicySet) -> dict[str, str]:
    """The values every template gets from the policies: the moderation policy's, and the company's name."""
    values = dict(policies.moderation.template_values)
    values.update({name: _built_in(name, policies) for name in BUILT_IN_VALUES})
    return values


def _built_in(name: str, policies: PolicySet) -> str:
    return {"company": lambda: policies.privacy.company}[name]()


def fill_template(template: ResponseTemplate, answers: dict[str, str], policies: PolicySet) -> FilledTemplate:
    """Fill ``template`` with the policy's values and the person's ``answers`` (field id -> text).

    A field left empty shows as ``[its label]`` in the text and is listed in ``missing``.
    """
    from_policy = policy_values(policies)
    values: dict[str, str] = {}
    missing: list[str] = []
    for f in template.fields:
        given = (answers.get(f.id) or "").strip()
        if given:
            values[f.id] = given
        else:
            values[f.id] = f"[{f.label}]"
            missing.append(f.label)
    used = {name: from_policy[name] for name in template.placeholders() if name in from_policy}
    text = " ".join(template.text.format_map({**from_policy, **values}).split())
    return FilledTemplate(text=text, missing=missing, from_policy=used)
