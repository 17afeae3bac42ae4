"""Answer kinds for module 04: brand-voice rule ids come from the company's guide and policies."""

from __future__ import annotations

import pytest

from course.answers import AnswerFormatError, check_answer
from course.voice import rule_ids


def test_voice_rule_accepts_every_rule_a_finding_can_carry(capsys: pytest.CaptureFixture[str]) -> None:
    """Built-in, words.*, required.* and sensitive.* ids are all in the right form."""
    for rule in ("tone.shouting", "words.cheap", "required.employment_disclosure", "sensitive.phone"):
        assert rule in rule_ids()
        check_answer("draft_1_rule", rule, kind="voice_rule")
    assert "right form (a brand-voice rule id)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("shouting", 'Did you mean "tone.shouting"'),
        ("Words.Cheap", 'Did you mean "words.cheap"'),
        ({"tone.shouting"}, "should be a brand-voice rule id in quotes"),
    ],
)
def test_voice_rule_format_problems_are_explained(value: object, fragment: str) -> None:
    with pytest.raises(AnswerFormatError) as info:
        check_answer("draft_1_rule", value, kind="voice_rule")
    assert fragment in str(info.value)


def test_voice_rule_set_wants_a_set_of_known_rule_ids(capsys: pytest.CaptureFixture[str]) -> None:
    check_answer("draft_2_words", {"words.asap", "words.formal_kindly"}, kind="voice_rule_set")
    assert "right form (a set of brand-voice rule ids)" in capsys.readouterr().out
    with pytest.raises(AnswerFormatError, match="curly brackets"):
        check_answer("draft_2_words", ["words.asap"], kind="voice_rule_set")
    with pytest.raises(AnswerFormatError, match=r'Did you mean "words\.asap"'):
        check_answer("draft_2_words", {"words.ASAP"}, kind="voice_rule_set")
