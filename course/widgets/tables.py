"""Policy facts as HTML tables for the notebooks: ``policy_table("platforms")``, ``policy_about()``;
``scrollable_tables()`` for the pandas tables a notebook shows.

Notebooks never type a policy fact into markdown; they show it with one of these, so another
company's policy files change what learners read. Tables have a caption and header cells that
screen readers announce, and show each id the way a learner writes it in an answer.
"""

from __future__ import annotations

import html
from collections.abc import Callable

from IPython import get_ipython
from IPython.display import HTML

from course.policy import PolicySet, PrivacyPolicy, load_policies
from course.widgets._a11y import table_html

Row = list[str]  # cells already escaped


def _code(value: str) -> str:
    return f"<code>{html.escape(value)}</code>"


def _audience(privacy: PrivacyPolicy, audience_id: str) -> str:
    return f"{html.escape(privacy.audience(audience_id).label)} ({_code(audience_id)})"


def _audiences(p: PrivacyPolicy) -> tuple[str, list[str], list[Row]]:
    rows = [[html.escape(a.label), _code(a.id), html.escape(a.description)] for a in p.audiences]
    return ("Audiences, from the narrowest (fewest people) to the widest (anyone)",
            ["Audience", "Write it as", "Who can see the post"], rows)


def _platforms(p: PrivacyPolicy) -> tuple[str, list[str], list[Row]]:
    rows = []
    for platform in p.platforms:
        where = "Internal (staff only)" if platform.kind == "internal" else "Outside site"
        choices = "<br>".join(_audience(p, a) for a in platform.audiences)
        rows.append([html.escape(platform.name), _code(platform.id), where, choices,
                     f"<strong>{_audience(p, platform.default_audience)}</strong>", html.escape(platform.notes)])
    return ("Platforms, the audiences each one offers, and its default (where a new post goes unless you choose)",
            ["Platform", "Write it as", "Inside or outside", "Audiences you can choose", "Default audience",
             "Good to know"], rows)


def _profile_settings(p: PrivacyPolicy) -> tuple[str, list[str], list[Row]]:
    rows = [[html.escape(s.label), _code(s.id), "✔ Must be ON" if s.required else "✘ Must be OFF",
             html.escape(s.why)] for s in p.profile_settings]
    return ("Profile settings: what the policy requires on every profile you use for work",
            ["Setting", "Write it as", "The policy says", "Why"], rows)


def _information_kinds(p: PrivacyPolicy) -> tuple[str, list[str], list[Row]]:
    rows = [[html.escape(k.label), _code(k.id), f"<strong>{_audience(p, k.widest_audience)}</strong>",
             f"“{html.escape(k.example)}”"] for k in p.information_kinds]
    return ("Kinds of information and the widest audience each may reach (a narrower audience is always fine)",
            ["Kind of information", "Write it as", "Widest audience allowed", "Example"], rows)


def _never_post(p: PrivacyPolicy) -> tuple[str, list[str], list[Row]]:
    rows = [[html.escape(n.label), _code(n.id), "<br>".join(html.escape(e) for e in n.examples),
             html.escape(n.why)] for n in p.never_post]
    return ("Never post these: not on any platform, not to any audience",
            ["What", "Write it as", "For example", "Why"], rows)


TABLES: dict[str, Callable[[PrivacyPolicy], tuple[str, list[str], list[Row]]]] = {
    "audiences": _audiences,
    "platforms": _platforms,
    "profile_settings": _profile_settings,
    "information_kinds": _information_kinds,
    "never_post": _never_post,
}



def policy_table(name: str, *, policies: PolicySet | None = None) -> HTML:
    """One part of the privacy policy as a table: one of :data:`TABLES`' names."""
    try:
        build = TABLES[name]
    except KeyError:
        raise ValueError(f"no policy table called {name!r}; choose one of: {', '.join(TABLES)}") from None
    privacy = (policies or load_policies()).privacy
    return HTML(table_html(*build(privacy)))


def policy_about(*, policies: PolicySet | None = None) -> HTML:
    """Whose policy the course follows, its version, and who to ask when unsure."""
    privacy = (policies or load_policies()).privacy
    return HTML(
        f"<p>This course follows the privacy policy of <strong>{html.escape(privacy.company)}</strong> "
        f"(version {html.escape(privacy.version)}).</p>"
        f"<p>Not sure whether something is all right to post? Ask {html.escape(privacy.contact)} "
        "<em>before</em> you post.</p>"
    )


def dataframe_html(frame) -> str | None:  # frame: pandas.DataFrame
    """A DataFrame as pandas shows it, inside a scroll box that keyboard users can focus and scroll
    sideways (``tabindex=0``, a region named after the table's size); None when pandas would show no HTML."""
    inner = frame._repr_html_()
    if inner is None:
        return None
    rows, columns = frame.shape
    name = (f"Table of {rows:,} row{'s' * (rows != 1)} and {columns:,} column{'s' * (columns != 1)}; "
            "scroll sideways to see every column")
    return (f"<div role='region' tabindex='0' aria-label='{html.escape(name, quote=True)}' "
            f"style='overflow-x:auto;max-width:100%'>{inner}</div>")


def scrollable_tables() -> None:
    """From now on, every pandas table this notebook shows sits in a scroll box keyboard users can reach.

    A wide DataFrame makes JupyterLab's output scroll sideways, but that output cannot take the focus,
    so someone without a mouse cannot see its right-hand columns; this puts the table in a box that can
    (see :func:`dataframe_html`). Call it once in a notebook's first cell; outside IPython it does nothing.
    """
    import pandas as pd

    shell = get_ipython()
    if shell is None:
        return
    shell.display_formatter.formatters["text/html"].for_type(pd.DataFrame, dataframe_html)
