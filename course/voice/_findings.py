"""Findings, reports, the score, and the errors the checkers raise on bad input."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["blocking", "warning", "advice"]
SEVERITIES: tuple[Severity, ...] = ("blocking", "warning", "advice")
_RANK = {s: i for i, s in enumerate(SEVERITIES)}

#: The longest text one check accepts, in characters (about 2 MB of plain text).
MAX_TEXT_CHARS = 2_000_000


class CheckError(ValueError):
    """Base of the checkers' errors: the message says in plain words what is wrong and where."""


class UnknownChannelError(CheckError):
    """The channel asked for is not in the brand-voice guide."""

    def __init__(self, channel: object, known: Iterable[str]) -> None:
        self.channel = channel
        self.known = list(known)
        import difflib

        hint = ""
        if isinstance(channel, str):
            close = difflib.get_close_matches(channel.strip().lower().replace(" ", "_"), self.known, n=1)
            if close:
                hint = f' Did you mean "{close[0]}"?'
        super().__init__(
            f"there is no channel called {channel!r} in the brand-voice guide; "
            f"choose one of: {', '.join(self.known)}.{hint}"
        )


class CheckInputError(CheckError):
    """The text to check is not usable text: not a string, not UTF-8, or far too long."""


def as_text(value: object, *, where: str = "the text") -> str:
    """``value`` as a ``str``: bytes are decoded as UTF-8; anything else raises :class:`CheckInputError`."""
    if isinstance(value, str):
        text = value
    elif isinstance(value, bytes | bytearray | memoryview):
        try:
            text = bytes(value).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CheckInputError(
                f"{where} is not UTF-8 text (byte {exc.start} is {bytes(value)[exc.start]:#04x}); "
                "save it as UTF-8 and try again"
            ) from None
    else:
        raise CheckInputError(f"{where} should be text, but it is {type(value).__name__}")
    if len(text) > MAX_TEXT_CHARS:
        raise CheckInputError(
            f"{where} is {len(text):,} characters long; the checker reads at most {MAX_TEXT_CHARS:,} "
            "at a time: split it into separate posts"
        )
    return text


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem in a draft: which rule, how serious, where (``text[start:end]``), and what to do.

    ``start == end`` marks a place where something is missing (a sign-off at the end, say).
    """

    rule_id: str
    severity: Severity
    start: int
    end: int
    message: str
    suggestion: str

    @property
    def group(self) -> str:
        """The part of the rule id before the first dot: ``length``, ``tone``, ``sensitive``, ..."""
        return self.rule_id.split(".", 1)[0]

    def excerpt(self, text: str, *, limit: int = 60) -> str:
        """The flagged text, shortened to ``limit`` characters; sensitive values are partly masked."""
        part = text[self.start : self.end]
        if self.group == "sensitive":
            part = mask(part)
        return part if len(part) <= limit else part[: limit - 1] + "…"

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "severity": self.severity,
            "start": self.start,
            "end": self.end,
            "message": self.message,
            "suggestion": self.suggestion,
        }


def mask(value: str) -> str:
    """Hide the middle of a sensitive value, so a report does not repeat it: ``4111…1111``."""
    if len(value) <= 4:
        return "•" * len(value)
    keep = 2 if len(value) < 12 else 4
    return value[:keep] + "•" * (len(value) - 2 * keep) + value[-keep:]


def sort_findings(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """Findings in reading order; at one place, the most serious first. Deterministic."""
    return tuple(sorted(findings, key=lambda f: (f.start, f.end, _RANK[f.severity], f.rule_id)))


def score(findings: Iterable[Finding], weights: dict[str, int]) -> int:
    """The draft's score: 100 minus the points of each rule broken, never below 0.

    Each distinct ``rule_id`` costs ``weights[severity]`` once, however often it fires (three
    uses of "leverage" cost the same as one). If one rule fires at several severities, the most
    serious counts. This function is stable: module 04 autogrades rewrites with it.
    """
    worst: dict[str, Severity] = {}
    for f in findings:
        if f.rule_id not in worst or _RANK[f.severity] < _RANK[worst[f.rule_id]]:
            worst[f.rule_id] = f.severity
    return max(0, 100 - sum(weights[s] for s in worst.values()))


@dataclass(frozen=True)
class Report:
    """The outcome of checking one draft for one channel.

    ``passes`` is True when nothing is blocking and ``score >= pass_score`` (the channel's pass mark).
    """

    channel: str
    findings: tuple[Finding, ...]
    score: int
    pass_score: int
    text: str = field(repr=False, default="")

    @property
    def blocking(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "blocking")

    @property
    def passes(self) -> bool:
        return not self.blocking and self.score >= self.pass_score

    @property
    def rule_ids(self) -> set[str]:
        return {f.rule_id for f in self.findings}

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    def to_dict(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "score": self.score,
            "pass_score": self.pass_score,
            "passes": self.passes,
            "findings": [dict(f.to_dict(), excerpt=f.excerpt(self.text)) for f in self.findings],
        }
