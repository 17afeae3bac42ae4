"""Brand-voice checking: a draft for a channel against the company's guide, plus what must never be posted.

Rules, limits, words to avoid and scoring weights come from ``data/policies/brand_voice.yaml``;
sensitive content from ``data/policies/sensitive_content.yaml`` (see :mod:`course.privacy`)::

    from course.voice import check
    report = check("WE ARE OPEN!!! Shop now: bit.ly/bw", "x")
    report.score, report.passes          # 0-100, and True when nothing blocks and score >= pass mark
    for f in report.findings:            # rule_id, severity, start, end, message, suggestion
        print(f.rule_id, report.text[f.start:f.end], f.suggestion)

The score is :func:`score`: 100 minus the points (by severity, from the YAML) of each distinct rule
broken, floored at 0. A draft ``passes`` with no blocking finding and ``score >= pass_score`` of
its channel. Module 04 autogrades rewrites with exactly this, so it stays stable.
"""

from __future__ import annotations

from course.policy import PolicySet
from course.policy._voice import RULE_IDS
from course.voice._checker import VoiceChecker
from course.voice._findings import (
    MAX_TEXT_CHARS,
    CheckError,
    CheckInputError,
    Finding,
    Report,
    Severity,
    UnknownChannelError,
    as_text,
    score,
)
from course.voice._posts import Post, PostsError, any_blocking, check_posts, read_posts, render

__all__ = [
    "MAX_TEXT_CHARS",
    "RULE_IDS",
    "CheckError",
    "CheckInputError",
    "Finding",
    "Post",
    "PostsError",
    "Report",
    "Severity",
    "UnknownChannelError",
    "VoiceChecker",
    "any_blocking",
    "as_text",
    "channel_ids",
    "check",
    "check_posts",
    "checker_for",
    "read_posts",
    "render",
    "rule_ids",
    "score",
]


def checker_for(policies: PolicySet | None = None, *, sensitive: bool = True) -> VoiceChecker:
    """The compiled checker for ``policies`` (default: the course's own), built once and cached."""
    from course.privacy import default_policies

    return VoiceChecker.from_policies(policies or default_policies(), sensitive=sensitive)


def check(text: str | bytes, channel: str, *, policies: PolicySet | None = None,
          sensitive: bool = True) -> Report:
    """Check one draft for ``channel``; raises :class:`UnknownChannelError` or :class:`CheckInputError`."""
    return checker_for(policies, sensitive=sensitive).check(text, channel)


def channel_ids(policies: PolicySet | None = None) -> list[str]:
    """The channel ids of the brand-voice guide, in the guide's order (``x``, ``linkedin``, ...)."""
    from course.privacy import default_policies

    return (policies or default_policies()).brand_voice.channel_ids


def rule_ids(policies: PolicySet | None = None) -> list[str]:
    """Every rule id a finding can carry under ``policies``: built-in, ``words.*``, ``required.*``,
    ``sensitive.*`` and ``length.empty``."""
    from course.privacy import default_policies

    policies = policies or default_policies()
    voice = policies.brand_voice
    return [
        "length.empty",
        *RULE_IDS,
        *(f"words.{a.id}" for a in voice.avoid),
        *(f"required.{r.id}" for r in voice.required),
        *(f"sensitive.{k}" for k in policies.sensitive.kind_ids),
    ]
