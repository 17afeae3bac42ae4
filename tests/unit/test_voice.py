"""course.voice: each brand-voice rule fires where the guide says, with span, message and suggestion;
the score is stable; bad input and bad policies get clear errors, never a crash or a hang."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from course.policy import PolicyError, load_policies
from course.voice import (
    MAX_TEXT_CHARS,
    CheckInputError,
    Finding,
    UnknownChannelError,
    VoiceChecker,
    channel_ids,
    check,
    checker_for,
    rule_ids,
    score,
)
from course.voice import _text as text_measures

REPO = Path(__file__).resolve().parents[2]
POLICIES = REPO / "data" / "policies"


def rules(text: str, channel: str) -> set[str]:
    """The rule ids the voice checker (without the sensitive scan) reports for ``text``."""
    return {f.rule_id for f in checker_for(sensitive=False).check(text, channel).findings}


def spans(text: str, channel: str, rule_id: str) -> list[str]:
    report = check(text, channel)
    return [text[f.start : f.end] for f in report.findings if f.rule_id == rule_id]


@pytest.fixture
def policy_copy(tmp_path: Path) -> Path:
    for path in POLICIES.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


def edit_yaml(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text("utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")


# -- channels ---------------------------------------------------------------------------------


def test_channel_ids_come_from_the_guide() -> None:
    """It lists the guide's channels in the guide's order, for other modules to offer as choices."""
    assert channel_ids() == ["internal_network", "team_chat", "email", "linkedin", "x", "facebook",
                             "customer_care_reply"]


def test_unknown_channel_names_the_known_ones() -> None:
    """An unknown channel is a clear error listing the channels, with a suggestion for a near miss."""
    with pytest.raises(UnknownChannelError) as info:
        check("Hello", "Linked In")
    message = str(info.value)
    assert "'Linked In'" in message and "customer_care_reply" in message and 'Did you mean "linkedin"' in message
    with pytest.raises(UnknownChannelError):
        check("Hello", None)  # type: ignore[arg-type]


# -- length and reading grade ------------------------------------------------------------------


def test_over_length_on_x_is_blocking_and_highlights_what_does_not_fit() -> None:
    """It blocks a post over X's 280 characters; the span is the part past the limit."""
    text = "  " + "a" * 250 + " " + "b" * 40
    report = check(text, "x")
    [finding] = [f for f in report.findings if f.rule_id == "length.characters"]
    assert finding.severity == "blocking" and not report.passes
    assert (finding.start, finding.end) == (2 + 280, len(text))
    assert "291 characters" in finding.message and "280" in finding.message
    assert "length.characters" not in rules("a" * 280, "x")


def test_too_many_words_on_facebook_spans_the_extra_words() -> None:
    """It flags words past Facebook's 80, starting at the 81st word."""
    words = [f"w{i}" for i in range(85)]
    text = " ".join(words)
    assert spans(text, "facebook", "length.words") == [" ".join(words[80:])]
    assert "length.words" not in rules(" ".join(words[:80]), "facebook")


def test_sentences_are_counted_without_the_sign_off() -> None:
    """Four sentences and a ^JM sign-off fit a care reply's four; a fifth sentence does not."""
    four = "@sam_k Sorry. We are on it. Thanks for waiting. Speak soon. ^JM"
    assert "length.sentences" not in rules(four, "customer_care_reply")
    assert "length.sentences" in rules(four.replace("Speak soon.", "Speak soon. Bye."), "customer_care_reply")


def test_sentence_splitting_keeps_abbreviations_and_decimals() -> None:
    """It does not end a sentence after "e.g." or inside "7.05", and ends one at a line break."""
    text = "See e.g. the guide. It opens at 7.05am!\nThen lunch"
    assert [text[a:b] for a, b in text_measures.sentences(text)] == [
        "See e.g. the guide.", "It opens at 7.05am!", "Then lunch"]


def test_flesch_kincaid_grade_matches_the_formula() -> None:
    """The grade is 0.39 words/sentence + 11.8 syllables/word - 15.59, on a worked example."""
    text = "The cat sat on the mat. " * 4  # 24 words, 4 sentences, 24 syllables
    assert text_measures.reading_grade(text, min_words=20) == pytest.approx(0.39 * 6 + 11.8 * 1 - 15.59)
    assert [text_measures.syllables(w) for w in ("cat", "table", "organisation", "queued", "banana")] == [
        1, 2, 5, 1, 3]


def test_reading_grade_applies_to_long_hard_drafts_only() -> None:
    """It flags a long, wordy draft as above the channel's grade, never a short one or another script."""
    hard = ("Notwithstanding considerable organisational complexities, implementation of comprehensive "
            "operational improvements necessitates collaborative prioritisation across interdependent "
            "departmental responsibilities throughout subsequent quarterly reporting intervals.")
    [finding] = [f for f in check(hard, "facebook").findings if f.rule_id == "reading.grade"]
    assert finding.severity == "advice" and "grade" in finding.message
    assert "reading.grade" not in rules("Notwithstanding considerable complexities.", "facebook")
    assert "reading.grade" not in rules("Мы открываемся завтра в девять утра. " * 10, "facebook")


# -- words we avoid and required elements ------------------------------------------------------


def test_avoided_words_match_whole_words_in_any_case_with_a_suggestion() -> None:
    """It finds "Leverage" and "going  forward" but not "cleverage"; each finding says what to write."""
    text = "Leverage this going  forward, not cleverage."
    report = check(text, "internal_network")
    found = {text[f.start : f.end]: f for f in report.findings}
    assert set(found) == {"Leverage", "going  forward"}
    assert found["Leverage"].rule_id == "words.jargon_leverage"
    assert found["going  forward"].suggestion == "Try: from now on."
    assert found["Leverage"].severity == "advice"


def test_avoided_words_respect_their_channels() -> None:
    """ "cheap" is flagged on LinkedIn but not in team chat, where the guide allows it."""
    assert "words.cheap" in rules("Cheap chairs today", "linkedin")
    assert "words.cheap" not in rules("Cheap chairs today", "team_chat")


def test_phrases_match_however_spaces_hyphens_apostrophes_and_accents_are_typed() -> None:
    """A listed phrase matches with a hyphen or no space for its spaces, a curly apostrophe, or no accents."""
    assert "words.unprovable_claims" in rules("Truly best in class service", "email")
    assert "words.unprovable_claims" in rules("Truly best-in-class service", "email")
    regex = text_measures.phrase_regex(["we're open", "Café Noir"])
    assert regex is not None
    assert [m.group() for m in regex.finditer("We’re  open at Cafe Noir and #CaféNoir, not Cafés Noirs")] == [
        "We’re  open", "Cafe Noir", "CaféNoir"]


def test_promoting_a_product_needs_the_employment_disclosure() -> None:
    """Naming our product on LinkedIn without saying you work here blocks; the span is the product."""
    text = "Our AquaCrate range is in stock now."
    report = check(text, "linkedin")
    [finding] = [f for f in report.findings if f.rule_id == "required.employment_disclosure"]
    assert finding.severity == "blocking" and text[finding.start : finding.end] == "AquaCrate"
    assert not report.passes
    assert "required.employment_disclosure" not in rules(text + " #BrightwaterEmployee", "linkedin")
    assert "required.employment_disclosure" not in rules(text + " I work at Brightwater.", "x")
    assert "required.employment_disclosure" not in rules(text, "internal_network")
    assert "required.employment_disclosure" not in rules("Lovely sunset over Leeds tonight.", "linkedin")


def test_care_replies_need_a_handle_first_and_initials_last() -> None:
    """A care reply without @handle or ^JM gets a zero-width finding where the element belongs."""
    text = "Sorry about that, we are on it."
    report = check(text, "customer_care_reply")
    found = {f.rule_id: f for f in report.findings}
    assert (found["required.care_handle"].start, found["required.care_handle"].end) == (0, 0)
    assert (found["required.care_signoff"].start, found["required.care_signoff"].end) == (len(text), len(text))
    assert not rules("@sam_k Sorry about that, we are on it. ^JM  ", "customer_care_reply")
    assert not rules("@sam_k Sorry about that, we are on it. - Kit", "customer_care_reply")
    assert "required.care_signoff" in rules("@sam_k ^JM Sorry about that, we are on it.", "customer_care_reply")


# -- tone and links ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "shouted"),
    [
        ("WE ARE OPEN late today", ["WE ARE OPEN"]),
        ("Big news. FREE delivery today", ["FREE"]),
        ("Read the FAQ on the UK site, RSVP by Friday", []),
        ("Post to LS6 2QT or use code BWC-20418873. ^JM", []),
        ("Call HR or IT", []),
        ("ΕΥΧΑΡΙΣΤΟΥΜΕ ΠΟΛΥ", ["ΕΥΧΑΡΙΣΤΟΥΜΕ ΠΟΛΥ"]),
        ("WE ARE SORRY. ^JM", ["WE ARE SORRY"]),
    ],
)
def test_shouting_is_runs_of_capitals_but_not_acronyms_or_codes(text: str, shouted: list[str]) -> None:
    """It flags runs of capitals of four letters or more, in any script, not acronyms, codes or initials."""
    assert spans(text, "x", "tone.shouting") == shouted


def test_exclamation_runs_follow_each_channels_limit() -> None:
    """ "!!" is too many on X but fine in team chat, where "!!!" is too many."""
    assert spans("Great!! See you", "x", "tone.exclamations") == ["!!"]
    assert spans("Great!! See you", "team_chat", "tone.exclamations") == []
    assert spans("Great!!! Or?!", "team_chat", "tone.exclamations") == ["!!!"]
    assert spans("Great! See you!", "x", "tone.exclamations") == []


def test_emoji_are_counted_as_people_see_them() -> None:
    """A flag, a family and a thumbs-up with skin tone are one emoji each; extras past the limit are flagged."""
    family = "👨\u200d👩\u200d👧"
    text = f"Team day 🇬🇧 {family} 👍🏽 ☀️"
    assert [text[a:b] for a, b in text_measures.emoji(text)] == ["🇬🇧", family, "👍🏽", "☀️"]
    assert spans(text, "x", "tone.emoji") == ["👍🏽", "☀️"]
    assert spans("Caf\u00e9 ✔ done", "x", "tone.emoji") == []


def test_hashtags_over_the_limit_and_what_is_not_a_hashtag() -> None:
    """It flags the hashtags past the channel's limit; #1, #CS-482913 and URL fragments are not hashtags."""
    assert spans("Spring #garden #spring #outdoors #sun", "x", "tone.hashtags") == ["#outdoors", "#sun"]
    assert spans("We are #1 again, see case #CS-482913 and https://a.example/#top", "x", "tone.hashtags") == []
    assert spans("#urgent check the rota", "team_chat", "tone.hashtags") == ["#urgent"]


def test_care_replies_speak_as_we() -> None:
    """ "Brightwater is sorry" in a care reply is flagged with a suggestion to say "we"."""
    text = "@kev_92 Brightwater is sorry about the mix-up. ^RC"
    [finding] = [f for f in check(text, "customer_care_reply").findings if f.rule_id == "tone.first_person_plural"]
    assert text[finding.start : finding.end] == "Brightwater is" and '"we"' in finding.suggestion
    assert "tone.first_person_plural" not in rules("Brightwater is hiring in Leeds.", "linkedin")


def test_shortened_and_tracking_links_follow_the_channel_policy() -> None:
    """bit.ly is blocking in care replies and a warning elsewhere; utm_ tracking is allowed in team chat."""
    care = "@sam_k Details: bit.ly/bw-help ^JM"
    [short] = [f for f in check(care, "customer_care_reply").findings if f.rule_id == "links.shortened"]
    assert short.severity == "blocking" and care[short.start : short.end] == "bit.ly/bw-help"
    assert spans("See https://t.co/abc123.", "x", "links.shortened") == ["https://t.co/abc123"]
    tracked = "Report: https://brightwater.example/stock?utm_source=connect&x=1"
    assert spans(tracked, "internal_network", "links.tracking") == [tracked[8:]]
    assert spans(tracked, "team_chat", "links.tracking") == []
    assert spans("https://example.com/a?fbclid=XYZ", "email", "links.tracking") == ["https://example.com/a?fbclid=XYZ"]
    assert spans("Our site brightwater.example/shop has it", "email", "links.shortened") == []


# -- score and report --------------------------------------------------------------------------


def test_score_counts_each_rule_once_by_its_worst_severity() -> None:
    """Three uses of one advice rule cost 4 points once; a blocking finding costs 40; never below 0."""
    weights = {"blocking": 40, "warning": 10, "advice": 4}

    def f(rule: str, severity: str) -> Finding:
        return Finding(rule, severity, 0, 1, "m", "s")  # type: ignore[arg-type]

    assert score([f("words.a", "advice")] * 3, weights) == 96
    assert score([f("words.a", "advice"), f("words.a", "blocking")], weights) == 60
    assert score([f(f"r{i}", "blocking") for i in range(5)], weights) == 0
    assert score([], weights) == 100


def test_weights_come_from_the_yaml(policy_copy: Path) -> None:
    """Changing the advice weight in brand_voice.yaml changes the score of an advice-only draft."""
    edit_yaml(policy_copy / "brand_voice.yaml", lambda d: d["scoring"].update(advice=25))
    report = VoiceChecker.from_policies(load_policies(policy_copy)).check("Leverage it.", "internal_network")
    assert report.score == 75


def test_passes_needs_no_blocking_and_the_channel_pass_mark() -> None:
    """A draft passes with nothing blocking and a score at or above the channel's pass mark."""
    clean = check("@sam_k Sorry your parcel is late, we will sort it today. ^JM", "customer_care_reply")
    assert clean.passes and clean.score == 100 and clean.pass_score == 80
    warned = check("@sam_k SORRY!! We apologise for any inconvenience. ^JM", "customer_care_reply")
    assert not warned.blocking and warned.score == 70 and not warned.passes
    blocked = check("@sam_k Call us on 07700 900123. ^JM", "customer_care_reply")
    assert blocked.blocking and not blocked.passes


def test_report_serialises_and_masks_sensitive_excerpts() -> None:
    """to_dict is JSON-ready, and a sensitive excerpt hides the middle of the value."""
    report = check("Card 4111 1111 1111 1111 please", "team_chat")
    data = json.loads(json.dumps(report.to_dict()))
    [finding] = data["findings"]
    assert finding["rule_id"] == "sensitive.payment_card" and finding["excerpt"] == "4111•••••••••••1111"
    assert data["passes"] is False


def test_rule_ids_cover_every_rule_a_finding_can_carry() -> None:
    """rule_ids lists built-in, words.*, required.* and sensitive.* rules, so graders can explain any finding."""
    ids = rule_ids()
    assert {"length.characters", "words.cheap", "required.care_signoff", "sensitive.payment_card"} <= set(ids)


def test_sensitive_findings_are_part_of_the_check_unless_switched_off() -> None:
    """check() includes what must not be posted; sensitive=False gives the voice findings alone."""
    text = "Email tamsin.q@mailbox.example today"
    assert "sensitive.email" in check(text, "team_chat").rule_ids
    assert "sensitive.email" not in check(text, "team_chat", sensitive=False).rule_ids


# -- bad input ---------------------------------------------------------------------------------


def test_empty_text_is_a_blocking_finding_not_a_crash() -> None:
    """An empty or blank draft gets one clear finding and does not pass."""
    for text in ("", "   \n\t"):
        report = check(text, "x")
        assert [f.rule_id for f in report.findings] == ["length.empty"] and not report.passes


def test_bytes_are_decoded_and_bad_bytes_are_named() -> None:
    """UTF-8 bytes are checked as text; invalid UTF-8 and non-text are clear errors."""
    assert check("Caf\u00e9 open".encode(), "x").passes
    with pytest.raises(CheckInputError, match=r"not UTF-8 text \(byte 4 is 0xff\)"):
        check(b"Cafe\xff", "x")
    with pytest.raises(CheckInputError, match="should be text, but it is int"):
        check(42, "x")  # type: ignore[arg-type]


def test_text_over_the_limit_is_refused_with_a_reason() -> None:
    """Text longer than the checker reads at once is a clear error, not a long wait."""
    with pytest.raises(CheckInputError, match="split it into separate posts"):
        check("a" * (MAX_TEXT_CHARS + 1), "x")


@pytest.mark.timeout(30)
def test_a_megabyte_of_ordinary_text_gets_a_correct_result() -> None:
    """A 1 MB draft is checked in full: every phone number in it is found."""
    text = ("Call me on 07700 900123 about the order, thanks. " * 21_000)[:1_000_000]
    report = check(text, "internal_network")
    assert report.rule_ids >= {"length.characters", "sensitive.phone"}
    assert sum(f.rule_id == "sensitive.phone" for f in report.findings) == text.count("07700 900123")


# 60,000 characters is ample: a pattern that backtracks badly takes minutes on inputs far shorter.
N = 60_000
ADVERSARIAL = [
    "a" * N, "0" * N, "1 " * (N // 2), "A" * N, "!" * N, "#" * N, "Aa " * (N // 3), "a." * (N // 2), "@" * N,
    "😀" * (N // 4), "1-" * (N // 2), "x" * (N - 1) + "@", "Ab " * (N // 3), "www." * (N // 4), "e\u0301" * (N // 2),
    "a@b." * (N // 4), "1 A" * (N // 3), "#a" * (N // 2), "http://" + "a" * N, "4111 " * (N // 5), "BW-" * (N // 3),
    "\u200d" * N, "? !" * (N // 3),
]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("text", ADVERSARIAL, ids=lambda t: repr(t[:8]))
def test_adversarial_input_finishes_quickly(text: str) -> None:
    """Inputs built to trigger catastrophic backtracking are checked in linear time on every channel."""
    for channel in ("x", "customer_care_reply"):
        report = check(text, channel)
        assert all(0 <= f.start <= f.end <= len(text) for f in report.findings)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400),
       st.sampled_from(["internal_network", "team_chat", "email", "linkedin", "x", "facebook",
                        "customer_care_reply"]))
def test_any_text_gets_a_well_formed_report(text: str, channel: str) -> None:
    """For any text, findings lie inside it, come in reading order, and the score stays in 0-100."""
    report = check(text, channel)
    assert 0 <= report.score <= 100
    assert all(0 <= f.start <= f.end <= len(text) for f in report.findings)
    assert list(report.findings) == sorted(report.findings, key=lambda f: (f.start, f.end))
    assert report == check(text, channel)


def test_lone_surrogates_do_not_crash() -> None:
    """Text with a lone surrogate (from a broken decoder) is still checked."""
    assert check("hi \udcff there", "x").score == 100


# -- bad policies ------------------------------------------------------------------------------


def test_bad_regex_in_the_guide_names_file_and_key(policy_copy: Path) -> None:
    """An invalid pattern is reported on load with the file and the key where it sits."""
    edit_yaml(policy_copy / "brand_voice.yaml",
              lambda d: d["required"][1]["present"].update(patterns=["@(\\w{1,30}"]))
    with pytest.raises(PolicyError) as info:
        _ = load_policies(policy_copy).brand_voice
    assert info.value.key == "required[1].present.patterns[0]"
    assert "not a valid regular expression" in str(info.value) and "brand_voice.yaml" in str(info.value)


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [("(\\w+\\s?)*", "quantifier inside a repeated group"), ("@\\w+", "unlimited length"),
     ("(ab|cd){3}", "alternatives"), ("(a)\\1", "back-references"), ("a{0,50}a{0,50}b", "too many optional"),
     ("x?", "empty text")],
)
def test_slow_patterns_are_refused_on_load(policy_copy: Path, pattern: str, reason: str) -> None:
    """A pattern that could backtrack badly is refused with the reason, before it can hang a check."""
    edit_yaml(policy_copy / "brand_voice.yaml", lambda d: d["required"][1]["present"].update(patterns=[pattern]))
    with pytest.raises(PolicyError, match=reason):
        _ = load_policies(policy_copy).brand_voice


def test_a_rule_naming_a_missing_channel_is_refused(policy_copy: Path) -> None:
    """An avoid rule that lists a channel the guide does not define is an error naming both."""
    edit_yaml(policy_copy / "brand_voice.yaml", lambda d: d["avoid"][0].update(channels=["tiktok"]))
    with pytest.raises(PolicyError, match="avoid rule 'jargon_leverage' lists channel 'tiktok'"):
        _ = load_policies(policy_copy).brand_voice


def test_another_company_can_rename_channels(policy_copy: Path) -> None:
    """Channel ids are the guide's own: a renamed channel is checked, and the old id is unknown."""
    def rename(d: dict) -> None:
        d["channels"][4]["id"] = "bluesky"
        for section in ("avoid", "required"):
            for rule in d[section]:
                if rule.get("channels"):
                    rule["channels"] = ["bluesky" if c == "x" else c for c in rule["channels"]]

    edit_yaml(policy_copy / "brand_voice.yaml", rename)
    policies = load_policies(policy_copy)
    assert "bluesky" in channel_ids(policies)
    assert check("WE ARE OPEN", "bluesky", policies=policies).rule_ids == {"tone.shouting"}
    with pytest.raises(UnknownChannelError):
        check("Hi", "x", policies=policies)
