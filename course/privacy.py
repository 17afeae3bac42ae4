"""Sensitive-content scanning: what must never be posted, found in a draft with its span and reason.

Kinds and formats come from ``data/policies/sensitive_content.yaml`` (see
:class:`course.policy.SensitivePolicy`): email addresses, phone numbers, payment card numbers
(Luhn-checked), account and case numbers in the company's formats, street addresses, internal
code names, unreleased products, customer names and confidentiality markers::

    from course.privacy import scan
    for finding in scan("Call Tamsin Quarrie on 07700 900123"):
        print(finding.rule_id, finding.start, finding.end, finding.message)

The policy is compiled once into a :class:`Scanner`; scanning is pure and linear in the text.
(The audience and visibility rules live in :mod:`course.policy`'s privacy policy.)
"""

from __future__ import annotations

import bisect
import re
import weakref
from collections.abc import Callable
from dataclasses import dataclass

from course.policy import PolicySet, SensitiveKind, SensitivePolicy, load_policies
from course.voice._findings import Finding, as_text, sort_findings
from course.voice._text import Phrases, phrase_key, phrase_regex

__all__ = ["Scanner", "default_policies", "luhn_valid", "scan", "scanner_for"]

# -- built-in recognisers: every repeat is bounded or possessive -------------------------------

_EMAIL = re.compile(
    r"(?<![\w.+%-])[A-Za-z0-9](?:[A-Za-z0-9._%+-]{0,63}+)@(?:[A-Za-z0-9-]{1,63}+\.){1,8}[A-Za-z]{2,24}+(?![\w-])"
)
_PHONE = re.compile(
    r"(?<![\w+/.,:-])(?:"
    r"\+\d{1,3}(?:[ .-]?\(0\))?(?:[ .-]?\d){6,13}+"  # +44 (0)113 496 0000, +1 202 555 0143
    r"|\(0[1-9]\d{1,3}\)(?:[ .-]?\d){5,8}+"  # (0113) 496 0000
    r"|0[1-9](?:[ .-]?\d){8,9}+"  # 0113 496 0000, 07700 900123 (00 starts an international number)
    r"|\(\d{3}\)[ ]?\d{3}[-. ]\d{4}"  # (202) 555-0143
    r"|\d{3}[-.]\d{3}[-.]\d{4}"  # 202-555-0143
    r")(?![\d-]|[.,]\d|\w)"
)
_CARD = re.compile(r"(?<![\w+.,-])\d(?:[ -]?\d){12,18}+(?![\w-]|[.,]\d)")
_DIGIT = re.compile(r"\d")


def luhn_valid(digits: str) -> bool:
    """True when the string of digits passes the Luhn checksum that every payment card number carries."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _card_ok(value: str) -> bool:
    digits = "".join(_DIGIT.findall(value))
    if not 13 <= len(digits) <= 19 or not luhn_valid(digits) or len(set(digits)) < 2:
        return False
    separators = {c for c in value if c in " -"}
    return len(separators) <= 1


def _phone_ok(value: str) -> bool:
    digits = "".join(_DIGIT.findall(value))
    if value.startswith("+"):
        return 8 <= len(digits) <= 15
    if value.startswith(("0", "(0")):
        return 10 <= len(digits) <= 11
    return len(digits) == 10


def _address_regex(kind: SensitiveKind) -> re.Pattern[str]:
    """Street addresses: "14 Mill Lane, Leeds LS6 2QT", "Flat 3, 27 Harbour View Road",
    "Rose Cottage, Mill Lane" (a house name), and "14 mill lane" for the lower-case suffixes."""
    suffix = _alternation(kind.street_suffixes)
    name = r"[A-Z][a-z'’]{1,20}+"
    street = rf"(?:{name} ){{0,3}}{name} (?:{suffix})\b"
    town = r"(?:,? ?[A-Z][a-z]{2,20}+(?: [A-Z][a-z]{2,20}+)?)?(?:,? ?[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\b)?"
    numbered = (r"(?:(?:Flat|Unit|Apartment|Apt|Suite)\.? ?\d{1,4}[A-Za-z]?,? ?)?"
                rf"\d{{1,4}}[A-Za-z]?(?:-\d{{1,4}})?,? {street}")
    forms = [numbered]
    if kind.house_words:
        forms.append(rf"(?:{name} ){{1,2}}(?:{_alternation(kind.house_words)}),? {street}")
    if kind.lowercase_suffixes:
        lower = _alternation([s.lower() for s in kind.lowercase_suffixes])
        forms.append(rf"\d{{1,4}}[a-z]? (?:[a-z]{{3,20}}+ )?[a-z]{{3,20}}+ (?:{lower})\b")
    return re.compile(r"(?<![\w£$€.,:/-])(?:" + "|".join(f"(?:{f})" for f in forms) + ")" + town)


def _alternation(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


#: Words that make "2 big road trips" look like an address; a lower-case street name is never one.
_NOT_STREET_NAMES = frozenset({"the", "our", "your", "his", "her", "their", "and", "for", "new", "old", "big",
                               "two", "few", "more", "long", "short", "this", "that", "ring"})


def _address_ok(value: str) -> bool:
    street = value.split(",")[0].split()
    return not any(w in _NOT_STREET_NAMES for w in street[1:-1])


def _digits(value: str) -> str:
    return "".join(_DIGIT.findall(value))


@dataclass(frozen=True)
class _Compiled:
    """One kind's recognisers, with what a candidate needs to count and what makes it public."""

    kind: SensitiveKind
    finders: tuple[re.Pattern[str], ...]
    accept: Callable[[str], bool]
    allowed: frozenset[str]
    normalise: Callable[[str], str]
    prefix_allow: bool = False
    needs: str = ""  # "digit" or "@": skip the kind when the text has none

    def is_allowed(self, value: str) -> bool:
        key = self.normalise(value)
        if key in self.allowed:
            return True
        return self.prefix_allow and any(key.startswith(a) for a in self.allowed)


def _lower(value: str) -> str:
    return value.lower()


def _always(_value: str) -> bool:
    return True


def _compile(kind: SensitiveKind) -> _Compiled:
    flags = 0 if kind.case_sensitive else re.IGNORECASE

    def terms_key(value: str) -> str:
        return phrase_key(value, case_sensitive=kind.case_sensitive)

    normalise: Callable[[str], str] = _lower
    accept: Callable[[str], bool] = _always
    prefix, needs = False, ""
    finders: tuple[re.Pattern[str], ...] = ()
    if kind.detector == "email":
        finders, needs = (_EMAIL,), "@"
    elif kind.detector == "phone":
        finders, accept, normalise, needs = (_PHONE,), _phone_ok, _digits, "digit"
    elif kind.detector == "payment_card":
        finders, accept, normalise, needs = (_CARD,), _card_ok, _digits, "digit"
    elif kind.detector == "street_address":
        finders, prefix, normalise = (_address_regex(kind),), True, terms_key
        accept = _address_ok
    elif kind.detector == "pattern":
        finders = tuple(re.compile(p, flags) for p in kind.patterns)
    else:  # terms: found together with every other terms kind, by one regex (see Scanner)
        normalise = terms_key
    allowed = frozenset(normalise(a) for a in kind.allow)
    return _Compiled(kind, finders, accept, allowed, normalise, prefix, needs)


class Scanner:
    """A sensitive-content policy compiled for scanning. Build once, then call :meth:`scan` often."""

    def __init__(self, policy: SensitivePolicy) -> None:
        self.policy = policy
        self._kinds = [_compile(k) for k in policy.kinds]
        self._by_id = {c.kind.id: c for c in self._kinds}
        # Every terms kind is searched by one regex per case rule; a matched phrase maps back to its kind.
        self._terms: list[tuple[Phrases, dict[str, str], bool]] = []
        for case_sensitive in (False, True):
            kinds = [c.kind for c in self._kinds
                     if c.kind.detector == "terms" and c.kind.case_sensitive == case_sensitive]
            owner: dict[str, str] = {}
            for k in kinds:
                for term in k.terms:
                    owner.setdefault(phrase_key(term, case_sensitive=case_sensitive), k.id)
            if kinds:
                phrases = Phrases([t for k in kinds for t in k.terms], case_sensitive=case_sensitive)
                self._terms.append((phrases, owner, case_sensitive))

    @classmethod
    def from_policy(cls, policy: SensitivePolicy) -> Scanner:
        return cls(policy)

    @property
    def kind_ids(self) -> list[str]:
        return self.policy.kind_ids

    def detect(self, text: str) -> list[tuple[str, int, int]]:
        """``(kind id, start, end)`` of everything found, overlaps resolved (the longer span wins)."""
        text = as_text(text)
        has = {"": True, "@": "@" in text, "digit": _DIGIT.search(text) is not None}
        order = {kind_id: i for i, kind_id in enumerate(self._by_id)}
        spans: list[tuple[str, int, int, int]] = []
        for i, compiled in enumerate(self._kinds):
            if not has[compiled.needs]:
                continue
            for finder in compiled.finders:
                for m in finder.finditer(text):
                    value = m.group()
                    if compiled.accept(value) and not compiled.is_allowed(value):
                        spans.append((compiled.kind.id, m.start(), m.end(), i))
        for regex, owner, case_sensitive in self._terms:
            for m in regex.finditer(text):
                kind_id = owner.get(phrase_key(m.group(), case_sensitive=case_sensitive))
                if kind_id is None:  # a case-folding corner (e.g. the Kelvin sign): ask each kind
                    kind_id = next((k for k, c in self._by_id.items() if c.kind.detector == "terms"
                                    and (rx := phrase_regex(c.kind.terms, case_sensitive=c.kind.case_sensitive))
                                    and rx.fullmatch(m.group())), None)
                    if kind_id is None:
                        continue
                if not self._by_id[kind_id].is_allowed(m.group()):
                    spans.append((kind_id, m.start(), m.end(), order[kind_id]))
        spans.sort(key=lambda s: (-(s[2] - s[1]), s[3], s[1]))
        kept: list[tuple[str, int, int]] = []
        starts: list[int] = []  # kept spans are disjoint: sorted starts and their ends
        ends: list[int] = []
        for kind_id, start, end, _order in spans:
            i = bisect.bisect_right(starts, start)
            if (i and ends[i - 1] > start) or (i < len(starts) and starts[i] < end):
                continue
            starts.insert(i, start)
            ends.insert(i, end)
            kept.append((kind_id, start, end))
        return sorted(kept, key=lambda k: (k[1], k[2], k[0]))

    def scan(self, text: str) -> tuple[Finding, ...]:
        """Findings with rule id ``sensitive.<kind>``, the kind's severity, span, reason and suggestion."""
        findings = []
        for kind_id, start, end in self.detect(text):
            kind = self._by_id[kind_id].kind
            findings.append(Finding(f"sensitive.{kind_id}", kind.severity, start, end,
                                    f"{kind.label}: {kind.reason}", kind.suggestion))
        return sort_findings(findings)


_CACHE: weakref.WeakKeyDictionary[PolicySet, Scanner] = weakref.WeakKeyDictionary()
_DEFAULT: dict[str, PolicySet] = {}


def default_policies() -> PolicySet:
    """The default policy folder's :class:`PolicySet`, loaded once per process and folder."""
    policies = load_policies()
    key = str(policies.directory.resolve())
    return _DEFAULT.setdefault(key, policies)


def scanner_for(policies: PolicySet | None = None) -> Scanner:
    """The :class:`Scanner` for ``policies`` (default: the course's own), compiled once and cached."""
    policies = policies or default_policies()
    scanner = _CACHE.get(policies)
    if scanner is None:
        scanner = _CACHE[policies] = Scanner(policies.sensitive)
    return scanner


def scan(text: str | bytes, *, policies: PolicySet | None = None) -> tuple[Finding, ...]:
    """Everything in ``text`` that must not be posted, as findings in reading order."""
    return scanner_for(policies).scan(as_text(text))
