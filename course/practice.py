"""Practice items: questions whose answers may ship, with explanations, for instant feedback.

Practice items live in ``data/practice/<module>.yaml``. Graded items never do: their expected
answers exist only in the hidden tests of ``solutions/``. Options may be written out, or taken
from a policy list (``options_from: audiences``) so another company's policy changes them too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from course._paths import data_dir
from course.policy import PolicySet, load_policies, load_policy_file
from course.policy._base import Ident, PolicyModel, Text, unique_ids

OptionSource = Literal["audiences", "platforms", "never_post", "information_kinds", "comment_categories",
                       "moderation_actions", "value_categories", "channels"]


class Option(PolicyModel):
    value: str
    label: Text


class PracticeItem(PolicyModel):
    id: Ident
    prompt: Text
    options: list[Option] = Field(default_factory=list)
    options_from: OptionSource | None = None
    answer: str
    explanation: Text
    hints: dict[str, Text] = Field(default_factory=dict, description="feedback for a particular wrong option")

    @model_validator(mode="after")
    def _options_given_once(self) -> PracticeItem:
        if bool(self.options) == bool(self.options_from):
            raise ValueError("give either 'options' or 'options_from', not both or neither")
        return self


class PracticeSet(PolicyModel):
    title: Text
    intro: Text | None = None
    default_hint: Text = "Have another look at the situation and the policy, then try again."
    items: list[PracticeItem] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> PracticeSet:
        unique_ids(self.items, "practice item")
        return self


def options_for(item: PracticeItem, policies: PolicySet) -> list[Option]:
    """The item's options, resolving ``options_from`` against the company's policy."""
    if item.options:
        return list(item.options)
    # each source is read only when asked for, so a company without, say, a moderation policy can
    # still use the privacy practice sets
    source = {
        "audiences": lambda: [(a.id, a.label) for a in policies.privacy.audiences],
        "platforms": lambda: [(p.id, p.name) for p in policies.privacy.platforms],
        "never_post": lambda: [(n.id, n.label) for n in policies.privacy.never_post],
        "information_kinds": lambda: [(k.id, k.label) for k in policies.privacy.information_kinds],
        "comment_categories": lambda: [(c.id, c.label) for c in policies.moderation.comment_categories],
        "moderation_actions": lambda: [(a.id, a.label) for a in policies.moderation.response_actions],
        "value_categories": lambda: [(c.id, c.label) for c in policies.value.categories],
        "channels": lambda: [(c.id, c.name) for c in policies.channels.channels],
    }[item.options_from]()  # type: ignore[index]
    return [Option(value=v, label=label) for v, label in source]


def load_practice(name: str, *, policies: PolicySet | None = None, directory: Path | None = None) -> PracticeSet:
    """Load ``data/practice/<name>.yaml`` and check every answer and hint is one of the options."""
    path = (directory or data_dir() / "practice") / f"{name}.yaml"
    practice = load_policy_file(path, PracticeSet)
    policies = policies or load_policies()
    for index, item in enumerate(practice.items):
        values = {o.value for o in options_for(item, policies)}
        if item.answer not in values:
            from course.policy import PolicyError

            raise PolicyError(path, f"items[{index}].answer",
                              f"{item.answer!r} is not one of the item's options {sorted(values)}")
        for wrong in item.hints:
            if wrong not in values:
                from course.policy import PolicyError

                raise PolicyError(path, f"items[{index}].hints.{wrong}", "hint for an option the item does not have")
    return practice


@dataclass(frozen=True)
class Feedback:
    correct: bool
    message: str


def evaluate(item: PracticeItem, choice: str | None, *, default_hint: str = PracticeSet.model_fields[
        "default_hint"].default) -> Feedback:
    """Instant feedback on a practice choice: confirmation with the reason, or a hint to try again."""
    if choice is None:
        return Feedback(False, "Pick one of the options first, then press Check.")
    if choice == item.answer:
        return Feedback(True, item.explanation)
    hint = item.hints.get(choice, default_hint)
    return Feedback(False, hint)
