"""Module 01 (value, not noise): the company's value guide as tables, from ``data/policies/value.yaml``.

``value_table()`` lists what an update can be worth to the business (and noise); ``doer_habits()`` the
habits of a post that tells people what to do; ``value_summary()`` the idea in a sentence or two.
"""

from __future__ import annotations

import html

from IPython.display import HTML

from course.policy import PolicySet, ValuePolicy, load_policies
from course.widgets._a11y import INFO, table_html


def value_table_html(value: ValuePolicy) -> str:
    rows = [
        [html.escape(c.label), f"<code>{html.escape(c.id)}</code>", html.escape(c.description),
         html.escape(c.worth), f"“{html.escape(c.example)}”"]
        for c in value.categories
    ]
    return table_html("What an update can be worth to the business",
                      ["Category", "Write it as", "How to recognise it", "What it is worth", "Example"], rows)


def doer_habits_html(value: ValuePolicy) -> str:
    rows = [[html.escape(h.label), html.escape(h.why), f"“{html.escape(h.example)}”"] for h in value.doer_habits]
    return table_html("What a doer post does (a reporter post only says what happened)",
                      ["A doer post ...", "Why it matters", "For example"], rows)


def value_table(*, policies: PolicySet | None = None) -> HTML:
    """The value categories of the company's guide, with the id to write in answers."""
    return HTML(value_table_html((policies or load_policies()).value))


def doer_habits(*, policies: PolicySet | None = None) -> HTML:
    """The habits of a doer post, with why each matters and an example."""
    return HTML(doer_habits_html((policies or load_policies()).value))


def value_summary(*, policies: PolicySet | None = None) -> HTML:
    """The guide's summary in a box, with the company's name."""
    policies = policies or load_policies()
    return HTML(
        '<div role="note" style="border-left:4px solid #555;padding:4px 12px;margin:6px 0;max-width:52em">'
        f"<p><strong>{INFO} In short, from the guide of {html.escape(policies.privacy.company)}:</strong> "
        f"{html.escape(policies.value.summary)}</p></div>"
    )
