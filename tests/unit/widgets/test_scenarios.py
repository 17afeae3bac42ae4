"""course.widgets.scenarios: scenario texts load, fill in the company's names, and show as escaped cards."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from course.policy import PolicyError, load_policies
from course.widgets.scenarios import (
    load_scenarios,
    network_name,
    scenario_html,
    show_scenario,
    show_scenarios,
)

REPO = Path(__file__).resolve().parents[3]


def _write(tmp_path: Path, scenarios: list[dict]) -> Path:
    (tmp_path / "demo.yaml").write_text(yaml.safe_dump({"title": "Demo", "scenarios": scenarios}), "utf-8")
    return tmp_path


@pytest.mark.parametrize("module", ["01-value-not-noise", "03-choosing-the-channel"])
def test_shipped_scenarios_load_and_show(module: str) -> None:
    """Every shipped scenario of modules 01 and 03 loads and renders with the company's names filled in."""
    policies = load_policies()
    scenarios = load_scenarios(module)
    for item in scenarios.scenarios:
        html = scenario_html(item, policies)
        assert "{" not in html and html.startswith("<section aria-label=")


def test_placeholders_are_filled_from_the_policy(tmp_path: Path) -> None:
    """{company} and {network} become the company's name and its internal network's name."""
    policies = load_policies()
    directory = _write(tmp_path, [{"id": "s1", "title": "At {company}", "posts": [
        {"author": "Ana <Sales>", "where": "{network}", "text": "Line one\nLine two"}]}])
    item = load_scenarios("demo", directory=directory).scenario("s1")
    html = scenario_html(item, policies)
    assert policies.privacy.company in html
    assert network_name(policies.privacy) in html
    assert "Ana &lt;Sales&gt;" in html and "Line one<br>Line two" in html


def test_unknown_placeholder_names_the_key(tmp_path: Path) -> None:
    """A misspelt placeholder is reported with the file and the key, not shown to learners."""
    directory = _write(tmp_path, [{"id": "s1", "title": "T", "story": "Call {compnay} now"}])
    with pytest.raises(PolicyError) as info:
        load_scenarios("demo", directory=directory)
    assert info.value.key == "scenarios[0].story" and "{compnay}" in info.value.expected


def test_a_scenario_must_say_something(tmp_path: Path) -> None:
    directory = _write(tmp_path, [{"id": "s1", "title": "Empty"}])
    with pytest.raises(PolicyError, match="'story', some 'posts' or both"):
        load_scenarios("demo", directory=directory)


def test_show_one_or_several() -> None:
    """Cards come back as HTML objects; an unknown id lists the known ones."""
    assert "Post 2" in show_scenario("01-value-not-noise", "post_2").data
    both = show_scenarios("01-value-not-noise", ["post_1", "pair_1"]).data
    assert both.count("<section") == 2 and "Post A" in both
    with pytest.raises(KeyError, match="post_1"):
        show_scenario("01-value-not-noise", "post_99")
