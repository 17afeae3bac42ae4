"""Small helpers shared by the widgets: accessible feedback boxes and labels."""

from __future__ import annotations

import html
from collections.abc import Sequence

import ipywidgets as w

OK, NO, INFO = "✔", "✘", "ℹ"


TONES = {True: "#1b7f3a", False: "#b3261e", None: "#6b7280"}


def verdict_html(words: str, message_html: str, *, tone: str, live: bool = False) -> str:
    """A verdict box: words and a symbol carry the meaning; the coloured bar only helps. The text keeps
    the theme's own colour, so it reads in the light, dark and high-contrast themes and in forced
    colours. Inside a :class:`~course.widgets.controls.LiveRegion` it needs no role of its own; shown
    once as a cell's output, ``live=True`` makes it a status region itself."""
    role = ' role="status" aria-live="polite"' if live else ""
    return (f'<div{role} style="border-left:4px solid {tone};padding:4px 10px;margin:4px 0">'
            f"<strong>{words}:</strong> {message_html}</div>")


def feedback_html(message: str, *, correct: bool | None, live: bool = False) -> str:
    """Feedback on an answer: ✔ Correct, ✘ Not yet or ℹ Note, then the message."""
    symbol = {True: OK, False: NO, None: INFO}[correct]
    word = {True: "Correct", False: "Not yet", None: "Note"}[correct]
    return verdict_html(f"{symbol} {word}", html.escape(message), tone=TONES[correct], live=live)


def table_html(caption: str, headers: list[str], rows: Sequence[Sequence[str]]) -> str:
    """An accessible table: a caption, column headers, and the first cell of each row as its header.
    Cells must already be escaped. It sits in a scroll box that keyboard users can focus and scroll
    (``tabindex=0``, named after the caption) if it is wider than the notebook, e.g. at 200 % zoom;
    its text wraps, so it rarely is."""
    cell = "white-space:normal;overflow-wrap:anywhere;text-align:left;vertical-align:top"
    head = "".join(f"<th scope='col' style='{cell}'>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + f"<th scope='row' style='{cell}'>{row[0]}</th>"
        + "".join(f"<td style='{cell}'>{c}</td>" for c in row[1:]) + "</tr>"
        for row in rows
    )
    return (f"<div role='region' tabindex='0' aria-label='{html.escape(caption, quote=True)}' style='overflow-x:auto'>"
            f"<table><caption style='text-align:left'><strong>{html.escape(caption)}</strong></caption>"
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>")


def heading(text: str, level: int = 3) -> w.HTML:
    """A widget's heading: h3 under the notebook's h2 sections (h4 for its parts), so headings stay in order."""
    return w.HTML(f"<h{level} style='margin:6px 0'>{html.escape(text)}</h{level}>")


def button(label: str, *, icon: str = "", tooltip: str | None = None) -> w.Button:
    """A button whose visible text is its accessible name (ipywidgets renders a native <button>)."""
    return w.Button(description=label, icon=icon, tooltip=tooltip or label, layout=w.Layout(width="auto"))
