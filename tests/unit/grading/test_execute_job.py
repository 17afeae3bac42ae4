"""The execute step as a pure function of its job: bytes in, bytes or a reason out, never an exception.
(Jobs that start kernels are in tests/grading/test_execute.py.)"""

from __future__ import annotations

import pickle

import nbformat
from nbformat.v4 import new_code_cell, new_notebook, new_output

from course.grading.execute import ExecuteJob, execute_job

LIMIT = ("nbgrader.preprocessors.LimitOutput",)


def _notebook(lines: int) -> bytes:
    cell = new_code_cell("print(...)", outputs=[new_output("stream", name="stdout",
                                                            text="".join(f"{i}\n" for i in range(lines)))])
    return nbformat.writes(new_notebook(cells=[cell])).encode()


def test_a_job_and_its_result_travel_as_plain_bytes() -> None:
    """A job pickles (for a process pool or Dask) and its result carries the processed notebook."""
    job = ExecuteJob(key="ps1/alice/p.ipynb", notebook_name="p.ipynb", notebook=_notebook(50),
                     files=(("data/x.csv", b"a,b\n"),), preprocessors=LIMIT,
                     config={"LimitOutput": {"max_lines": 10}})
    result = execute_job(pickle.loads(pickle.dumps(job)))
    assert result.ok and result.key == job.key and result.reason is None
    nb = nbformat.reads(result.notebook.decode(), as_version=4)
    text = nb.cells[0].outputs[0].text
    assert text.count("\n") == 9 and text.endswith("... Output truncated ...")


def test_bad_bytes_and_unsafe_file_names_become_reasons() -> None:
    """Not-JSON notebooks and file names escaping the job's folder fail the job with a plain reason."""
    broken = execute_job(ExecuteJob(key="k", notebook_name="p.ipynb", notebook=b"{nope", preprocessors=LIMIT))
    assert not broken.ok and broken.notebook is None and "not valid JSON" in broken.reason
    escape = execute_job(ExecuteJob(key="k", notebook_name="p.ipynb", notebook=_notebook(1),
                                    files=(("../outside.txt", b"x"),), preprocessors=LIMIT))
    assert not escape.ok and "unsafe file name" in escape.reason
