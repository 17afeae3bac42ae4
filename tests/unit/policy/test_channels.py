"""course.policy channels: the channel policy loads; a bad file names the file, the key and what was expected."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from course.policy import ChannelPolicy, PolicyError, load_policies, load_policy_file

REPO = Path(__file__).resolve().parents[3]
CHANNELS = REPO / "data" / "policies" / "channels.yaml"


@pytest.fixture
def data() -> dict:
    return yaml.safe_load(CHANNELS.read_text("utf-8"))


def write(tmp_path: Path, data: dict | str) -> Path:
    path = tmp_path / "channels.yaml"
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False), "utf-8")
    return path


def load(tmp_path: Path, data: dict | str) -> ChannelPolicy:
    return load_policy_file(write(tmp_path, data), ChannelPolicy)


def test_shipped_channel_policy_loads() -> None:
    """It loads the course's channel policy, with the seven channels the course teaches."""
    channels = load_policies().channels
    assert channels.channel_ids == ["email", "phone", "text", "direct_message", "internal_network",
                                    "public_post", "wiki"]
    assert channels.channel("public_post").public and not channels.channel("public_post").confidential_ok
    assert channels.rule("customer_details_in_public").never == ["public_post"]
    assert channels.escalation.followers_at_least > 0 and channels.escalation.steps
    with pytest.raises(KeyError, match="no channel called 'fax'"):
        channels.channel("fax")


def test_missing_key_names_file_and_key(tmp_path: Path, data: dict) -> None:
    """A channel without 'recorded' is reported with the file and the key's path."""
    del data["channels"][2]["recorded"]
    with pytest.raises(PolicyError) as info:
        load(tmp_path, data)
    assert info.value.file.name == "channels.yaml"
    assert info.value.key == "channels[2].recorded"
    assert "required" in info.value.expected


def test_rule_naming_an_unknown_channel(tmp_path: Path, data: dict) -> None:
    """A rule that names a channel the policy does not define says which rule, which id, and the known ids."""
    data["rules"][0]["use"] = ["direct_mesage"]
    with pytest.raises(PolicyError, match=r"rule 'customer_details_in_public' names channel 'direct_mesage'"):
        load(tmp_path, data)


def test_private_and_public_contradict(tmp_path: Path, data: dict) -> None:
    data["channels"][0]["public"] = True
    with pytest.raises(PolicyError, match="cannot be both private and public"):
        load(tmp_path, data)


def test_confidential_needs_private(tmp_path: Path, data: dict) -> None:
    """Only a private channel may be marked safe for confidential matters."""
    data["channels"][4]["confidential_ok"] = True
    with pytest.raises(PolicyError, match="confidential_ok but not private"):
        load(tmp_path, data)


def test_use_and_never_overlap(tmp_path: Path, data: dict) -> None:
    data["rules"][1]["never"].append("phone")
    with pytest.raises(PolicyError, match=r"lists \['phone'\] under both"):
        load(tmp_path, data)


def test_bad_numbers_and_types(tmp_path: Path, data: dict) -> None:
    """Thresholds must be positive whole numbers; a yes/no must be a yes/no."""
    data["escalation"]["followers_at_least"] = 0
    with pytest.raises(PolicyError) as info:
        load(tmp_path, data)
    assert info.value.key == "escalation.followers_at_least" and "greater than 0" in info.value.expected
    data["escalation"]["followers_at_least"] = 10000
    data["channels"][1]["private"] = "mostly"
    with pytest.raises(PolicyError) as info:
        load(tmp_path, data)
    assert info.value.key == "channels[1].private" and "mostly" in info.value.expected


def test_duplicate_channel_id(tmp_path: Path, data: dict) -> None:
    data["channels"][1]["id"] = "email"
    with pytest.raises(PolicyError, match="channel id 'email' appears more than once"):
        load(tmp_path, data)


def test_broken_yaml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="not valid YAML at line 3"):
        load(tmp_path, "version: '1'\nchannels: [email\n")
    with pytest.raises(PolicyError, match="file not found"):
        load_policy_file(tmp_path / "nope" / "channels.yaml", ChannelPolicy)


def test_policy_set_reads_channels_from_another_company(tmp_path: Path, data: dict) -> None:
    """A company's own channels.yaml in COURSE_POLICY_DIR is what PolicySet.channels returns."""
    data["escalation"]["followers_at_least"] = 2500
    write(tmp_path, data)
    shutil.copy(REPO / "data" / "policies" / "privacy.yaml", tmp_path / "privacy.yaml")
    assert load_policies(tmp_path).channels.escalation.followers_at_least == 2500
