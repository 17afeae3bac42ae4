"""voice_checker in a real JupyterLab: typing in the text area updates the highlights and the verdict live."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]


@pytest.fixture(scope="module")
def lab_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A plain JupyterLab on loopback, rooted at a folder holding one notebook that shows the widget."""
    root = tmp_path_factory.mktemp("voice-lab")
    notebook = nbformat.v4.new_notebook(metadata={"kernelspec": {
        "name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}})
    notebook.cells = [nbformat.v4.new_code_cell('from course.widgets import voice_checker\nvoice_checker("x")')]
    nbformat.write(notebook, root / "live.ipynb")
    home = root / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "JPY_", "IPYTHON"))}
    env.update(HOME=str(home), JUPYTER_CONFIG_DIR=str(home / "jupyter"), JUPYTER_RUNTIME_DIR=str(home / "runtime"),
               IPYTHONDIR=str(home / "ipython"), PATH=str(Path(sys.executable).parent) + os.pathsep + env["PATH"])
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    token = secrets.token_hex(16)
    argv = [sys.executable, "-m", "jupyter", "lab", f"--ServerApp.root_dir={root}",
            f"--ServerApp.port={port}", "--ServerApp.ip=127.0.0.1", "--ServerApp.open_browser=False",
            "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", "--ServerApp.allow_root=True"]
    log = (root / "server.log").open("w")
    process = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, (root / "server.log").read_text()
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=5):
                    break
            except OSError:
                assert time.monotonic() < deadline, "JupyterLab did not start within 120s"
                time.sleep(0.5)
        yield f"{url}/lab/tree/live.ipynb?reset&token={token}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        log.close()


def test_findings_update_while_typing(page, lab_url: str) -> None:
    """It highlights the shouting and the exclamation marks as they are typed, then clears them when fixed."""
    from playwright.sync_api import expect

    page.goto(lab_url)
    expect(page.locator("#jp-main-statusbar")).to_contain_text("Idle", timeout=90_000)
    page.locator(".jp-Cell .jp-InputArea-editor").first.click()
    page.keyboard.press("Shift+Enter")
    area = page.locator(".jp-OutputArea textarea").first
    expect(area).to_be_visible(timeout=90_000)
    status = page.locator('.jp-OutputArea [role="status"]').first
    expect(status).to_contain_text("Type a draft")

    area.click()
    page.keyboard.type("WE ARE OPEN!! Come and see us", delay=25)
    marks = page.locator(".jp-OutputArea mark")
    expect(marks).to_have_count(2, timeout=30_000)
    assert marks.all_inner_texts()[0].startswith("WE ARE OPEN")
    expect(status).to_contain_text("2 should fix")

    page.keyboard.press("Control+a")
    page.keyboard.type("We are open late, come and see us.", delay=10)
    expect(marks).to_have_count(0, timeout=30_000)
    expect(status).to_contain_text("✔ Passes")
