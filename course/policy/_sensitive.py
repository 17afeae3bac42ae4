"""The sensitive-content policy: what must never be posted, and how to recognise it.

Also home of :data:`SafePattern`, the type of every regular expression a policy file may hold.
A pattern is compiled when the file is loaded, and refused unless it is certain to run in linear
time: a bounded length (``{1,30}`` instead of ``+`` or ``*``), no quantifier inside a repeated
group, no alternation inside a repeated group, no back-references. A course owner who writes
``(\\w+\\s?)*`` gets an error naming the file and key, not a checker that hangs on one post.
"""

from __future__ import annotations

import re
import re._constants as sre_c  # type: ignore[import-not-found]
import re._parser as sre_parse  # type: ignore[import-not-found]
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, model_validator

from course.policy._base import Ident, PolicyModel, Text, unique_ids

#: How serious a finding is: ``blocking`` fails a draft outright, the others cost points.
Severity = Literal["blocking", "warning", "advice"]

#: The longest text one policy pattern may match, in characters.
MAX_PATTERN_WIDTH = 200
#: The longest pattern source accepted.
MAX_PATTERN_SOURCE = 500
#: How many ways one pattern may try to match at one position (the product of its variable parts).
MAX_PATTERN_CHOICES = 256

_REPEATS = {sre_c.MAX_REPEAT, sre_c.MIN_REPEAT, getattr(sre_c, "POSSESSIVE_REPEAT", sre_c.MAX_REPEAT)}


def _subpatterns(op: Any, av: Any) -> list[Any]:
    """The child sub-patterns of one parsed node (groups, branches, look-arounds, repeats)."""
    if op in _REPEATS:
        return [av[2]]
    if op == sre_c.SUBPATTERN:
        return [av[-1]]
    if op == sre_c.BRANCH:
        return list(av[1])
    if op in (sre_c.ASSERT, sre_c.ASSERT_NOT):
        return [av[1]]
    if op == getattr(sre_c, "ATOMIC_GROUP", None):
        return [av]
    if op == sre_c.GROUPREF_EXISTS:
        return [p for p in av[1:] if p is not None]
    return []


def _walk(tree: Any, inside_repeat: bool) -> str | None:
    """The first construct in ``tree`` that could make matching slow, described in words, or None."""
    for op, av in tree:
        if op in (sre_c.GROUPREF, sre_c.GROUPREF_EXISTS):
            return "back-references such as \\1 are not allowed"
        if op in _REPEATS:
            low, high = av[0], av[1]
            variable = high != low
            if inside_repeat and variable:
                return "a quantifier inside a repeated group, like (a+)+ or (\\w{1,5}){1,5}, is not allowed"
            repeated = high > 1
            problem = _walk(av[2], inside_repeat or repeated)
            if problem:
                return problem
            continue
        if op == sre_c.BRANCH and inside_repeat:
            return "alternatives (a|b) inside a repeated group are not allowed; use a character class [ab]"
        for child in _subpatterns(op, av):
            problem = _walk(child, inside_repeat)
            if problem:
                return problem
    return None


def _choices(tree: Any) -> int:
    """An upper bound on how many ways the engine may try to match ``tree`` at one position.

    :func:`_walk` has already refused variable parts inside repeats, so a repeat offers
    ``high - low + 1`` choices, alternatives add up, and parts in sequence multiply.
    """
    total = 1
    for op, av in tree:
        if op in _REPEATS:
            total *= min(av[1], 10**6) - av[0] + 1
        elif op == sre_c.BRANCH:
            total *= sum(_choices(branch) for branch in av[1])
        else:
            for child in _subpatterns(op, av):
                total *= _choices(child)
        total = min(total, 10**9)
    return total


def check_pattern(source: str) -> str:
    """Compile ``source`` and refuse anything that could backtrack badly; return it unchanged.

    Raises ``ValueError`` with a plain explanation, which the loader turns into a
    :class:`~course.policy.PolicyError` naming the file and key.
    """
    if len(source) > MAX_PATTERN_SOURCE:
        raise ValueError(f"a pattern may be at most {MAX_PATTERN_SOURCE} characters long")
    try:
        re.compile(source)
        tree = sre_parse.parse(source)
    except re.error as exc:
        raise ValueError(f"is not a valid regular expression: {exc}") from None
    except RecursionError:
        raise ValueError("is nested too deeply to be a usable regular expression") from None
    problem = _walk(tree, inside_repeat=False)
    if problem:
        raise ValueError(f"could make checking very slow: {problem}")
    low, high = tree.getwidth()
    if high > MAX_PATTERN_WIDTH:
        raise ValueError(
            f"can match text of unlimited length; give every + or * an upper bound, e.g. \\d{{1,12}} "
            f"instead of \\d+ (at most {MAX_PATTERN_WIDTH} characters in all)"
        )
    if low == 0:
        raise ValueError("can match empty text, so it would match everywhere")
    if _choices(tree) > MAX_PATTERN_CHOICES:
        raise ValueError(
            "has too many optional or variable-length parts in a row (like a{0,50}a{0,50}), which could "
            "make checking very slow; make the parts fixed-length or fewer"
        )
    return source


#: A regular expression from a policy file, checked for syntax and for linear run time on load.
SafePattern = Annotated[str, AfterValidator(check_pattern)]

Detector = Literal["email", "phone", "payment_card", "street_address", "pattern", "terms"]


class SensitiveKind(PolicyModel):
    """One kind of content that must never be posted, and how the scanner recognises it.

    ``detector`` picks the recogniser: the built-in ``email``, ``phone``, ``payment_card``
    (Luhn-checked) and ``street_address``, or ``pattern`` (the company's own formats, in
    ``patterns``) or ``terms`` (a list of names or phrases, in ``terms``).
    """

    id: Ident
    label: Text
    detector: Detector
    reason: Text = Field(description="why it must not be posted, shown with each finding")
    suggestion: Text = Field(description="what to do instead")
    severity: Severity = "blocking"
    patterns: list[SafePattern] = Field(default_factory=list)
    terms: list[Text] = Field(default_factory=list)
    case_sensitive: bool = False
    allow: list[Text] = Field(default_factory=list, description="values that look sensitive but are public")
    street_suffixes: list[Text] = Field(default_factory=list)
    house_words: list[Text] = Field(default_factory=list, description="house names end so: Cottage, Farm")
    lowercase_suffixes: list[Text] = Field(
        default_factory=list, description="suffixes also recognised typed in lower case (14 mill lane)"
    )

    @model_validator(mode="after")
    def _options_fit_detector(self) -> SensitiveKind:
        if self.detector == "pattern" and not self.patterns:
            raise ValueError(f"kind {self.id!r} uses detector 'pattern' but lists no patterns")
        if self.detector == "terms" and not self.terms:
            raise ValueError(f"kind {self.id!r} uses detector 'terms' but lists no terms")
        if self.detector == "street_address" and not self.street_suffixes:
            raise ValueError(f"kind {self.id!r} uses detector 'street_address' but lists no street_suffixes")
        if self.patterns and self.detector != "pattern":
            raise ValueError(f"kind {self.id!r} lists patterns, which only detector 'pattern' uses")
        if self.terms and self.detector != "terms":
            raise ValueError(f"kind {self.id!r} lists terms, which only detector 'terms' uses")
        for key in ("street_suffixes", "house_words", "lowercase_suffixes"):
            if getattr(self, key) and self.detector != "street_address":
                raise ValueError(f"kind {self.id!r} lists {key}, which only detector 'street_address' uses")
        return self


class SensitivePolicy(PolicyModel):
    """``sensitive_content.yaml``: every kind of content the scanner looks for."""

    company: Text
    version: Text
    kinds: list[SensitiveKind] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> SensitivePolicy:
        unique_ids(self.kinds, "sensitive kind")
        return self

    @property
    def kind_ids(self) -> list[str]:
        return [k.id for k in self.kinds]

    def kind(self, kind_id: str) -> SensitiveKind:
        for k in self.kinds:
            if k.id == kind_id:
                return k
        raise KeyError(f"no sensitive kind called {kind_id!r}; known: {', '.join(self.kind_ids)}")
