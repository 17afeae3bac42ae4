"""Small helpers shared by the widgets: accessible feedback boxes and labels."""

from __future__ import annotations

import html

import ipywidgets as w

OK, NO, INFO = "✔", "✘", "ℹ"


def feedback_html(message: str, *, correct: bool | None) -> str:
    """Feedback as an ARIA live region: a symbol and words carry the meaning, colour only helps."""
    symbol, tone = {True: (OK, "#1b5e20"), False: (NO, "#8a1c1c"), None: (INFO, "#333")}[correct]
    word = {True: "Correct", False: "Not yet", None: "Note"}[correct]
    return (
        f'<div role="status" aria-live="polite" style="border-left:4px solid {tone};padding:4px 10px;'
        f'margin:4px 0;color:{tone}"><strong>{symbol} {word}:</strong> {html.escape(message)}</div>'
    )


def heading(text: str, level: int = 4) -> w.HTML:
    return w.HTML(f"<h{level} style='margin:6px 0'>{html.escape(text)}</h{level}>")


def button(label: str, *, icon: str = "", tooltip: str | None = None) -> w.Button:
    """A button whose visible text is its accessible name (ipywidgets renders a native <button>)."""
    return w.Button(description=label, icon=icon, tooltip=tooltip or label, layout=w.Layout(width="auto"))
