"""Module 05 (norms and moderation): policy tables, comment cards, the listening summary and the
reply template panel.

``moderation_table("comment_categories")`` shows one part of the moderation policy;
``show_comment("comment_3")`` shows an incoming comment as a moderator sees it;
``listening_dashboard()`` shows the synthetic week of listening figures beside phone and email;
``reply_template_panel()`` lets a learner pick a response template, fill in its gaps and read the reply.
"""

from __future__ import annotations

import html
from collections.abc import Callable

import ipywidgets as w
from IPython.display import HTML

from course.moderation import fill, fill_template, format_minutes, load_moderation_scenarios, platform_name
from course.policy import ModerationPolicy, PolicySet, load_policies
from course.widgets._a11y import INFO, button, feedback_html, heading
from course.widgets._a11y import table_html as _table
from course.widgets.controls import LiveRegion

Row = list[str]  # cells already escaped


def _code(value: str) -> str:
    return f"<code>{html.escape(value)}</code>"



def _action(m: ModerationPolicy, action_id: str) -> str:
    return f"{html.escape(m.action(action_id).label)} ({_code(action_id)})"


def _site_norms(policies: PolicySet) -> tuple[str, list[str], list[Row]]:
    rows = [[html.escape(platform_name(n.platform, policies)), html.escape(n.tone), html.escape(n.pace),
             html.escape(n.removed)] for n in policies.moderation.site_norms]
    return ("What is normal on each site", ["Site", "Tone", "Pace", "What gets hidden or removed"], rows)


def _comment_categories(policies: PolicySet) -> tuple[str, list[str], list[Row]]:
    m = policies.moderation
    rows = []
    for c in m.comment_categories:
        signs = "<ul style='margin:0;padding-left:1.2em'>" + "".join(
            f"<li>{html.escape(s)}</li>" for s in c.signs) + "</ul>"
        path = "<br>".join(f"{i}. {html.escape(m.contact(x).name)} ({_code(x)})"
                           for i, x in enumerate(c.escalate_to, 1)) or "Nobody: you handle it"
        rows.append([html.escape(c.label), _code(c.id), signs, f"<strong>{_action(m, c.action)}</strong>",
                     path, html.escape(format_minutes(c.act_within_minutes)), html.escape(c.why)])
    return ("Kinds of comment: how to recognise each one, and what to do with it",
            ["Kind of comment", "Write it as", "How to recognise it", "What to do", "Pass it to, in this order",
             "Act within", "Why"], rows)


def _response_actions(policies: PolicySet) -> tuple[str, list[str], list[Row]]:
    rows = [[html.escape(a.label), _code(a.id), html.escape(a.what_to_do),
             "Yes: it disappears from public view" if a.removes_comment else "No: it stays"]
            for a in policies.moderation.response_actions]
    return ("What a moderator can do with a comment", ["Action", "Write it as", "What to do",
                                                       "Removes the comment?"], rows)


def _escalation_contacts(policies: PolicySet) -> tuple[str, list[str], list[Row]]:
    rows = [[html.escape(c.name), _code(c.id), html.escape(c.handles), html.escape(c.phone),
             f"<a href='mailto:{html.escape(c.email)}'>{html.escape(c.email)}</a>", html.escape(c.hours)]
            for c in policies.moderation.escalation_contacts]
    return ("Who to pass a comment to", ["Who", "Write it as", "What to send them", "Phone", "Email", "When"], rows)


def _house_rules(policies: PolicySet) -> tuple[str, list[str], list[Row]]:
    m = policies.moderation
    rows = [[html.escape(r.rule), _code(r.id), _action(m, r.when_broken)] for r in m.house_rules]
    return ("House rules on the company's pages and groups", ["Rule", "Write it as", "When it is broken"], rows)


def _response_templates(policies: PolicySet) -> tuple[str, list[str], list[Row]]:
    m = policies.moderation
    rows = []
    for t in m.response_templates:
        gaps = ", ".join(html.escape(f.label) for f in t.fields) or "none"
        rows.append([html.escape(t.label), _code(t.id), html.escape(m.category(t.for_category).label),
                     f"“{html.escape(' '.join(t.text.split()))}”", gaps])
    return ("Response templates: a reply to start from (words in {braces} are filled in)",
            ["Template", "Write it as", "For", "Text", "You fill in"], rows)


TABLES: dict[str, Callable[[PolicySet], tuple[str, list[str], list[Row]]]] = {
    "site_norms": _site_norms,
    "comment_categories": _comment_categories,
    "response_actions": _response_actions,
    "escalation_contacts": _escalation_contacts,
    "house_rules": _house_rules,
    "response_templates": _response_templates,
}


def moderation_table(name: str, *, policies: PolicySet | None = None) -> HTML:
    """One part of the moderation policy as a table: one of :data:`TABLES`' names."""
    try:
        build = TABLES[name]
    except KeyError:
        raise ValueError(f"no moderation table called {name!r}; choose one of: {', '.join(TABLES)}") from None
    return HTML(_table(*build(policies or load_policies())))


def moderation_about(*, policies: PolicySet | None = None) -> HTML:
    """Whose moderation policy the course follows, its version, and who runs moderation."""
    policies = policies or load_policies()
    m = policies.moderation
    return HTML(
        f"<p>This module follows the moderation policy of <strong>{html.escape(policies.privacy.company)}"
        f"</strong> (version {html.escape(m.version)}). Moderation is run by {html.escape(m.owner)}: "
        "ask them whenever you are unsure what to do with a comment.</p>"
    )


# -- incoming comments ----------------------------------------------------------------------------

_CARD = "border:1px solid #999;border-radius:6px;padding:6px 14px;margin:6px 0;max-width:52em"


def comment_html(comment_id: str, policies: PolicySet) -> str:
    """One incoming comment as a card: who, where, when, the text, and anything else the moderator sees."""
    item = load_moderation_scenarios().comment(comment_id)
    number = comment_id.rsplit("_", 1)[-1]
    title = f"Comment {number}" if number.isdigit() else comment_id
    where = html.escape(platform_name(item.platform, policies))
    parts = [
        f'<section aria-label="{html.escape(title)}" style="{_CARD}">',
        f"<h3 style='margin:6px 0'>💬 {html.escape(title)}</h3>",
        f"<p><strong>{html.escape(fill(item.author, policies))}</strong> on {where}, "
        f"{html.escape(fill(item.place, policies))} · <em>{html.escape(item.posted)}</em></p>",
        '<blockquote style="border-left:4px solid #777;margin:4px 0;padding:4px 12px">'
        f"{html.escape(fill(item.text, policies))}</blockquote>",
    ]
    if item.context:
        parts.append(f"<p>{INFO} {html.escape(fill(item.context, policies))}</p>")
    parts.append("</section>")
    return "".join(parts)


def show_comment(comment_id: str, *, policies: PolicySet | None = None) -> HTML:
    """The comment ``comment_id`` of ``data/scenarios/05-norms-and-moderation.yaml`` as a card."""
    return HTML(comment_html(comment_id, policies or load_policies()))


def show_comments(*comment_ids: str, policies: PolicySet | None = None) -> HTML:
    """Several comments, one card each (all of them when no ids are given)."""
    policies = policies or load_policies()
    ids = comment_ids or tuple(load_moderation_scenarios().comment_ids)
    return HTML("".join(comment_html(i, policies) for i in ids))


# -- the listening summary ------------------------------------------------------------------------

def _percent(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole else "—"


def listening_dashboard(*, policies: PolicySet | None = None) -> HTML:
    """The week's listening figures per channel, social beside traditional, with subtotals."""
    policies = policies or load_policies()
    week = load_moderation_scenarios().listening
    headers = ["Channel", "Write it as", "Type", "Contacts", "Questions", "Complaints", "Praise",
               "Median time to first reply"]
    rows: list[Row] = []
    for r in week.rows:
        rows.append([html.escape(r.label), _code(r.channel), r.kind.capitalize(), f"{r.contacts:,}",
                     f"{r.questions:,}", f"{r.complaints:,}", f"{r.praise:,}",
                     html.escape(format_minutes(r.median_first_reply_minutes))])
    total = sum(r.contacts for r in week.rows)
    for kind in ("social", "traditional"):
        part = [r for r in week.rows if r.kind == kind]
        if part:
            contacts = sum(r.contacts for r in part)
            rows.append([f"<em>All {kind} channels</em>", "", f"{_percent(contacts, total)} of all contacts",
                         f"{contacts:,}", f"{sum(r.questions for r in part):,}",
                         f"{sum(r.complaints for r in part):,}", f"{sum(r.praise for r in part):,}", ""])
    note = f"<p><small>{INFO} {html.escape(week.note)}</small></p>" if week.note else ""
    return HTML(_table(week.title, headers, rows) + note)


# -- the reply template panel ---------------------------------------------------------------------

class ReplyTemplatePanel(w.VBox):
    """Pick a response template, fill in its gaps, and read the reply as it would be posted."""

    def __init__(self, policies: PolicySet) -> None:
        self.policies = policies
        m = policies.moderation
        wide = {"description_width": "initial"}
        self.template = w.Dropdown(
            options=[(f"{t.label} (for: {m.category(t.for_category).label})", t.id) for t in m.response_templates],
            description="Template:", style=wide, layout=w.Layout(width="auto"),
        )
        self.template_text = w.HTML()
        self.inputs: dict[str, w.Text] = {}
        self.fields_box = w.VBox()
        self.show_button = button("Show my reply", icon="eye")
        self.preview = w.HTML()
        self.feedback = LiveRegion()
        self.show_button.on_click(lambda _: self.show_reply())
        self.template.observe(lambda _: self._build(), names="value")
        if not m.response_templates:
            super().__init__([heading("Fill in a reply template"),
                              w.HTML(f"<p>{INFO} Your company's policy has no response templates.</p>")])
            return
        super().__init__([
            heading("Fill in a reply template"),
            w.HTML("<p>1. Pick a template. 2. Fill in the gaps. 3. Press <strong>Show my reply</strong> and "
                   "read it as the customer would.</p>"),
            self.template, self.template_text, self.fields_box, self.show_button, self.preview, self.feedback,
        ])
        self._build()

    def _build(self) -> None:
        t = self.policies.moderation.template(self.template.value)
        self.template_text.value = (f"<p><small>The template: “{html.escape(' '.join(t.text.split()))}”"
                                    "</small></p>")
        self.inputs = {
            f.id: w.Text(description=f"{f.label}:", placeholder=f"e.g. {f.example}",
                         style={"description_width": "initial"}, layout=w.Layout(width="36em"))
            for f in t.fields
        }
        self.fields_box.children = list(self.inputs.values())
        self.preview.value = ""
        self.feedback.value = ""

    def show_reply(self) -> None:
        t = self.policies.moderation.template(self.template.value)
        filled = fill_template(t, {k: box.value for k, box in self.inputs.items()}, self.policies)
        policy_part = "; ".join(f"{{{k}}} = {v}" for k, v in filled.from_policy.items())
        self.preview.value = (
            "<p><em>Your reply:</em></p>"
            f'<blockquote style="border-left:4px solid #777;margin:4px 0;padding:4px 12px">{html.escape(filled.text)}'
            "</blockquote>"
            + (f"<p><small>{INFO} Filled in from your company's policy: {html.escape(policy_part)}</small></p>"
               if policy_part else "")
        )
        if filled.complete:
            self.feedback.value = feedback_html(
                f"Every gap is filled ({len(filled.text)} characters). Read it once more: does it sound like a "
                "person, and does it answer what they actually said?", correct=True)
        else:
            self.feedback.value = feedback_html("Still to fill in: " + ", ".join(filled.missing) + ".", correct=False)


def reply_template_panel(*, policies: PolicySet | None = None) -> ReplyTemplatePanel:
    """The reply template panel for the company's moderation policy."""
    return ReplyTemplatePanel(policies or load_policies())
