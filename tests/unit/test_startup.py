"""The start-up shortcut of the ``course`` command changes no answer of jsonschema's IRI checks."""

from __future__ import annotations

import subprocess
import sys

import pytest

CHECKS = """
import sys
{prelude}
import jsonschema
built_at_import = "rfc3987_syntax.syntax_helpers" in sys.modules
from jsonschema import FormatChecker
checker = FormatChecker()
values = ["http://example.com/\\u00e4", "not an iri ::", "/a/b", "mailto:a@example.com", "http://[::1"]
print([checker.conforms(v, f) for v in values for f in ("iri", "iri-reference")])
print("built at import" if built_at_import else "built when used")
"""


def _run(prelude: str) -> list[str]:
    out = subprocess.run([sys.executable, "-c", CHECKS.format(prelude=prelude)], capture_output=True, text=True,
                         timeout=120, check=True)
    return out.stdout.splitlines()


def test_deferred_iri_parsers_give_the_same_answers() -> None:
    pytest.importorskip("rfc3987_syntax")
    plain = _run("")
    deferred = _run("from course._startup import defer_iri_parsers; defer_iri_parsers()")
    assert deferred[0] == plain[0]
    assert "True" in plain[0] and "False" in plain[0]
    assert deferred[1] == "built when used"
    # jsonschema prefers the `rfc3987` package when it is installed (ralph-malph, a test extra, brings it):
    # then the Earley parsers are never built at import, with or without the shortcut.
    try:
        import rfc3987  # noqa: F401
    except ImportError:
        assert plain[1] == "built at import"


def test_the_course_command_defers_them() -> None:
    """Once the `course` command has started, importing nbformat does not build the parsers."""
    pytest.importorskip("rfc3987_syntax")
    code = ("import sys\nfrom course import cli\nsys.argv = ['course', '--help']\ntry:\n    cli.main()\n"
            "except SystemExit:\n    pass\nimport nbformat, jsonschema\n"
            "print('built' if 'rfc3987_syntax.syntax_helpers' in sys.modules else 'not built')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.splitlines()[-1] == "not built"


#: Packages `course --help` never needs: each costs tens to hundreds of milliseconds to import.
HEAVY = ("nbgrader", "nbconvert", "nbformat", "nbclient", "jupyter_client", "zmq", "IPython", "ipykernel",
         "pandas", "numpy", "dask", "distributed", "sqlalchemy", "jsonschema", "yaml", "jinja2", "traitlets",
         "openpyxl", "fpdf", "matplotlib", "course.grading.pipeline", "course.compliance")


def _modules_after(argv: list[str]) -> set[str]:
    code = ("import sys\nfrom course import cli\nsys.argv = " + repr(["course", *argv]) + "\ntry:\n    cli.main()\n"
            "except SystemExit:\n    pass\nprint('\\n'.join(sorted(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    return set(out.stdout.splitlines())


@pytest.mark.parametrize("argv", [["--help"], ["grade", "--help"], ["doctor", "--help"]])
def test_help_imports_nothing_heavy(argv: list[str]) -> None:
    """`course --help` (and a command's --help) imports none of the heavy packages."""
    loaded = _modules_after(argv)
    assert "typer" in loaded  # the check itself sees what was imported
    heavy = sorted(name for name in loaded if any(name == h or name.startswith(f"{h}.") for h in HEAVY))
    assert heavy == []
