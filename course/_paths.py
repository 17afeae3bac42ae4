"""Where the course's own files are: the repository root, ``data/``, ``solutions/``, ``exercises/``."""

from __future__ import annotations

import os
from pathlib import Path

DATA_DIR_ENV = "COURSE_DATA_DIR"


def repo_root() -> Path:
    """The checkout this package was installed from (editable install)."""
    return Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    """``$COURSE_DATA_DIR`` when set, else ``data/`` in the checkout."""
    env = os.environ.get(DATA_DIR_ENV)
    return Path(env) if env else repo_root() / "data"


def solutions_dir() -> Path:
    return repo_root() / "solutions"


def exercises_dir() -> Path:
    return repo_root() / "exercises"
