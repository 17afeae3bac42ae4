"""completion.yaml: it loads, it agrees with every module notebook, and a broken file names what is wrong."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from course.policy import CompletionPolicy, PolicyError, load_policies, load_policy_file
from tests.conftest import REPO

COMPLETION = REPO / "data" / "policies" / "completion.yaml"
NOTEBOOKS = sorted(p for p in (REPO / "solutions").glob("[0-9][0-9]-*/[0-9][0-9]-*.ipynb")
                   if p.stem == p.parent.name)


def test_shipped_policy_loads() -> None:
    """The shipped completion policy loads; every track requires the start and the final check."""
    policy = load_policies().completion
    assert policy.module_ids == ["00-start-here", "01-value-not-noise", "02-privacy-and-audiences",
                                 "03-choosing-the-channel", "04-one-brand-voice", "05-norms-and-moderation",
                                 "06-cases-and-numbers", "07-final-check"]
    for track in policy.tracks:
        assert {"00-start-here", "07-final-check"} <= set(track.modules)
    assert policy.track("social_team").modules == policy.module_ids


def test_every_roster_track_is_known(repo: Path) -> None:
    """data/roster.csv uses only tracks the policy defines."""
    import csv

    with (repo / "data" / "roster.csv").open(encoding="utf-8") as fh:
        tracks = {row["track"] for row in csv.DictReader(fh)}
    assert tracks <= set(load_policies().completion.track_ids)


@pytest.mark.skipif(not NOTEBOOKS, reason="no module notebook in solutions/ yet")
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_pass_marks_agree_with_the_notebooks(notebook: Path) -> None:
    """Each module notebook's metadata.course.pass_mark_percent equals the policy's pass mark for it."""
    meta = json.loads(notebook.read_text("utf-8"))["metadata"].get("course", {})
    policy = load_policies().completion
    assert notebook.stem in policy.module_ids, f"{notebook.stem} is not a module of completion.yaml"
    assert "pass_mark_percent" in meta, f"{notebook} has no metadata.course.pass_mark_percent"
    assert float(meta["pass_mark_percent"]) == policy.module(notebook.stem).pass_mark_percent


def _broken(tmp_path: Path, change: Callable[[dict], object]) -> Path:
    data = yaml.safe_load(COMPLETION.read_text("utf-8"))
    change(data)
    path = tmp_path / "completion.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
    return path


@pytest.mark.parametrize(("change", "key", "expected"), [
    (lambda d: d["tracks"][0]["modules"].append("09-unknown"), None, "requires module '09-unknown'"),
    (lambda d: d["modules"][2].update(pass_mark_percent=120), "modules[2].pass_mark_percent", "less than or equal"),
    (lambda d: d["due"].update(fixed_date="2026-12-31"), "due", "exactly one of days_after_start or fixed_date"),
    (lambda d: d.pop("grace_days"), "grace_days", "required but missing"),
    (lambda d: d["tracks"].append(dict(d["tracks"][0])), None, "track id 'all_staff' appears more than once"),
    (lambda d: d.update(recertify_afer_days=365), "recertify_afer_days", "unknown key"),
    (lambda d: d["modules"][0].update(id="Start Here"), "modules[0].id", "expected a module name like 02-"),
])
def test_broken_policy_names_the_problem(tmp_path: Path, change: Callable[[dict], object], key: str | None,
                                         expected: str) -> None:
    """A broken completion.yaml raises PolicyError naming the file, the key and what was expected."""
    with pytest.raises(PolicyError) as info:
        load_policy_file(_broken(tmp_path, change), CompletionPolicy)
    assert info.value.file.name == "completion.yaml"
    if key is not None:
        assert info.value.key == key
    assert expected in str(info.value)
