"""Situations and posts that graded questions are about, shown as cards: ``show_scenario("03-...", "outage")``.

``data/scenarios/<module>.yaml`` holds texts only: what happens, and the posts or messages involved.
The expected answers are not there: they live in the hidden tests of ``solutions/``. Texts may use
``{company}`` and ``{network}`` (the company's internal network), filled in from the privacy policy,
so another company's policy changes the names without editing a scenario.
"""

from __future__ import annotations

import html
import string
from pathlib import Path

from IPython.display import HTML
from pydantic import Field, model_validator

from course._paths import data_dir
from course.policy import PolicyError, PolicySet, PrivacyPolicy, load_policies, load_policy_file
from course.policy._base import Ident, PolicyModel, Text, unique_ids

#: Names a scenario text may use in braces.
PLACEHOLDERS = ("company", "network")


class Reply(PolicyModel):
    author: Text
    text: Text


class Post(PolicyModel):
    """A post or message as it appears: who wrote it, where, what it says, and any replies."""

    label: Text | None = Field(None, description='a name for the post, e.g. "Post A"')
    author: Text
    where: Text | None = Field(None, description='where it was posted, e.g. "in the Buying group on {network}"')
    text: Text
    replies: list[Reply] = Field(default_factory=list)


class Scenario(PolicyModel):
    """Something that happens at work, shown before a question about it."""

    id: Ident
    title: Text
    story: Text | None = Field(None, description="what is going on, in a few sentences")
    posts: list[Post] = Field(default_factory=list)

    @model_validator(mode="after")
    def _says_something(self) -> Scenario:
        if not (self.story or self.posts):
            raise ValueError("give a 'story', some 'posts' or both")
        return self


class ScenarioSet(PolicyModel):
    title: Text
    intro: Text | None = None
    scenarios: list[Scenario] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> ScenarioSet:
        unique_ids(self.scenarios, "scenario")
        return self

    def scenario(self, scenario_id: str) -> Scenario:
        for item in self.scenarios:
            if item.id == scenario_id:
                return item
        raise KeyError(f"no scenario called {scenario_id!r}; known: {', '.join(s.id for s in self.scenarios)}")


def _texts(scenarios: ScenarioSet) -> list[tuple[str, str]]:
    """(dotted key, text) for every text that may hold a placeholder."""
    out: list[tuple[str, str]] = [("title", scenarios.title)]
    if scenarios.intro:
        out.append(("intro", scenarios.intro))
    for i, item in enumerate(scenarios.scenarios):
        out.append((f"scenarios[{i}].title", item.title))
        if item.story:
            out.append((f"scenarios[{i}].story", item.story))
        for j, post in enumerate(item.posts):
            key = f"scenarios[{i}].posts[{j}]"
            out += [(f"{key}.{name}", getattr(post, name)) for name in ("label", "author", "where", "text")
                    if getattr(post, name)]
            for k, reply in enumerate(post.replies):
                out += [(f"{key}.replies[{k}].author", reply.author), (f"{key}.replies[{k}].text", reply.text)]
    return out


def load_scenarios(module: str, *, directory: Path | None = None) -> ScenarioSet:
    """Load ``data/scenarios/<module>.yaml``; a placeholder other than :data:`PLACEHOLDERS` is an error."""
    path = (directory or data_dir() / "scenarios") / f"{module}.yaml"
    scenarios = load_policy_file(path, ScenarioSet)
    for key, text in _texts(scenarios):
        try:
            fields = [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
        except ValueError as exc:
            raise PolicyError(path, key, f"has an unmatched brace ({exc})") from None
        for field in fields:
            if field not in PLACEHOLDERS:
                raise PolicyError(path, key, f"unknown placeholder {{{field}}}; use one of "
                                  + ", ".join(f"{{{p}}}" for p in PLACEHOLDERS))
    return scenarios


def network_name(privacy: PrivacyPolicy) -> str:
    """The name of the company's internal network: the internal platform that reaches most people."""
    internal = [p for p in privacy.platforms if p.kind == "internal"]
    if not internal:
        return "your internal network"
    return max(internal, key=lambda p: max(privacy.reach(a) for a in p.audiences)).name


def fill(text: str, policies: PolicySet) -> str:
    """``text`` with ``{company}`` and ``{network}`` filled in from the privacy policy."""
    privacy = policies.privacy
    return text.format_map({"company": privacy.company, "network": network_name(privacy)})


_CARD = "border:1px solid #999;border-radius:6px;padding:6px 14px;margin:6px 0;max-width:52em"
_QUOTE = "border-left:4px solid #777;margin:4px 0;padding:4px 12px"


def _lines(text: str) -> str:
    return "<br>".join(html.escape(line) for line in text.splitlines())


def _paragraphs(text: str) -> str:
    """Each line of ``text`` as a paragraph (YAML's folded style turns a blank line into one newline)."""
    return "".join(f"<p>{html.escape(p.strip())}</p>" for p in text.splitlines() if p.strip())


def post_html(post: Post, policies: PolicySet) -> str:
    """One post as a quotation with its author, place and replies; every text escaped."""
    label = f"<strong>{html.escape(fill(post.label, policies))}.</strong> " if post.label else ""
    where = f", {html.escape(fill(post.where, policies))}" if post.where else ""
    parts = [f"<p>{label}<em>{html.escape(fill(post.author, policies))}</em>{where}:</p>",
             f'<blockquote style="{_QUOTE}">{_lines(fill(post.text, policies))}</blockquote>']
    for reply in post.replies:
        parts.append(f'<p style="margin-left:2em">↳ <em>Reply from {html.escape(fill(reply.author, policies))}:'
                     f'</em></p><blockquote style="{_QUOTE};margin-left:2em">{_lines(fill(reply.text, policies))}'
                     "</blockquote>")
    return "".join(parts)


def scenario_html(scenario: Scenario, policies: PolicySet) -> str:
    """A scenario as a labelled card: its title, its story, then its posts."""
    title = html.escape(fill(scenario.title, policies))
    parts = [f'<section aria-label="{title}" style="{_CARD}">', f"<h3 style='margin:6px 0'>{title}</h3>"]
    if scenario.story:
        parts.append(_paragraphs(fill(scenario.story, policies)))
    parts += [post_html(post, policies) for post in scenario.posts]
    parts.append("</section>")
    return "".join(parts)


def show_scenario(module: str, scenario_id: str, *, policies: PolicySet | None = None) -> HTML:
    """One scenario of ``data/scenarios/<module>.yaml`` as a card."""
    policies = policies or load_policies()
    return HTML(scenario_html(load_scenarios(module).scenario(scenario_id), policies))


def show_scenarios(module: str, ids: list[str] | None = None, *, policies: PolicySet | None = None) -> HTML:
    """Several scenarios (default: all, in file order) as cards, one under the other."""
    policies = policies or load_policies()
    scenarios = load_scenarios(module)
    chosen = [scenarios.scenario(i) for i in ids] if ids is not None else scenarios.scenarios
    return HTML("".join(scenario_html(s, policies) for s in chosen))
