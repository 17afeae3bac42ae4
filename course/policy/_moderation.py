"""The moderation policy: each site's norms, kinds of incoming comment and the response to each,
escalation contacts, response templates and the house rules of the company's pages and groups."""

from __future__ import annotations

import string
from typing import Annotated

from pydantic import Field, StringConstraints, model_validator

from course.policy._base import Ident, PolicyModel, Text, unique_ids

#: An address at a reserved example domain, so no real mailbox is ever named in a policy.
ExampleEmail = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._%+-]+@([A-Za-z0-9-]+\.)*example$")]

#: Placeholders every template may use without listing them: filled in from the policies themselves.
BUILT_IN_VALUES = ("company",)


class SiteNorms(PolicyModel):
    """What is normal on one platform: how people write there, how fast they expect a reply, what is removed."""

    platform: Ident = Field(description="a platform id of the privacy policy")
    tone: Text
    pace: Text = Field(description="how quickly people expect an answer there")
    removed: Text = Field(description="what gets hidden or removed there, by the site or by us")


class ResponseAction(PolicyModel):
    """Something a moderator does with a comment: thank, reply, hide, escalate ..."""

    id: Ident
    label: Text
    what_to_do: Text
    removes_comment: bool = Field(description="whether the comment disappears from public view")


class EscalationContact(PolicyModel):
    """A person or team to pass a comment to, and how to reach them."""

    id: Ident
    name: Text
    email: ExampleEmail
    phone: Text
    hours: Text
    handles: Text = Field(description="what to send them")


class CommentCategory(PolicyModel):
    """A kind of incoming comment, how to recognise it and what the policy says to do with it."""

    id: Ident
    label: Text
    signs: list[Text] = Field(min_length=1, description="how to recognise it")
    action: Ident
    escalate_to: list[Ident] = Field(default_factory=list, description="who to tell, first contact first")
    act_within_minutes: int | None = Field(None, gt=0, description="how soon to act; None: no deadline")
    why: Text


class TemplateField(PolicyModel):
    """A gap in a template that the person replying fills in, e.g. the customer's first name."""

    id: Ident
    label: Text
    example: Text


class ResponseTemplate(PolicyModel):
    """A reply to start from, with {placeholders} filled from the policy or by the person replying."""

    id: Ident
    label: Text
    for_category: Ident
    text: Text
    fields: list[TemplateField] = Field(default_factory=list)

    def placeholders(self) -> list[str]:
        """The names in braces in the text, in order of first appearance."""
        names: list[str] = []
        for _, name, _, _ in string.Formatter().parse(self.text):
            if name is not None and name not in names:
                names.append(name)
        return names


class HouseRule(PolicyModel):
    """A rule shown on the company's pages and groups, and what a moderator does when it is broken."""

    id: Ident
    rule: Text
    when_broken: Ident = Field(description="a response action id")


class ModerationPolicy(PolicyModel):
    version: Text
    owner: Text = Field(description="who runs moderation and answers questions about it")
    site_norms: list[SiteNorms] = Field(min_length=1)
    response_actions: list[ResponseAction] = Field(min_length=2)
    escalation_contacts: list[EscalationContact] = Field(min_length=1)
    comment_categories: list[CommentCategory] = Field(min_length=2)
    template_values: dict[Ident, Text] = Field(default_factory=dict,
                                               description="values the policy fills into every template")
    response_templates: list[ResponseTemplate] = Field(default_factory=list)
    house_rules: list[HouseRule] = Field(min_length=1)

    @model_validator(mode="after")
    def _cross_references(self) -> ModerationPolicy:
        unique_ids(self.response_actions, "response action")
        unique_ids(self.escalation_contacts, "escalation contact")
        unique_ids(self.comment_categories, "comment category")
        unique_ids(self.response_templates, "response template")
        unique_ids(self.house_rules, "house rule")
        platforms = [n.platform for n in self.site_norms]
        if len(platforms) != len(set(platforms)):
            raise ValueError("site_norms lists a platform more than once")
        actions = set(self.action_ids)
        contacts = set(self.contact_ids)
        categories = set(self.category_ids)
        for c in self.comment_categories:
            if c.action not in actions:
                raise ValueError(f"comment category {c.id!r} has action {c.action!r}, "
                                 f"expected one of {sorted(actions)}")
            for contact in c.escalate_to:
                if contact not in contacts:
                    raise ValueError(f"comment category {c.id!r} escalates to {contact!r}, "
                                     f"expected one of {sorted(contacts)}")
        for rule in self.house_rules:
            if rule.when_broken not in actions:
                raise ValueError(f"house rule {rule.id!r} has when_broken {rule.when_broken!r}, "
                                 f"expected one of {sorted(actions)}")
        for_category: set[str] = set()
        for t in self.response_templates:
            if t.for_category not in categories:
                raise ValueError(f"response template {t.id!r} is for {t.for_category!r}, "
                                 f"expected one of {sorted(categories)}")
            if t.for_category in for_category:
                raise ValueError(f"more than one response template is for {t.for_category!r}")
            for_category.add(t.for_category)
            fields = {f.id for f in t.fields}
            clash = fields & (set(self.template_values) | set(BUILT_IN_VALUES))
            if clash:
                raise ValueError(f"response template {t.id!r} field {sorted(clash)[0]!r} is also filled in by the "
                                 "policy; rename the field")
            try:
                names = t.placeholders()
            except ValueError as exc:
                raise ValueError(f"response template {t.id!r} has a broken placeholder: {exc}") from None
            known = fields | set(self.template_values) | set(BUILT_IN_VALUES)
            for name in names:
                if name not in known:
                    raise ValueError(f"response template {t.id!r} uses {{{name}}}, which is neither one of its "
                                     f"fields nor a template value; expected one of {sorted(known)}")
            unused = fields - set(names)
            if unused:
                raise ValueError(f"response template {t.id!r} has field {sorted(unused)[0]!r} that its text never uses")
        return self

    # -- look-ups -----------------------------------------------------------------------------
    @property
    def category_ids(self) -> list[str]:
        return [c.id for c in self.comment_categories]

    @property
    def action_ids(self) -> list[str]:
        return [a.id for a in self.response_actions]

    @property
    def contact_ids(self) -> list[str]:
        return [c.id for c in self.escalation_contacts]

    @property
    def template_ids(self) -> list[str]:
        return [t.id for t in self.response_templates]

    @property
    def house_rule_ids(self) -> list[str]:
        return [r.id for r in self.house_rules]

    def category(self, category_id: str) -> CommentCategory:
        return _find(self.comment_categories, category_id, "comment category")

    def action(self, action_id: str) -> ResponseAction:
        return _find(self.response_actions, action_id, "response action")

    def contact(self, contact_id: str) -> EscalationContact:
        return _find(self.escalation_contacts, contact_id, "escalation contact")

    def template(self, template_id: str) -> ResponseTemplate:
        return _find(self.response_templates, template_id, "response template")

    def house_rule(self, rule_id: str) -> HouseRule:
        return _find(self.house_rules, rule_id, "house rule")

    def template_for(self, category_id: str) -> ResponseTemplate | None:
        """The template to start from for a comment of this category, if the policy has one."""
        self.category(category_id)
        return next((t for t in self.response_templates if t.for_category == category_id), None)

    def norms_for(self, platform_id: str) -> SiteNorms | None:
        return next((n for n in self.site_norms if n.platform == platform_id), None)


def _find(items: list, item_id: str, what: str):
    for item in items:
        if item.id == item_id:
            return item
    raise KeyError(f"no {what} called {item_id!r}; known: {', '.join(i.id for i in items)}")
