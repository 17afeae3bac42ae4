"""Answer kinds for modules 01 and 03: value categories and channels come from the company's policy."""

from __future__ import annotations

import pytest

from course.answers import AnswerFormatError, check_answer


def test_value_category_accepts_policy_ids(capsys: pytest.CaptureFixture[str]) -> None:
    """A category id from value.yaml is in the right form; the message does not say whether it is right."""
    check_answer("feed_1_value", "expert_found", kind="value_category")
    assert "right form (a value category id)" in capsys.readouterr().out


def test_value_category_suggests_the_closest() -> None:
    """A label typed instead of an id gets the id suggested."""
    with pytest.raises(AnswerFormatError, match='Did you mean "problem_prevented"'):
        check_answer("feed_1_value", "problem prevented", kind="value_category")
