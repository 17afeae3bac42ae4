"""Opening any nbgrader course directory: its own config, a --db override, clear errors, one run at a time."""

from __future__ import annotations

from pathlib import Path

import pytest

from course.grading.coursedir import BusyError, CourseDirError, exclusive, open_course


def _course(tmp_path: Path, config: str) -> Path:
    root = tmp_path / "c"
    root.mkdir()
    (root / "nbgrader_config.py").write_text("c = get_config()\n" + config, "utf-8")
    return root


def test_the_course_directorys_own_config_is_loaded_and_rooted_there(tmp_path: Path) -> None:
    """Settings come from DIR/nbgrader_config.py; the root is DIR even when the config names another."""
    root = _course(tmp_path, 'c.CourseDirectory.course_id = "c42"\nc.CourseDirectory.root = "/somewhere/else"\n'
                             'c.Execute.timeout = 7\n')
    course = open_course(root)
    assert course.root == root.resolve()
    assert course.course_id == "c42"
    assert course.coursedir.root == str(root.resolve())
    assert course.db_url == f"sqlite:///{root.resolve() / 'gradebook.db'}"
    assert course.config.Execute.timeout == 7


def test_a_db_url_overrides_the_configured_gradebook(tmp_path: Path) -> None:
    """--db wins over CourseDirectory.db_url from the config."""
    root = _course(tmp_path, 'c.CourseDirectory.db_url = "sqlite:////tmp/configured.db"\n')
    assert open_course(root, db_url="postgresql://u@h/db").db_url == "postgresql://u@h/db"
    assert open_course(root).db_url == "sqlite:////tmp/configured.db"


def test_a_broken_config_or_missing_folder_is_named_in_the_error(tmp_path: Path) -> None:
    """A config that raises names the file and the error; a missing folder names the folder."""
    root = _course(tmp_path, "c.CourseDirectory.course_id = undefined_name\n")
    with pytest.raises(CourseDirError, match=r"nbgrader_config.py: could not load .*undefined_name"):
        open_course(root)
    with pytest.raises(CourseDirError, match="course directory not found"):
        open_course(tmp_path / "nope")


def test_only_one_grading_command_runs_in_a_course_at_a_time(tmp_path: Path) -> None:
    """While one holds the course's lock, a second is refused with who holds it; after, it is free."""
    course = open_course(_course(tmp_path, ""))
    with exclusive(course, "grade"), pytest.raises(BusyError, match=r"`course grade` \(pid \d+\) is running"), \
            exclusive(course, "feedback"):
        pass
    with exclusive(course, "feedback"):
        pass


def test_the_run_time_speedups_change_no_result_of_nbgraders_metadata_check() -> None:
    """Inside a run nbgrader's cell metadata check accepts and rejects exactly what it does outside."""
    from nbformat.v4 import new_code_cell
    from nbgrader.nbgraderformat import MetadataValidator

    from course.grading.coursedir import shared_engines

    def outcomes() -> list[str]:
        found = []
        for meta in ({"grade": True, "points": 1}, {"grade": "yes", "points": 1}, {"grade": True, "points": "2"},
                     {"grade": True, "points": 1, "schema_version": 1}):
            cell = new_code_cell("x = 1")
            cell.metadata["nbgrader"] = {"grade_id": "a", "locked": False, "solution": False, "schema_version": 3,
                                         **meta}
            try:
                MetadataValidator().validate_cell(cell)
                found.append("ok")
            except Exception as exc:
                found.append(f"{type(exc).__name__}: {exc}")
        return found

    plain = outcomes()
    with shared_engines():
        assert outcomes() == plain
    assert plain[0] == "ok" and all(o.startswith(("ValidationError", "SchemaTooOldError")) for o in plain[1:])


def _students(url: str) -> list[str]:
    from nbgrader.api import Gradebook

    with Gradebook(url) as gb:
        return sorted(s.id for s in gb.students)


def test_one_transaction_records_everything_or_nothing(tmp_path: Path) -> None:
    """Inside a run, nbgrader's many commits in one block land together when the block ends, and
    none of them when it fails; a rollback nbgrader itself asks for undoes only its own step."""
    from nbgrader.api import Gradebook, InvalidEntry

    from course.grading.coursedir import one_transaction, shared_engines

    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    Gradebook(url).close()
    with shared_engines():
        with one_transaction(url):
            with Gradebook(url) as gb:
                gb.add_student("ada")  # commits (a savepoint of the block)
                with pytest.raises(InvalidEntry):
                    gb.add_student("ada")  # nbgrader rolls back: to the savepoint, ada stays
                gb.add_student("bo")
            with Gradebook(url) as gb:  # a second Gradebook in the block sees the block's work
                assert sorted(s.id for s in gb.students) == ["ada", "bo"]
        assert _students(url) == ["ada", "bo"]

        with pytest.raises(RuntimeError), one_transaction(url):
            with Gradebook(url) as gb:
                gb.add_student("cy")
            raise RuntimeError("the worker was lost")
        assert _students(url) == ["ada", "bo"]  # nothing of the failed block
    with one_transaction(url), Gradebook(url) as gb:  # outside a run: nbgrader's own commits, as always
        gb.add_student("di")
    assert _students(url) == ["ada", "bo", "di"]


def test_one_transaction_is_invisible_to_other_readers_until_it_ends(tmp_path: Path) -> None:
    """Another process (formgrader, say) reads the gradebook as it was until the block commits."""
    import sqlite3

    from nbgrader.api import Gradebook

    from course.grading.coursedir import one_transaction, shared_engines

    path = tmp_path / "gradebook.db"
    url = f"sqlite:///{path}"
    Gradebook(url).close()

    def outside() -> list[str]:
        with sqlite3.connect(path) as other:
            return sorted(row[0] for row in other.execute("select id from student"))

    with shared_engines(), one_transaction(url):
        with Gradebook(url) as gb:
            gb.add_student("ada")
        assert outside() == []
    assert outside() == ["ada"]
