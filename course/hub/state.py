"""Where the hub's runtime state lives (``STATE_DIR``, ``var/hub`` by default), and its secrets.

::

    STATE_DIR/state.json            ports chosen once (so a restarted hub finds its servers), accounts
    STATE_DIR/secrets/              root-only: proxy and API tokens, cookie secret, password hashes
    STATE_DIR/jupyterhub.sqlite     the hub's database (users, groups, tokens, NativeAuthenticator)
    STATE_DIR/smw-grader/           home of the course owner account (formgrader, compliance service)
    STATE_DIR/smw-grader/workspace/ the course workspace (nbgrader course directory), owner-only
    STATE_DIR/smw-grader/postgres/  the gradebook's PostgreSQL data, owner-only
    STATE_DIR/exchange/             nbgrader's exchange (see course.hub.exchange for its permissions)
    STATE_DIR/jupyter/<role|user>/  Jupyter config per role and per user (root-owned, read-only to them)
    STATE_DIR/home/<account>/       employees' homes, each owner-only
"""

from __future__ import annotations

import json
import os
import secrets
import socket
from dataclasses import dataclass, field
from pathlib import Path

from course._paths import repo_root
from course.hub.settings import HubSettings

#: The Unix account that owns the course workspace and runs formgrader and the compliance service.
OWNER = "grader"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proxy_binary() -> Path:
    """configurable-http-proxy as the Makefile installs it (``var/node``), else the one on PATH."""
    import shutil

    local = repo_root() / "var" / "node" / "node_modules" / ".bin" / "configurable-http-proxy"
    if local.exists():
        return local
    found = shutil.which("configurable-http-proxy")
    return Path(found) if found else local


@dataclass
class HubState:
    root: Path
    prefix: str = "smw-"
    ports: dict[str, int] = field(default_factory=dict)

    @property
    def secrets(self) -> Path:
        return self.root / "secrets"

    @property
    def course_owner(self) -> str:
        return self.prefix + OWNER

    @property
    def owner_home(self) -> Path:
        return self.root / self.course_owner

    @property
    def workspace(self) -> Path:
        return self.owner_home / "workspace"

    @property
    def exchange(self) -> Path:
        return self.root / "exchange"

    @property
    def homes(self) -> Path:
        return self.root / "home"

    @property
    def native_seed(self) -> Path:
        return self.secrets / "native-accounts.json"

    @property
    def proxy_command(self) -> Path:
        return proxy_binary()

    def config_dir(self, name: str) -> Path:
        return self.root / "jupyter" / name

    def role_env(self, role: str) -> dict[str, str]:
        """Jupyter's config for a role: extensions, and nbgrader settings that the user cannot edit."""
        base = self.config_dir(role)
        return {"JUPYTER_CONFIG_DIR": str(base / "jupyter"), "JUPYTER_PREFER_ENV_PATH": "1"}

    def port(self, name: str) -> int:
        if name not in self.ports:
            self.ports[name] = free_port()
        return self.ports[name]

    # -- persistence ---------------------------------------------------------------------------------

    @classmethod
    def open(cls, settings: HubSettings) -> HubState:
        settings = settings.resolve()
        state = cls(root=settings.state_dir, prefix=settings.unix_prefix)
        path = state.root / "state.json"
        if path.exists():
            data = json.loads(path.read_text("utf-8"))
            state.ports = {k: int(v) for k, v in data.get("ports", {}).items()}
        return state

    def save(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        for name in ("hub", "proxy-api", "formgrader", "compliance"):
            self.port(name)
        path = self.root / "state.json"
        tmp = path.with_name(".state.json.tmp")
        tmp.write_text(json.dumps({"ports": self.ports}, indent=2) + "\n", "utf-8")
        os.replace(tmp, path)

    def read_secret(self, name: str) -> str:
        path = self.secrets / f"{name}.token"
        try:
            return path.read_text("utf-8").strip()
        except FileNotFoundError:
            raise FileNotFoundError(f"{path} is missing: run `course hub up` (make hub) to prepare the hub") from None

    def ensure_secret(self, name: str) -> str:
        """The secret ``name``, made (random, root-only) the first time."""
        self.secrets.mkdir(parents=True, exist_ok=True)
        os.chmod(self.secrets, 0o700)
        path = self.secrets / f"{name}.token"
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32) + "\n")
        return self.read_secret(name)
