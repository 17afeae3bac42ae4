"""The brand-voice checker: a policy compiled once, then ``check(text, channel) -> Report``."""

from __future__ import annotations

import re
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from course.policy import BrandVoicePolicy, PolicySet, RequiredElement, VoiceChannel
from course.policy._voice import Match
from course.voice import _text
from course.voice._findings import Finding, Report, Severity, UnknownChannelError, as_text, score, sort_findings

if TYPE_CHECKING:
    from course.privacy import Scanner

_VERBS = (
    "is|are|was|were|has|have|had|will|would|can|could|does|do|did|apologises|apologizes|apologised|"
    "apologized|thanks|aims|wants|hopes|regrets|understands|appreciates|values|is sorry|cares|promises"
)


@dataclass(frozen=True)
class _Matcher:
    """Phrases and patterns of one :class:`Match`, compiled; finds the first or last occurrence."""

    regexes: tuple[re.Pattern[str] | _text.Phrases, ...]

    @classmethod
    def of(cls, match: Match) -> _Matcher:
        regexes: list[re.Pattern[str] | _text.Phrases] = [re.compile(p) for p in match.patterns]
        if match.phrases:
            regexes.insert(0, _text.Phrases(match.phrases))
        return cls(tuple(regexes))

    def first(self, text: str) -> re.Match[str] | None:
        best = None
        for rx in self.regexes:
            m = rx.search(text)
            if m and (best is None or m.start() < best.start()):
                best = m
        return best

    def at_start(self, text: str, pos: int) -> bool:
        return any(rx.match(text, pos) for rx in self.regexes)

    def at_end(self, text: str, end: int) -> int | None:
        """Where a match starts that is followed by nothing but spaces, punctuation or emoji, or None."""
        window = max(0, end - 400)
        for rx in self.regexes:
            last = None
            for last in rx.finditer(text, window, end):  # noqa: B007 - we want the last one
                pass
            if last is not None and not _text._ALNUM.search(text, last.end(), end):
                return last.start()
        return None


@dataclass(frozen=True)
class _Required:
    element: RequiredElement
    when: _Matcher | None
    present: _Matcher


@dataclass(frozen=True)
class _Avoid:
    rule_id: str
    phrase: str
    suggestion: str
    why: str
    severity: Severity


@dataclass(frozen=True)
class _ChannelRules:
    channel: VoiceChannel
    avoid: _text.Phrases
    avoid_by_key: dict[str, _Avoid]  # phrase_key(phrase) -> the rule that lists it
    required: tuple[_Required, ...]


class VoiceChecker:
    """A brand-voice guide compiled for checking, optionally with a sensitive-content :class:`Scanner`.

    Build it once (:meth:`from_policies` caches one per :class:`~course.policy.PolicySet`), then
    call :meth:`check` for each draft. Checking is pure: no I/O, same text, same report.
    """

    def __init__(self, policy: BrandVoicePolicy, scanner: Scanner | None = None) -> None:
        self.policy = policy
        self.scanner = scanner
        self.weights = {s: policy.scoring.weight(s) for s in ("blocking", "warning", "advice")}
        self._acronyms = frozenset(policy.shouting.acronyms)
        self._shorteners = tuple(s.lower() for s in policy.links.shorteners)
        self._tracking = tuple(t.lower() for t in policy.links.tracking_parameters)
        names = "|".join(re.escape(n) for n in sorted(policy.company_names, key=len, reverse=True))
        self._third_person = re.compile(
            rf"(?<!\w)(?:{names})(?:['’]s)?\s{{1,3}}(?:{_VERBS})(?!\w)", re.IGNORECASE
        )
        self._channels = {c.id: self._compile_channel(c) for c in policy.channels}

    @classmethod
    def from_policy(cls, policy: BrandVoicePolicy, scanner: Scanner | None = None) -> VoiceChecker:
        return cls(policy, scanner)

    @classmethod
    def from_policies(cls, policies: PolicySet, *, sensitive: bool = True) -> VoiceChecker:
        """The checker for ``policies``, with sensitive-content scanning unless ``sensitive=False``; cached."""
        key = (sensitive,)
        per_set = _CACHE.setdefault(policies, {})
        if key not in per_set:
            from course.privacy import scanner_for

            per_set[key] = cls(policies.brand_voice, scanner_for(policies) if sensitive else None)
        return per_set[key]

    def _compile_channel(self, channel: VoiceChannel) -> _ChannelRules:
        by_key: dict[str, _Avoid] = {}
        phrases: list[str] = []
        for rule in self.policy.avoid:
            if rule.channels is not None and channel.id not in rule.channels:
                continue
            for phrase in rule.phrases:
                key = _text.phrase_key(phrase)
                if key not in by_key:
                    by_key[key] = _Avoid(f"words.{rule.id}", phrase, rule.suggestion, rule.why, rule.severity)
                    phrases.append(phrase)
        required = tuple(
            _Required(e, _Matcher.of(e.when) if e.when else None, _Matcher.of(e.present))
            for e in self.policy.required
            if channel.id in e.channels
        )
        return _ChannelRules(channel, _text.Phrases(phrases), by_key, required)

    # -- public -------------------------------------------------------------------------------
    @property
    def channel_ids(self) -> list[str]:
        return self.policy.channel_ids

    def channel(self, channel: str) -> VoiceChannel:
        """The channel's settings; :class:`UnknownChannelError` names the known channels otherwise."""
        return self._rules(channel).channel

    def _rules(self, channel: object) -> _ChannelRules:
        rules = self._channels.get(channel) if isinstance(channel, str) else None
        if rules is None:
            raise UnknownChannelError(channel, self.channel_ids)
        return rules

    def check(self, text: str | bytes, channel: str) -> Report:
        """Check ``text`` for ``channel``: every finding in reading order, the score, and whether it passes."""
        rules = self._rules(channel)
        text = as_text(text)
        findings = list(self.voice_findings(text, channel))
        if self.scanner is not None:
            findings.extend(self.scanner.scan(text))
        ordered = sort_findings(findings)
        return Report(channel, ordered, score(ordered, self.weights), rules.channel.pass_score, text)

    def voice_findings(self, text: str, channel: str) -> Iterator[Finding]:
        """The brand-voice findings only (no sensitive-content scan), in rule order."""
        rules = self._rules(channel)
        text = as_text(text)
        ch = rules.channel
        if not text.strip():
            yield Finding("length.empty", "blocking", 0, len(text), "There is nothing here yet: the draft is empty.",
                          "Write your post, then check it again.")
            return
        yield from self._length(text, rules)
        yield from self._grade(text, ch)
        yield from self._avoid(text, rules)
        yield from self._required(text, rules)
        yield from self._tone(text, ch)
        yield from self._links(text, ch)

    # -- rules --------------------------------------------------------------------------------
    def _length(self, text: str, rules: _ChannelRules) -> Iterator[Finding]:
        ch = rules.channel
        lead = len(text) - len(text.lstrip())
        end = len(text.rstrip())
        if ch.max_characters and end - lead > ch.max_characters.max:
            n, limit = end - lead, ch.max_characters.max
            yield Finding(
                "length.characters", ch.max_characters.severity, lead + limit, end,
                f"This is {n:,} characters long; on {ch.name} the limit is {limit:,}. "
                "The highlighted part does not fit.",
                f"Cut {n - limit:,} characters: keep one idea and drop what the reader can do without.",
            )
        if ch.max_words and _text.word_count(text) > ch.max_words.max:
            spans = _text.words(text)
            limit = ch.max_words.max
            if len(spans) > limit:
                yield Finding(
                    "length.words", ch.max_words.severity, spans[limit][0], spans[-1][1],
                    f"This has {len(spans):,} words; on {ch.name} we keep to about {limit:,}.",
                    "Say it in fewer words, or put the detail in a linked page or document.",
                )
        if ch.max_sentences:
            spans = _text.sentences(text[: self._before_sign_off(text, rules, end)])
            limit = ch.max_sentences.max
            if len(spans) > limit:
                yield Finding(
                    "length.sentences", ch.max_sentences.severity, spans[limit][0], spans[-1][1],
                    f"This has {len(spans)} sentences; on {ch.name} we keep to {limit} at most.",
                    "Keep the sentences that matter most and cut the rest.",
                )

    @staticmethod
    def _before_sign_off(text: str, rules: _ChannelRules, end: int) -> int:
        """Where the channel's sign-off (^JM) starts, so it is not counted as a sentence; else ``end``."""
        for req in rules.required:
            if req.element.position == "end" and req.when is None:
                start = req.present.at_end(text, end)
                if start is not None:
                    return start
        return end

    def _grade(self, text: str, ch: VoiceChannel) -> Iterator[Finding]:
        limit = ch.max_reading_grade
        if not limit:
            return
        grade = _text.reading_grade(text, min_words=limit.min_words)
        if grade is not None and grade > limit.max:
            lead = len(text) - len(text.lstrip())
            yield Finding(
                "reading.grade", limit.severity, lead, len(text.rstrip()),
                f"This reads at school grade {grade:.1f}; on {ch.name} we aim for grade {limit.max:g} or below.",
                "Use shorter sentences and everyday words (\"use\" rather than \"utilise\").",
            )

    def _avoid(self, text: str, rules: _ChannelRules) -> Iterator[Finding]:
        for m in rules.avoid.finditer(text):
            entry = rules.avoid_by_key.get(_text.phrase_key(m.group()))
            if entry is None:  # a case-folding corner: find the phrase by matching each one
                entry = next(
                    (v for v in rules.avoid_by_key.values()
                     if (rx := _text.phrase_regex([v.phrase])) and rx.fullmatch(m.group())),
                    None,
                )
                if entry is None:
                    continue
            yield Finding(entry.rule_id, entry.severity, m.start(), m.end(),
                          f'We avoid "{m.group()}". {entry.why}', f"Try: {entry.suggestion}.")

    def _required(self, text: str, rules: _ChannelRules) -> Iterator[Finding]:
        lead = len(text) - len(text.lstrip())
        end = len(text.rstrip())
        for req in rules.required:
            element = req.element
            trigger = None
            if req.when is not None:
                trigger = req.when.first(text)
                if trigger is None:
                    continue
            if element.position == "start":
                ok = req.present.at_start(text, lead)
            elif element.position == "end":
                ok = req.present.at_end(text, end) is not None
            else:
                ok = req.present.first(text) is not None
            if ok:
                continue
            if trigger is not None:
                start, stop = trigger.span()
            else:
                start = stop = lead if element.position == "start" else end
            yield Finding(f"required.{element.id}", element.severity, start, stop,
                          element.message, element.suggestion)

    def _tone(self, text: str, ch: VoiceChannel) -> Iterator[Finding]:
        if ch.shouting != "allowed":
            for start, stop in _text.shouted_runs(text, acronyms=self._acronyms,
                                                  min_letters=self.policy.shouting.min_letters):
                yield Finding("tone.shouting", ch.shouting, start, stop,
                              "Capital letters read as shouting.",
                              "Write it in normal case; to stress a word, put it first or on its own line.")
        if ch.max_exclamation_run:
            limit = ch.max_exclamation_run.max
            for start, stop in _text.exclamation_runs(text, max_run=limit):
                yield Finding(
                    "tone.exclamations", ch.max_exclamation_run.severity, start, stop,
                    "A run of exclamation marks sounds like shouting or panic."
                    if limit <= 1 else f"More than {limit} exclamation marks in a row is too much on {ch.name}.",
                    "Use one exclamation mark at most, and let the words carry the excitement."
                    if limit <= 1 else f"Use {limit} exclamation marks at most.",
                )
        if ch.max_emoji:
            yield from _over_limit(
                _text.emoji(text), ch.max_emoji.max, "tone.emoji", ch.max_emoji.severity,
                f"On {ch.name} we use {_count(ch.max_emoji.max, 'emoji', 'emoji')} at most; this is one too many.",
                "Keep the emoji that adds meaning and drop the rest.",
            )
        if ch.max_hashtags:
            yield from _over_limit(
                _text.hashtags(text), ch.max_hashtags.max, "tone.hashtags", ch.max_hashtags.severity,
                f"On {ch.name} we use {_count(ch.max_hashtags.max, 'hashtag', 'hashtags')} at most; "
                "this is one too many.",
                "Keep the one or two hashtags people actually follow."
                if ch.max_hashtags.max else "Leave hashtags out here.",
            )
        if ch.first_person_plural:
            for m in self._third_person.finditer(text):
                yield Finding(
                    "tone.first_person_plural", ch.first_person_plural, m.start(), m.end(),
                    f'Here we speak as "we", not about {self.policy.company_names[-1]} in the third person.',
                    f'Write "we" instead of "{m.group().split()[0]}", e.g. "we are sorry" or "we will".',
                )

    def _links(self, text: str, ch: VoiceChannel) -> Iterator[Finding]:
        if ch.links.shortened == "allowed" and ch.links.tracking == "allowed":
            return
        for start, stop, host, url in _text.links(text):
            if ch.links.shortened != "allowed" and any(host == s or host.endswith("." + s)
                                                       for s in self._shorteners):
                yield Finding(
                    "links.shortened", ch.links.shortened, start, stop,
                    f"A shortened link ({host}) hides where it goes, so people cannot tell it is safe.",
                    "Use the full address of the page (https://...), so readers can see where it goes.",
                )
            if ch.links.tracking != "allowed":
                names = _text.query_names(url)
                hits = [n for n in names if any(n.startswith(t) if t.endswith("_") else n == t
                                                for t in self._tracking)]
                if hits:
                    yield Finding(
                        "links.tracking", ch.links.tracking, start, stop,
                        f"This link carries tracking ({', '.join(hits)}) that follows whoever clicks it.",
                        "Remove the part after ? (or the tracking parameters) before you share the link.",
                    )


def _count(n: int, one: str, many: str) -> str:
    return "no " + many if n == 0 else f"{n} {one if n == 1 else many}"


def _over_limit(spans: list[tuple[int, int]], limit: int, rule_id: str, severity: Severity,
                message: str, suggestion: str) -> Iterator[Finding]:
    for start, stop in spans[limit:]:
        yield Finding(rule_id, severity, start, stop, message, suggestion)


_CACHE: weakref.WeakKeyDictionary[PolicySet, dict[tuple[bool], VoiceChecker]] = weakref.WeakKeyDictionary()
