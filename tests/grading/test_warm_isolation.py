"""Warm kernels (forks of one fork server) keep submissions apart: two submissions graded back to back
and side by side try, on each other, globals, monkey-patched modules, files in /tmp and /dev/shm,
environment variables, left-over threads and child processes, signals and sockets.

The kernels are started by the launcher ``course grade`` uses (:mod:`course.grading.sandbox` with
:mod:`course.grading.zygote`); each test first checks that they really are warm forks.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from course.grading import sandbox
from course.grading.execute import DEFAULT_LAUNCHER, ExecuteJob, discard_warm_kernels, execute_job
from tests.conftest import missing_part

pytestmark = [pytest.mark.slow, pytest.mark.sandbox]


@pytest.fixture(scope="module", autouse=True)
def _warm() -> None:
    level = sandbox.isolation(sandbox.Settings())
    if not level.warm:
        missing_part(f"warm kernels are not possible here: {level.warm_reason}")
    yield
    discard_warm_kernels()


def _job(key: str, *sources: str) -> ExecuteJob:
    nb = new_notebook(cells=[new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return ExecuteJob(key=key, notebook_name="n.ipynb", notebook=nbformat.writes(nb).encode(),
                      preprocessors=("nbgrader.preprocessors.Execute",), launcher=DEFAULT_LAUNCHER)


def _report(result: object) -> dict:
    """The JSON the notebook's last cell printed."""
    assert result.ok, result.reason  # type: ignore[attr-defined]
    nb = nbformat.reads(result.notebook.decode(), as_version=4)  # type: ignore[attr-defined]
    texts = [o.get("text", "") for o in nb.cells[-1].outputs if o.get("output_type") == "stream"]
    errors = [o for c in nb.cells for o in c.outputs if o.get("output_type") == "error"]
    assert not errors, errors
    return json.loads("".join(texts).strip().splitlines()[-1])


#: The first submission: leaves everything it can behind.
POLLUTE = r"""
import builtins, json, os, subprocess, sys, threading, time
secret = "alice"
builtins.LEFT_BY_A = True
import textwrap, collections
textwrap.dedent = lambda text: "PATCHED"
collections.Counter.left_by_a = True
import pandas
pandas.DataFrame.left_by_a = True
sys.modules["os"].LEFT_BY_A = True
os.environ["LEFT_BY_A"] = "1"
os.putenv("LEFT_BY_A_PUTENV", "1")
for folder in ("/tmp", "/dev/shm", os.path.expanduser("~")):
    try:
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "left-by-a.txt"), "w") as handle:
            handle.write("alice")
    except OSError:
        pass
threading.Thread(target=lambda: time.sleep(300), name="left-by-a", daemon=False).start()
subprocess.Popen(["sleep", "311.25"], start_new_session=True)
if os.fork() == 0:  # a daemon that outlives the kernel, if it can
    os.setsid()
    if os.fork() == 0:
        os.execvp("sleep", ["sleep", "311.5"])
    os._exit(0)
"""

CHECK = r"""
import builtins, collections, glob, json as _json, os, sys, textwrap, threading
import pandas
_report = {
    "globals": "secret" in globals(),
    "builtins": hasattr(builtins, "LEFT_BY_A"),
    "textwrap": textwrap.dedent("  x") != "x",
    "collections": hasattr(collections.Counter, "left_by_a"),
    "pandas": hasattr(pandas.DataFrame, "left_by_a"),
    "os": hasattr(os, "LEFT_BY_A"),
    "env": [k for k in os.environ if k.startswith("LEFT_BY_A")],
    "files": [p for f in ("/tmp", "/dev/shm", os.path.expanduser("~")) for p in glob.glob(f + "/left-by-a.txt")],
    "threads": [t.name for t in threading.enumerate() if t.name == "left-by-a"],
    "sleepers": [p for p in os.listdir("/proc") if p.isdigit() and b"311." in open(f"/proc/{p}/cmdline", "rb").read()],
}
print(_json.dumps(_report))
"""


def _host_processes_with(marker: bytes) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if marker in Path(f"/proc/{entry}/cmdline").read_bytes():
                    found.append(int(entry))
            except OSError:
                continue
    return found


def test_back_to_back_nothing_of_one_submission_reaches_the_next() -> None:
    """Globals, patched modules (textwrap, collections, pandas, os, builtins), files in /tmp, /dev/shm and HOME,
    environment variables, a thread and children (one a double-forked daemon) of the first are all
    gone in the second, which runs in the kernel that was started while the first ran; and on the
    machine, none of the first's processes outlive its notebook."""
    first = execute_job(_job("a", POLLUTE, "print('{}')"))
    assert first.ok, first.reason
    time.sleep(0.5)
    assert _host_processes_with(b"311.") == [], "a child of the first submission outlived its kernel"
    second = execute_job(_job("b", CHECK))
    assert second.warm_kernel
    assert _report(second) == {"globals": False, "builtins": False, "textwrap": False, "collections": False,
                               "pandas": False, "os": False, "env": [], "files": [], "threads": [], "sleepers": []}


SIDE = r"""
import glob, json, os, signal, socket, time
me = "{me}"
began = time.time()
with open("/tmp/shared.txt", "w") as handle:
    handle.write(me)
with open("/dev/shm/shared.txt", "w") as handle:
    handle.write(me)
abstract = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    abstract.bind("\0course-side-by-side")
    abstract.listen(1)
    bound = True
except OSError:
    bound = False
import subprocess
sleeper = subprocess.Popen(["sleep", "{seconds}"])
time.sleep(3)  # both notebooks are running now
seen = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
others = [p for p in seen if b"312." in open(f"/proc/{{p}}/cmdline", "rb").read() and p != sleeper.pid]
killed = []
mine = {{1, sleeper.pid, *(int(t) for t in os.listdir("/proc/self/task"))}}  # a thread id is a kill target too
for pid in range(1, 4000):
    if pid in mine:
        continue
    try:
        os.kill(pid, signal.SIGKILL)
        killed.append(pid)
    except OSError:
        pass
report = {{
    "me": me,
    "uid": os.getuid(),
    "tmp": open("/tmp/shared.txt").read(),
    "shm": open("/dev/shm/shared.txt").read(),
    "abstract_bound": bound,
    "folders": sorted(glob.glob("/tmp/course-grade-*") + glob.glob("/tmp/ck-*")),
    "others": others,
    "killed": killed,
    "cwd": os.getcwd(),
    "began": began,
    "ended": time.time(),
    "sleeper_alive": sleeper.poll() is None,
}}
sleeper.kill()
print(json.dumps(report))
"""


def test_side_by_side_two_submissions_cannot_touch_each_other() -> None:
    """Two notebooks running at the same moment, each in its own warm kernel: each writes the same
    names in /tmp and /dev/shm and reads back its own; each binds the same abstract socket name (no
    clash: separate network namespaces); neither sees the other's folders or processes, and killing
    every pid it can reach leaves the other's running; each runs under its own uid."""
    results: dict[str, object] = {}

    def run(me: str, seconds: str) -> None:
        results[me] = execute_job(_job(me, SIDE.format(me=me, seconds=seconds)))

    threads = [threading.Thread(target=run, args=("alice", "312.25")),
               threading.Thread(target=run, args=("bob", "312.5"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    a, b = _report(results["alice"]), _report(results["bob"])
    assert a["began"] < b["ended"] and b["began"] < a["ended"], "the two notebooks did not overlap"
    for mine in (a, b):
        assert mine["tmp"] == mine["shm"] == mine["me"]
        assert mine["abstract_bound"]
        assert mine["others"] == []
        assert mine["sleeper_alive"], "the notebook's own child survives its neighbour's kill loop"
        # its own folder and its own IPC socket folder, nothing else of the machine's /tmp
        assert [f for f in mine["folders"] if "course-grade-" in f] == [mine["cwd"]]
        assert len([f for f in mine["folders"] if "/ck-" in f]) == 1
    assert a["uid"] != b["uid"]
    assert not set(a["folders"]) & set(b["folders"])
