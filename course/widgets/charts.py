"""Charts that screen readers can read: a matplotlib figure shown as an image with alt text, a caption
and the numbers it draws as a table.

JupyterLab shows a figure's ``image/png`` as an ``<img>`` without ``alt``; :func:`described` gives the
figure an HTML form too (which JupyterLab prefers): ``<figure>`` with the PNG, its ``alt`` text saying
what the chart shows, a caption, and a disclosure with the data table. The figure object stays a
matplotlib ``Figure``.
"""

from __future__ import annotations

import base64
import html
import io
from typing import Any

from course.widgets._a11y import table_html


def _number(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:,.4g}" if isinstance(value, float) else str(value)


def chart_html(png: bytes, *, title: str, alt: str, caption: str, headers: list[str],
               rows: list[list[str]]) -> str:
    """The figure element: the PNG with its alt text, a caption, and the numbers as a table."""
    data = base64.b64encode(png).decode("ascii")
    table = table_html(title, headers, rows)
    return (f"<figure style='margin:6px 0'><img src='data:image/png;base64,{data}' alt='{html.escape(alt, quote=True)}'"
            f" style='max-width:100%;height:auto'><figcaption>{html.escape(caption)}</figcaption>"
            f"<details><summary>{html.escape(title)}: the numbers as a table</summary>{table}</details></figure>")


def described(fig: Any, counts: Any, *, title: str, xlabel: str, ylabel: str) -> Any:
    """``fig`` (a bar chart of the Series ``counts``), displayed with alt text and a data table."""
    ordered = counts.sort_values(ascending=False)
    pairs = [(str(label), _number(value.item() if hasattr(value, "item") else value))
             for label, value in ordered.items()]
    alt = (f"Bar chart: {title}. {xlabel}, per {ylabel.lower()}, largest first: "
           + "; ".join(f"{label} {value}" for label, value in pairs) + ".")
    rows = [[html.escape(label), html.escape(value)] for label, value in pairs]

    def _repr_html_() -> str:
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=100)
        return chart_html(buffer.getvalue(), title=title, alt=alt, caption=title,
                          headers=[ylabel, xlabel], rows=rows)

    fig._repr_html_ = _repr_html_
    fig.alt_text = alt
    return fig
