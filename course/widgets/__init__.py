"""One-line widget factories for the notebooks, e.g. ``practice_scenarios("02-privacy-and-audiences")``.

Every control has a visible label that screen readers announce, is reachable with the keyboard,
and feedback is given in words and symbols (✔ / ✘), never by colour alone.
"""

from course.widgets.practice import practice_scenarios
from course.widgets.privacy import privacy_panel, show_profile, show_situation
from course.widgets.tables import policy_about, policy_table, scrollable_tables
from course.widgets.voice import voice_checker

__all__ = ["policy_about", "policy_table", "practice_scenarios", "privacy_panel", "scrollable_tables", "show_profile",
           "show_situation", "voice_checker"]
