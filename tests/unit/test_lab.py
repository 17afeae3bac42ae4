"""course.lab: each role's Jupyter settings, written under the lab folder and nowhere else."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from course.lab import (
    LAB_PLUGINS,
    SERVER_EXTENSIONS,
    LabError,
    Role,
    extension_problems,
    learner_lab,
    published,
    stale_modules,
    trainer_lab,
    widget_safe_shortcuts,
)
from course.workspace import Workspace, WorkspaceError


def _disabled(config_dir: Path) -> dict[str, bool]:
    return json.loads((config_dir / "labconfig" / "page_config.json").read_text())["disabledExtensions"]


def _server_extensions(config_dir: Path) -> dict[str, bool]:
    return json.loads((config_dir / "jupyter_server_config.json").read_text())["ServerApp"]["jpserver_extensions"]


def test_learner_gets_assignment_list_and_validate_but_not_formgrader(tmp_path: Path) -> None:
    """The learner's config turns on the Assignments list and Validate and turns off every trainer tool."""
    server = learner_lab(workspace=tmp_path / "ws", lab_dir=tmp_path / "lab", learner="e1001")
    disabled = _disabled(server.config_dir)
    assert disabled["@jupyter/nbgrader:assignment-list"] is False
    assert disabled["@jupyter/nbgrader:validate-assignment"] is False
    assert disabled["@jupyter/nbgrader:formgrader"] is True
    assert disabled["@jupyter/nbgrader:create-assignment"] is True
    extensions = _server_extensions(server.config_dir)
    assert extensions["nbgrader.server_extensions.assignment_list"] is True
    assert extensions["nbgrader.server_extensions.formgrader"] is False


def test_trainer_gets_formgrader_but_not_assignment_list(tmp_path: Path) -> None:
    """The trainer's config is the mirror image, and its Jupyter root is the workspace."""
    Workspace.init(tmp_path / "ws")
    server = trainer_lab(workspace=tmp_path / "ws", lab_dir=tmp_path / "lab")
    assert server.root_dir == (tmp_path / "ws").resolve()
    assert _disabled(server.config_dir)["@jupyter/nbgrader:formgrader"] is False
    assert _disabled(server.config_dir)["@jupyter/nbgrader:assignment-list"] is True
    assert _server_extensions(server.config_dir)["nbgrader.server_extensions.formgrader"] is True
    assert not (server.config_dir / "nbgrader_config.py").exists()


def test_every_nbgrader_part_is_assigned_to_roles_on_purpose() -> None:
    """Each nbgrader plugin and server extension is listed with the roles that get it."""
    assert set(LAB_PLUGINS) == {f"@jupyter/nbgrader:{p}" for p in (
        "menu", "assignment-list", "validate-assignment", "formgrader", "create-assignment", "course-list")}
    assert all(roles <= set(Role) for roles in [*LAB_PLUGINS.values(), *SERVER_EXTENSIONS.values()])


def test_learner_nbgrader_config_points_at_the_workspace_exchange(tmp_path: Path) -> None:
    """Fetch and submit go through the workspace's exchange, under the learner's id, into the learner's home."""
    server = learner_lab(workspace=tmp_path / "ws", lab_dir=tmp_path / "lab", learner="e1001")
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(server.config_dir)).load_config()
    assert config.Exchange.root == str(server.workspace.exchange)
    assert config.Exchange.assignment_dir == str(server.root_dir)
    assert config.CourseDirectory.student_id == "e1001"
    assert config.CourseDirectory.course_id == server.workspace.course_id
    assert server.root_dir == (tmp_path / "lab" / "learner" / "home").resolve()


@pytest.mark.parametrize("bad", ["", "a+b", "a*", "two words", "../up", ".hidden"])
def test_learner_id_that_would_break_the_exchange_is_refused(tmp_path: Path, bad: str) -> None:
    """nbgrader's exchange splits folder names on '+': ids it cannot round-trip are refused up front."""
    with pytest.raises(LabError):
        learner_lab(workspace=tmp_path / "ws", lab_dir=tmp_path / "lab", learner=bad)


def test_trainer_lab_needs_an_existing_workspace(tmp_path: Path) -> None:
    """A trainer lab on a folder that is not a workspace fails with a message saying how to make one."""
    with pytest.raises(WorkspaceError, match="course workspace init"):
        trainer_lab(workspace=tmp_path / "nothing", lab_dir=tmp_path / "lab")


def test_command_keeps_token_auth_on_and_listens_on_loopback(tmp_path: Path) -> None:
    """The server command carries the given token, listens on 127.0.0.1 only, and refuses an empty token."""
    server = learner_lab(workspace=tmp_path / "ws", lab_dir=tmp_path / "lab")
    argv = server.command(port=9999, token="abc123", open_browser=False)
    assert "--IdentityProvider.token=abc123" in argv
    assert "--ServerApp.ip=127.0.0.1" in argv
    assert not [a for a in argv if "token=''" in a or a.endswith("token=")]
    assert not any(a.startswith("--IdentityProvider.token") for a in server.command(port=9999))
    with pytest.raises(LabError):
        server.command(port=9999, token="")


def test_environment_keeps_jupyter_state_in_the_lab_folder(tmp_path: Path) -> None:
    """Jupyter's and IPython's directories are the role's own, and this environment's tools come first."""
    server = learner_lab(workspace=tmp_path / "ws", lab_dir=tmp_path / "lab")
    env = server.env({"PATH": "/usr/bin", "HOME": "/home/someone"})
    for key in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"):
        assert Path(env[key]).is_relative_to(tmp_path / "lab" / "learner"), key
    assert env["PATH"].split(":")[0] == str(Path(sys.executable).parent)


def test_setting_up_twice_gives_the_same_files(tmp_path: Path) -> None:
    """Setting up again changes nothing (idempotent), and keeps what the learner has in their home."""
    server = learner_lab(workspace=tmp_path / "ws", lab_dir=tmp_path / "lab")
    (server.root_dir / "notes.txt").write_text("mine")
    before = {p: p.read_bytes() for p in server.config_dir.rglob("*") if p.is_file()}
    learner_lab(workspace=tmp_path / "ws", lab_dir=tmp_path / "lab")
    assert {p: p.read_bytes() for p in server.config_dir.rglob("*") if p.is_file()} == before
    assert (server.root_dir / "notes.txt").read_text() == "mine"


def test_shortcuts_leave_widget_controls_alone() -> None:
    """Every command-mode shortcut is disabled and re-added with a selector that skips widget controls,
    arrow keys and the cell-editing letters included."""
    shortcuts = widget_safe_shortcuts()
    off = [s for s in shortcuts if s.get("disabled")]
    on = [s for s in shortcuts if not s.get("disabled")]
    assert len(off) == len(on) > 20
    assert all(":not(.jupyter-widgets *)" in s["selector"] for s in on)
    commands = {(s["command"], tuple(s["keys"])) for s in on}
    for expected in [("notebook:move-cursor-down", ("ArrowDown",)), ("notebook:change-cell-to-markdown", ("M",)),
                     ("notebook:cut-cell", ("X",)), ("notebook:delete-cell", ("D", "D"))]:
        assert expected in commands


def test_shortcut_settings_edited_by_hand_are_kept(tmp_path: Path) -> None:
    """Once someone edits the shortcut settings in JupyterLab, setting up again leaves them alone."""
    server = learner_lab(workspace=tmp_path / "ws", lab_dir=tmp_path / "lab")
    path = next(server.config_dir.rglob("shortcuts.jupyterlab-settings"))
    path.write_text('{"shortcuts": []}')
    learner_lab(workspace=tmp_path / "ws", lab_dir=tmp_path / "lab")
    assert path.read_text() == '{"shortcuts": []}'


def test_nothing_is_published_in_a_new_workspace(tmp_path: Path) -> None:
    """A fresh workspace's exchange is empty, so every module needs publishing."""
    server = learner_lab(workspace=tmp_path / "ws", lab_dir=tmp_path / "lab")
    assert published(server.workspace) == []
    from tests.modules import MODULES

    assert stale_modules(server.workspace) == MODULES


def test_this_environment_has_every_extension_the_lab_needs() -> None:
    """nbgrader's server extensions and lab extension, and the widget manager, are installed and enabled."""
    assert extension_problems() == []
