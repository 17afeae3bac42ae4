"""Module 06 (cases and numbers): the case explorer, and one case shown as a card.

``case_explorer()`` filters the team's case library by tag, channel and keyword and shows the
matching cases with their lessons. ``show_case("C005")`` shows one case.
"""

from __future__ import annotations

import html

import ipywidgets as w
import pandas as pd
from IPython.display import HTML

from course.cases import load_cases, search_cases, tags_of
from course.widgets._a11y import INFO, button, heading
from course.widgets.controls import LiveRegion

_CARD = "border:1px solid #999;border-radius:6px;padding:6px 14px;margin:6px 0;max-width:52em"
ANY = "(any)"


def case_html(case: pd.Series) -> str:
    """One case as a card: what happened, what was done, the outcome, and the lesson in bold."""
    tags = ", ".join(t for t in str(case["tags"]).split(";") if t)
    title = f"Case {case['case_id']}"
    return (
        f'<section aria-label="{html.escape(title)}" style="{_CARD}">'
        f"<h3 style='margin:6px 0'>📁 {html.escape(title)} · {case['date']:%d %b %Y} · "
        f"{html.escape(str(case['department']))}</h3>"
        f"<p><small>Channel: <code>{html.escape(str(case['channel']))}</code> · Platform: "
        f"<code>{html.escape(str(case['platform']))}</code> · Tags: {html.escape(tags)}</small></p>"
        f"<p><strong>What happened:</strong> {html.escape(str(case['situation']))}</p>"
        f"<p><strong>What was done:</strong> {html.escape(str(case['action']))}</p>"
        f"<p><strong>Outcome:</strong> {html.escape(str(case['outcome']))}</p>"
        f"<p>💡 <strong>Lesson: {html.escape(str(case['lesson']))}</strong></p>"
        "</section>"
    )


def show_case(case_id: str, *, cases: pd.DataFrame | None = None) -> HTML:
    """The case ``case_id`` of the library as a card."""
    cases = cases if cases is not None else load_cases()
    match = cases[cases["case_id"] == case_id]
    if match.empty:
        raise KeyError(f"no case called {case_id!r} in the case library")
    return HTML(case_html(match.iloc[0]))


class CaseExplorer(w.VBox):
    """Filter the case library by tag, channel and keyword; read the matching cases and their lessons."""

    def __init__(self, cases: pd.DataFrame, *, limit: int = 20) -> None:
        self.cases = cases
        self.limit = limit
        wide = {"description_width": "initial"}
        self.tag = w.Dropdown(options=[ANY, *tags_of(cases)], value=ANY, description="Tag:", style=wide)
        self.channel = w.Dropdown(options=[ANY, *sorted(set(cases["channel"]))], value=ANY,
                                  description="Channel:", style=wide)
        self.keyword = w.Text(description="Word or phrase:", placeholder="e.g. photo", style=wide,
                              continuous_update=False, layout=w.Layout(width="24em"))
        self.search_button = button("Show matching cases", icon="search")
        self.clear_button = button("Clear the filters", icon="times")
        self.summary = LiveRegion()
        self.results = w.HTML()
        self.search_button.on_click(lambda _: self.search())
        self.clear_button.on_click(lambda _: self.clear())
        for control in (self.tag, self.channel, self.keyword):
            control.observe(lambda _: self.search(), names="value")
        super().__init__([
            heading("Explore the case library"),
            w.HTML("<p>Choose a tag, a channel, or type a word, then press <strong>Show matching cases"
                   "</strong>. Leave a filter on “(any)” or empty to not use it.</p>"),
            w.HBox([self.tag, self.channel]), self.keyword,
            w.HBox([self.search_button, self.clear_button]),
            self.summary, self.results,
        ])
        self.search()

    @property
    def matches(self) -> pd.DataFrame:
        return search_cases(self.cases, tag=None if self.tag.value == ANY else self.tag.value,
                            channel=None if self.channel.value == ANY else self.channel.value,
                            keyword=self.keyword.value)

    def search(self) -> None:
        found = self.matches
        n = len(found)
        filters = [f"tag “{self.tag.value}”" if self.tag.value != ANY else "",
                   f"channel “{self.channel.value}”" if self.channel.value != ANY else "",
                   f"the words “{self.keyword.value.strip()}”" if self.keyword.value.strip() else ""]
        described = " and ".join(f for f in filters if f)
        noun = "case matches" if n == 1 else "cases match"
        message = (f"{INFO} {n} {noun} {html.escape(described)} (of {len(self.cases)} in the library)."
                   if described else f"{INFO} No filter chosen: all {n} cases in the library.")
        if n > self.limit:
            message += f" Showing the newest {self.limit}: add a filter to narrow it down."
        self.summary.value = f'<p><strong>{message}</strong></p>'
        shown = found.sort_values("date", ascending=False).head(self.limit)
        self.results.value = "".join(case_html(row) for _, row in shown.iterrows()) or (
            "<p>No case matches. Try fewer filters, or a shorter word.</p>")

    def clear(self) -> None:
        self.tag.value = ANY
        self.channel.value = ANY
        self.keyword.value = ""
        self.search()


def case_explorer(*, cases: pd.DataFrame | None = None) -> CaseExplorer:
    """The case explorer over the course's case library (or ``cases``)."""
    return CaseExplorer(cases if cases is not None else load_cases())
