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


def test_channel_accepts_policy_ids(capsys: pytest.CaptureFixture[str]) -> None:
    """A channel id from channels.yaml is in the right form."""
    check_answer("scenario_3_channel", "direct_message", kind="channel")
    assert "right form (a channel id)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("direct message", 'Did you mean "direct_message"'),
        ("DM", '"internal_network"'),
        ({"phone"}, 'should be a channel id in quotes, like "email"'),
    ],
)
def test_channel_format_problems_are_explained(value: object, fragment: str) -> None:
    """A label instead of an id gets a suggestion; a set instead of one id is explained."""
    with pytest.raises(AnswerFormatError) as info:
        check_answer("scenario_3_channel", value, kind="channel")
    assert fragment in str(info.value)


def test_practice_options_from_channels() -> None:
    """Practice items may take their options from the channel policy, labelled with each channel's name."""
    from course.policy import load_policies
    from course.practice import PracticeItem, options_for

    policies = load_policies()
    item = PracticeItem(id="demo", prompt="Which channel?", options_from="channels", answer="phone",
                        explanation="Because.")
    options = options_for(item, policies)
    assert [o.value for o in options] == policies.channels.channel_ids
    assert options[0].label == policies.channels.channels[0].name
