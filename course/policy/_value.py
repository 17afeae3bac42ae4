"""The value guide: what a work update can be worth to the business, and the habits of a "doer" post.

Module 01 (value, not noise) teaches staff to sort a feed into signal and noise and to write updates
colleagues can act on. The categories and habits are the company's own words, so they live here.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from course.policy._base import Ident, PolicyModel, Text, unique_ids


class ValueCategory(PolicyModel):
    """One kind of value an update can have for the business (or none: noise)."""

    id: Ident
    label: Text
    description: Text = Field(description="how to recognise an update of this kind")
    worth: Text = Field(description="what it is worth to the business, in plain words")
    example: Text
    is_noise: bool = Field(False, description="true for the one category that has no value to the business")


class DoerHabit(PolicyModel):
    """Something a "doer" post does that a "reporter" post does not: it tells people what to do."""

    id: Ident
    label: Text
    why: Text
    example: Text


class ValuePolicy(PolicyModel):
    version: Text
    summary: Text = Field(description="the idea in a sentence or two")
    categories: list[ValueCategory] = Field(min_length=2)
    doer_habits: list[DoerHabit] = Field(min_length=1)

    @model_validator(mode="after")
    def _checks(self) -> ValuePolicy:
        unique_ids(self.categories, "value category")
        unique_ids(self.doer_habits, "doer habit")
        noise = [c.id for c in self.categories if c.is_noise]
        if len(noise) != 1:
            raise ValueError(f"exactly one category must have is_noise: true, found {len(noise)} ({noise})")
        return self

    # -- look-ups -----------------------------------------------------------------------------
    @property
    def category_ids(self) -> list[str]:
        return [c.id for c in self.categories]

    @property
    def noise(self) -> ValueCategory:
        """The category for updates with no value to the business."""
        return next(c for c in self.categories if c.is_noise)

    def category(self, category_id: str) -> ValueCategory:
        return _find(self.categories, category_id, "value category")

    def habit(self, habit_id: str) -> DoerHabit:
        return _find(self.doer_habits, habit_id, "doer habit")


def _find(items: list, item_id: str, what: str):
    for item in items:
        if item.id == item_id:
            return item
    raise KeyError(f"no {what} called {item_id!r}; known: {', '.join(i.id for i in items)}")
