"""course.policy: the shipped policies load; broken files name the file, the key and what was expected."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from course.policy import PolicyError, load_policies, load_policy_file
from course.policy._privacy import PrivacyPolicy

REPO = Path(__file__).resolve().parents[3]
PRIVACY = REPO / "data" / "policies" / "privacy.yaml"


def write(tmp_path: Path, data: object, name: str = "privacy.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False) if not isinstance(data, str) else data, "utf-8")
    return path


@pytest.fixture
def privacy_data() -> dict:
    return yaml.safe_load(PRIVACY.read_text("utf-8"))


def test_shipped_policies_load() -> None:
    """It loads every shipped policy file and answers look-ups from it."""
    policies = load_policies()
    privacy = policies.privacy
    assert privacy.audience_ids[0] == "only_me"
    assert privacy.platform("connect").default_audience in privacy.platform("connect").audiences
    assert privacy.fits("my_team", "team_logistics")
    assert not privacy.fits("public", "team_logistics")
    assert len(policies.version_hash()) == 64


def test_policy_dir_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """It reads the folder named by COURSE_POLICY_DIR, so another company's policy swaps in."""
    shutil.copy(PRIVACY, tmp_path / "privacy.yaml")
    monkeypatch.setenv("COURSE_POLICY_DIR", str(tmp_path))
    assert load_policies().directory == tmp_path


def test_missing_key_names_file_and_key(tmp_path: Path, privacy_data: dict) -> None:
    """A missing required key is reported with the file and the key's path."""
    del privacy_data["platforms"][1]["default_audience"]
    path = write(tmp_path, privacy_data)
    with pytest.raises(PolicyError) as info:
        load_policy_file(path, PrivacyPolicy)
    assert info.value.file == path
    assert info.value.key == "platforms[1].default_audience"
    assert "required" in str(info.value) and str(path) in str(info.value)


def test_unknown_key_is_an_error(tmp_path: Path, privacy_data: dict) -> None:
    """A misspelt key is not ignored."""
    privacy_data["platforms"][0]["defualt_audience"] = "my_team"
    with pytest.raises(PolicyError) as info:
        load_policy_file(write(tmp_path, privacy_data), PrivacyPolicy)
    assert info.value.key == "platforms[0].defualt_audience"
    assert "unknown key" in info.value.expected


def test_wrong_type_says_what_was_expected(tmp_path: Path, privacy_data: dict) -> None:
    """A value of the wrong type says what type was expected."""
    privacy_data["profile_settings"][0]["required"] = "sometimes"
    with pytest.raises(PolicyError) as info:
        load_policy_file(write(tmp_path, privacy_data), PrivacyPolicy)
    assert info.value.key == "profile_settings[0].required"
    assert "boolean" in info.value.expected and "sometimes" in info.value.expected


def test_cross_reference_is_checked(tmp_path: Path, privacy_data: dict) -> None:
    """A default audience that the platform does not offer is rejected with both names."""
    privacy_data["platforms"][0]["default_audience"] = "public"
    with pytest.raises(PolicyError) as info:
        load_policy_file(write(tmp_path, privacy_data), PrivacyPolicy)
    assert "connect" in info.value.expected and "public" in info.value.expected


def test_duplicate_ids_are_rejected(tmp_path: Path, privacy_data: dict) -> None:
    privacy_data["audiences"].append(dict(privacy_data["audiences"][0]))
    with pytest.raises(PolicyError, match=r"only_me.*more than once"):
        load_policy_file(write(tmp_path, privacy_data), PrivacyPolicy)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("", "empty file"),
        ("- a\n- b\n", "found a list"),
        ("company: [unclosed\n", "not valid YAML at line"),
        (b"\xff\xfe\x00bad", "not UTF-8"),
    ],
)
def test_malformed_files(tmp_path: Path, content: str | bytes, expected: str) -> None:
    """Empty, non-mapping, invalid YAML and non-UTF-8 files each get a clear message."""
    path = tmp_path / "privacy.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, "utf-8")
    with pytest.raises(PolicyError, match=expected):
        load_policy_file(path, PrivacyPolicy)


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="file not found"):
        load_policy_file(tmp_path / "nope.yaml", PrivacyPolicy)
    with pytest.raises(PolicyError, match="policy folder not found"):
        load_policies(tmp_path / "missing")


def test_a_changed_file_is_read_again_and_callers_never_share_data(tmp_path: Path, privacy_data: dict) -> None:
    """Parsed files are remembered by their content: an edited file gives the new values at once,
    and what one caller gets cannot change what the next one gets."""
    import course.policy._loader as loader

    path = write(tmp_path, privacy_data)
    first = load_policy_file(path, PrivacyPolicy)
    assert load_policy_file(path, PrivacyPolicy) == first
    assert loader._parse_yaml(path.read_text("utf-8")) is not loader._parse_yaml(path.read_text("utf-8"))
    loader._parse_yaml(path.read_text("utf-8")).clear()  # a caller spoiling its copy
    assert load_policy_file(path, PrivacyPolicy) == first

    write(tmp_path, dict(privacy_data, company="Another Name Ltd"))
    assert load_policy_file(path, PrivacyPolicy).company == "Another Name Ltd"
    with pytest.raises(PolicyError, match="not valid YAML at line 2, column 1"):  # errors still name the place
        path.write_text("company: [unclosed\n", "utf-8")
        load_policy_file(path, PrivacyPolicy)
