"""Module 02 (privacy and audiences): the privacy panel, and the situations of its graded items.

``privacy_panel()`` lets a learner explore the policy: pick a platform to see its audiences, its
default and its notes; pick a kind of information and an audience to be told at once whether they
fit and why. ``show_situation("draft_1")`` and ``show_profile("sam_profile")`` display the texts and
mock profiles of ``data/scenarios/02-privacy-and-audiences.yaml`` with the company's names filled
in. That file holds texts only: the expected answers live in the hidden tests of ``solutions/``.

"""

from __future__ import annotations

import html
import string
from pathlib import Path
from typing import TypeVar

import ipywidgets as w
from IPython.display import HTML
from pydantic import Field, model_validator

from course._paths import data_dir
from course.policy import Platform, PolicyError, PolicySet, PrivacyPolicy, load_policies, load_policy_file
from course.policy._base import Ident, PolicyModel, Text, unique_ids
from course.widgets._a11y import INFO, NO, OK, TONES, feedback_html, heading, verdict_html
from course.widgets.controls import LiveRegion

MODULE = "02-privacy-and-audiences"

T = TypeVar("T")

#: Names a scenario text may use in braces, e.g. "posts on {internal_network}".
PLACEHOLDERS = ("company", "internal_network")


# -- the situations and mock profiles of the graded items ---------------------------------------

class Situation(PolicyModel):
    """Something that happens at work, shown to the learner before a question about it."""

    id: Ident
    title: Text
    story: Text | None = Field(None, description="what is going on, in a sentence or three")
    author: Text | None = Field(None, description="who wrote the draft")
    where: Text | None = Field(None, description="where the draft would be posted or sent")
    draft: Text | None = Field(None, description="the post or message exactly as drafted")
    photo: Text | None = Field(None, description="what a photo attached to the draft shows")

    @model_validator(mode="after")
    def _says_something(self) -> Situation:
        if not (self.story or self.draft):
            raise ValueError("give a 'story', a 'draft' or both")
        return self


class MockProfile(PolicyModel):
    """A made-up profile: which of the policy's settings are on now. Settings left out are off."""

    id: Ident
    owner: Text
    site: Text = Field(description="where the profile is, e.g. 'his professional networking profile'")
    settings: dict[Ident, bool]


class ScenarioSet(PolicyModel):
    title: Text
    situations: list[Situation] = Field(min_length=1)
    profiles: list[MockProfile] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> ScenarioSet:
        unique_ids([*self.situations, *self.profiles], "situation or profile")
        return self

    def situation(self, situation_id: str) -> Situation:
        return _find(self.situations, situation_id, "situation")

    def profile(self, profile_id: str) -> MockProfile:
        return _find(self.profiles, profile_id, "profile")


def _find(items: list[T], item_id: str, what: str) -> T:
    for item in items:
        if item.id == item_id:
            return item
    raise KeyError(f"no {what} called {item_id!r}; known: {', '.join(i.id for i in items)}")


def _text_fields(scenarios: ScenarioSet) -> list[tuple[str, str]]:
    """(dotted key, text) for every text in the file that may hold a placeholder."""
    out: list[tuple[str, str]] = []
    for index, item in enumerate(scenarios.situations):
        for name in ("title", "story", "author", "where", "draft", "photo"):
            value = getattr(item, name)
            if value:
                out.append((f"situations[{index}].{name}", value))
    for index, profile in enumerate(scenarios.profiles):
        for name in ("owner", "site"):
            out.append((f"profiles[{index}].{name}", getattr(profile, name)))
    return out


def load_privacy_scenarios(
    name: str = MODULE, *, policies: PolicySet | None = None, directory: Path | None = None
) -> ScenarioSet:
    """Load ``data/scenarios/<name>.yaml``; check its placeholders and that its profiles use policy settings."""
    path = (directory or data_dir() / "scenarios") / f"{name}.yaml"
    scenarios = load_policy_file(path, ScenarioSet)
    privacy = (policies or load_policies()).privacy
    for key, text in _text_fields(scenarios):
        try:
            fields = [field for _, field, _, _ in string.Formatter().parse(text)]
        except ValueError as exc:
            raise PolicyError(path, key, f"braces must hold a placeholder like {{company}} ({exc})") from None
        for field in fields:
            if field is not None and field not in PLACEHOLDERS:
                raise PolicyError(path, key, f"unknown placeholder {{{field}}}; use one of "
                                  + ", ".join(f"{{{p}}}" for p in PLACEHOLDERS))
    known = {s.id for s in privacy.profile_settings}
    for index, profile in enumerate(scenarios.profiles):
        for setting_id in profile.settings:
            if setting_id not in known:
                raise PolicyError(path, f"profiles[{index}].settings.{setting_id}",
                                  f"not a profile setting of the privacy policy; expected one of {sorted(known)}")
    return scenarios


def internal_network(privacy: PrivacyPolicy) -> Platform:
    """The company's internal network: the internal platform whose audiences reach furthest (first wins).

    Questions about "your internal network" mean this platform, so a company whose policy lists its
    team chat before its company-wide network still gets the right one.
    """
    internal = [p for p in privacy.platforms if p.kind == "internal"]
    if not internal:
        raise LookupError("the privacy policy lists no internal platform (kind: internal)")
    return max(internal, key=lambda p: max(privacy.reach(a) for a in p.audiences))


def fill(text: str, privacy: PrivacyPolicy) -> str:
    """``text`` with ``{company}`` and ``{internal_network}`` replaced by the policy's names."""
    try:
        network = internal_network(privacy).name
    except LookupError:
        network = "your company's internal network"
    return text.format_map({"company": privacy.company, "internal_network": network})


def mock_profile(profile_id: str, *, policies: PolicySet | None = None) -> dict[str, bool]:
    """Every profile setting of the policy, in policy order, with its value on the mock profile."""
    policies = policies or load_policies()
    profile = load_privacy_scenarios(policies=policies).profile(profile_id)
    return {s.id: profile.settings.get(s.id, False) for s in policies.privacy.profile_settings}


_CARD = "border:1px solid #999;border-radius:6px;padding:6px 14px;margin:6px 0;max-width:52em"


def _paragraphs(text: str) -> str:
    return "".join(f"<p>{html.escape(p.strip())}</p>" for p in text.split("\n\n") if p.strip())


def show_situation(situation_id: str, *, policies: PolicySet | None = None) -> HTML:
    """The situation as a card: its story, then the draft as it would appear, with any photo described."""
    policies = policies or load_policies()
    privacy = policies.privacy
    item = load_privacy_scenarios(policies=policies).situation(situation_id)
    title = html.escape(fill(item.title, privacy))
    parts = [f'<section aria-label="{title}" style="{_CARD}">', f"<h3 style='margin:6px 0'>{title}</h3>"]
    if item.story:
        parts.append(_paragraphs(fill(item.story, privacy)))
    if item.draft:
        who = html.escape(fill(item.author, privacy)) if item.author else "Someone"
        where = f", for {html.escape(fill(item.where, privacy))}" if item.where else ""
        parts.append(f"<p><em>Draft by {who}{where}:</em></p>")
        body = "<br>".join(html.escape(line) for line in fill(item.draft, privacy).splitlines())
        parts.append(f'<blockquote style="border-left:4px solid #777;margin:4px 0;padding:4px 12px">{body}'
                     "</blockquote>")
    if item.photo:
        parts.append(f"<p><em>The photo shows:</em> {html.escape(fill(item.photo, privacy))}</p>")
    parts.append("</section>")
    return HTML("".join(parts))


def show_profile(profile_id: str, *, policies: PolicySet | None = None) -> HTML:
    """The mock profile's settings as they are now (not what the policy requires: that is the question)."""
    policies = policies or load_policies()
    privacy = policies.privacy
    profile = load_privacy_scenarios(policies=policies).profile(profile_id)
    values = mock_profile(profile_id, policies=policies)
    owner, site = html.escape(fill(profile.owner, privacy)), html.escape(fill(profile.site, privacy))
    rows = "".join(
        f"<tr><th scope='row' style='text-align:left'>{html.escape(s.label)}</th>"
        f"<td><code>{html.escape(s.id)}</code></td>"
        f"<td>{'✔ On' if values[s.id] else '— Off'}</td></tr>"
        for s in privacy.profile_settings
    )
    return HTML(
        f"<table><caption style='text-align:left'><strong>Settings on {owner}'s profile on {site}, as they "
        f"are now</strong></caption><thead><tr><th scope='col' style='text-align:left'>Setting</th>"
        f"<th scope='col' style='text-align:left'>Write it as</th><th scope='col' style='text-align:left'>Now"
        f"</th></tr></thead><tbody>{rows}</tbody></table>"
    )


# -- the privacy panel ----------------------------------------------------------------------------

def _quoted(text: str) -> str:
    return f"“{html.escape(text)}”"


def fit_verdict(privacy: PrivacyPolicy, kind_id: str, audience_id: str, platform_id: str | None = None
                ) -> tuple[bool, str]:
    """Whether posting information of ``kind_id`` to ``audience_id`` fits the policy, and why, in words.

    With ``platform_id`` the message also says when that platform does not offer the audience, and
    warns when a too-wide audience is the platform's default (the easy way to get it wrong).
    """
    kind = privacy.information_kind(kind_id)
    audience = privacy.audience(audience_id)
    widest = privacy.audience(kind.widest_audience)
    fits = privacy.fits(audience_id, kind_id)
    if fits and audience.id == widest.id:
        message = (f"{kind.label} may reach at most {_quoted(widest.label)}, and you chose exactly that: "
                   "the widest audience allowed.")
    elif fits:
        message = (f"{kind.label} may reach at most {_quoted(widest.label)}; {_quoted(audience.label)} is "
                   "narrower, so it fits. Ask yourself whether the people who need it can still see it.")
    else:
        message = (f"{kind.label} may reach at most {_quoted(widest.label)}, and {_quoted(audience.label)} "
                   "reaches further than that.")
    if platform_id is not None:
        platform = privacy.platform(platform_id)
        if audience.id not in platform.audiences:
            message += f" Note: you cannot choose {_quoted(audience.label)} on {html.escape(platform.name)}."
        elif not fits and platform.default_audience == audience.id:
            message += (f" Careful: this is the default on {html.escape(platform.name)}, so it is what you get "
                        "if you post without changing the audience.")
    return fits, message


class PrivacyPanel(w.VBox):
    """Explore the policy: a platform's audiences and default; whether information fits an audience."""

    def __init__(self, policies: PolicySet) -> None:
        self.privacy = privacy = policies.privacy
        try:
            start = internal_network(privacy).id
        except LookupError:
            start = privacy.platforms[0].id
        self.platform = w.Dropdown(
            options=[(p.name, p.id) for p in privacy.platforms], value=start, description="Platform:",
            style={"description_width": "initial"}, layout=w.Layout(width="auto"))
        self.platform_info = w.HTML()
        self.kind = w.Dropdown(
            options=[(k.label, k.id) for k in privacy.information_kinds], value=None,
            description="Kind of information:", style={"description_width": "initial"},
            layout=w.Layout(width="auto"))
        self.kind_example = w.HTML()
        self.audience = w.Dropdown(
            options=[(a.label, a.id) for a in privacy.audiences], value=None, description="Audience:",
            style={"description_width": "initial"}, layout=w.Layout(width="auto"))
        self.verdict = LiveRegion()
        never = "".join(f"<li>{html.escape(n.label)}: {html.escape(n.why)}</li>" for n in privacy.never_post)
        never_html = w.HTML(f"<p><strong>{NO} Never fits any audience:</strong></p><ul>{never}</ul>")
        for control in (self.platform, self.kind, self.audience):
            control.observe(lambda _change: self.update(), names="value")
        super().__init__([
            heading("Explore: who can see a post?"),
            w.HTML("<p><strong>1.</strong> Pick a platform to see who a post there can reach.</p>"),
            self.platform, self.platform_info,
            w.HTML("<p><strong>2.</strong> Pick a kind of information and an audience: is it within the "
                   "policy?</p>"),
            self.kind, self.kind_example, self.audience, self.verdict, never_html,
        ])
        self.update()

    def update(self) -> None:
        self.platform_info.value = self._platform_html(self.platform.value)
        kind_id, audience_id = self.kind.value, self.audience.value
        self.kind_example.value = (
            f"<p><em>For example:</em> “{html.escape(self.privacy.information_kind(kind_id).example)}”</p>"
            if kind_id else "")
        if not (kind_id and audience_id):
            self.verdict.value = feedback_html("Pick a kind of information and an audience to see whether they fit.",
                                               correct=None)
            return
        fits, message = fit_verdict(self.privacy, kind_id, audience_id, self.platform.value)
        words = f"{OK} Fits the policy" if fits else f"{NO} Too wide"
        self.verdict.value = verdict_html(words, message, tone=TONES[fits])

    def _platform_html(self, platform_id: str) -> str:
        platform = self.privacy.platform(platform_id)
        default = self.privacy.audience(platform.default_audience)
        where = ("an internal platform: only people who work here can see it" if platform.kind == "internal"
                 else "an outside site: people who do not work here can see it")
        rows = "".join(
            f"<li>{html.escape(self.privacy.audience(a).label)} (<code>{a}</code>)"
            f"{' — ★ Default' if a == platform.default_audience else ''}</li>"
            for a in sorted(platform.audiences, key=self.privacy.reach)
        )
        return (f"<p>{INFO} <strong>{html.escape(platform.name)}</strong> is {where}. A new post goes to "
                f"<strong>{html.escape(default.label)}</strong> (<code>{default.id}</code>) unless you choose "
                f"otherwise.</p><p>Audiences you can choose, narrowest first:</p><ul>{rows}</ul>"
                f"<p><em>{html.escape(platform.notes)}</em></p>")


def privacy_panel(*, policies: PolicySet | None = None) -> PrivacyPanel:
    """The privacy panel for the company's policy: platforms, audiences and what fits where."""
    return PrivacyPanel(policies or load_policies())
