"""Text measures the checkers share: words, sentences, reading grade, emoji, hashtags, links, phrases.

Every regular expression here runs in linear time: repeats are bounded or possessive, and no
repeated group holds a choice that could be matched two ways. Spans are ``str`` indices.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from functools import lru_cache

# -- words and sentences ----------------------------------------------------------------------

_WORD = re.compile(r"(?<!\S)\S*?[^\W_]\S*+")
_ALNUM = re.compile(r"[^\W_]")
_LATIN_WORD = re.compile(r"[A-Za-z]++(?:['’][A-Za-z]++)?+")
_SENTENCE_END = re.compile(r"[.!?…。！？]++[\"'’”)\]]{0,3}+(?=\s|\Z)|\n")
_ABBREVIATION = re.compile(
    r"(?:^|[^\w.])(?:e\.g|i\.e|etc|mr|mrs|ms|dr|st|no|approx|vs|inc|ltd|co)\.$", re.IGNORECASE
)


def words(text: str) -> list[tuple[int, int]]:
    """Spans of the words: runs of non-space characters holding at least one letter or digit."""
    return [m.span() for m in _WORD.finditer(text)]


def word_count(text: str) -> int:
    """How many :func:`words` there are (faster than counting the spans)."""
    return len(_WORD.findall(text))


@lru_cache(maxsize=4)
def sentences(text: str) -> tuple[tuple[int, int], ...]:
    """Spans of the sentences, split after . ! ? and at line breaks (not after "e.g." or "Mr.")."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        if text[m.start()] == "." and _ABBREVIATION.search(text, max(0, m.start() - 8), m.start() + 1):
            continue
        _add_sentence(text, start, m.end(), spans)
        start = m.end()
    _add_sentence(text, start, len(text), spans)
    return tuple(spans)


def _add_sentence(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    m = _ALNUM.search(text, start, end)
    if m:
        stop = end
        while stop > start and text[stop - 1].isspace():
            stop -= 1
        first = start
        while text[first].isspace():
            first += 1
        spans.append((first, stop))


@lru_cache(maxsize=8192)
def syllables(word: str) -> int:
    """Syllables in an English word, by the usual vowel-group heuristic (good enough for a grade)."""
    w = word.lower().replace("’", "'").split("'")[0]
    if len(w) <= 3:
        return 1
    w = re.sub(r"(?:[^laeiouy]es|[^laeiouy]ed|[^laeiouy]e)$", lambda m: m.group()[0], w)
    w = w[1:] if w.startswith("y") else w
    return max(1, len(re.findall(r"[aeiouy]+", w)))


def reading_grade(text: str, *, min_words: int) -> float | None:
    """Flesch-Kincaid grade of the English words in ``text``; None with fewer than ``min_words``.

    ``0.39 × words per sentence + 11.8 × syllables per word − 15.59``, counting only words in
    Latin letters, so links, numbers, emoji and other scripts do not distort it.
    """
    found = _LATIN_WORD.findall(text)
    if len(found) < min_words:
        return None  # too short to measure, or mostly in another script
    n_sentences = max(1, len(sentences(text)))
    n_syllables = sum(map(syllables, found))
    return 0.39 * len(found) / n_sentences + 11.8 * n_syllables / len(found) - 15.59


# -- shouting ---------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _capitals() -> re.Pattern[str]:
    """Whole words of two or more capital letters, in any script (built once, on first use)."""
    ranges: list[tuple[int, int]] = []
    for i in range(0x1F000):  # every script with capitals, and the "bold" letters of fancy posts
        if chr(i).isupper():
            if ranges and ranges[-1][1] == i - 1:
                ranges[-1] = (ranges[-1][0], i)
            else:
                ranges.append((i, i))
    cls = "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges)
    return re.compile(rf"(?<![^\W_])[{cls}]{{2,}}+(?![^\W_])")


def shouted_runs(text: str, *, acronyms: frozenset[str], min_letters: int) -> list[tuple[int, int]]:
    """Spans of runs of capitalised words with at least ``min_letters`` capitals, acronyms aside.

    Acronyms, single capitals ("I"), numbers and codes (LS1 4AP, BWC-2041) neither count nor
    break a run; a word with a small letter, a full stop or a line break ends it. Works for every
    script that has capitals.
    """
    if text.islower() or (text.isascii() and not _ASCII_CAPS.search(text)):
        return []
    runs: list[tuple[int, int]] = []
    run_start = run_end = -1
    letters = 0
    for m in _capitals().finditer(text):
        w = m.group()
        if w in acronyms or _is_code(text, m.start(), m.end()):
            continue
        gap = text[run_end:m.start()] if run_start >= 0 else ""
        if run_start >= 0 and (gap != gap.upper() or _RUN_BREAK.search(gap)):
            if letters >= min_letters:
                runs.append((run_start, run_end))
            run_start, letters = -1, 0
        if run_start < 0:
            run_start = m.start()
        run_end = m.end()
        letters += len(w)
    if letters >= min_letters:
        runs.append((run_start, run_end))
    return runs


_ASCII_CAPS = re.compile(r"[A-Z]{2}")
_RUN_BREAK = re.compile(r"[.!?\n]")
_CODE_AFTER = re.compile(r"-?\d")


def _is_code(text: str, start: int, end: int) -> bool:
    """Capitals joined to digits, directly or by a hyphen (BWC-2041, 4-AP): a code, not shouting."""
    if _CODE_AFTER.match(text, end):
        return True
    before = text[max(0, start - 2) : start]
    return before[-1:].isdigit() or (before[-1:] == "-" and before[:1].isdigit())


# -- exclamations, emoji, hashtags -------------------------------------------------------------

_BANGS = re.compile(r"[!?！？‼⁉¡]{2,}+|‼")


def exclamation_runs(text: str, *, max_run: int) -> list[tuple[int, int]]:
    """Spans of runs of ! (with any ?) holding more than ``max_run`` exclamation marks."""
    if text.isascii() and "!" not in text:
        return []
    out = []
    for m in _BANGS.finditer(text):
        run = m.group()
        bangs = run.count("!") + run.count("！") + 2 * run.count("‼") + run.count("⁉")
        if bangs > max_run:
            out.append(m.span())
    return out


_PICT = (
    "\u203c\u2049\u2122\u2139\u2194-\u2199\u21a9\u21aa\u231a\u231b\u2328\u23cf\u23e9-\u23f3\u23f8-\u23fa"
    "\u24c2\u25aa\u25ab\u25b6\u25c0\u25fb-\u25fe\u2600-\u27bf\u2934\u2935\u2b05-\u2b07\u2b1b\u2b1c"
    "\u2b50\u2b55\u3030\u303d\u3297\u3299\U0001f000-\U0001faff"
)
_MODS = "\ufe0f\U0001f3fb-\U0001f3ff\U000e0020-\U000e007f"
_EMOJI = re.compile(
    "[\U0001f1e6-\U0001f1ff]{2}"
    "|[#*0-9]\ufe0f?\u20e3"
    f"|[{_PICT}][{_MODS}]*+(?:\u200d[{_PICT}][{_MODS}]*+)*+"
)


def emoji(text: str) -> list[tuple[int, int]]:
    """Spans of the emoji, one per visible emoji (a flag, a family or a skin tone counts once)."""
    if text.isascii():
        return []
    return [m.span() for m in _EMOJI.finditer(text)]


_HASHTAG = re.compile(r"(?<![\w#&/])[#＃](\w{1,139}+)(?!-\d)")


def hashtags(text: str) -> list[tuple[int, int]]:
    """Spans of the hashtags (#word; #1 and references such as #CS-482913 are not hashtags)."""
    if "#" not in text and "＃" not in text:
        return []
    return [m.span() for m in _HASHTAG.finditer(text) if not m.group(1).isdigit()]


# -- links ------------------------------------------------------------------------------------

_TLDS = (
    "com|org|net|co|uk|io|ly|gl|gd|at|cc|me|ie|info|biz|app|link|example|eu|de|fr|ai|us|tv|to|gy|li|is|in"
)
_URL = re.compile(
    r"(?<![\w@.\-/])(?:https?://|www\.)[^\s<>\"'{}|\\^`\[\]]{1,2000}+"
    rf"|(?<![\w@.\-/])(?:[a-z0-9-]{{1,63}}+\.){{1,10}}+(?:{_TLDS})(?![\w.-])(?:/[^\s<>\"'{{}}|\\^`\[\]]{{0,2000}}+)?",
    re.IGNORECASE,
)
_URL_HINT = re.compile(rf"://|www\.|\.(?:{_TLDS})(?![\w-])", re.IGNORECASE)
_SCHEME = re.compile(r"^(?:https?://)?(?:www\.)?", re.IGNORECASE)
_QUERY_NAME = re.compile(r"[?&#;]([^=&#;]{1,64}+)=")


def links(text: str) -> list[tuple[int, int, str, str]]:
    """Links as ``(start, end, host, url)``: with or without http(s)://, trailing punctuation left out."""
    if not _URL_HINT.search(text):
        return []
    out = []
    for m in _URL.finditer(text):
        url = m.group().rstrip(".,;:!?)")
        if not url:
            continue
        rest = _SCHEME.sub("", url)
        host = re.split(r"[/?#:]", rest, maxsplit=1)[0].lower()
        if "." not in host:
            continue
        out.append((m.start(), m.start() + len(url), host, url))
    return out


def query_names(url: str) -> list[str]:
    """The names of the query parameters in ``url``, in lower case."""
    return [n.lower() for n in _QUERY_NAME.findall(url)]


# -- phrase lists, compiled into one linear-time regex ------------------------------------------

_PIECE = {" ": r"\s*", "'": "['’]", "-": r"[-‐‑\s]?"}
_SEPARATORS = re.compile(r"[\s'’\-‐‑]+")


def phrase_key(text: str, *, case_sensitive: bool = False) -> str:
    """How a phrase and the text it matched are compared: no accents, spaces, hyphens or apostrophes."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    key = _SEPARATORS.sub("", stripped)
    return key if case_sensitive else key.casefold()


def _variants(phrase: str) -> set[str]:
    """A phrase as written, composed, decomposed and without accents, with single spaces."""
    base = " ".join(phrase.replace("’", "'").split())
    nfd = unicodedata.normalize("NFD", base)
    plain = "".join(c for c in nfd if not unicodedata.combining(c))
    return {base, unicodedata.normalize("NFC", base), nfd, plain}


_WORDISH = re.compile(r"\w+")
_TAGGED = re.compile(r"[#@＃](\w{1,139}+)")
_CAMEL = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")


def _key(word: str) -> str:
    return word[:3]


@lru_cache(maxsize=4)
def word_keys(text: str) -> frozenset[str]:
    """The first three letters of every word in ``text`` (lower case), and of each part of a
    camel-case hashtag or handle (#NewAquaCrateMax gives new, aqu, cra, max): a quick gate
    before phrase searches."""
    keys = {_key(w) for w in _WORDISH.findall(text.lower())}
    if "#" in text or "@" in text or "＃" in text:
        for tag in _TAGGED.findall(text):
            keys.update(_key(part.lower()) for part in _CAMEL.findall(tag))
    return frozenset(keys)


class Phrases:
    """A phrase list compiled by :func:`phrase_regex`, searched only when a phrase could occur.

    Most drafts contain none of the phrases: comparing the draft's :func:`word_keys` with the
    phrases' first words costs far less than running the regex over the whole text.
    """

    def __init__(self, phrases: Iterable[str], *, case_sensitive: bool = False) -> None:
        phrases = list(phrases)
        self.regex = phrase_regex(phrases, case_sensitive=case_sensitive)
        firsts = set()
        for phrase in phrases:
            for variant in _variants(phrase):
                m = _WORDISH.search(variant.lower())
                firsts.add(_key(m.group()) if m else "")
        # a phrase with no word characters at all ("!!") cannot be gated: always search
        self.first_keys = frozenset(firsts)
        self.always = "" in firsts

    def _may_occur(self, text: str) -> bool:
        return self.regex is not None and (self.always or not self.first_keys.isdisjoint(word_keys(text)))

    def finditer(self, text: str, pos: int = 0, endpos: int | None = None) -> Iterator[re.Match[str]]:
        if self._may_occur(text):
            assert self.regex is not None
            yield from self.regex.finditer(text, pos, len(text) if endpos is None else endpos)

    def search(self, text: str) -> re.Match[str] | None:
        return self.regex.search(text) if self._may_occur(text) else None  # type: ignore[union-attr]

    def match(self, text: str, pos: int) -> re.Match[str] | None:
        return self.regex.match(text, pos) if self._may_occur(text) else None  # type: ignore[union-attr]


def phrase_regex(phrases: Iterable[str], *, case_sensitive: bool = False) -> re.Pattern[str] | None:
    """One regex matching any of ``phrases`` as whole words; None for an empty list.

    Built as a trie (shared prefixes merged) behind a look-ahead on the possible first letters,
    so it is linear in the text and fast for long lists. A space matches any run of spaces or
    none (so #ProjectNightjar matches "Project Nightjar"), a hyphen may be a space or missing,
    straight and curly apostrophes are the same, and accented letters also match without their
    accents.
    """
    trie: dict[str, dict] = {}
    for phrase in phrases:
        for variant in _variants(phrase):
            key = variant if case_sensitive else variant.lower()
            if not key:
                continue
            node = trie
            for ch in key:
                node = node.setdefault(ch, {})
            node[""] = {}
    if not trie:
        return None
    firsts = "".join(sorted(trie))
    word_first = {ch: sub for ch, sub in trie.items() if _is_word(ch)}
    other_first = {ch: sub for ch, sub in trie.items() if not _is_word(ch)}
    parts = []
    if word_first:
        parts.append(r"(?<!\w)" + _emit(word_first, prev=""))
    if other_first:
        parts.append(_emit(other_first, prev=""))
    body = parts[0] if len(parts) == 1 else "(?:" + "|".join(parts) + ")"
    flags = 0 if case_sensitive else re.IGNORECASE
    return re.compile(f"(?=[{_class(firsts)}]){body}", flags)


def _class(chars: str) -> str:
    return "".join("\\" + c if c in "\\]^-[" else c for c in chars)


def _piece(ch: str) -> str:
    return _PIECE.get(ch, re.escape(ch))


def _is_word(ch: str) -> bool:
    return bool(ch) and (ch.isalnum() or ch == "_")


def _emit(node: dict[str, dict], *, prev: str) -> str:
    alts = []
    for ch in sorted(k for k in node if k):
        alts.append(_piece(ch) + _emit(node[ch], prev=ch))
    if "" in node:
        end = r"(?!\w)" if _is_word(prev) else ""
        if not alts:
            return end
        if end:
            alts.append(end)
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return body if end else f"(?:{body})?"
    if len(alts) == 1:
        return alts[0]
    return "(?:" + "|".join(alts) + ")"
