"""Module 00 (start here): whose policies the course follows, and who to ask, from the policy files.

``course_welcome()`` is the first thing a learner runs: it proves the notebook works and shows
the company's name and contact from ``data/policies/privacy.yaml``, so nothing about the company
is typed into the notebook.
"""

from __future__ import annotations

import html

from IPython.display import HTML

from course.policy import PolicySet, load_policies
from course.widgets._a11y import OK


def welcome_html(policies: PolicySet) -> str:
    """The welcome box: a confirmation that the cell ran, the company's name and who to ask."""
    privacy = policies.privacy
    company = html.escape(privacy.company)
    return (
        '<section aria-label="Welcome" style="border:1px solid #999;border-radius:6px;padding:6px 14px;'
        'margin:6px 0;max-width:52em">'
        f"<p><strong>{OK} It works:</strong> you have just run your first cell.</p>"
        f"<p>Welcome to <em>Social Media at Work</em> at <strong>{company}</strong>. Everything this course "
        f"says about the rules comes from the policies of {company} (privacy policy version "
        f"{html.escape(privacy.version)}).</p>"
        f"<p>Questions about the rules, or not sure whether something is all right to post? Ask "
        f"{html.escape(privacy.contact)}.</p>"
        "</section>"
    )


def course_welcome(*, policies: PolicySet | None = None) -> HTML:
    """The welcome box for the company's policies (default: :func:`course.policy.load_policies`)."""
    return HTML(welcome_html(policies or load_policies()))
