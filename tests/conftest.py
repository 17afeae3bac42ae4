"""Shared fixtures and the CI rule: under CI=true a test that needs a missing system part fails."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest

REPO = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require(tool: str, why: str) -> str:
    """Path of ``tool``; skip the test when it is missing, or fail it under CI=true."""
    path = shutil.which(tool)
    if path:
        return path
    missing_part(f"{tool} is not installed ({why}); `make test` installs it where it can")


def missing_part(message: str) -> NoReturn:
    """Skip the test because a system part is missing, or fail it under CI=true."""
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def repo() -> Path:
    return REPO


#: Debian's Chromium, headless, with background networking off (Playwright's own download is not used).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]


@pytest.fixture(scope="session")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """One headless Chromium for the whole session: Playwright's sync API allows one driver per thread,
    so every browser test (learner journey, dashboard, live checker) shares this one."""
    path = require("chromium", "the browser tests drive Debian's Chromium")
    from playwright.sync_api import sync_playwright

    home = tmp_path_factory.mktemp("chromium-home")
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
           "XDG_CACHE_HOME": str(home / ".cache")}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS, env=env)
        yield browser
        browser.close()
