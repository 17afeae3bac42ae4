"""course.policy value guide: value categories and doer habits load; a bad file names the file and key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from course.policy import PolicyError, ValuePolicy, load_policies, load_policy_file

REPO = Path(__file__).resolve().parents[3]
VALUE = REPO / "data" / "policies" / "value.yaml"


@pytest.fixture
def value_data() -> dict:
    return yaml.safe_load(VALUE.read_text("utf-8"))


def write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "value.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
    return path


def test_shipped_value_guide_loads() -> None:
    """It loads the shipped guide, with exactly one noise category and look-ups by id."""
    value = load_policies().value
    assert value.noise.id in value.category_ids
    assert value.category("expert_found").worth
    assert value.habit("says_when").example
    with pytest.raises(KeyError, match="no value category called 'gossip'"):
        value.category("gossip")


def test_two_noise_categories_are_refused(tmp_path: Path, value_data: dict) -> None:
    """Noise must be exactly one category, so "is it noise?" has one answer."""
    value_data["categories"][0]["is_noise"] = True
    with pytest.raises(PolicyError, match="exactly one category must have is_noise") as info:
        load_policy_file(write(tmp_path, value_data), ValuePolicy)
    assert info.value.file.name == "value.yaml"


def test_missing_worth_names_the_key(tmp_path: Path, value_data: dict) -> None:
    """A category without its 'worth' is reported with the key's path."""
    del value_data["categories"][2]["worth"]
    with pytest.raises(PolicyError) as info:
        load_policy_file(write(tmp_path, value_data), ValuePolicy)
    assert info.value.key == "categories[2].worth"


def test_bad_id_and_duplicate_ids(tmp_path: Path, value_data: dict) -> None:
    """Ids must be identifiers, and each one used once."""
    value_data["categories"][1]["id"] = "Expert Found"
    with pytest.raises(PolicyError, match="identifier"):
        load_policy_file(write(tmp_path, value_data), ValuePolicy)
    value_data["categories"][1]["id"] = "answer_found"
    with pytest.raises(PolicyError, match="'answer_found' appears more than once"):
        load_policy_file(write(tmp_path, value_data), ValuePolicy)
