"""Stop the whole embedded hub (``course hub down``, and Ctrl+C in ``course hub up``).

JupyterHub is configured to leave employees' servers and the proxy running when it stops
(``cleanup_servers`` / ``cleanup_proxy`` are off) so that a restarted hub picks them up with no work
lost. Stopping the deployment for good is therefore more than stopping the hub: in order, the hub
(its pid file; it stops its managed services), every server the hub database lists as running, any
formgrader or compliance service left by a hub that was killed, the proxy (its pid file) and the
gradebook's PostgreSQL. Files stay; only processes end. Each pid is checked before it is signalled:
it must belong to one of the hub's own Unix accounts (or, for the proxy, run configurable-http-proxy).
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import signal
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

from course.hub.settings import HubSettings
from course.hub.state import HubState


@dataclass
class Stopped:
    hub: bool = False
    servers: list[int] = field(default_factory=list)
    services: list[int] = field(default_factory=list)
    proxy: bool = False
    postgres: bool = False

    def summary(self) -> str:
        parts = [f"hub {'stopped' if self.hub else 'was not running'}",
                 f"{len(self.servers)} server(s) stopped",
                 f"{len(self.services)} leftover service process(es) stopped",
                 f"proxy {'stopped' if self.proxy else 'was not running'}",
                 f"PostgreSQL {'stopped' if self.postgres else 'was not running'}"]
        return "; ".join(parts)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie has exited already
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return True


def _terminate(pid: int, *, timeout: float = 20.0) -> bool:
    """SIGTERM, then SIGKILL after ``timeout``; whether the process was running."""
    if not _alive(pid):
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.2)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    return True


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _owner(pid: int) -> str:
    try:
        return pwd.getpwuid(os.stat(f"/proc/{pid}").st_uid).pw_name
    except (OSError, KeyError):
        return ""


def _pid_file(path: Path) -> int | None:
    try:
        return int(path.read_text("utf-8").strip())
    except (OSError, ValueError):
        return None


def server_pids(state: HubState) -> list[int]:
    """Pids of employees' servers the hub database records (LocalProcessSpawner's state)."""
    db = state.root / "jupyterhub.sqlite"
    if not db.exists():
        return []
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        rows = conn.execute("SELECT state FROM spawners WHERE state IS NOT NULL").fetchall()
    pids = []
    for (raw,) in rows:
        try:
            pid = json.loads(raw).get("pid")
        except (TypeError, ValueError, AttributeError):
            continue
        if isinstance(pid, int) and pid > 0:
            pids.append(pid)
    return pids


def stop_hub(settings: HubSettings, *, state: HubState | None = None) -> Stopped:
    """Stop every process of the deployment (see the module docstring); safe to run again."""
    settings = settings.resolve()
    state = state or HubState.open(settings)
    done = Stopped()
    hub_pid = _pid_file(state.root / "jupyterhub.pid")
    if hub_pid and any(name in _cmdline(hub_pid) for name in ("course.hub.app", "jupyterhub")):
        done.hub = _terminate(hub_pid, timeout=60)
    ours = settings.unix_prefix
    for pid in server_pids(state):
        if _owner(pid).startswith(ours) and "jupyterhub.singleuser" in _cmdline(pid) and _terminate(pid):
            done.servers.append(pid)
    for entry in Path("/proc").iterdir():  # services a killed hub left behind
        if entry.name.isdigit() and _owner(int(entry.name)) == state.course_owner:
            cmd = _cmdline(int(entry.name))
            if ("jupyterhub.singleuser" in cmd or "course.hub.compliance_service" in cmd) and _terminate(
                    int(entry.name)):
                done.services.append(int(entry.name))
    proxy_pid = _pid_file(state.root / "proxy.pid")
    if proxy_pid and "configurable-http-proxy" in _cmdline(proxy_pid):
        done.proxy = _terminate(proxy_pid)
        (state.root / "proxy.pid").unlink(missing_ok=True)
    if "postgres" in state.ports and settings.gradebook == "postgres":
        from course.hub.postgres import Postgres

        pg = Postgres(data=state.owner_home / "postgres", port=state.port("postgres"), password="",
                      account=state.course_owner)
        if pg.running():
            pg.stop()
            done.postgres = True
    return done
