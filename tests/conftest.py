"""Shared fixtures and the CI rule: under CI=true a test that needs a missing system part fails."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require(tool: str, why: str) -> str:
    """Path of ``tool``; skip the test when it is missing, or fail it under CI=true."""
    path = shutil.which(tool)
    if path:
        return path
    message = f"{tool} is not installed ({why}); `make test` installs it where it can"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)
    raise AssertionError("unreachable")


@pytest.fixture
def repo() -> Path:
    return REPO
