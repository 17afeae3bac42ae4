"""course.workspace: a workspace is a standard nbgrader course directory, and re-init keeps its data."""

from __future__ import annotations

from pathlib import Path

import pytest

from course.grading.stock import load_course_config
from course.workspace import Workspace, WorkspaceError


def test_init_writes_nbgrader_config(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "ws")
    config = load_course_config(ws.root)
    assert config.CourseDirectory.root == str(ws.root)
    assert config.CourseDirectory.db_url == ws.db_url
    assert config.CourseDirectory.source_directory == "source"
    assert config.Exchange.root == str(ws.exchange)
    assert (ws.root / "submitted").is_dir()


def test_reinit_keeps_settings_and_data(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "ws", db_url="sqlite:////tmp/elsewhere.db")
    (ws.root / "submitted" / "keep.txt").write_text("x")
    again = Workspace.init(tmp_path / "ws")
    assert again.db_url == "sqlite:////tmp/elsewhere.db"
    assert (ws.root / "submitted" / "keep.txt").exists()


def test_open_refuses_a_plain_folder(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="not a course workspace"):
        Workspace.open(tmp_path)
