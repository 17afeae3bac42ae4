"""Small helpers shared by the widgets: accessible feedback boxes and labels."""

from __future__ import annotations

import html

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


def heading(text: str, level: int = 3) -> w.HTML:
    """A widget's heading: h3 under the notebook's h2 sections (h4 for its parts), so headings stay in order."""
    return w.HTML(f"<h{level} style='margin:6px 0'>{html.escape(text)}</h{level}>")


def button(label: str, *, icon: str = "", tooltip: str | None = None) -> w.Button:
    """A button whose visible text is its accessible name (ipywidgets renders a native <button>)."""
    return w.Button(description=label, icon=icon, tooltip=tooltip or label, layout=w.Layout(width="auto"))
