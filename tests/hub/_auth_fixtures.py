"""Helpers for the sign-in tests: free ports, the npm tools of tests/hub/oidc, a real JupyterHub.

The hub is configured only through ``course.hub.auth.authenticator_config`` plus what any hub
needs to run here (ports on 127.0.0.1, a database and secrets in a temporary folder, a service
token the test reads the hub's users with).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import yaml

from tests.conftest import REPO, missing_part

NODE_DIR = REPO / "tests" / "hub" / "oidc"
NODE_BIN = NODE_DIR / "node_modules" / ".bin"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (the OS chose it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def require_node_tools() -> Path:
    """Check node and the npm packages of tests/hub/oidc (``make test`` installs them); return the proxy's
    path. Skips the test when they are missing, or fails it under CI=true."""
    chp = NODE_BIN / "configurable-http-proxy"
    missing = [what for what, ok in (("node", shutil.which("node")), ("configurable-http-proxy", chp.exists()),
                                     ("oidc-provider", (NODE_DIR / "node_modules" / "oidc-provider").is_dir()))
               if not ok]
    if not missing:
        return chp
    missing_part(f"{', '.join(missing)} not installed; `make test` installs them (npm ci --prefix tests/hub/oidc)")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)


@contextmanager
def oidc_provider(workdir: Path, *, clients: list[dict], accounts: dict[str, dict]) -> Iterator[str]:
    """node-oidc-provider on a free 127.0.0.1 port; yields its issuer URL and stops it afterwards."""
    require_node_tools()
    script = NODE_DIR / "provider.mjs"
    config = workdir / "oidc-provider.json"
    config.write_text(json.dumps({"clients": clients, "accounts": accounts}), "utf-8")
    log = (workdir / "oidc-provider.log").open("wb")
    proc = subprocess.Popen(["node", str(script), str(config)], cwd=NODE_DIR, stdout=subprocess.PIPE,
                            stderr=log, start_new_session=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the OpenID provider did not start: {(workdir / 'oidc-provider.log').read_text()}")
        yield json.loads(line)["issuer"]
    finally:
        _stop(proc)
        log.close()


@dataclass
class Hub:
    url: str
    token: str
    log: Path

    def api(self, path: str) -> httpx.Response:
        return httpx.get(f"{self.url}/hub/api{path}", headers={"Authorization": f"token {self.token}"}, timeout=30)


_CONFIG = """\
import json
from traitlets.config import Config
from course.hub.auth import authenticator_config, load_auth_settings

p = json.load(open({params!r}))
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = p["port"]
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = p["hub_port"]
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:%d" % p["proxy_api_port"]
c.ConfigurableHTTPProxy.command = [p["chp"]]
c.JupyterHub.db_url = "sqlite:///" + p["state"] + "/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = p["state"] + "/cookie_secret"
c.JupyterHub.pid_file = p["state"] + "/jupyterhub.pid"
c.JupyterHub.spawner_class = "simple"
c.JupyterHub.services = [{{"name": "test-reader", "api_token": p["token"]}}]
c.JupyterHub.load_roles = [{{"name": "test-reader", "scopes": ["read:users", "read:groups"],
                            "services": ["test-reader"]}}]
# Sign-in: only what the settings file's auth: section says.
c.merge(Config(authenticator_config(load_auth_settings(p["settings"]))))
"""


@contextmanager
def running_hub(workdir: Path, auth_section: dict, *, port: int, env: dict[str, str] | None = None) -> Iterator[Hub]:
    """A real JupyterHub + configurable-http-proxy on 127.0.0.1:``port`` whose sign-in is ``auth_section``."""
    chp = require_node_tools()
    state = workdir / "hub"
    state.mkdir(parents=True, exist_ok=True)
    settings = state / "hub.yaml"
    settings.write_text(yaml.safe_dump({"auth": auth_section}), "utf-8")
    token = secrets.token_hex(24)
    params = state / "params.json"
    params.write_text(json.dumps({"port": port, "hub_port": free_port(), "proxy_api_port": free_port(),
                                  "chp": str(chp), "state": str(state), "token": token,
                                  "settings": str(settings)}), "utf-8")
    config = state / "jupyterhub_config.py"
    config.write_text(_CONFIG.format(params=str(params)), "utf-8")
    log_path = state / "jupyterhub.log"
    log = log_path.open("wb")
    full_env = {**os.environ, **(env or {}),
                "PATH": f"{NODE_BIN}:{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
                "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([str(Path(sys.executable).parent / "jupyterhub"), "-f", str(config)], cwd=state,
                            env=full_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    hub = Hub(url=f"http://127.0.0.1:{port}", token=token, log=log_path)
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"JupyterHub exited ({proc.returncode}):\n{log_path.read_text()[-4000:]}")
            try:
                if httpx.get(f"{hub.url}/hub/api", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"JupyterHub did not answer within 90 s:\n{log_path.read_text()[-4000:]}")
            time.sleep(0.3)
        yield hub
    finally:
        _stop(proc)
        log.close()


@contextmanager
def json_server(documents: dict[str, object]) -> Iterator[str]:
    """A tiny HTTP server on a free 127.0.0.1 port serving fixed JSON documents by path (an LMS's JWKS)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = documents.get(self.path.split("?")[0])
            payload = json.dumps(body).encode() if body is not None else b"{}"
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
