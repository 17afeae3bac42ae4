"""course.widgets.cases: the case explorer filters the library and shows lessons; a case shows as a card."""

from __future__ import annotations

import pytest

from course.cases import load_cases
from course.widgets.cases import ANY, case_explorer, show_case
from course.widgets.controls import LiveRegion


def test_explorer_starts_unfiltered_and_limits_what_it_shows() -> None:
    explorer = case_explorer()
    assert "No filter chosen" in explorer.summary.value
    assert explorer.results.value.count("<section") == explorer.limit


def test_filters_narrow_the_cases_and_clear_resets() -> None:
    """Choosing a tag and a keyword shows only matching cases, with their lessons; Clear shows them all again."""
    cases = load_cases()
    explorer = case_explorer(cases=cases)
    explorer.tag.value = "troll"
    expected = sum("troll" in t.split(";") for t in cases["tags"])
    assert f"{expected} cases match tag “troll”" in explorer.summary.value
    assert explorer.results.value.count("<section") == expected
    assert explorer.results.value.count("Lesson:") == expected
    explorer.keyword.value = "mascot"
    explorer.search_button.click()
    assert "1 case matches" in explorer.summary.value
    explorer.channel.value = "email"
    assert "0 cases match" in explorer.summary.value and "No case matches" in explorer.results.value
    explorer.clear_button.click()
    assert explorer.tag.value == ANY and explorer.keyword.value == ""
    assert "No filter chosen" in explorer.summary.value


def test_controls_are_labelled_and_feedback_is_a_live_region() -> None:
    explorer = case_explorer()
    assert explorer.tag.description and explorer.channel.description and explorer.keyword.description
    assert isinstance(explorer.summary, LiveRegion) and explorer.summary.value
    assert all(b.description for b in (explorer.search_button, explorer.clear_button))


def test_show_case() -> None:
    card = show_case("C005").data
    assert "Case C005" in card and "Lesson:" in card and 'aria-label="Case C005"' in card
    with pytest.raises(KeyError, match="C999"):
        show_case("C999")
