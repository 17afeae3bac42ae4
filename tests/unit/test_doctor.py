"""`course doctor` and the sandbox warnings of `course grade`, through the real command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from course.workspace import Workspace
from tests.conftest import require

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent


def _course(*args: str, path: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": path if path is not None else f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run([str(BIN / "course"), *args], capture_output=True, text=True, env=env, timeout=300)


def test_doctor_lists_what_is_installed_and_the_isolation_level() -> None:
    """doctor names the packages and system programs it found and the isolation level with its reason."""
    require("bwrap", "doctor reports the sandbox")
    out = _course("doctor")
    assert out.returncode == 0, out.stderr
    for name in ("nbgrader", "jupyterlab", "ipywidgets", "bwrap", "chromium", "PostgreSQL"):
        assert name in out.stdout
    assert "Grading isolation: bubblewrap sandbox + limits" in out.stdout
    assert "why: bubblewrap works here" in out.stdout


def test_doctor_without_bwrap_says_limits_only_and_why(tmp_path: Path) -> None:
    """Without bwrap on PATH, doctor reports limits only and that bubblewrap is not installed."""
    out = _course("doctor", path=str(tmp_path))
    assert out.returncode == 0, out.stderr
    assert "Grading isolation: limits only" in out.stdout
    assert "bwrap (bubblewrap) is not installed" in out.stdout
    assert "--require-sandbox` refuses to grade" in out.stdout


def test_grade_warns_without_the_sandbox_and_require_sandbox_refuses(tmp_path: Path) -> None:
    """With the sandbox switched off in the course's settings `course grade` warns and grades; with
    --require-sandbox and no bwrap it exits 2 before grading anything. With nothing to grade it does
    not try the sandbox at all (and so says nothing about it)."""
    from course.grading.release import release
    from tests.modules import MODULES

    ws = Workspace.init(tmp_path / "ws")
    with open(ws.config_file, "a", encoding="utf-8") as handle:
        handle.write('\nc.SandboxKernelLauncher.sandbox = "off"\n')
    idle = _course("grade", "--course-dir", str(ws.root))
    assert idle.returncode == 0, idle.stderr
    assert "sandbox" not in idle.stderr and "Nothing to grade" in idle.stdout

    module = MODULES[0]
    release(course_dir=ws.root, assignments=[module])
    learner = ws.root / "submitted" / "learner01" / module
    learner.mkdir(parents=True)
    (learner / f"{module}.ipynb").write_bytes((ws.root / "release" / module / f"{module}.ipynb").read_bytes())
    warned = _course("grade", "--course-dir", str(ws.root))
    assert warned.returncode == 0, warned.stderr
    assert "WITHOUT the sandbox" in warned.stderr and "switched off" in warned.stderr
    refused = _course("grade", "--course-dir", str(ws.root), "--force", "--require-sandbox", path=str(tmp_path))
    assert refused.returncode == 2
    assert "the sandbox is required but bwrap (bubblewrap) is not installed" in refused.stderr
    assert "nothing was graded" in refused.stderr
