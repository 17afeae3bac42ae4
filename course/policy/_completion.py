"""The completion policy: which modules each track must pass, pass marks, due dates, recertification."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from course.policy._base import Ident, PolicyModel, Text

_MODULE_RE = re.compile(r"^[0-9]{2}-[a-z0-9]+(-[a-z0-9]+)*$")


def _module_id(value: str) -> str:
    if not _MODULE_RE.match(value) or len(value) > 64:
        raise ValueError("expected a module name like 02-privacy-and-audiences: two digits, a dash, then "
                         "lower-case words joined by dashes")
    return value


#: An nbgrader assignment name of this course: two digits, a dash, lower-case words (``02-privacy-and-audiences``).
ModuleId = Annotated[str, AfterValidator(_module_id)]


class DueRule(PolicyModel):
    """When a required module is due: a number of days after the employee starts, or a fixed date."""

    days_after_start: int | None = Field(default=None, ge=0, le=3650)
    fixed_date: dt.date | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> DueRule:
        if (self.days_after_start is None) == (self.fixed_date is None):
            raise ValueError("give exactly one of days_after_start or fixed_date")
        return self

    def due(self, counted_from: dt.date) -> dt.date:
        if self.fixed_date is not None:
            return self.fixed_date
        return counted_from + dt.timedelta(days=self.days_after_start or 0)

    def describe(self) -> str:
        if self.fixed_date is not None:
            return f"by {self.fixed_date.isoformat()}"
        return f"{self.days_after_start} days after starting"


class ModuleRule(PolicyModel):
    id: ModuleId
    title: Text
    pass_mark_percent: float = Field(gt=0, le=100)


class Track(PolicyModel):
    """A group of employees with the same required modules (the roster's ``track`` column)."""

    id: Ident
    label: Text
    modules: list[ModuleId] = Field(min_length=1)
    due: DueRule | None = Field(default=None, description="overrides the policy-wide due rule")


class CompletionPolicy(PolicyModel):
    version: Text
    programme_start: dt.date | None = Field(
        default=None, description="due dates counted in days start no earlier than this date")
    due: DueRule
    grace_days: int = Field(ge=0, le=365)
    recertify_after_days: int = Field(ge=1, le=3650)
    remind_days_before: int = Field(default=14, ge=0, le=365)
    activity_iri: Annotated[str, StringConstraints(pattern=r"^https?://\S+/$")] = Field(
        description="base IRI of the course's xAPI activities, ending in /")
    modules: list[ModuleRule] = Field(min_length=1)
    tracks: list[Track] = Field(min_length=1)

    @model_validator(mode="after")
    def _cross_references(self) -> CompletionPolicy:
        seen: set[str] = set()
        for m in self.modules:
            if m.id in seen:
                raise ValueError(f"module id {m.id!r} appears more than once")
            seen.add(m.id)
        tracks: set[str] = set()
        for t in self.tracks:
            if t.id in tracks:
                raise ValueError(f"track id {t.id!r} appears more than once")
            tracks.add(t.id)
            for m in t.modules:
                if m not in seen:
                    raise ValueError(f"track {t.id!r} requires module {m!r}, expected one of {sorted(seen)}")
            if len(set(t.modules)) != len(t.modules):
                raise ValueError(f"track {t.id!r} lists a module twice")
        return self

    # -- look-ups -----------------------------------------------------------------------------
    @property
    def track_ids(self) -> list[str]:
        return [t.id for t in self.tracks]

    @property
    def module_ids(self) -> list[str]:
        return [m.id for m in self.modules]

    def track(self, track_id: str) -> Track:
        for t in self.tracks:
            if t.id == track_id:
                return t
        raise KeyError(f"no track called {track_id!r}; known: {', '.join(self.track_ids)}")

    def module(self, module_id: str) -> ModuleRule:
        for m in self.modules:
            if m.id == module_id:
                return m
        raise KeyError(f"no module called {module_id!r}; known: {', '.join(self.module_ids)}")

    def due_rule(self, track_id: str) -> DueRule:
        return self.track(track_id).due or self.due
