"""``voice_checker``: type a draft, see at once which brand-voice rules it breaks, highlighted in place.

The findings come from :mod:`course.voice` (the company's brand-voice guide and sensitive-content
policy), so the widget shows exactly what ``course check`` and module 04's autograder see.
"""

from __future__ import annotations

import html

import ipywidgets as w

from course.policy import PolicySet
from course.privacy import default_policies
from course.voice import Finding, Report, VoiceChecker, checker_for
from course.widgets._a11y import heading
from course.widgets.controls import LiveRegion

#: How each severity is shown: a symbol and words, so colour is never the only signal.
LABELS = {"blocking": ("⛔", "Must fix"), "warning": ("⚠", "Should fix"), "advice": ("ℹ", "Tip")}
_COLOURS = {"blocking": ("#ffd6d6", "#8a1c1c"), "warning": ("#fff0c2", "#6b4e00"), "advice": ("#dcecff", "#1f3f73")}
_RANK = {"blocking": 0, "warning": 1, "advice": 2}
#: Findings listed in full; past this the list says how many more there are.
MAX_LISTED = 50


def render_preview(text: str, findings: tuple[Finding, ...] | list[Finding]) -> str:
    """The draft as HTML with each finding's span in a ``<mark>`` and its number after it.

    Text is escaped; overlapping findings share a mark (coloured by the most serious); a
    missing element (``start == end``) is shown as a numbered caret where it belongs.
    """
    numbered = [(i, f) for i, f in enumerate(findings[:MAX_LISTED], start=1)]
    cuts = {0, len(text)}
    for _, f in numbered:
        cuts.update((f.start, f.end))
    points = sorted(cuts)
    inserts: dict[int, list[int]] = {}
    ends: dict[int, list[int]] = {}
    for i, f in numbered:
        if f.start == f.end:
            inserts.setdefault(f.start, []).append(i)
        else:
            ends.setdefault(f.end, []).append(i)
    spans = [(f.start, f.end, i, f) for i, f in numbered if f.start < f.end]
    out: list[str] = []
    for a, b in zip(points, [*points[1:], None], strict=False):
        for i in ends.get(a, []):
            out.append(f"<sup>[{i}]</sup>")
        for i in inserts.get(a, []):
            out.append(f'<mark aria-label="something is missing here, see {i}" '
                       f'style="background:#eee;border:1px dashed #555">⁁<sup>{i}</sup></mark>')
        if b is None or a == b:
            continue
        covering = [(i, f) for s, e, i, f in spans if s <= a and e >= b]
        segment = html.escape(text[a:b])
        if covering:
            worst = min(covering, key=lambda c: _RANK[c[1].severity])[1].severity
            background, ink = _COLOURS[worst]
            titles = "; ".join(f"{i}: {f.rule_id}" for i, f in covering)
            out.append(f'<mark title="{html.escape(titles)}" style="background:{background};color:{ink};'
                       f'border-bottom:2px solid {ink}">{segment}</mark>')
        else:
            out.append(segment)
    return "".join(out)


def render_findings(report: Report) -> str:
    """The numbered list of findings: symbol and words for the severity, message and suggestion."""
    if not report.findings:
        return "<p>✔ No findings: this draft follows the guide for this channel.</p>"
    items = []
    for i, f in enumerate(report.findings[:MAX_LISTED], start=1):
        symbol, words = LABELS[f.severity]
        quoted = f.excerpt(report.text, limit=50)
        where = f" “{html.escape(quoted)}”" if quoted else ""
        items.append(
            f"<li value=\"{i}\"><strong>{symbol} {words}</strong> <code>{html.escape(f.rule_id)}</code>{where}<br>"
            f"{html.escape(f.message)}<br><em>Try:</em> {html.escape(f.suggestion)}</li>"
        )
    more = len(report.findings) - MAX_LISTED
    tail = f"<p>… and {more} more findings.</p>" if more > 0 else ""
    return f"<ol>{''.join(items)}</ol>{tail}"


def render_summary(report: Report, channel_name: str) -> str:
    """One sentence for screen readers and eyes alike: the score, the verdict, the counts."""
    counts = ", ".join(f"{report.count(s)} {LABELS[s][1].lower()}" for s in ("blocking", "warning", "advice"))
    verdict = "✔ Passes" if report.passes else "✘ Does not pass yet"
    return (
        f'<div><strong>{verdict}</strong> on {html.escape(channel_name)}: '
        f"score {report.score} out of 100 (pass mark {report.pass_score}). {counts}.</div>"
    )


class VoiceCheckerPanel(w.VBox):
    """A labelled text area whose findings, score and highlighted preview update as the learner types."""

    def __init__(self, checker: VoiceChecker, channel: str, *, value: str = "", rows: int = 6) -> None:
        self.checker = checker
        checker.channel(channel)  # an unknown channel fails here, with the list of known ones
        self.channel = w.Dropdown(
            options=[(c.name, c.id) for c in checker.policy.channels], value=channel,
            description="Channel:", style={"description_width": "initial"},
        )
        self.guide = w.HTML()
        self.draft = w.Textarea(
            value=value, description="Your draft:", continuous_update=True,
            placeholder="Type or paste your post here; the findings update as you type.",
            rows=rows, layout=w.Layout(width="100%"), style={"description_width": "initial"},
        )
        self.summary = LiveRegion()
        self.preview = w.HTML()
        self.findings = w.HTML()
        self.report: Report | None = None
        self.draft.observe(self._changed, names="value")
        self.channel.observe(self._changed, names="value")
        super().__init__([
            heading("Brand-voice checker"), self.channel, self.guide, self.draft, self.summary,
            w.HTML("<strong>Your draft, with what to look at highlighted:</strong>"), self.preview,
            w.HTML("<strong>Findings:</strong>"), self.findings,
        ])
        self.refresh()

    def _changed(self, _change: object) -> None:
        self.refresh()

    def refresh(self) -> None:
        """Check the draft again and redraw; called on every change of the text or the channel."""
        ch = self.checker.channel(self.channel.value)
        self.guide.value = f"<p><em>{html.escape(ch.guide)}</em></p>"
        text = self.draft.value
        if not text.strip():
            self.report = None
            self.summary.value = '<div>ℹ Type a draft to check it.</div>'
            self.preview.value = ""
            self.findings.value = ""
            return
        report = self.checker.check(text, ch.id)
        self.report = report
        self.summary.value = render_summary(report, ch.name)
        self.preview.value = (
            '<div style="white-space:pre-wrap;border:1px solid #bbb;padding:6px;font-family:inherit">'
            f"{render_preview(text, report.findings)}</div>"
        )
        self.findings.value = render_findings(report)


def voice_checker(channel: str = "x", *, value: str = "", policies: PolicySet | None = None) -> VoiceCheckerPanel:
    """A live brand-voice checker for ``channel`` (one of :func:`course.voice.channel_ids`)."""
    return VoiceCheckerPanel(checker_for(policies or default_policies()), channel, value=value)
