"""course.widgets.value: the value guide's tables show every category and habit from the policy."""

from __future__ import annotations

from course.policy import load_policies
from course.widgets.value import doer_habits, value_summary, value_table


def test_value_table_lists_every_category_with_its_id() -> None:
    """Each category appears with the id learners write, and the table has a caption and headers."""
    value = load_policies().value
    html = value_table().data
    for category in value.categories:
        assert f"<code>{category.id}</code>" in html
    assert "<caption" in html and "scope='col'" in html and "scope='row'" in html


def test_doer_habits_and_summary_come_from_the_policy() -> None:
    policies = load_policies()
    habits = doer_habits().data
    assert all(h.label in habits for h in policies.value.doer_habits)
    summary = value_summary().data
    assert policies.privacy.company in summary and 'role="note"' in summary
