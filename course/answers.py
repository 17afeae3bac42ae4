"""Format checks for learners' graded answers, and strict comparison for hidden tests.

A graded answer is a plain literal (``draft_1_audience = "my_team"``). The visible part of each test
cell calls :func:`check_answer`, which tells the learner at once, in plain words, when an answer is
missing or in the wrong form (a misspelt audience, a list where a set was wanted). It never says
whether the answer is right: that is decided by hidden tests when the work is graded.

Hidden tests compare with :func:`same`, which compares type and value of plain literals, so an
object that claims to equal everything does not pass.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

__all__ = [
    "AnswerFormatError",
    "NotAnsweredError",
    "answer_kinds",
    "check_answer",
    "register_kind",
    "same",
]


class AnswerFormatError(ValueError):
    """The answer is there but not in the form the question asks for."""

    def _render_traceback_(self) -> list[str]:
        # IPython shows this instead of a traceback: the learner sees one plain sentence.
        return [f"✘ {self}"]


class NotAnsweredError(AnswerFormatError):
    """The answer cell still holds the placeholder ``...``."""

    def _render_traceback_(self) -> list[str]:
        return [f"✏️ {self}"]


@dataclass(frozen=True)
class AnswerKind:
    """How one kind of answer must look, e.g. an audience id or a set of setting ids."""

    name: str
    describe: str
    check: Callable[[Any], str | None]  # returns a problem description, or None when the form is right


_KINDS: dict[str, AnswerKind] = {}


def register_kind(name: str, describe: str) -> Callable[[Callable[[Any], str | None]], Callable]:
    """Decorator: register a check for answers of kind ``name`` ("an audience id", ...)."""

    def deco(fn: Callable[[Any], str | None]) -> Callable[[Any], str | None]:
        _KINDS[name] = AnswerKind(name, describe, fn)
        return fn

    return deco


def answer_kinds() -> dict[str, AnswerKind]:
    return dict(_KINDS)


def _quoted(values: Iterable[str]) -> str:
    return ", ".join(f'"{v}"' for v in values)


def _one_of(value: Any, allowed: list[str], what: str) -> str | None:
    if not isinstance(value, str):
        return f"should be {what} in quotes, like \"{allowed[0]}\", but it is {_type_name(value)}"
    if value in allowed:
        return None
    hint = difflib.get_close_matches(value.strip().lower().replace(" ", "_"), allowed, n=1, cutoff=0.5)
    msg = f'is "{value}", which is not {what}. Choose one of: {_quoted(allowed)}'
    if hint:
        msg += f'. Did you mean "{hint[0]}"'
    return msg


def _set_of(value: Any, allowed: list[str], what: str) -> str | None:
    if isinstance(value, list | tuple):
        return (
            f"should be a set written with curly brackets, like {{\"{allowed[0]}\", \"{allowed[-1]}\"}}, "
            f"not {_type_name(value)}"
        )
    if isinstance(value, dict) and not value:
        return "is {} which Python reads as an empty dictionary: write set() for an empty set"
    if not isinstance(value, set | frozenset):
        return f"should be a set of {what} in curly brackets, like {{\"{allowed[0]}\"}}, but it is {_type_name(value)}"
    for item in value:
        problem = _one_of(item, allowed, what)
        if problem:
            return problem
    return None


def _type_name(value: Any) -> str:
    names = {str: "text", int: "a whole number", float: "a number", bool: "True or False",
             list: "a list", tuple: "a tuple", dict: "a dictionary", set: "a set", type(None): "None"}
    return names.get(type(value), f"a {type(value).__name__}")


def _policies():
    from course.policy import load_policies

    return load_policies()


@register_kind("audience", "an audience id")
def _audience(value: Any) -> str | None:
    return _one_of(value, _policies().privacy.audience_ids, "an audience id")


@register_kind("platform", "a platform id")
def _platform(value: Any) -> str | None:
    return _one_of(value, [p.id for p in _policies().privacy.platforms], "a platform id")


@register_kind("setting_set", "a set of setting ids")
def _setting_set(value: Any) -> str | None:
    return _set_of(value, [s.id for s in _policies().privacy.profile_settings], "setting ids")


@register_kind("setting", "a setting id")
def _setting(value: Any) -> str | None:
    return _one_of(value, [s.id for s in _policies().privacy.profile_settings], "a setting id")


@register_kind("never_post", "a never-post category id")
def _never_post(value: Any) -> str | None:
    return _one_of(value, [n.id for n in _policies().privacy.never_post], "a never-post category id")


@register_kind("comment_category", "a comment category id")
def _comment_category(value: Any) -> str | None:
    return _one_of(value, _policies().moderation.category_ids, "a comment category id")


@register_kind("moderation_action", "a response action id")
def _moderation_action(value: Any) -> str | None:
    return _one_of(value, _policies().moderation.action_ids, "a response action id")


@register_kind("value_category", "a value category id")
def _value_category(value: Any) -> str | None:
    return _one_of(value, _policies().value.category_ids, "a value category id")


@register_kind("channel", "a channel id")
def _channel(value: Any) -> str | None:
    return _one_of(value, _policies().channels.channel_ids, "a channel id")


def _voice_rule_ids() -> list[str]:
    from course.voice import rule_ids

    return rule_ids(_policies())


@register_kind("voice_rule", "a brand-voice rule id")
def _voice_rule(value: Any) -> str | None:
    return _one_of(value, _voice_rule_ids(), "a brand-voice rule id")


@register_kind("voice_rule_set", "a set of brand-voice rule ids")
def _voice_rule_set(value: Any) -> str | None:
    return _set_of(value, _voice_rule_ids(), "brand-voice rule ids")


@register_kind("yes_no", "True or False")
def _yes_no(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().lower() in {"true", "false", "yes", "no"}:
        return f'should be True or False without quotes, not the text "{value}"'
    return f"should be True or False, but it is {_type_name(value)}"


@register_kind("text", "some text in quotes")
def _text(value: Any) -> str | None:
    if not isinstance(value, str):
        return f"should be text in quotes, but it is {_type_name(value)}"
    if not value.strip():
        return "is empty: write your text between the quotes"
    return None


@register_kind("number", "a number")
def _number(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"should be a number without quotes, like 12 or 0.5, but it is {_type_name(value)}"
    return None


def check_answer(name: str, value: Any, kind: str, *, choices: Iterable[str] | None = None) -> None:
    """Check the *form* of the answer ``value`` held in the variable ``name``; print a confirmation.

    ``kind`` is one of :func:`answer_kinds`, or ``"choice"`` / ``"choice_set"`` with ``choices``.
    Raises :class:`NotAnsweredError` while the placeholder ``...`` is still there, and
    :class:`AnswerFormatError` with a plain-language message when the form is wrong.
    """
    if value is Ellipsis:
        raise NotAnsweredError(f"You have not answered `{name}` yet: replace the ... with your answer.")
    if kind in ("choice", "choice_set"):
        if not choices:
            raise ValueError(f"check_answer kind {kind!r} needs choices=")
        allowed = list(choices)
        check = _one_of if kind == "choice" else _set_of
        problem = check(value, allowed, "one of the options" if kind == "choice" else "options")
        describe = "one of the options" if kind == "choice" else "a set of options"
    else:
        try:
            spec = _KINDS[kind]
        except KeyError:
            raise ValueError(f"unknown answer kind {kind!r}; known: {', '.join(sorted(_KINDS))}") from None
        problem = spec.check(value)
        describe = spec.describe
    if problem:
        end = "?" if problem.endswith('"') and "Did you mean" in problem else "."
        raise AnswerFormatError(f"`{name}` {problem}{end}")
    print(f"✔ `{name}` is in the right form ({describe}). It is marked when you submit.")


_LITERAL_TYPES = (str, int, float, bool, type(None), list, tuple, set, frozenset, dict)


def same(answer: Any, expected: Any) -> bool:
    """True when ``answer`` is a plain literal of exactly ``expected``'s type and value.

    Type is checked first and exactly (a ``str`` subclass is not a ``str``), containers are
    compared element by element, so the learner's objects never get to decide equality.
    """
    if type(answer) is not type(expected) or type(expected) not in _LITERAL_TYPES:
        return False
    if isinstance(expected, set | frozenset):
        if len(answer) != len(expected):
            return False
        remaining = list(expected)
        for item in answer:
            match = next((i for i, e in enumerate(remaining) if same(item, e)), None)
            if match is None:
                return False
            remaining.pop(match)
        return True
    if isinstance(expected, list | tuple):
        return len(answer) == len(expected) and all(same(a, e) for a, e in zip(answer, expected, strict=True))
    if isinstance(expected, dict):
        if len(answer) != len(expected):
            return False
        for key, value in expected.items():
            match = next((k for k in dict.keys(answer) if same(k, key)), None)
            if match is None or not same(dict.__getitem__(answer, match), value):
                return False
        return True
    if isinstance(expected, str):
        return str.__eq__(answer, expected) is True
    return bool(type(expected).__eq__(answer, expected) is True)
