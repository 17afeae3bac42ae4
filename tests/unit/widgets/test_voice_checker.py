"""voice_checker: the findings, score and highlighted preview follow the learner's typing and channel."""

from __future__ import annotations

import html
import re

import pytest

from course.voice import UnknownChannelError
from course.widgets import voice_checker
from course.widgets.controls import LiveRegion
from course.widgets.voice import render_preview


def marked(preview: str) -> list[str]:
    """The text inside each <mark> of a rendered preview, unescaped."""
    return [html.unescape(re.sub(r"<sup>.*?</sup>", "", m)) for m in re.findall(r"<mark[^>]*>(.*?)</mark>", preview)]


def test_findings_update_as_the_text_changes() -> None:
    """Setting the text area's value re-checks the draft and redraws summary, preview and list."""
    panel = voice_checker("x")
    assert "Type a draft" in panel.summary.value and panel.report is None
    panel.draft.value = "WE ARE OPEN!!! Shop now"
    assert panel.report is not None and {"tone.shouting", "tone.exclamations"} <= panel.report.rule_ids
    assert marked(panel.preview.value) == ["WE ARE OPEN", "!!!", "Shop now"]
    assert "tone.shouting" in panel.findings.value
    panel.draft.value = "We're open late on Friday."
    assert panel.report.passes and marked(panel.preview.value) == []
    assert "✔ Passes" in panel.summary.value and "No findings" in panel.findings.value


def test_text_area_sends_every_keystroke_and_is_labelled() -> None:
    """The text area updates continuously and every control has a visible label."""
    panel = voice_checker("linkedin")
    assert panel.draft.continuous_update is True
    assert panel.draft.description == "Your draft:" and panel.channel.description == "Channel:"


def test_preview_escapes_html() -> None:
    """Markup typed by the learner is shown as text, never run or rendered."""
    panel = voice_checker("team_chat", value='<script>alert("x")</script> CALL NOW')
    assert "<script>" not in panel.preview.value and "&lt;script&gt;" in panel.preview.value
    assert "<script>" not in panel.findings.value


def test_severity_is_told_in_words_and_symbols() -> None:
    """Each finding says "Must fix", "Should fix" or "Tip" with a symbol, not only a colour."""
    panel = voice_checker("customer_care_reply", value="Sorry!! Call 07700 900123, we will leverage it")
    listing = panel.findings.value
    assert "⛔ Must fix" in listing and "⚠ Should fix" in listing and "ℹ Tip" in listing
    assert isinstance(panel.summary, LiveRegion) and "does not pass" in panel.summary.value.lower()


def test_missing_elements_are_shown_where_they_belong() -> None:
    """A missing @handle and sign-off appear as numbered carets at the start and the end."""
    panel = voice_checker("customer_care_reply", value="Sorry about that.")
    preview = panel.preview.value
    assert preview.index("something is missing here, see 1") < preview.index("Sorry")
    assert preview.index("something is missing here, see 2") > preview.index("that.")


def test_changing_the_channel_rechecks_the_draft() -> None:
    """The same draft is judged by the newly chosen channel's norms."""
    panel = voice_checker("team_chat", value="Great!! See you there")
    assert panel.report.passes
    panel.channel.value = "x"
    assert "tone.exclamations" in panel.report.rule_ids and "X (formerly Twitter)" in panel.summary.value
    assert "280 characters" in panel.guide.value


def test_overlapping_findings_share_one_mark() -> None:
    """Where two findings cover the same text, it is marked once and both numbers are given."""
    text = "Confidential"
    from course.voice import Finding

    findings = [Finding("sensitive.confidential_marker", "blocking", 0, 12, "m", "s"),
                Finding("tone.shouting", "warning", 0, 12, "m", "s")]
    preview = render_preview(text, findings)
    assert preview.count("<mark") == 1 and 'title="1: sensitive.confidential_marker; 2: tone.shouting"' in preview
    assert preview.endswith("<sup>[1]</sup><sup>[2]</sup>")


def test_unknown_channel_is_a_clear_error() -> None:
    """Asking for a channel the guide does not have names the ones it has."""
    with pytest.raises(UnknownChannelError, match="customer_care_reply"):
        voice_checker("tiktok")
