"""Module 03 (choosing the channel): the channel policy as tables, the escalation path, the persona guide,
and ``channel_explorer()`` to look up a channel or find the channels that fit what a message needs.

Everything shown comes from ``data/policies/channels.yaml`` (and, for the escalation contacts,
``moderation.yaml``), so another company's policy changes what learners read.
"""

from __future__ import annotations

import html

import ipywidgets as w
from IPython.display import HTML

from course.channels import channel_names, channels_matching, escalation_steps, reply_time, rules_naming, traits
from course.policy import Channel, ChannelPolicy, PolicySet, load_policies
from course.widgets._a11y import INFO, NO, OK, TONES, button, heading, verdict_html
from course.widgets.controls import LiveRegion
from course.widgets.value import table_html

_BOX = "border:1px solid #999;border-radius:6px;padding:6px 14px;margin:6px 0;max-width:56em"


def _e(text: str) -> str:
    return html.escape(text)


def _code(value: str) -> str:
    return f"<code>{_e(value)}</code>"


def _list(items: list[str], label: str) -> str:
    return f"<ul aria-label='{_e(label)}'>" + "".join(f"<li>{_e(i)}</li>" for i in items) + "</ul>"


def _trait_lines(channel: Channel) -> str:
    return "<br>".join(f"{OK if value else NO} {_e(words)}" for _, value, words in traits(channel))


# -- tables ---------------------------------------------------------------------------------------

def channel_table_html(policy: ChannelPolicy) -> str:
    rows = [
        [_e(c.name), _code(c.id), _e(c.summary), _list(c.use_when, f"Use {c.name} when"),
         _e(reply_time(c)), _trait_lines(c)]
        for c in policy.channels
    ]
    return table_html("The channels, and when to use each one",
                      ["Channel", "Write it as", "What it is", "Use it when", "Reply expected", "Good to know"], rows)


def channel_rules_html(policy: ChannelPolicy) -> str:
    rows = []
    for rule in policy.rules:
        never = channel_names(policy, rule.never) if rule.never else "—"
        contact = f"<br><strong>Contact:</strong> {_e(rule.contact)}" if rule.contact else ""
        rows.append([_e(rule.label), _e(rule.when),
                     "<strong>" + _e(channel_names(policy, rule.use)) + "</strong><br>"
                     + " ".join(_code(c) for c in rule.use),
                     f"{NO} {_e(never)}" if rule.never else never, _e(rule.how) + contact])
    return table_html("Situations with a rule of their own",
                      ["Situation", "When", "Use (best first)", "Never use", "What to do"], rows)


def channel_table(*, policies: PolicySet | None = None) -> HTML:
    """Every channel with its id, what it is, when to use it, the reply expected and its facts."""
    return HTML(channel_table_html((policies or load_policies()).channels))


def channel_rules(*, policies: PolicySet | None = None) -> HTML:
    """The situations with a rule of their own: which channels to use, which never, and what to do."""
    return HTML(channel_rules_html((policies or load_policies()).channels))


# -- escalation and persona ----------------------------------------------------------------------

def escalation_html(policies: PolicySet) -> str:
    policy = policies.channels
    esc = policy.escalation
    signs = [f"The person posting has at least {esc.followers_at_least:,} followers.",
             f"The post has been shared or replied to at least {esc.shares_in_an_hour_at_least:,} times "
             "within an hour.",
             *[s.label + "." for s in esc.other_signs]]
    steps = []
    for resolved in escalation_steps(policies):
        contact, step = resolved.contact, resolved.step
        steps.append(
            f"<li><p><strong>Within {step.within_minutes} minutes: {_e(resolved.channel.name)} "
            f"({_code(resolved.channel.id)}) to {_e(contact.name)}</strong> "
            f"(write it as {_code(contact.id)})</p>"
            f"<p>Phone {_e(contact.phone)} · email {_e(contact.email)} · {_e(contact.hours)}</p>"
            f"<p>{_e(step.what_to_do)}</p></li>")
    return (
        f'<section aria-label="Escalation path for high-profile cases" style="{_BOX}">'
        "<h3 style='margin:6px 0'>High-profile cases: when and how to escalate</h3>"
        f"<p>{_e(esc.what_counts)}</p>"
        f"{_list(signs, 'Signs of a high-profile case: any one is enough')}"
        "<h4 style='margin:6px 0'>What to do, in this order</h4>"
        f"<ol aria-label='Escalation steps, in order'>{''.join(steps)}</ol>"
        f"<p><strong>{INFO} Meanwhile, in public:</strong> {_e(esc.in_public_meanwhile)}</p>"
        "</section>"
    )


def escalation_path(*, policies: PolicySet | None = None) -> HTML:
    """When a case is high-profile, and who to contact, how and how fast, with the contacts' details."""
    return HTML(escalation_html(policies or load_policies()))


def persona_html(policy: ChannelPolicy) -> str:
    persona = policy.persona
    rows = [[_e(policy.channel(a.channel).name), _e(a.how)] for a in persona.adapt]
    adapt = table_html("What changes from channel to channel", ["Channel", "How"], rows) if rows else ""
    return (
        f'<section aria-label="One persona on every channel" style="{_BOX}">'
        "<h3 style='margin:6px 0'>One persona on every channel</h3>"
        f"<p>{_e(persona.summary)}</p>"
        "<h4 style='margin:6px 0'>Keep the same on every channel</h4>"
        f"{_list(persona.keep_the_same, 'Keep the same on every channel')}"
        f"{adapt}"
        f"<p><strong>Moving a customer to another channel:</strong> {_e(persona.handover)}</p>"
        "</section>"
    )


def persona_guide(*, policies: PolicySet | None = None) -> HTML:
    """How to stay one recognisable person across the phone, social sites and email."""
    return HTML(persona_html((policies or load_policies()).channels))


# -- the explorer ---------------------------------------------------------------------------------

def channel_card_html(policy: ChannelPolicy, channel_id: str) -> str:
    """One channel in full: what it is, when to use it and not, reply expected, its facts, its rules."""
    c = policy.channel(channel_id)
    use_rules, never_rules = rules_naming(policy, channel_id)
    rules = ""
    if use_rules:
        rules += "<p><strong>Rules that say to use it:</strong> " + "; ".join(_e(r.label) for r in use_rules) + "</p>"
    if never_rules:
        rules += ("<p><strong>Rules that say never to use it:</strong> "
                  + "; ".join(_e(r.label) for r in never_rules) + "</p>")
    examples = f"<p><em>{_e(c.examples)}</em></p>" if c.examples else ""
    return (
        f'<section aria-label="{_e(c.name)}" style="{_BOX}">'
        f"<h5 style='margin:6px 0'>{_e(c.name)} (write it as {_code(c.id)})</h5>"
        f"<p>{_e(c.summary)}</p>{examples}"
        f"<p><strong>Use it when:</strong></p>{_list(c.use_when, f'Use {c.name} when')}"
        f"<p><strong>Not for:</strong></p>{_list(c.not_for, f'{c.name} is not for')}"
        f"<p><strong>Reply expected:</strong> {_e(reply_time(c))}</p>"
        f"<p>{_trait_lines(c)}</p>{rules}</section>"
    )


#: Reply-speed choices of the finder: key -> (label, working hours, or None for "any time").
REPLY_CHOICES: dict[str, tuple[str, float | None]] = {
    "any": ("Any time, or no reply needed", None),
    "day": ("Within a working day", 8),
    "hour": ("Within an hour", 1),
    "now": ("Straight away, in a live conversation", 0),
}


def finder_html(message: str, *, found: bool) -> str:
    """The finder's answer (shown in a live region): a symbol and words carry the meaning, colour only helps."""
    words = f"{OK} Channels that fit" if found else f"{NO} No channel fits"
    return verdict_html(words, html.escape(message), tone=TONES[found])


class ChannelExplorer(w.VBox):
    """Look up one channel; or tick what a message needs and press Find to see the channels that fit."""

    def __init__(self, policies: PolicySet) -> None:
        self.policy = policies.channels
        wide = {"description_width": "initial"}
        self.channel = w.Dropdown(options=[(c.name, c.id) for c in self.policy.channels],
                                  value=self.policy.channels[0].id, description="Channel:", style=wide,
                                  layout=w.Layout(width="auto"))
        self.card = w.HTML()
        self.confidential = w.Checkbox(False, description="It is confidential (HR, contracts, unannounced plans)",
                                       style=wide, indent=False, layout=w.Layout(width="auto"))
        self.private = w.Checkbox(False, description="Only the people I choose may see it", style=wide,
                                  indent=False, layout=w.Layout(width="auto"))
        self.recorded = w.Checkbox(False, description="I need a written record", style=wide, indent=False,
                                   layout=w.Layout(width="auto"))
        self.insiders = w.Checkbox(False, description="Nobody outside the company may see it", style=wide,
                                   indent=False, layout=w.Layout(width="auto"))
        self.reply = w.Dropdown(options=[(label, key) for key, (label, _) in REPLY_CHOICES.items()], value="any",
                                description="I need a reply:", style=wide, layout=w.Layout(width="auto"))
        self.find_button = button("Find channels that fit", icon="search")
        self.result = LiveRegion()
        self.channel.observe(lambda _: self._show_card(), names="value")
        self.find_button.on_click(lambda _: self.find())
        super().__init__([
            heading("Explore your company's channels"),
            heading("1. Look up a channel", level=4), self.channel, self.card,
            heading("2. What does your message need? Tick what applies, then press the button", level=4),
            self.confidential, self.private, self.recorded, self.insiders, self.reply,
            self.find_button, self.result,
        ])
        self._show_card()

    def _show_card(self) -> None:
        self.card.value = channel_card_html(self.policy, self.channel.value)

    def matches(self) -> list:
        """The channels that fit every box ticked and the reply speed chosen."""
        return channels_matching(
            self.policy,
            confidential=self.confidential.value,
            private=True if self.private.value else None,
            recorded=True if self.recorded.value else None,
            outside_company=False if self.insiders.value else None,
            reply_within_hours=REPLY_CHOICES[self.reply.value][1],
        )

    def find(self) -> None:
        found = self.matches()
        if not found:
            message = ("Nothing fits all of these at once. Untick one, or use two channels: for example, "
                       "talk it through first, then confirm it in writing.")
            self.result.value = finder_html(message, found=False)
            return
        names = "; ".join(f"{c.name} ({c.id})" for c in found)
        message = (f"{names}. The situation and the channel rules decide which one is best: "
                   "look each one up above.")
        self.result.value = finder_html(message, found=True)


def channel_explorer(*, policies: PolicySet | None = None) -> ChannelExplorer:
    """The channel explorer for the company's policy (default: :func:`course.policy.load_policies`)."""
    return ChannelExplorer(policies or load_policies())
