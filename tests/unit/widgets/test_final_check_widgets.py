"""course.widgets.final_check: a learner's paper, question by question, with the form of each answer."""

from __future__ import annotations

from course.final_check import draw_paper, load_bank
from course.policy import load_policies
from course.widgets.final_check import question_html, show_paper, show_question


def test_the_paper_shows_every_question_with_its_slot() -> None:
    """Each question is a labelled card numbered by its slot, under a line naming the id it was drawn for."""
    paper = draw_paper("E1001")
    html = show_paper(" e1001").data
    assert "<code>E1001</code>" in html and load_bank().version in html
    for s in paper.slots:
        assert f'aria-label="Question {s.slot}"' in html and f"slot_{s.slot} = ..." in html
    assert html.count("<section") == len(paper.slots)


def test_one_question_is_shown_again_above_its_cell() -> None:
    html = show_question("E1001", 2).data
    assert html.count("<section") == 1 and 'aria-label="Question 2"' in html
    assert html == question_html(draw_paper("E1001").slot(2), 2, load_policies())


def test_without_an_id_it_says_what_to_do_instead_of_failing() -> None:
    """Until the learner writes their id, the paper cell shows a sentence, not a traceback."""
    assert "Write your employee id in my_employee_id first" in show_paper(...).data
    assert "whole number" in show_paper(1001).data
    assert "not an employee id" in show_question("E 1001", 1).data
    assert 'role="status"' in show_paper(...).data


def test_each_kind_of_answer_says_its_form() -> None:
    """Policy ids are listed as they are written; choices show their values; placeholders are filled in."""
    bank, policies = load_bank(), load_policies()
    by_id = {i.id: i for i in bank.items}
    audience = question_html(by_id["privacy_network_default"], 1, policies)
    assert all(f'<code>"{a.id}"</code>' in audience for a in policies.privacy.audiences)
    assert "{network}" not in audience
    choice = question_html(by_id["value_doer_post"], 1, policies)
    assert '<code>"A"</code>' in choice and '<code>"B"</code>' in choice
    rules = question_html(by_id["voice_shouting"], 1, policies)
    assert "<details>" in rules and '<code>"tone.shouting"</code>' in rules
    assert policies.brand_voice.channel("x").name in rules
    assert "without quotes" in question_html(by_id["voice_disclosure"], 1, policies)
    assert "{company}" not in question_html(by_id["moderation_troll_action"], 1, policies)
