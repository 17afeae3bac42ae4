"""Open any nbgrader course directory the way nbgrader's own apps do: its ``nbgrader_config.py``
(after the user's and system's Jupyter config folders), its gradebook, its folders.

Everything the grading pipeline keeps for itself (state, staging, status file, lock) lives under
the course directory, in ``.course/`` and ``grading-status.csv``.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config
from traitlets.config.loader import ConfigFileNotFound, JSONFileConfigLoader, PyFileConfigLoader

CONFIG_NAME = "nbgrader_config"
#: Folder under the course directory for the pipeline's own runtime state.
STATE_DIR = ".course"


class GradingError(RuntimeError):
    """A grading command cannot run at all (bad course directory, gradebook, options); the message says why."""


class CourseDirError(GradingError):
    """The folder is not a usable nbgrader course directory."""


@dataclass
class Course:
    """An nbgrader course directory with its loaded configuration."""

    root: Path
    config: Config
    coursedir: CourseDirectory

    @property
    def db_url(self) -> str:
        return self.coursedir.db_url

    @property
    def course_id(self) -> str:
        return self.coursedir.course_id

    @property
    def state_dir(self) -> Path:
        return self.root / STATE_DIR

    def path(self, step: str, student_id: str, assignment_id: str) -> Path:
        """``root/<step>/<student>/<assignment>`` as nbgrader's ``directory_structure`` says."""
        return Path(self.coursedir.format_path(step, student_id, assignment_id))

    def gradebook(self):
        from nbgrader.api import Gradebook

        ensure_alembic_on_path()
        return Gradebook(self.db_url, self.course_id)


def _load_file(cfg: Config, folder: Path) -> None:
    for loader_cls, suffix in ((JSONFileConfigLoader, ".json"), (PyFileConfigLoader, ".py")):
        path = folder / f"{CONFIG_NAME}{suffix}"
        if not path.is_file():
            continue
        try:
            loaded = loader_cls(path.name, path=str(folder)).load_config()
        except ConfigFileNotFound:
            continue
        except Exception as exc:  # a config file is arbitrary Python: any error is possible
            raise CourseDirError(f"{path}: could not load nbgrader settings ({type(exc).__name__}: {exc})") from exc
        cfg.merge(loaded)


def load_config(root: Path) -> Config:
    """nbgrader's settings for a course in ``root``: Jupyter's config folders first (lowest
    priority, as nbgrader apps read them), then ``root/nbgrader_config.py`` (highest)."""
    from jupyter_core.paths import jupyter_config_path

    cfg = Config()
    for folder in reversed(jupyter_config_path()):
        _load_file(cfg, Path(folder))
    _load_file(cfg, root)
    return cfg


def open_course(course_dir: Path | str, *, db_url: str | None = None) -> Course:
    """Open the nbgrader course in ``course_dir``; ``db_url`` overrides the gradebook's URL.

    The course root is always ``course_dir`` (nbgrader apps use the folder they run in), even when
    the config names another one, so a moved course directory keeps working.
    """
    root = Path(course_dir).expanduser().resolve()
    if not root.is_dir():
        raise CourseDirError(f"course directory not found: {root}")
    cfg = load_config(root)
    cfg.CourseDirectory.root = str(root)
    if db_url:
        cfg.CourseDirectory.db_url = db_url
    coursedir = CourseDirectory(config=cfg)
    return Course(root=root, config=cfg, coursedir=coursedir)


def ensure_alembic_on_path() -> None:
    """nbgrader runs the ``alembic`` command when it creates a gradebook; make sure the one next to
    this Python is found even when the virtual environment is not activated."""
    if shutil.which("alembic"):
        return
    bindir = str(Path(sys.executable).parent)
    if (Path(bindir) / "alembic").exists():
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")


@contextmanager
def working_directory(path: Path) -> Iterator[None]:
    """Run inside ``path`` (nbgrader's converters do the same, so relative settings resolve alike)."""
    before = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


#: While :func:`one_transaction` runs: the connection (in an open transaction) that every
#: ``Gradebook`` session opened for that URL is bound to. Only inside :func:`shared_engines`.
_transactions: dict[str, Any] = {}
_active_engines: list[dict[Any, Any]] = []


def _url_key(url: Any) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=False)


def _transaction_engine(db_url: str) -> Any:
    """An engine whose connections really begin a transaction on ``begin()``. Python's sqlite3 module
    opens one only before the first write, so a SAVEPOINT would otherwise run outside a transaction
    and its RELEASE would commit (SQLAlchemy's documented fix for pysqlite)."""
    from sqlalchemy import create_engine, event
    from sqlalchemy.pool import NullPool

    engine = create_engine(db_url, poolclass=NullPool)
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN")
    return engine


@contextmanager
def one_transaction(db_url: str) -> Iterator[None]:
    """What nbgrader writes to the gradebook inside this block is one database transaction.

    nbgrader commits after every grade and comment (a SQLite commit waits for the disk: a few ms
    each, dozens per notebook). Inside this block each of those commits only ends a SAVEPOINT of one
    outer transaction, and a rollback goes back to the last one, exactly as before for the code that
    asked; the outer transaction is committed once at the end, or rolled back if the block fails,
    so a submission is recorded whole or not at all. Outside :func:`shared_engines` it does nothing.
    """
    if not _active_engines:
        yield
        return
    key = _url_key(db_url)
    if key in _transactions:  # already inside one: the outer block commits
        yield
        return
    engines = _active_engines[-1]
    if ("transaction", key) not in engines:
        engines[("transaction", key)] = _transaction_engine(db_url)
    with engines[("transaction", key)].connect() as conn:
        outer = conn.begin()
        _transactions[key] = conn
        try:
            yield
        except BaseException:
            _transactions.pop(key, None)
            outer.rollback()
            raise
        _transactions.pop(key, None)
        outer.commit()


@contextmanager
def shared_engines() -> Iterator[None]:
    """nbgrader's repeated costs, removed for the duration of a run without changing a result.

    * nbgrader opens a new ``Gradebook`` (and so a new SQLAlchemy engine) in each preprocessor call,
      and SQLAlchemy keeps compiled SQL per engine, so every query would be compiled again for every
      notebook, and opens a new database connection, asks for the table names and checks every table
      exists. Here every ``Gradebook`` reuses one engine (and its connection pool) per URL, and the
      tables are looked at once; the engines are disposed of at the end.
    * nbgrader commits after each grade; inside :func:`one_transaction` those become savepoints of
      one transaction per block (one submission's bookkeeping, one submission's scores).
    * nbgrader's ``CheckCellMetadata`` validates each cell with ``jsonschema.validate``, which first
      checks the *schema* itself, every time. Here that check is done once per schema; each cell is
      still validated against it, with the same errors.
    """
    import jsonschema
    import nbgrader.api as api
    import nbgrader.nbgraderformat.common as nbformat_common

    original = api.create_engine
    original_sessionmaker = api.sessionmaker
    engines: dict[Any, Any] = {}

    def create_engine(url: Any, **kwargs: Any) -> Any:
        key = (_url_key(url), tuple(sorted(kwargs.items())))
        if key not in engines:
            engine = engines[key] = original(url, **kwargs)
            engine.dispose_for_real = engine.dispose
            engine.dispose = lambda *args, **kw: None  # Gradebook.close(): keep the pool for the next one
        return engines[key]

    # Gradebook() asks for the table names and creates missing tables every time: once per engine is
    # enough (the run itself never drops a table)
    original_inspect, metadata = api.inspect, api.Base.metadata
    original_create_all = metadata.create_all
    tables: dict[int, list[str]] = {}
    created: set[int] = set()

    class _Tables:
        def __init__(self, engine: Any) -> None:
            self.engine = engine

        def get_table_names(self) -> list[str]:
            if id(self.engine) not in tables:
                tables[id(self.engine)] = original_inspect(self.engine).get_table_names()
            return tables[id(self.engine)]

    def inspect(subject: Any, *args: Any, **kwargs: Any) -> Any:
        if args or kwargs or subject not in engines.values():
            return original_inspect(subject, *args, **kwargs)
        return _Tables(subject)

    def create_all(bind: Any, *args: Any, **kwargs: Any) -> None:
        if args or kwargs or bind not in engines.values():
            return original_create_all(bind, *args, **kwargs)
        if id(bind) not in created:
            original_create_all(bind)
            created.add(id(bind))
            tables.pop(id(bind), None)
        return None

    def sessionmaker(*args: Any, bind: Any = None, **kwargs: Any) -> Any:
        conn = _transactions.get(_url_key(bind.url)) if bind is not None and hasattr(bind, "url") else None
        if conn is None:
            return original_sessionmaker(*args, bind=bind, **kwargs)
        return original_sessionmaker(*args, bind=conn, join_transaction_mode="create_savepoint", **kwargs)

    checked: dict[str, Any] = {}

    def validate(instance: Any, schema: Any, cls: Any = None, *args: Any, **kwargs: Any) -> None:
        key = json.dumps(schema, sort_keys=True)
        if key not in checked or cls is not None or args or kwargs:
            validator_cls = cls or jsonschema.validators.validator_for(schema)
            validator_cls.check_schema(schema)
            if cls is not None or args or kwargs:
                return jsonschema.validate(instance, schema, cls, *args, **kwargs)
            checked[key] = validator_cls(schema)
        error = jsonschema.exceptions.best_match(checked[key].iter_errors(instance))
        if error is not None:
            raise error

    class _Jsonschema:
        """``jsonschema`` as nbgrader's metadata validator sees it, with ``validate`` cached."""

        def __getattr__(self, name: str) -> Any:
            return getattr(jsonschema, name)

    patched = _Jsonschema()
    patched.validate = validate  # type: ignore[attr-defined]
    api.create_engine = create_engine
    api.sessionmaker = sessionmaker
    api.inspect = inspect
    metadata.create_all = create_all
    saved_jsonschema = nbformat_common.jsonschema
    nbformat_common.jsonschema = patched
    _active_engines.append(engines)
    try:
        yield
    finally:
        _active_engines.remove(engines)
        api.create_engine = original
        api.sessionmaker = original_sessionmaker
        api.inspect = original_inspect
        del metadata.create_all  # the class's own method again
        nbformat_common.jsonschema = saved_jsonschema
        for engine in engines.values():
            (getattr(engine, "dispose_for_real", None) or engine.dispose)()


class BusyError(GradingError):
    """Another grading command is already working in this course directory."""


#: Lock files this process holds (POSIX locks do not conflict within one process, so check here).
_held: set[str] = set()


@contextmanager
def exclusive(course: Course, what: str) -> Iterator[None]:
    """Hold the course directory's grading lock (one ``course grade``/``collect``/``feedback`` at a time).

    A POSIX record lock (``lockf``), not ``flock``: it belongs to this process only, so worker
    processes forked while it is held do not keep it alive after this process is killed.
    """
    course.state_dir.mkdir(parents=True, exist_ok=True)
    lock_path = course.state_dir / "grading.lock"
    key = str(lock_path.resolve())
    with open(lock_path, "a+") as handle:
        try:
            if key in _held:
                raise BlockingIOError
            fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except (BlockingIOError, PermissionError):
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise BusyError(f"{course.root} is busy: {holder} is running; try again when it has finished") from None
        _held.add(key)
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(f"`course {what}` (pid {os.getpid()})")
            handle.flush()
            yield
        finally:
            _held.discard(key)
            handle.seek(0)
            handle.truncate()
            handle.flush()
            fcntl.lockf(handle, fcntl.LOCK_UN)
