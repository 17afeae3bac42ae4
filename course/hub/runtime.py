"""A Python that every hub account can run, when the course's environment lives where they cannot go.

Employees' servers run as their own Unix accounts. When this environment's interpreter sits in a
folder only root may enter (pyenv under ``/root``, as on the course's build machines), the hub makes
``STATE_DIR/runtime/``: hard links to the interpreter and its standard library (no copy, no
download), and a virtual environment whose ``site-packages`` is this environment's own. Where the
interpreter is reachable already, nothing is made and this environment is used as it is.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from course.hub.accounts import sbin

#: Commands the servers run by name, and the module each runs.
COMMANDS = {"jupyter": "jupyter", "nbgrader": "nbgrader", "alembic": "alembic",
            "jupyterhub-singleuser": "jupyterhub.singleuser", "course": "course.cli"}


def reachable_by_others(path: Path) -> bool:
    """Whether an unprivileged account can read ``path`` (tried as ``nobody``)."""
    if os.geteuid() != 0:
        return os.access(path, os.R_OK)
    try:
        pwd.getpwnam("nobody")
    except KeyError:
        return False
    done = subprocess.run([sbin("runuser"), "-u", "nobody", "--", "test", "-r", str(path)], capture_output=True,
                          check=False)
    return done.returncode == 0


def _link_tree(src: Path, dst: Path, *, skip: set[str]) -> None:
    for dirpath, dirnames, filenames in os.walk(src):
        rel = Path(dirpath).relative_to(src)
        dirnames[:] = [d for d in dirnames if d not in skip]
        (dst / rel).mkdir(parents=True, exist_ok=True)
        for name in filenames:
            target = dst / rel / name
            if not target.exists():
                try:
                    os.link(Path(dirpath) / name, target)
                except OSError:
                    shutil.copy2(Path(dirpath) / name, target)


class Runtime:
    """Paths of the Python the hub's servers and services run."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def venv(self) -> Path:
        return self.root / "venv"

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    @property
    def bin_dir(self) -> Path:
        return self.venv / "bin"

    @property
    def lib_dir(self) -> Path:
        return self.root / "base" / "lib"

    def env(self) -> dict[str, str]:
        """Environment entries the processes need (the interpreter's shared library)."""
        return {"LD_LIBRARY_PATH": str(self.lib_dir)} if self.lib_dir.is_dir() else {}


def current() -> Runtime | None:
    """This environment itself, when every account can run it (None: use :func:`ensure_runtime`)."""
    return None if not reachable_by_others(Path(sys.base_prefix) / "lib") else _Here()


class _Here(Runtime):
    def __init__(self) -> None:
        super().__init__(Path(sys.prefix))

    @property
    def venv(self) -> Path:
        return Path(sys.prefix)

    @property
    def python(self) -> Path:
        return Path(sys.executable)

    def env(self) -> dict[str, str]:
        return {}


def runtime_for(state_root: Path) -> Runtime:
    """The runtime :func:`ensure_runtime` chose for this state folder (without making anything)."""
    made = Runtime(state_root / "runtime")
    return made if (made.venv / "pyvenv.cfg").exists() else _Here()


def ensure_runtime(state_root: Path) -> Runtime:
    """The runtime every account can use: this environment, or one made of hard links in ``state_root``."""
    here = current()
    if here is not None:
        return here
    rt = Runtime(state_root / "runtime")
    base = Path(sys.base_prefix)
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    dst = rt.root / "base"
    (dst / "bin").mkdir(parents=True, exist_ok=True)
    exe = dst / "bin" / version
    if not exe.exists():
        os.link(Path(sys.base_exec_prefix) / "bin" / version, exe)
    for lib in base.glob("lib/libpython*"):
        if not (dst / "lib" / lib.name).exists():
            (dst / "lib").mkdir(exist_ok=True)
            os.link(lib, dst / "lib" / lib.name) if not lib.is_symlink() else os.symlink(os.readlink(lib),
                                                                                      dst / "lib" / lib.name)
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    _link_tree(stdlib, dst / "lib" / version, skip={"site-packages", "test"})
    venv_lib = rt.venv / "lib" / version
    venv_lib.mkdir(parents=True, exist_ok=True)
    site = venv_lib / "site-packages"
    if not site.exists():
        site.symlink_to(Path(sysconfig.get_paths()["purelib"]))
    for shared in ("etc", "share"):  # Jupyter's config and data (extensions) of this environment
        link = rt.venv / shared
        if not link.exists() and (Path(sys.prefix) / shared).is_dir():
            link.symlink_to(Path(sys.prefix) / shared)
    (rt.venv / "pyvenv.cfg").write_text(f"home = {dst / 'bin'}\ninclude-system-site-packages = false\n"
                                        f"version = {sys.version.split()[0]}\n", "utf-8")
    rt.bin_dir.mkdir(exist_ok=True)
    real = rt.bin_dir / version  # the interpreter itself; `python` and `python3` set the library path first
    if not real.exists():
        real.symlink_to(exe)
    for name in ("python", "python3"):
        wrapper = rt.bin_dir / name
        wrapper.unlink(missing_ok=True)
        wrapper.write_text(f'#!/bin/sh\nLD_LIBRARY_PATH="{rt.lib_dir}" exec "{real}" "$@"\n', "utf-8")
        wrapper.chmod(0o755)
    for command, module in COMMANDS.items():
        script = rt.bin_dir / command
        call = (f'-c "import sys; from {module} import main; sys.argv[0] = \'{command}\'; sys.exit(main())"'
                if module == "course.cli" else f"-m {module}")
        script.write_text(f'#!/bin/sh\nexec "{rt.python}" {call} "$@"\n', "utf-8")
        script.chmod(0o755)
    for path in (rt.root, dst, rt.venv):
        os.chmod(path, 0o755)
    return rt
