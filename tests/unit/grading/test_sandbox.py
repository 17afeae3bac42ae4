"""Sandboxed kernels, with real bubblewrap and real kernels: what a kernel can see and do, which limits
hold with and without the sandbox, and the plain reasons given when a kernel is stopped."""

from __future__ import annotations

import json
import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from course.grading import sandbox
from course.grading.execute import ExecuteJob, ExecuteResult, execute_job
from tests.conftest import REPO, require

pytestmark = pytest.mark.slow

MODES = [pytest.param("require", marks=pytest.mark.sandbox, id="sandbox"), pytest.param("off", id="limits-only")]


def _caches() -> None:
    for fn in (sandbox.isolation, sandbox._dedicated_uid_possible, sandbox._bwrap_help, sandbox._bwrap_version):
        fn.cache_clear()


@pytest.fixture(autouse=True)
def fresh_probes() -> Iterator[None]:
    _caches()
    yield
    _caches()


def _settings(mode: str, **limits: int) -> sandbox.Settings:
    if mode == "require":
        require("bwrap", "the sandbox is bubblewrap")
    settings, _ = sandbox.resolve(sandbox.Settings(sandbox=mode, limits=sandbox.Limits(**limits)))
    return settings


def _run(cells: list[str], settings: sandbox.Settings, *, timeout: int = 20) -> ExecuteResult:
    nb = new_notebook(cells=[new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    job = ExecuteJob(key="a/s/t.ipynb", notebook_name="t.ipynb", notebook=nbformat.writes(nb).encode(),
                     config={"Execute": {"timeout": timeout}, sandbox.SECTION: settings.as_config()},
                     notebook_timeout=120, prestart=False)
    return execute_job(job)


def _outputs(result: ExecuteResult) -> list[str]:
    """Per cell: its stdout, stderr and error text joined."""
    assert result.ok, result.reason
    nb = nbformat.reads(result.notebook.decode(), as_version=4)  # type: ignore[union-attr]
    return ["".join(str(o.get("text", "")) + str(o.get("ename", "")) for o in c.outputs) for c in nb.cells]


def _live_named(name: str) -> list[int]:
    """Running processes called ``name`` (zombies, already dead, are left to init to reap)."""
    out = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "comm").read_text().strip() == name:
                state = (entry / "stat").read_bytes().rsplit(b")", 1)[1].split()[0]
                if state not in (b"Z", b"X"):
                    out.append(int(entry.name))
        except (OSError, IndexError):
            continue
    return out


def test_isolation_is_the_sandbox_where_bubblewrap_works() -> None:
    """With bubblewrap installed (and namespaces allowed), the level in force is the sandbox, with why."""
    require("bwrap", "the sandbox is bubblewrap")
    level = sandbox.isolation(sandbox.Settings())
    assert level.sandboxed, level.reason
    assert "bubblewrap works" in level.reason and level.bwrap_version


def test_sandbox_off_is_limits_only_and_says_so() -> None:
    """Switched off, the level is limits only and the reason says it was switched off."""
    level = sandbox.isolation(sandbox.Settings(sandbox="off"))
    assert level.level == sandbox.LIMITS_ONLY
    assert "switched off" in level.reason
    assert any("without the sandbox" in d for d in level.details)


def test_required_sandbox_without_bubblewrap_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """When bwrap is not on PATH, "require" fails with a reason naming the missing program, "auto"
    falls back to limits only with the same reason."""
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(sandbox.SandboxUnavailable, match=r"bwrap \(bubblewrap\) is not installed"):
        sandbox.resolve(sandbox.Settings(sandbox="require"))
    settings, level = sandbox.resolve(sandbox.Settings(sandbox="auto"))
    assert settings.sandbox == "off" and "not installed" in level.reason


def test_settings_travel_to_workers_and_bad_ones_are_refused() -> None:
    """Settings survive the trip through a job's config; an unknown limit is an error, not ignored."""
    settings = sandbox.Settings(sandbox="off", limits=sandbox.Limits(cpu_seconds=7), probed=True)
    assert sandbox.Settings.from_config({sandbox.SECTION: settings.as_config()}) == settings
    with pytest.raises(ValueError, match="unknown sandbox limit"):
        sandbox.Settings.from_config({sandbox.SECTION: {"limits": {"cpu_secs": 1}}})
    with pytest.raises(ValueError, match="auto, require or off"):
        sandbox.Settings.from_config({sandbox.SECTION: {"sandbox": "maybe"}})
    from traitlets.config import Config

    c = Config()  # as a course's nbgrader_config.py sets them
    c.SandboxKernelLauncher.sandbox = "off"
    c.SandboxKernelLauncher.limits = {"memory_bytes": 4 * 2**30}
    assert sandbox.Settings.from_config(c) == sandbox.Settings(sandbox="off",
                                                               limits=sandbox.Limits(memory_bytes=4 * 2**30))


PROBE = """\
import json, os, pathlib, resource, socket
facts = {"uid": os.getuid(), "home": os.environ.get("HOME"), "secret": os.environ.get("COURSE_TEST_SECRET"),
         "solutions": pathlib.Path(REPO, "solutions").exists(), "repo": sorted(os.listdir(REPO)),
         "root_home": os.path.exists("/root/.bashrc") or os.path.exists("/root/.profile"),
         "limits": [resource.getrlimit(getattr(resource, n))[0] for n in
                    ("RLIMIT_CPU", "RLIMIT_AS", "RLIMIT_NPROC", "RLIMIT_FSIZE", "RLIMIT_NOFILE")]}
try:
    socket.create_connection(("127.0.0.1", PORT), timeout=2).close()
    facts["net"] = True
except OSError:
    facts["net"] = False
for name, path in (("etc", "/etc/course-probe"), ("usr", "/usr/course-probe"), ("own", "own-file")):
    try:
        open(path, "w").write("x")
        facts[name] = True
    except OSError:
        facts[name] = False
print(json.dumps(facts))
"""


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    server = socket.create_server(("127.0.0.1", 0))
    yield server
    server.close()


def test_a_sandboxed_kernel_sees_only_its_folder(monkeypatch: pytest.MonkeyPatch, listener: socket.socket) -> None:
    """In the sandbox a kernel is not root, has no network (not even this machine), cannot see
    solutions/ or the trainer's home, sees of the repository only course/ and data/ (and the venv),
    gets none of the grader's environment, and may write only in its own folder."""
    settings = _settings("require")
    monkeypatch.setenv("COURSE_TEST_SECRET", "hunter2")
    probe = PROBE.replace("REPO", repr(str(REPO))).replace("PORT", str(listener.getsockname()[1]))
    facts = json.loads(_outputs(_run([probe], settings))[0])
    assert facts["uid"] != 0 and facts["secret"] is None
    assert facts["net"] is False
    assert facts["solutions"] is False and facts["root_home"] is False
    assert set(facts["repo"]) <= {"course", "data", ".venv"} and "course" in facts["repo"]
    assert (facts["etc"], facts["usr"], facts["own"]) == (False, False, True)
    limits = sandbox.Limits()
    nproc = sandbox._rlimits(limits, sandbox.BASE_UID)["RLIMIT_NPROC"]  # the cgroup/watcher stop it at `processes`
    assert facts["limits"] == [limits.cpu_seconds, limits.memory_bytes, nproc, limits.file_bytes, limits.open_files]
    assert not (REPO / "solutions" / "own-file").exists()


def test_sandbox_without_own_uids_runs_kernels_as_nobody(listener: socket.socket) -> None:
    """With dedicated uids off (or user namespaces closed to other users), bubblewrap is started by the
    grader itself and the kernel is nobody inside, still without network or solutions/."""
    require("bwrap", "the sandbox is bubblewrap")
    settings, level = sandbox.resolve(sandbox.Settings(sandbox="require", dedicated_uids=False))
    assert level.sandboxed and not settings.dedicated_uids
    probe = PROBE.replace("REPO", repr(str(REPO))).replace("PORT", str(listener.getsockname()[1]))
    facts = json.loads(_outputs(_run([probe], settings))[0])
    assert facts["net"] is False and facts["solutions"] is False and facts["own"] is True
    if os.geteuid() == 0:
        assert facts["uid"] == 65534 and "nobody" in level.user


def test_limits_hold_without_the_sandbox(monkeypatch: pytest.MonkeyPatch, listener: socket.socket) -> None:
    """Limits only: the same resource limits, a clean environment, and (graded as root) a uid of its
    own, so the system stays read-only to it; the network is not blocked (only the sandbox does that)."""
    settings = _settings("off")
    monkeypatch.setenv("COURSE_TEST_SECRET", "hunter2")
    probe = PROBE.replace("REPO", repr(str(REPO))).replace("PORT", str(listener.getsockname()[1]))
    facts = json.loads(_outputs(_run([probe], settings))[0])
    limits = sandbox.Limits()
    assert facts["limits"][:2] == [limits.cpu_seconds, limits.memory_bytes]
    assert facts["limits"][3:] == [limits.file_bytes, limits.open_files]
    assert facts["secret"] is None and facts["own"] is True
    if os.geteuid() == 0:
        assert facts["uid"] >= sandbox.BASE_UID and facts["etc"] is False and facts["usr"] is False
    assert facts["net"] is True


@pytest.mark.parametrize("mode", MODES)
def test_a_fork_bomb_is_contained_and_named(mode: str) -> None:
    """A fork bomb hits the process limit; the notebook is not gradable with a reason that says so,
    and no process of it survives the job."""
    name = f"bomb{os.getpid() % 100000}"  # the process name every copy of the kernel inherits
    bomb = (f"import ctypes, os\nctypes.CDLL(None).prctl(15, {name.encode()!r}, 0, 0, 0)\n"
            "while True:\n    os.fork()")
    result = _run([bomb, "print('after')"], _settings(mode), timeout=5)
    assert not result.ok
    assert "more processes than allowed" in (result.reason or "")
    assert "`import ctypes" in (result.reason or "")
    assert _live_named(name) == []


@pytest.mark.parametrize("mode", MODES)
def test_a_crash_is_named_with_its_cell(mode: str) -> None:
    """A segfault and os._exit each stop the kernel; the reason says what happened and in which cell."""
    settings = _settings(mode)
    crashed = _run(["x = 1", "import ctypes\nctypes.string_at(0)"], settings)
    assert not crashed.ok and "segmentation fault" in (crashed.reason or "")
    assert "`import ctypes" in (crashed.reason or "")
    exited = _run(["import os; os._exit(3)"], settings)
    assert not exited.ok and "exit status 3" in (exited.reason or "")


@pytest.mark.parametrize("mode", MODES)
def test_output_is_cut_at_the_cap_but_errors_still_count(mode: str) -> None:
    """Past the output cap plain output is dropped after one notice, but a later cell's error and its
    first stderr line still arrive (nbgrader fails a test on either)."""
    settings = _settings(mode, output_bytes=1024 * 1024)
    result = _run(["for i in range(50):\n    print('x' * 100_000)", "print('dropped')",
                   "import sys; print('to stderr', file=sys.stderr)", "1 / 0"], settings)
    cells = _outputs(result)
    assert "output cut here" in cells[0] and len(cells[0]) < 1_200_000
    assert cells[1] == ""
    assert "to stderr" in cells[2]
    assert "ZeroDivisionError" in cells[3]


@pytest.mark.parametrize("mode", MODES)
def test_memory_and_file_size_limits_raise_inside_the_kernel(mode: str) -> None:
    """A 16 GiB allocation and a 200 MB file fail inside the kernel; the notebook goes on."""
    result = _run(["try:\n    b = bytearray(16 * 2**30)\nexcept MemoryError:\n    print('memory refused')",
                   "try:\n    open('big', 'wb').write(b'0' * 200_000_000)\nexcept OSError as e:\n    print(e.errno)",
                   "print('after')"], _settings(mode))
    cells = _outputs(result)
    assert cells == ["memory refused\n", "27\n", "after\n"]  # 27: EFBIG, file too large


@pytest.mark.parametrize("mode", MODES)
def test_a_full_folder_stops_the_kernel_with_a_reason(mode: str) -> None:
    """Writing file after file, each under the per-file limit, hits the folder quota (watched from
    outside, four times a second) and the kernel is stopped."""
    settings = _settings(mode, folder_bytes=20 * 1024 * 1024)
    result = _run(["import time\nfor i in range(1000):\n    open(f'f{i}', 'wb').write(b'1' * 1_000_000)\n"
                   "    time.sleep(0.01)", "print('after')"], settings)
    assert not result.ok and "20 MB into its folder" in (result.reason or "")


@pytest.mark.parametrize("mode", MODES)
def test_a_message_over_the_size_limit_is_named(mode: str) -> None:
    """Output too big for one message is not read; the reason says how much the grader reads at once."""
    result = _run(["print('x' * 3_000_000)", "print('after')"], _settings(mode, message_bytes=1024 * 1024),
                  timeout=5)
    assert not result.ok and "more than 1 MB of output at once" in (result.reason or "")


def test_sweep_clears_what_a_killed_grader_left(tmp_path: Path) -> None:
    """A sandbox uid no kernel holds any more (its grader was killed) loses its processes and its
    files in /tmp; the IPC folder of a dead worker goes too; a held uid is left alone."""
    if os.geteuid() != 0:
        pytest.skip("sandbox uids exist only when grading as root")
    import subprocess
    import tempfile

    held, dropped = sandbox._UidSlot.take(), sandbox._UidSlot.take()
    files: dict[int, Path] = {}
    try:
        for slot in (held, dropped):
            path = Path(tempfile.mkdtemp(prefix="course-grade-"))
            os.chown(path, slot.uid, slot.uid)
            files[slot.uid] = path
        sleeper = subprocess.Popen(["sleep", "300"], user=dropped.uid, group=dropped.uid, extra_groups=[])
        stale_ipc = Path(tempfile.mkdtemp(prefix="ck-999999-"))
        dropped._handle.close()  # as if its grader was killed: the lock is gone, nothing cleaned up
        assert sandbox.sweep() >= 2
        assert sleeper.wait(timeout=10) == -9
        assert not files[dropped.uid].exists() and not stale_ipc.exists()
        assert files[held.uid].exists()
    finally:
        held.release()
        for path in files.values():
            shutil.rmtree(path, ignore_errors=True)


def test_a_sandboxed_kernel_reads_the_company_policy_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """COURSE_POLICY_DIR reaches the kernel, and the sandbox shows that folder (read-only), so hidden
    tests mark against the policy the learner read, not the shipped example."""
    settings = _settings("require")
    policies = tmp_path / "acme-policies"
    shutil.copytree(REPO / "data" / "examples" / "harbourline" / "policies", policies)
    for path in [tmp_path, policies, *policies.iterdir()]:  # readable by the kernel's own uid
        path.chmod(0o755 if path.is_dir() else 0o644)
    monkeypatch.setenv("COURSE_POLICY_DIR", str(policies))
    cells = ["import os\nprint(os.environ.get('COURSE_POLICY_DIR'))",
             "from course.policy import load_policies\nprint(load_policies().privacy.company)",
             f"open({str(policies / 'privacy.yaml')!r}, 'a')"]
    out = _outputs(_run(cells, settings))
    assert out[0].strip() == str(policies)
    assert out[1].strip() == "Harbourline Logistics"
    assert "Read-only file system" in out[2] or "Permission" in out[2]
