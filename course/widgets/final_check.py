"""Module 07 (final check): show a learner the paper drawn for their employee id.

``show_paper(my_employee_id)`` shows all the questions with their slot numbers; ``show_question(
my_employee_id, 3)`` shows one again, right above its answer cell. Each question says the form its
answer takes and, for answers that are ids from the company's policy, which ids there are. The paper
comes from :func:`course.final_check.draw_paper`; no answer is shown or known here.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from IPython.display import HTML

from course.answers import AnswerFormatError, answer_kinds
from course.final_check import Bank, BankItem, Paper, draw_paper
from course.policy import PolicySet, load_policies
from course.widgets._a11y import feedback_html
from course.widgets.scenarios import fill

#: For answers that are ids from a policy: the ids a learner may write, with their labels.
_POLICY_OPTIONS: dict[str, Callable[[PolicySet], list[tuple[str, str]]]] = {
    "audience": lambda p: [(a.id, a.label) for a in p.privacy.audiences],
    "platform": lambda p: [(x.id, x.name) for x in p.privacy.platforms],
    "setting": lambda p: [(s.id, s.label) for s in p.privacy.profile_settings],
    "setting_set": lambda p: [(s.id, s.label) for s in p.privacy.profile_settings],
    "never_post": lambda p: [(n.id, n.label) for n in p.privacy.never_post],
    "comment_category": lambda p: [(c.id, c.label) for c in p.moderation.comment_categories],
    "moderation_action": lambda p: [(a.id, a.label) for a in p.moderation.response_actions],
    "value_category": lambda p: [(c.id, c.label) for c in p.value.categories],
    "channel": lambda p: [(c.id, c.name) for c in p.channels.channels],
    "voice_rule": lambda p: _voice_rules(p),
    "voice_rule_set": lambda p: _voice_rules(p),
}

_FORMS = {
    "yes_no": "Write True or False, without quotes.",
    "number": "Write a number, without quotes, e.g. 12.",
    "text": "Write your text in quotes.",
}

_CARD = "border:1px solid #999;border-radius:6px;padding:6px 14px;margin:6px 0;max-width:52em"
_QUOTE = "border-left:4px solid #777;margin:4px 0;padding:4px 12px;white-space:pre-wrap"


def _voice_rules(p: PolicySet) -> list[tuple[str, str]]:
    from course.voice import rule_ids
    from course.widgets.brand import RULE_MEANINGS

    voice, sensitive = p.brand_voice, p.sensitive
    labels = dict(RULE_MEANINGS)
    labels.update({f"words.{a.id}": "We avoid " + ", ".join(f"“{x}”" for x in a.phrases[:3]) for a in voice.avoid})
    labels.update({f"required.{r.id}": r.label for r in voice.required})
    labels.update({f"sensitive.{k.id}": f"Never post: {k.label}" for k in sensitive.kinds})
    labels["length.empty"] = "The draft is empty."
    return [(r, labels.get(r, "")) for r in rule_ids(p)]


def _topic_title(topic: str, policies: PolicySet) -> str:
    try:
        return policies.completion.module(topic).title
    except Exception:  # a company without a completion policy, or a topic it does not list
        return topic


def _answer_form(item: BankItem, slot: int, policies: PolicySet) -> str:
    if item.kind in ("choice", "choice_set"):
        rows = "".join(f"<li><code>\"{html.escape(o.value)}\"</code>: {html.escape(fill(o.label, policies))}</li>"
                       for o in item.options)
        how = ("One of these, in quotes:" if item.kind == "choice"
               else "A set of these in curly brackets, like {\"A\", \"B\"}:")
        return f"<p><strong>Your answer:</strong> {how}</p><ul>{rows}</ul>"
    if item.kind in _FORMS:
        return f"<p><strong>Your answer:</strong> {_FORMS[item.kind]}</p>"
    describe = answer_kinds()[item.kind].describe
    describe = describe[:1].upper() + describe[1:]
    options = _POLICY_OPTIONS.get(item.kind)
    if options is None:
        return f"<p><strong>Your answer:</strong> {html.escape(describe)}, in quotes.</p>"
    rows = "".join(f"<li><code>\"{html.escape(v)}\"</code>: {html.escape(label)}</li>" if label else
                   f"<li><code>\"{html.escape(v)}\"</code></li>" for v, label in options(policies))
    many = len(options(policies)) > 12
    listing = (f"<details><summary>Show the {len(options(policies))} ids you can write</summary><ul>{rows}</ul>"
               "</details>") if many else f"<ul>{rows}</ul>"
    extra = " For a set, use curly brackets: {\"first\", \"second\"}." if item.kind.endswith("_set") else ""
    return (f"<p><strong>Your answer:</strong> {html.escape(describe)}, in quotes, written as in this list."
            f"{extra}</p>{listing}")


def question_html(item: BankItem, slot: int, policies: PolicySet) -> str:
    """One question as a labelled card: its number and topic, the text, any post, and the answer's form."""
    label = f"Question {slot}"
    parts = [f'<section aria-label="{label}" style="{_CARD}">',
             f"<h3 style='margin:6px 0'>{label} · {html.escape(_topic_title(item.topic, policies))}</h3>",
             f"<p>{html.escape(fill(item.question, policies))}</p>"]
    if item.post:
        where = ""
        if item.channel:
            try:
                where = f" (a draft for {html.escape(policies.brand_voice.channel(item.channel).name)})"
            except KeyError:
                where = ""
        parts.append(f"<p><em>The post{where}:</em></p>"
                     f'<blockquote style="{_QUOTE}">{html.escape(fill(item.post, policies))}</blockquote>')
    parts.append(_answer_form(item, slot, policies))
    parts.append(f"<p>Write your answer in the cell <code>slot_{slot} = ...</code> for question {slot}.</p>")
    parts.append("</section>")
    return "".join(parts)


def _paper(learner_id: Any, bank: Bank | None) -> Paper | HTML:
    try:
        return draw_paper(learner_id, bank=bank)
    except AnswerFormatError as exc:
        return HTML(feedback_html(str(exc).replace("`", ""), correct=None, live=True))


def show_paper(learner_id: Any, *, bank: Bank | None = None, policies: PolicySet | None = None) -> HTML:
    """Every question of the paper drawn for ``learner_id``, numbered by slot; a plain message if no id yet."""
    paper = _paper(learner_id, bank)
    if isinstance(paper, HTML):
        return paper
    policies = policies or load_policies()
    head = (f"<p><strong>Your paper</strong>, drawn for employee id <code>{html.escape(paper.learner_id)}</code>: "
            f"{len(paper.slots)} questions (question bank version {html.escape(paper.bank_version)}). If that is "
            "not your id, correct it above and run the cells again.</p>")
    return HTML(head + "".join(question_html(s.item, s.slot, policies) for s in paper.slots))


def show_question(learner_id: Any, slot: int, *, bank: Bank | None = None,
                  policies: PolicySet | None = None) -> HTML:
    """One question of the paper drawn for ``learner_id``, shown again right above its answer cell."""
    paper = _paper(learner_id, bank)
    if isinstance(paper, HTML):
        return paper
    return HTML(question_html(paper.slot(slot), slot, policies or load_policies()))
