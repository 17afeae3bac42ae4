"""The hostile corpus: builds every submission of ``expectations.yaml`` into a workspace of module 02,
and gives the test what it needs to judge them (listeners standing in for the network and the
grader, snapshots of everything a submission must not change, the outputs a learner gets back).
"""

from __future__ import annotations

import copy
import hashlib
import os
import socket
import sqlite3
import string
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import yaml
from nbformat.notebooknode import NotebookNode

from course.grading import simulate
from tests.grading import courses

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
MODULE = "02-privacy-and-audiences"
NOTEBOOK = f"{MODULE}.ipynb"
VICTIM = "aaa-victim"
#: What an attack prints when it got something it must not have (see cells/*.py).
ESCAPE_MARKERS = ("READ ", "CONNECTED", "WROTE", "ESCAPED")


@dataclass(frozen=True)
class Attack:
    name: str
    student: str
    what: str
    expect: dict[str, Any]
    stopped_only_by_sandbox: bool = False
    without_sandbox: str = ""
    #: Lines the attack prints in the sandbox when the system-call filter refuses it ("denied <call>: ...").
    denied_in_sandbox: tuple[str, ...] = ()
    #: The outcome where no memory cgroup can be made (the attack then gets through), when it differs.
    without_memory_cgroup: dict[str, Any] | None = None

    def expected(self, memory_cgroup: bool) -> dict[str, Any]:
        """What must happen to it at a level with or without a memory cgroup per submission."""
        return self.expect if memory_cgroup or self.without_memory_cgroup is None else self.without_memory_cgroup

    def gets_through(self, sandboxed: bool, memory_cgroup: bool) -> bool:
        """Whether it is expected to reach what it is after at that level."""
        return ((self.stopped_only_by_sandbox and not sandboxed)
                or (self.without_memory_cgroup is not None and not memory_cgroup))


@dataclass
class Corpus:
    workspace: Path
    attacks: list[Attack]
    honest: dict[str, float]  # student -> expected score
    listener: Listener
    students: list[str] = field(default_factory=list)


def expectations() -> dict[str, Any]:
    return yaml.safe_load((HERE / "expectations.yaml").read_text("utf-8"))


def attacks() -> list[Attack]:
    return [Attack(name=a["name"], student=a.get("student", a["name"]), what=a["what"], expect=a["expect"],
                   stopped_only_by_sandbox=bool(a.get("stopped_only_by_sandbox", False)),
                   without_sandbox=a.get("without_sandbox", ""),
                   denied_in_sandbox=tuple(a.get("denied_in_sandbox", ())),
                   without_memory_cgroup=a.get("without_memory_cgroup")) for a in expectations()["attacks"]]


# -- listeners: a service on this machine and a socket of the grader ------------------------------------

class Listener:
    """A TCP port on 127.0.0.1 and an abstract Unix socket that record whatever connects to them."""

    def __init__(self) -> None:
        self.received: list[tuple[str, bytes]] = []
        self.tcp = socket.create_server(("127.0.0.1", 0))
        self.port = self.tcp.getsockname()[1]
        self.abstract = f"course-grader-{os.getpid()}-{id(self):x}"
        self.unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.unix.bind("\0" + self.abstract)
        self.unix.listen()
        for name, server in (("tcp", self.tcp), ("grader", self.unix)):
            threading.Thread(target=self._serve, args=(name, server), daemon=True).start()

    def _serve(self, name: str, server: socket.socket) -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                try:
                    self.received.append((name, conn.recv(1024)))
                except OSError:
                    self.received.append((name, b""))

    def close(self) -> None:
        self.tcp.close()
        self.unix.close()


# -- building ----------------------------------------------------------------------------------------

def _cell_index(nb: NotebookNode, grade_id: str) -> int:
    return courses.find_cell(nb, grade_id)


def _fill(released: NotebookNode, solution: NotebookNode, base: str) -> NotebookNode:
    if base == "blank":
        return copy.deepcopy(released)
    import random

    return simulate.make_submission(released, solution, base, rng=random.Random(6))


def _place(nb: NotebookNode, code: str, where: str) -> NotebookNode:
    out = copy.deepcopy(nb)
    if where.startswith("replace:"):
        out.cells[_cell_index(out, where.split(":", 1)[1])].source = code
    else:
        at = _cell_index(out, "setup") + 1
        out.cells.insert(at, nbformat.v4.new_code_cell(code))
    return out


def edit_test_cell(nb: NotebookNode, ctx: dict) -> NotebookNode:
    return courses.edit_cell(nb, courses.check_cell_ids(nb)[0])


def delete_test_cell(nb: NotebookNode, ctx: dict) -> NotebookNode:
    return courses.delete_cell(nb, courses.check_cell_ids(nb)[0])


def duplicate_cells(nb: NotebookNode, ctx: dict) -> NotebookNode:
    answer = courses.answer_ids(nb)[0]
    out = courses.duplicate_cell(nb, answer, first_source="all_conversations_go_public = True")
    return courses.duplicate_cell(out, courses.check_cell_ids(out)[1])


def edit_hidden_tests(nb: NotebookNode, ctx: dict) -> NotebookNode:
    test = courses.check_cell_ids(nb)[-1]
    out = courses.edit_cell(nb, test, "### BEGIN HIDDEN TESTS\nassert True\n### END HIDDEN TESTS")
    return courses.unlock_and_inflate(out, test)


def nbformat_3(nb: NotebookNode, ctx: dict) -> bytes:
    return nbformat.writes(nbformat.convert(nb, 3), version=3).encode("utf-8")


def wrong_name(nb: NotebookNode, ctx: dict) -> dict[str, NotebookNode]:
    return {"my-answers.ipynb": nb}


def symlink_outside(nb: NotebookNode, ctx: dict) -> NotebookNode:
    ctx["after"] = lambda folder: os.symlink(ctx["GRADEBOOK"], folder / "notes.txt")
    return nb


def skip_execution_tags(nb: NotebookNode, ctx: dict) -> NotebookNode:
    out = copy.deepcopy(nb)
    for test in courses.check_cell_ids(out):
        out.cells[courses.find_cell(out, test)].metadata.setdefault("tags", []).append("skip-execution")
    return out


def shadow_course_package(nb: NotebookNode, ctx: dict) -> NotebookNode:
    def plant(folder: Path) -> None:
        (folder / "course").mkdir()
        (folder / "course" / "__init__.py").write_bytes((HERE / "files" / "shadow-course-package" /
                                                          "__init__.py").read_bytes())

    ctx["after"] = plant
    return nb


BUILDERS: dict[str, Callable[[NotebookNode, dict], Any]] = {
    f.__name__: f for f in (edit_test_cell, delete_test_cell, duplicate_cells, edit_hidden_tests, nbformat_3,
                            wrong_name, symlink_outside, shadow_course_package, skip_execution_tags)
}


def build(ws: Path, listener: Listener) -> Corpus:
    """Every submission of the corpus (honest ones included) in ``ws/submitted``."""
    released = simulate.read(ws / "release" / MODULE / NOTEBOOK)
    solution = simulate.read(REPO / "solutions" / MODULE / NOTEBOOK)
    data = expectations()
    victim_folder = ws / "submitted" / VICTIM
    values = {
        "GRADEBOOK": str(ws / "gradebook.db"), "REPO": str(REPO), "WORKSPACE": str(ws),
        "SOURCE": str(ws / "source" / MODULE / NOTEBOOK), "VICTIM": str(victim_folder / MODULE / NOTEBOOK),
        "VICTIM_FOLDER": str(victim_folder), "PORT": str(listener.port), "ABSTRACT": listener.abstract,
    }
    corpus = Corpus(workspace=ws, attacks=attacks(), honest={}, listener=listener)
    for student, spec in data["honest"].items():
        nb = _fill(released, solution, spec["base"])
        if spec.get("canary"):
            first = nb.cells[_cell_index(nb, courses.answer_ids(nb)[0])]
            first.source += "\n# victim-canary-5d1e: my own answers"
        courses.submit(ws, student, MODULE, {NOTEBOOK: nb})
        corpus.honest[student] = float(spec["score"])
        corpus.students.append(student)
    for spec, attack in zip(data["attacks"], corpus.attacks, strict=True):
        ctx: dict[str, Any] = dict(values)
        content: Any
        if "file" in spec:
            content = {NOTEBOOK: (HERE / "files" / spec["file"]).read_bytes()}
        else:
            nb = _fill(released, solution, spec.get("base", "right"))
            if "cell" in spec:
                code = string.Template((HERE / "cells" / spec["cell"]).read_text("utf-8")).substitute(values)
                nb = _place(nb, code, spec.get("place", "after-setup"))
            built = BUILDERS[spec["build"]](nb, ctx) if "build" in spec else nb
            content = {NOTEBOOK: built} if isinstance(built, NotebookNode | bytes) else built
        folder = courses.submit(ws, attack.student, MODULE, content)
        if "after" in ctx:
            ctx["after"](folder)
        corpus.students.append(attack.student)
    return corpus


# -- judging -------------------------------------------------------------------------------------------

def add_gradebook_canary(ws: Path) -> None:
    """A table of the gradebook that nothing but an attack would touch."""
    with sqlite3.connect(ws / "gradebook.db") as db:
        db.execute("CREATE TABLE hostile_canary (v TEXT)")
        db.executemany("INSERT INTO hostile_canary VALUES (?)", [(f"row {i}",) for i in range(5)])


def gradebook_canary(ws: Path) -> list[str]:
    with sqlite3.connect(ws / "gradebook.db") as db:
        try:
            return [r[0] for r in db.execute("SELECT v FROM hostile_canary ORDER BY v")]
        except sqlite3.Error as exc:
            return [f"gone: {exc}"]


def tree_hashes(root: Path) -> dict[str, str]:
    """Every entry under ``root``: file contents, link targets, folders (nothing followed)."""
    out: dict[str, str] = {}
    if not root.exists():
        return out
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames]:
            path = Path(dirpath, name)
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                out[rel] = "link:" + os.readlink(path)
            elif path.is_file():
                out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                out[rel] = "dir"
    return out


def shared_state(ws: Path) -> dict[str, dict[str, str]]:
    """What no submission may change: source/, release/, the repository's solutions/ and every
    submission in submitted/ (the originals, byte for byte)."""
    return {
        "source": tree_hashes(ws / "source"),
        "release": tree_hashes(ws / "release"),
        "solutions": tree_hashes(REPO / "solutions" / MODULE),
        "submitted": tree_hashes(ws / "submitted"),
    }


def outputs_of(ws: Path, student: str) -> str:
    """Everything the learner gets back in their graded notebook's outputs ("" when not graded)."""
    path = ws / "autograded" / student / MODULE / NOTEBOOK
    if not path.exists():
        return ""
    nb = nbformat.read(path, as_version=4)
    parts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            parts.append(str(output.get("text", "")))
            parts.append(str(output.get("evalue", "")))
            parts.extend(str(v) for v in output.get("data", {}).values())
    return "\n".join(parts)


def escaped_lines(text: str) -> list[str]:
    return [line[:160] for line in text.splitlines() if line.startswith(ESCAPE_MARKERS)]
