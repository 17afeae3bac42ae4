"""``practice_scenarios``: step through practice situations, pick an answer, get feedback at once."""

from __future__ import annotations

import html

import ipywidgets as w

from course.policy import PolicySet, load_policies
from course.practice import PracticeSet, evaluate, load_practice, options_for
from course.widgets._a11y import button, feedback_html, heading
from course.widgets.controls import LiveRegion, RadioGroup


class PracticeScenarios(w.VBox):
    """A practice deck: one situation at a time, a radio group of options, Check / Previous / Next buttons."""

    def __init__(self, practice: PracticeSet, policies: PolicySet) -> None:
        self.practice = practice
        self.policies = policies
        self.index = 0
        self.results: dict[str, bool] = {}
        self.title = heading(f"Practice: {practice.title}")
        self.position = w.HTML()
        self.prompt = w.HTML()
        self.choice = RadioGroup(description="Your answer:")
        self.check_button = button("Check my answer", icon="check")
        self.previous_button = button("Previous situation", icon="arrow-left")
        self.next_button = button("Next situation", icon="arrow-right")
        self.feedback = LiveRegion()
        self.score = w.HTML()
        self.check_button.on_click(lambda _: self.check())
        self.previous_button.on_click(lambda _: self.show(self.index - 1))
        self.next_button.on_click(lambda _: self.show(self.index + 1))
        intro = [w.HTML(f"<p>{html.escape(practice.intro)}</p>")] if practice.intro else []
        super().__init__([
            self.title, *intro, self.position, self.prompt, self.choice,
            w.HBox([self.check_button, self.previous_button, self.next_button]),
            self.feedback, self.score,
        ])
        self.show(0)

    @property
    def item(self):
        return self.practice.items[self.index]

    def show(self, index: int) -> None:
        self.index = max(0, min(index, len(self.practice.items) - 1))
        item = self.item
        self.position.value = f"<p><em>Situation {self.index + 1} of {len(self.practice.items)}</em></p>"
        self.prompt.value = f"<p>{html.escape(item.prompt)}</p>"
        self.choice.value = None
        self.choice.options = [(o.label, o.value) for o in options_for(item, self.policies)]
        self.feedback.value = ""
        self.previous_button.disabled = self.index == 0
        self.next_button.disabled = self.index == len(self.practice.items) - 1
        self._show_score()

    def check(self) -> None:
        result = evaluate(self.item, self.choice.value, default_hint=self.practice.default_hint)
        if self.choice.value is not None:
            # the first try counts, so the tally says how many were right straight away
            self.results.setdefault(self.item.id, result.correct)
        self.feedback.value = feedback_html(result.message, correct=result.correct if self.choice.value else None)
        self._show_score()

    def _show_score(self) -> None:
        right = sum(self.results.values())
        self.score.value = (
            f"<p><small>Right first time: {right} of {len(self.results)} tried "
            f"({len(self.practice.items)} situations in all). Practice is not marked.</small></p>"
        )


def practice_scenarios(name: str, *, policies: PolicySet | None = None) -> PracticeScenarios:
    """The practice deck ``data/practice/<name>.yaml`` as a widget, with options from the policy."""
    policies = policies or load_policies()
    return PracticeScenarios(load_practice(name, policies=policies), policies)
