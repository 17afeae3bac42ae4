"""environment.yml and pyproject.toml list the same pinned packages."""

from __future__ import annotations

import tomllib
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent


def _norm(req: str) -> str:
    return req.strip().lower().replace("_", "-")


def test_environment_yml_agrees_with_pyproject() -> None:
    """Every pin in pyproject.toml (dependencies and extras) is in environment.yml, and nothing else."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]
    wanted = {_norm(r) for r in project["dependencies"]}
    for extra in project["optional-dependencies"].values():
        wanted |= {_norm(r) for r in extra}
    env = yaml.safe_load((REPO / "environment.yml").read_text("utf-8"))
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    listed = {_norm(r) for r in pip_section if not r.startswith("-e")}
    assert listed == wanted, f"only in environment.yml: {listed - wanted}; only in pyproject: {wanted - listed}"
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python"))
    assert python == "python=3.11" and project["requires-python"].startswith(">=3.11")
