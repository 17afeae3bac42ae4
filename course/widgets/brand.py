"""Module 04 (one brand voice): the brand-voice guide as tables, the drafts of its graded items, and a
panel for writing one message for several channels.

``voice_table("channels")`` shows one part of the company's guide (``data/policies/brand_voice.yaml``);
``show_draft("hose_reel_tweet")`` shows a draft from ``data/scenarios/04-one-brand-voice.yaml`` as a
card; ``draft_text(...)`` gives its text, e.g. to start the checker with it; ``one_voice_panel()``
checks a version per channel side by side as the learner types. The scenario file holds texts only:
the expected answers live in the hidden tests of ``solutions/``, mostly worked out by the checker.
"""

from __future__ import annotations

import html
import string
from collections.abc import Callable, Sequence
from pathlib import Path

import ipywidgets as w
from IPython.display import HTML
from pydantic import Field, model_validator

from course._paths import data_dir
from course.policy import BrandVoicePolicy, PolicyError, PolicySet, VoiceChannel, load_policies, load_policy_file
from course.policy._base import Ident, PolicyModel, Text, unique_ids
from course.policy._voice import RULE_IDS, GradeLimit, Limit, Match
from course.privacy import default_policies
from course.voice import VoiceChecker, checker_for
from course.widgets._a11y import INFO, heading
from course.widgets._a11y import table_html as _table
from course.widgets.controls import LiveRegion
from course.widgets.voice import LABELS

MODULE = "04-one-brand-voice"

#: Names a draft may use in braces: the company's full name and the short name used in posts.
PLACEHOLDERS = ("company", "brand")

Row = list[str]  # cells already escaped


# -- the drafts of the graded items ------------------------------------------------------------

class Draft(PolicyModel):
    """A draft written by a colleague, or a piece of news to be written up, with the brief for a rewrite."""

    id: Ident
    title: Text
    author: Text | None = None
    channel: Ident | None = Field(None, description="the brand-voice channel the draft is meant for")
    story: Text | None = Field(None, description="what is going on, in a sentence or three")
    text: Text = Field(description="the draft or the news exactly as written")
    keep: list[Text] = Field(default_factory=list, description="what a rewrite must still tell the reader")
    for_channels: dict[Ident, Text] = Field(default_factory=dict, description="what one channel's version adds")


class DraftSet(PolicyModel):
    title: Text
    drafts: list[Draft] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> DraftSet:
        unique_ids(self.drafts, "draft")
        return self

    def draft(self, draft_id: str) -> Draft:
        for item in self.drafts:
            if item.id == draft_id:
                return item
        raise KeyError(f"no draft called {draft_id!r}; known: {', '.join(d.id for d in self.drafts)}")


def _texts(drafts: DraftSet) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = [("title", drafts.title)]
    for i, d in enumerate(drafts.drafts):
        out += [(f"drafts[{i}].{name}", getattr(d, name)) for name in ("title", "author", "story", "text")
                if getattr(d, name)]
        out += [(f"drafts[{i}].keep[{j}]", k) for j, k in enumerate(d.keep)]
        out += [(f"drafts[{i}].for_channels.{c}", t) for c, t in d.for_channels.items()]
    return out


def load_drafts(*, policies: PolicySet | None = None, directory: Path | None = None) -> DraftSet:
    """Load ``data/scenarios/04-one-brand-voice.yaml``; check placeholders and channel ids against the guide."""
    path = (directory or data_dir() / "scenarios") / f"{MODULE}.yaml"
    drafts = load_policy_file(path, DraftSet)
    for key, text in _texts(drafts):
        try:
            fields = [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
        except ValueError as exc:
            raise PolicyError(path, key, f"braces must hold a placeholder like {{brand}} ({exc})") from None
        for field in fields:
            if field not in PLACEHOLDERS:
                raise PolicyError(path, key, f"unknown placeholder {{{field}}}; use one of "
                                  + ", ".join(f"{{{p}}}" for p in PLACEHOLDERS))
    known = (policies or load_policies()).brand_voice.channel_ids
    for i, d in enumerate(drafts.drafts):
        for key, channel in [(f"drafts[{i}].channel", d.channel),
                             *((f"drafts[{i}].for_channels.{c}", c) for c in d.for_channels)]:
            if channel is not None and channel not in known:
                raise PolicyError(path, key, f"{channel!r} is not a channel of the brand-voice guide; "
                                  f"expected one of {known}")
    return drafts


def fill(text: str, voice: BrandVoicePolicy) -> str:
    """``text`` with ``{company}`` and ``{brand}`` replaced by the guide's names for the company."""
    return text.format_map({"company": voice.company, "brand": voice.company_names[-1]})


def draft_text(draft_id: str, *, policies: PolicySet | None = None) -> str:
    """The text of one draft, with the company's names filled in, exactly as the learner sees it."""
    policies = policies or load_policies()
    return fill(load_drafts(policies=policies).draft(draft_id).text, policies.brand_voice)


_CARD = "border:1px solid #999;border-radius:6px;padding:6px 14px;margin:6px 0;max-width:52em"
_QUOTE = "border-left:4px solid #777;margin:4px 0;padding:4px 12px;white-space:pre-wrap"


def _list(items: Sequence[str]) -> str:
    return "<ul style='margin:0;padding-left:1.2em'>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>"


def draft_html(draft: Draft, policies: PolicySet) -> str:
    """A draft as a labelled card: title, story, who wrote it for which channel, the text, the brief."""
    voice = policies.brand_voice
    title = html.escape(fill(draft.title, voice))
    parts = [f'<section aria-label="{title}" style="{_CARD}">', f"<h3 style='margin:6px 0'>{title}</h3>"]
    if draft.story:
        parts.append(f"<p>{html.escape(fill(draft.story, voice))}</p>")
    who = html.escape(fill(draft.author, voice)) if draft.author else "A colleague"
    where = (f", for <strong>{html.escape(voice.channel(draft.channel).name)}</strong> "
             f"(<code>{html.escape(draft.channel)}</code>)") if draft.channel else ""
    parts.append(f"<p><em>Written by {who}{where}:</em></p>")
    parts.append(f'<blockquote style="{_QUOTE}">{html.escape(fill(draft.text, voice))}</blockquote>')
    if draft.keep:
        parts.append("<p><strong>A rewrite must still say:</strong></p>"
                     + _list([html.escape(fill(k, voice)) for k in draft.keep]))
    if draft.for_channels:
        rows = [f"<strong>{html.escape(voice.channel(c).name)}</strong> (<code>{html.escape(c)}</code>): "
                f"{html.escape(fill(t, voice))}" for c, t in draft.for_channels.items()]
        parts.append("<p><strong>For each channel:</strong></p>" + _list(rows))
    parts.append("</section>")
    return "".join(parts)


def show_draft(draft_id: str, *, policies: PolicySet | None = None) -> HTML:
    """One draft of ``data/scenarios/04-one-brand-voice.yaml`` as a card."""
    policies = policies or load_policies()
    return HTML(draft_html(load_drafts(policies=policies).draft(draft_id), policies))


# -- the guide as tables ------------------------------------------------------------------------

def _code(value: str) -> str:
    return f"<code>{html.escape(value)}</code>"


def _severity(severity: str) -> str:
    symbol, words = LABELS[severity]
    return f"{symbol} {words}"



def _limit(what: str, limit: Limit | GradeLimit | None, unit: str = "") -> str | None:
    if limit is None:
        return None
    if isinstance(limit, GradeLimit):
        value = f"{limit.max:g}{unit}"
    else:
        value = "none" if limit.max == 0 else f"{limit.max:,}{unit}"
    return f"{what}: {html.escape(value)} ({_severity(limit.severity)})"


def _limits(c: VoiceChannel) -> str:
    lines = [
        _limit("Characters, at most", c.max_characters),
        _limit("Words, about", c.max_words),
        _limit("Sentences, at most", c.max_sentences),
        _limit("Hashtags, at most", c.max_hashtags),
        _limit("Emoji, at most", c.max_emoji),
        _limit("Exclamation marks in a row, at most", c.max_exclamation_run),
        _limit("Reading grade, at most", c.max_reading_grade, " (school grade)"),
    ]
    if c.shouting != "allowed":
        lines.append(f"Capital letters for shouting: no ({_severity(c.shouting)})")
    if c.first_person_plural:
        lines.append(f"The company speaks as “we” ({_severity(c.first_person_plural)})")
    for what, rule in (("Shortened links", c.links.shortened), ("Links with tracking", c.links.tracking)):
        lines.append(f"{what}: " + ("allowed" if rule == "allowed" else f"no ({_severity(rule)})"))
    return '<div style="min-width:17em">' + "<br>".join(line for line in lines if line) + "</div>"


def _channels(p: PolicySet) -> tuple[str, list[str], list[Row]]:
    v = p.brand_voice
    rows = [[html.escape(c.name), _code(c.id),
             "Colleagues only" if c.audience == "internal" else "People outside the company",
             html.escape(c.guide), _limits(c), f"{c.pass_score}"] for c in v.channels]
    return ("Each channel's norms: what the guide asks for, and the limits the checker applies",
            ["Channel", "Write it as", "Who reads it", "The guide says", "Limits", "Pass score"], rows)


def _avoid(p: PolicySet) -> tuple[str, list[str], list[Row]]:
    v = p.brand_voice
    rows = []
    for a in v.avoid:
        where = ("every channel" if a.channels is None
                 else ", ".join(html.escape(v.channel(c).name) for c in a.channels))
        rows.append([", ".join(f"“{html.escape(ph)}”" for ph in a.phrases), _code(f"words.{a.id}"),
                     html.escape(a.suggestion), html.escape(a.why), _severity(a.severity), where])
    return ("Words and phrases we avoid, and what to say instead",
            ["We avoid", "Rule id", "Say instead", "Why", "How serious", "On"], rows)


def _phrases(m: Match) -> str:
    return ", ".join(f"“{html.escape(ph)}”" for ph in m.phrases)


def _required(p: PolicySet) -> tuple[str, list[str], list[Row]]:
    v = p.brand_voice
    place = {"anywhere": "anywhere in the post", "start": "at the very start", "end": "at the very end"}
    rows = []
    for r in v.required:
        when = f"when the post mentions any of: {_phrases(r.when)}" if r.when and r.when.phrases else (
            "when the post mentions certain things" if r.when else "always")
        counts = (f"any of: {_phrases(r.present)}" if r.present.phrases else html.escape(r.suggestion))
        rows.append([html.escape(r.label), _code(f"required.{r.id}"),
                     ", ".join(html.escape(v.channel(c).name) for c in r.channels), when,
                     f"{counts} ({place[r.position]})", html.escape(r.message), _severity(r.severity)])
    return ("What a post must contain on some channels",
            ["What", "Rule id", "On", "When", "What counts", "Why", "How serious"], rows)


#: What each built-in rule of the checker looks at. The limits themselves are in the channels table.
RULE_MEANINGS = {
    "length.characters": "More characters than the channel allows.",
    "length.words": "More words than the channel's norm.",
    "length.sentences": "More sentences than the channel's norm.",
    "reading.grade": "Long sentences and long words: harder to read than the channel's norm.",
    "tone.shouting": "Words in capital letters, which read as shouting (everyday acronyms are fine).",
    "tone.exclamations": "Too many exclamation marks in a row.",
    "tone.emoji": "More emoji than the channel's norm.",
    "tone.hashtags": "More hashtags than the channel's norm.",
    "tone.first_person_plural": "Talking about the company by name (“[company] is sorry”) where we speak as “we”.",
    "links.shortened": "A shortened link (such as bit.ly) that hides where it goes.",
    "links.tracking": "A link with tracking parameters (such as ?utm_source=...) that follow whoever clicks.",
}


def _rules(p: PolicySet) -> tuple[str, list[str], list[Row]]:
    rows = [[_code(r), html.escape(RULE_MEANINGS.get(r, ""))] for r in RULE_IDS]
    rows.append([_code("words.…"), "A word or phrase we avoid: see the table of words we avoid."])
    rows.append([_code("required.…"), "Something the post must contain: see the table of what a post must contain."])
    rows += [[_code(f"sensitive.{k.id}"), f"Never post: {html.escape(k.label)}. {html.escape(k.reason)}"]
             for k in p.sensitive.kinds]
    return ("Every rule the checker applies, by rule id (the limits and how serious each one is depend "
            "on the channel: see the channels table)", ["Rule id", "What it looks for"], rows)


def _scoring(p: PolicySet) -> tuple[str, list[str], list[Row]]:
    s = p.brand_voice.scoring
    meaning = {"blocking": "The post must not go out as it is, whatever its score.",
               "warning": "Fix it before you post.",
               "advice": "A better way to say it."}
    rows = [[_severity(sev), f"{s.weight(sev)}", meaning[sev]] for sev in ("blocking", "warning", "advice")]
    return ("How serious a finding is, and the points it costs", ["How serious", "Points off", "What it means"],
            rows)


TABLES: dict[str, Callable[[PolicySet], tuple[str, list[str], list[Row]]]] = {
    "channels": _channels,
    "avoid": _avoid,
    "required": _required,
    "rules": _rules,
    "scoring": _scoring,
}


def voice_table(name: str, *, policies: PolicySet | None = None) -> HTML:
    """One part of the brand-voice guide as a table: one of :data:`TABLES`' names."""
    try:
        build = TABLES[name]
    except KeyError:
        raise ValueError(f"no brand-voice table called {name!r}; choose one of: {', '.join(TABLES)}") from None
    return HTML(_table(*build(policies or load_policies())))


def voice_about(*, policies: PolicySet | None = None) -> HTML:
    """Whose guide the course follows, its version, and how the checker turns findings into a score."""
    v = (policies or load_policies()).brand_voice
    return HTML(
        f"<p>This module follows the brand-voice guide of <strong>{html.escape(v.company)}</strong> "
        f"(version {html.escape(v.version)}). The brand-voice checker reads every rule from it.</p>"
        "<p>The checker starts each draft at 100 points and takes points off for each rule the draft "
        "breaks: once per rule, however often the rule is broken. A draft <strong>passes</strong> on a "
        "channel when nothing is ⛔ Must fix and its score is at least that channel's pass score.</p>"
    )


# -- one message, several channels ---------------------------------------------------------------

class _Version(w.VBox):
    """One channel's version: a labelled text area and a live verdict with its length."""

    def __init__(self, checker: VoiceChecker, channel: VoiceChannel) -> None:
        self.checker = checker
        self.channel = channel
        self.draft = w.Textarea(
            description=f"{channel.name}:", placeholder=f"Your version for {channel.name}",
            continuous_update=True, rows=4, layout=w.Layout(width="100%"),
            style={"description_width": "initial"},
        )
        self.verdict = LiveRegion()
        self.report = None
        self.draft.observe(lambda _change: self.refresh(), names="value")
        super().__init__([heading(channel.name, 4), w.HTML(f"<p><em>{html.escape(channel.guide)}</em></p>"),
                          self.draft, self.verdict])
        self.refresh()

    def refresh(self) -> None:
        text = self.draft.value
        if not text.strip():
            self.report = None
            self.verdict.value = f'<div>{INFO} Type your version to check it.</div>'
            return
        report = self.checker.check(text, self.channel.id)
        self.report = report
        verdict = "✔ Passes" if report.passes else "✘ Does not pass yet"
        rules = ", ".join(sorted(report.rule_ids)) or "none"
        words = len(text.split())
        self.verdict.value = (
            f'<div><strong>{verdict}</strong>: score {report.score} '
            f"(pass score {report.pass_score}). {len(text.strip()):,} characters, {words:,} words. "
            f"Rules broken: {html.escape(rules)}.</div>"
        )


class OneVoicePanel(w.VBox):
    """The same message written for several channels, each version checked live for its own channel."""

    def __init__(self, checker: VoiceChecker, channels: Sequence[str]) -> None:
        self.versions = {c: _Version(checker, checker.channel(c)) for c in channels}
        self.summary = LiveRegion()
        for version in self.versions.values():
            version.draft.observe(lambda _change: self._summarise(), names="value")
        super().__init__([heading("One message, several channels"), *self.versions.values(), self.summary])
        self._summarise()

    def _summarise(self) -> None:
        done = [v for v in self.versions.values() if v.report is not None]
        passing = [v for v in done if v.report.passes]
        self.summary.value = (
            f'<div><strong>{len(passing)} of {len(self.versions)}</strong> '
            "versions pass on their channel. Read them one after the other: do they sound like the same "
            "company?</div>"
        )


def one_voice_panel(channels: Sequence[str] = ("x", "linkedin", "internal_network"), *,
                    policies: PolicySet | None = None) -> OneVoicePanel:
    """A text area per channel (channel ids of the brand-voice guide), each checked live for its channel."""
    return OneVoicePanel(checker_for(policies or default_policies()), channels)
