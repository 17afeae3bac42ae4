"""course.answers: format checks speak plainly; `same` compares type and value, not the learner's objects."""

from __future__ import annotations

import pytest

from course.answers import AnswerFormatError, NotAnsweredError, check_answer, same


def test_placeholder_means_not_answered() -> None:
    """It tells the learner to replace the dots while the placeholder is still there."""
    with pytest.raises(NotAnsweredError, match=r"replace the \.\.\. with your answer"):
        check_answer("draft_1_audience", ..., kind="audience")


def test_right_form_is_confirmed_without_saying_if_right(capsys: pytest.CaptureFixture[str]) -> None:
    """A well-formed answer is confirmed as well-formed; the message does not reveal correctness."""
    check_answer("draft_1_audience", "public", kind="audience")
    out = capsys.readouterr().out
    assert "right form" in out and "marked when you submit" in out


def test_misspelt_choice_gets_a_suggestion() -> None:
    """A near miss names the allowed values and suggests the closest."""
    with pytest.raises(AnswerFormatError) as info:
        check_answer("draft_1_audience", "my team", kind="audience")
    assert 'Did you mean "my_team"?' in str(info.value)
    assert '"only_me"' in str(info.value)


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (["share_location"], "curly brackets"),
        ({}, "empty dictionary"),
        ("share_location", "set of setting ids"),
        ({"share_locaton"}, 'Did you mean "share_location"'),
    ],
)
def test_set_answers_explain_the_form(value: object, fragment: str) -> None:
    with pytest.raises(AnswerFormatError, match=fragment):
        check_answer("settings", value, kind="setting_set")


def test_yes_no_and_numbers() -> None:
    check_answer("q", True, kind="yes_no")
    with pytest.raises(AnswerFormatError, match="without quotes"):
        check_answer("q", "True", kind="yes_no")
    check_answer("n", 3, kind="number")
    with pytest.raises(AnswerFormatError, match="without quotes"):
        check_answer("n", "3", kind="number")


def test_choice_kinds_need_choices() -> None:
    check_answer("pick", "b", kind="choice", choices=["a", "b"])
    with pytest.raises(AnswerFormatError):
        check_answer("pick", "c", kind="choice", choices=["a", "b"])
    with pytest.raises(ValueError, match="needs choices"):
        check_answer("pick", "a", kind="choice")
    with pytest.raises(ValueError, match="unknown answer kind"):
        check_answer("pick", "a", kind="colour")


def test_error_renders_as_one_plain_line() -> None:
    """In IPython the learner sees one sentence, not a traceback."""
    error = AnswerFormatError("`q` is wrong.")
    assert error._render_traceback_() == ["✘ `q` is wrong."]


class _Cheat(str):
    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = str.__hash__


class _Anything:
    def __eq__(self, other: object) -> bool:
        return True


@pytest.mark.parametrize(
    ("answer", "expected", "result"),
    [
        ("phone", "phone", True),
        ("email", "phone", False),
        (_Cheat("email"), "phone", False),
        (_Anything(), "phone", False),
        ({"a", "b"}, {"b", "a"}, True),
        ({"a", _Cheat("z")}, {"a", "b"}, False),
        ([1, 2], [1, 2], True),
        ((1, 2), [1, 2], False),
        (True, 1, False),
        (1, 1.0, False),
        ({"k": "v"}, {"k": "v"}, True),
        ({"k": _Cheat("x")}, {"k": "v"}, False),
    ],
)
def test_same_compares_type_and_value(answer: object, expected: object, result: bool) -> None:
    """An object that claims to equal everything does not pass."""
    assert same(answer, expected) is result
