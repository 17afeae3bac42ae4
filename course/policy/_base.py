"""Shared base for policy models: strict keys, plain-language identifiers."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

#: A machine-readable name used in answers and rules: lower case, digits and underscores.
Ident = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", min_length=1, max_length=64)]
#: Text shown to learners.
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class PolicyModel(BaseModel):
    """Base of every policy object: unknown keys are errors (a typo must not pass silently)."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def unique_ids(items: list, what: str) -> None:
    """Raise ``ValueError`` naming the first id that appears twice in ``items``."""
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            raise ValueError(f"{what} id {item.id!r} appears more than once")
        seen.add(item.id)
