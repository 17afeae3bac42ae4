"""The execute step with real kernels: a fresh kernel per notebook, the assignment's files beside it,
per-cell and whole-notebook time limits, a crashing kernel reported, pre-started kernels cleaned up."""

from __future__ import annotations

import os

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from course.grading.execute import ExecuteJob, discard_warm_kernels, execute_job

pytestmark = pytest.mark.slow

EXECUTE = ("nbgrader.preprocessors.Execute",)
#: These tests are about the execute step and its seam, so kernels start as stock nbgrader starts
#: them; the sandboxed launcher has its own tests (tests/grading/test_hostile.py).
LOCAL = "course.grading.execute:LocalKernelLauncher"


def _job(key: str, *sources: str, **kwargs: object) -> ExecuteJob:
    nb = new_notebook(cells=[new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    kwargs.setdefault("launcher", LOCAL)
    return ExecuteJob(key=key, notebook_name="n.ipynb", notebook=nbformat.writes(nb).encode(),
                      preprocessors=EXECUTE, **kwargs)  # type: ignore[arg-type]


def _outputs(result: object) -> list[list[str]]:
    nb = nbformat.reads(result.notebook.decode(), as_version=4)  # type: ignore[attr-defined]
    return [[o.get("text", "") or o.get("ename", "") for o in c.outputs] for c in nb.cells]


@pytest.fixture(autouse=True)
def _no_warm_kernels_left() -> None:
    yield
    discard_warm_kernels()


def test_each_notebook_gets_a_fresh_kernel_even_when_one_was_started_ahead() -> None:
    """The second job runs in a pre-started kernel that has run nothing: not the first one's."""
    first = execute_job(_job("a", "secret = 'alice'\nimport os\nprint(os.getpid())"))
    second = execute_job(_job("b", "import os\nprint(os.getpid())\nprint('secret' in globals())"))
    assert first.ok and second.ok and second.warm_kernel
    pid_a = _outputs(first)[0][0].strip()
    pid_b, leaked = _outputs(second)[0][0].split()
    assert pid_a != pid_b and leaked == "False"
    assert not os.path.exists(f"/proc/{pid_a}"), "the used kernel is stopped after its notebook"


def test_the_default_launcher_also_gives_every_notebook_a_fresh_kernel() -> None:
    """With the launcher `course grade` uses by default, nothing of one notebook reaches the next."""
    from course.grading.execute import DEFAULT_LAUNCHER

    first = execute_job(_job("a", "secret = 'alice'", launcher=DEFAULT_LAUNCHER))
    second = execute_job(_job("b", "print('secret' in globals())", launcher=DEFAULT_LAUNCHER))
    assert first.ok and second.ok, (first.reason, second.reason)
    assert _outputs(second) == [["False\n"]]


def test_the_assignments_files_are_in_the_kernels_folder_with_nbgraders_environment() -> None:
    """Files travel with the job; NBGRADER_EXECUTION says 'autograde' as in `nbgrader autograde`."""
    result = execute_job(_job("f", "print(open('data/input.txt').read())",
                              "import os\nprint(os.environ.get('NBGRADER_EXECUTION'))",
                              files=(("data/input.txt", b"hello from the trainer"),)))
    assert result.ok
    assert _outputs(result) == [["hello from the trainer\n"], ["autograde\n"]]


def test_a_cell_over_its_time_limit_is_an_error_and_the_rest_still_runs() -> None:
    """nbgrader's per-cell timeout interrupts the cell (an error output, so 0 points) and goes on."""
    result = execute_job(_job("t", "while True:\n    pass", "print('after')", config={"Execute": {"timeout": 2}}))
    assert result.ok
    outputs = _outputs(result)
    assert outputs[1] == ["after\n"] and "CellTimeoutError" in outputs[0]


def test_a_notebook_over_its_whole_time_limit_is_stopped_with_a_reason() -> None:
    """Many cells that each stay under the cell limit still cannot run past the notebook's limit."""
    result = execute_job(_job("w", *["import time\ntime.sleep(1)"] * 20, notebook_timeout=4,
                              config={"Execute": {"timeout": 30}}))
    assert not result.ok and result.notebook is None
    assert result.reason == "stopped after 4 s: the whole notebook took longer than allowed"
    assert result.seconds < 15


def test_a_kernel_that_dies_is_reported_not_raised() -> None:
    """Code that kills its own kernel makes a failed result with a plain reason."""
    result = execute_job(_job("d", "import os\nos._exit(3)", "print('never')"))
    assert not result.ok and "the kernel died" in result.reason


def test_pre_started_kernels_are_stopped_when_the_worker_is_done() -> None:
    """The kernel started for a next job that never came is stopped, with its folder."""
    execute_job(_job("p", "1"))
    assert discard_warm_kernels() == 1
    assert discard_warm_kernels() == 0
