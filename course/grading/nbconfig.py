"""This course's nbgrader settings, written once and used by every nbgrader config that needs them.

``nbgrader_config.py`` at the repository root and every trainer workspace's ``nbgrader_config.py``
call :func:`configure`, so ``nbgrader`` on the command line, formgrader and ``course`` agree.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nbconvert.exporters.exporter import ResourcesDict
from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import (
    CheckCellMetadata,
    ClearHiddenTests,
    ClearMarkScheme,
    ClearOutput,
    ClearSolutions,
    ComputeChecksums,
    IncludeHeaderFooter,
    InstantiateTests,
    LockCells,
    NbGraderPreprocessor,
    SaveCells,
)

from course._paths import solutions_dir

#: What replaces a ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` region in a code cell. Answer
#: cells put the placeholder line (``draft_1_audience = ...``) above the region, so the learner sees
#: only that line and replaces the dots with a literal.
CODE_STUB = ""
TEXT_STUB = "✏️ Write your answer here, in your own words."


class TidyAnswerCells(NbGraderPreprocessor):
    """Drop the blank lines the empty code stub leaves at the end of answer cells."""

    def preprocess_cell(
        self, cell: NotebookNode, resources: ResourcesDict, cell_index: int
    ) -> tuple[NotebookNode, ResourcesDict]:
        if cell.cell_type == "code" and utils.is_solution(cell):
            cell.source = cell.source.rstrip()
        return cell, resources


class TagTestCellsRaisesException(NbGraderPreprocessor):
    """Tag autograded test cells ``raises-exception``, so JupyterLab's Run All Cells goes on past them.

    An unanswered question's test cell raises NotAnsweredError by design; without the tag JupyterLab
    sends its cells with ``stop_on_error`` and the kernel skips every cell after the first unanswered
    question, widgets included. Tags are not part of nbgrader's checksums and autograde ignores them.
    """

    def preprocess_cell(
        self, cell: NotebookNode, resources: ResourcesDict, cell_index: int
    ) -> tuple[NotebookNode, ResourcesDict]:
        if cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell):
            tags = cell.metadata.setdefault("tags", [])
            if "raises-exception" not in tags:
                tags.append("raises-exception")
        return cell, resources


#: nbgrader's own list for generate_assignment, with TidyAnswerCells right after ClearSolutions
#: (it must run before the checksums are computed and the cells saved to the gradebook).
GENERATE_PREPROCESSORS = [
    IncludeHeaderFooter,
    InstantiateTests,
    LockCells,
    TagTestCellsRaisesException,
    ClearSolutions,
    TidyAnswerCells,
    ClearOutput,
    CheckCellMetadata,
    ComputeChecksums,
    SaveCells,
    ClearHiddenTests,
    ClearMarkScheme,
    ComputeChecksums,
    CheckCellMetadata,
]


def header_notebook() -> Path:
    return solutions_dir() / "header.ipynb"


def configure(c: Any, *, source_directory: str = "source", release_directory: str = "release") -> Any:
    """Apply the course's settings to the traitlets config ``c`` and return it."""
    c.CourseDirectory.source_directory = source_directory
    c.CourseDirectory.release_directory = release_directory
    c.ClearSolutions.code_stub = {"python": CODE_STUB}
    c.ClearSolutions.text_stub = TEXT_STUB
    c.GenerateAssignment.preprocessors = GENERATE_PREPROCESSORS
    if header_notebook().exists():
        c.IncludeHeaderFooter.header = str(header_notebook())
    # A learner who deletes a test cell is still graded on it: nbgrader puts it back from the gradebook.
    c.OverwriteCells.add_missing_cells = True
    # Learners' notebooks are plain literals: a cell that runs longer than this is stuck.
    c.ExecutePreprocessor.timeout = 60
    return c
