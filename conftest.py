"""Repository-wide pytest set-up: nbval notebooks under solutions/ count as slow tests."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# nbgrader runs `alembic` from its own environment by name: put this interpreter's bin first.
_BIN = str(Path(sys.executable).parent)
if os.environ.get("PATH", "").split(os.pathsep)[0] != _BIN:
    os.environ["PATH"] = _BIN + os.pathsep + os.environ.get("PATH", "")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if str(item.fspath).endswith(".ipynb"):
            item.add_marker(pytest.mark.slow)
