"""The privacy policy: audiences, platforms and their defaults, profile settings, what never to post."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from course.policy._base import Ident, PolicyModel, Text, unique_ids


class Audience(PolicyModel):
    """One visibility scope, e.g. "only my team"."""

    id: Ident
    label: Text
    description: Text


class Platform(PolicyModel):
    """A place staff post, with the audiences it offers and the one it picks by default."""

    id: Ident
    name: Text
    kind: Literal["internal", "external"]
    audiences: list[Ident] = Field(min_length=1)
    default_audience: Ident
    notes: Text


class ProfileSetting(PolicyModel):
    """A profile or app setting and the value the policy requires."""

    id: Ident
    label: Text
    required: bool
    why: Text


class InformationKind(PolicyModel):
    """A kind of information and the widest audience it may ever reach."""

    id: Ident
    label: Text
    widest_audience: Ident
    example: Text


class NeverPost(PolicyModel):
    """Something that must never be posted, on any platform, to any audience."""

    id: Ident
    label: Text
    examples: list[Text] = Field(min_length=1)
    why: Text


class PrivacyPolicy(PolicyModel):
    company: Text
    version: Text
    audiences: list[Audience] = Field(min_length=2, description="narrowest first, widest last")
    platforms: list[Platform] = Field(min_length=1)
    profile_settings: list[ProfileSetting] = Field(min_length=1)
    information_kinds: list[InformationKind] = Field(min_length=1)
    never_post: list[NeverPost] = Field(min_length=1)
    contact: Text = Field(description="who to ask when unsure")

    @model_validator(mode="after")
    def _cross_references(self) -> PrivacyPolicy:
        unique_ids(self.audiences, "audience")
        unique_ids(self.platforms, "platform")
        unique_ids(self.profile_settings, "profile setting")
        unique_ids(self.information_kinds, "information kind")
        unique_ids(self.never_post, "never-post")
        known = {a.id for a in self.audiences}
        for p in self.platforms:
            for a in p.audiences:
                if a not in known:
                    raise ValueError(f"platform {p.id!r} lists audience {a!r}, expected one of {sorted(known)}")
            if p.default_audience not in p.audiences:
                raise ValueError(
                    f"platform {p.id!r} has default_audience {p.default_audience!r}, "
                    f"expected one of its own audiences {p.audiences}"
                )
        for k in self.information_kinds:
            if k.widest_audience not in known:
                raise ValueError(
                    f"information kind {k.id!r} has widest_audience {k.widest_audience!r}, "
                    f"expected one of {sorted(known)}"
                )
        return self

    # -- look-ups -----------------------------------------------------------------------------
    @property
    def audience_ids(self) -> list[str]:
        return [a.id for a in self.audiences]

    def audience(self, audience_id: str) -> Audience:
        return _find(self.audiences, audience_id, "audience")

    def platform(self, platform_id: str) -> Platform:
        return _find(self.platforms, platform_id, "platform")

    def setting(self, setting_id: str) -> ProfileSetting:
        return _find(self.profile_settings, setting_id, "profile setting")

    def information_kind(self, kind_id: str) -> InformationKind:
        return _find(self.information_kinds, kind_id, "information kind")

    def widest_audience(self, kind_id: str) -> str:
        """The widest audience that information of this kind may reach."""
        return self.information_kind(kind_id).widest_audience

    def reach(self, audience_id: str) -> int:
        """0 for the narrowest audience, growing with how many people can see a post."""
        return self.audience_ids.index(self.audience(audience_id).id)

    def fits(self, audience_id: str, kind_id: str) -> bool:
        """Whether posting information of ``kind_id`` to ``audience_id`` stays within policy."""
        return self.reach(audience_id) <= self.reach(self.widest_audience(kind_id))


def _find(items: list, item_id: str, what: str):
    for item in items:
        if item.id == item_id:
            return item
    raise KeyError(f"no {what} called {item_id!r}; known: {', '.join(i.id for i in items)}")
