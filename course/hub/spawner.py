"""Each employee's JupyterLab as their own Unix account (``smw-<sign-in name>``), with their role's extensions.

JupyterHub's LocalProcessSpawner, except that the Unix account carries the hub's prefix (so the
accounts the hub made are easy to recognise) and the Jupyter config comes from a root-owned folder
that :func:`course.hub.setup.write_user_config` fills: the learner's nbgrader settings (course,
exchange, employee id) cannot be edited by the learner. Compliance-only accounts get no server.
"""

from __future__ import annotations

import pwd
from pathlib import Path
from typing import Any

from jupyterhub.spawner import LocalProcessSpawner, set_user_setuid
from traitlets import Unicode

from course.hub.accounts import DEACTIVATED_GROUP, ROLE_GROUPS, Role

#: Groups whose members get a JupyterLab server.
SERVER_GROUPS = frozenset({ROLE_GROUPS[Role.LEARNER], ROLE_GROUPS[Role.TRAINER], ROLE_GROUPS[Role.ADMIN]})


def user_config_dir(state_dir: Path | str, username: str) -> Path:
    """The root-owned Jupyter config folder of one hub user."""
    return Path(state_dir) / "jupyter" / "users" / username / "jupyter"


class CourseSpawner(LocalProcessSpawner):
    state_dir = Unicode(config=True, help="The hub's state folder (course.hub.state)")
    unix_prefix = Unicode("smw-", config=True, help="Prefix of the Unix accounts the hub made")

    @property
    def unix_name(self) -> str:
        return self.unix_prefix + self.user.name

    def make_preexec_fn(self, name: str) -> Any:
        return set_user_setuid(self.unix_name)

    def user_env(self, env: dict[str, str]) -> dict[str, str]:
        entry = pwd.getpwnam(self.unix_name)
        env["USER"] = env["LOGNAME"] = self.unix_name
        env["HOME"] = entry.pw_dir
        env["SHELL"] = "/bin/bash"
        return env

    def get_env(self) -> dict[str, str]:
        env = super().get_env()
        home = env["HOME"]
        env.update({
            "JUPYTER_CONFIG_DIR": str(user_config_dir(self.state_dir, self.user.name)),
            "JUPYTERLAB_SETTINGS_DIR": f"{home}/.jupyter/lab/user-settings",
            "JUPYTERLAB_WORKSPACES_DIR": f"{home}/.jupyter/lab/workspaces",
            "JUPYTER_PREFER_ENV_PATH": "1",
            "IPYTHONDIR": f"{home}/.ipython",
        })
        return env

    async def start(self) -> Any:
        groups = {g.name for g in self.user.groups}
        if DEACTIVATED_GROUP in groups:
            raise PermissionError(f"{self.user.name} is no longer on the course roster")
        if not groups & SERVER_GROUPS:
            raise PermissionError(f"{self.user.name} has no JupyterLab server: compliance staff use the "
                                  "compliance service")
        try:
            pwd.getpwnam(self.unix_name)
        except KeyError:
            raise PermissionError(f"the Unix account {self.unix_name} does not exist yet; run `course hub sync` "
                                  "on the hub machine") from None
        if not user_config_dir(self.state_dir, self.user.name).is_dir():
            raise PermissionError(f"{self.user.name}'s course settings are not ready; run `course hub sync`")
        self.notebook_dir = pwd.getpwnam(self.unix_name).pw_dir
        return await super().start()
