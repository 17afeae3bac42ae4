"""Start-up time of the ``course`` command.

``jsonschema`` (imported by nbformat, so by everything that reads a notebook) imports
``rfc3987_syntax`` when it is installed (JupyterLab's ``jupyter-events`` brings it), and that
module builds its Earley parsers for internationalised URIs at import time: about 1.3 s of CPU on
every start, for a format check (``"format": "iri"``) that no notebook schema uses.
:func:`defer_iri_parsers` puts a stand-in module in its place whose ``is_valid_syntax`` imports
the real parsers the first time it is called: the same answers, paid for only when asked.
"""

from __future__ import annotations

import importlib.util
import sys
import types
from typing import Any

_NAME = "rfc3987_syntax"


def defer_iri_parsers() -> None:
    """Install the stand-in, unless the real module is already imported or not installed."""
    if _NAME in sys.modules:
        return
    try:
        spec = importlib.util.find_spec(_NAME)
    except (ImportError, ValueError):
        return
    if spec is None or spec.submodule_search_locations is None:
        return
    stand_in = types.ModuleType(_NAME, "Deferred rfc3987_syntax: the parsers are built on first use.")
    stand_in.__path__ = list(spec.submodule_search_locations)  # so its submodules import as usual
    stand_in.__spec__ = spec

    def _real() -> Any:
        return importlib.import_module(f"{_NAME}.syntax_helpers")

    def is_valid_syntax(term: str, value: str) -> bool:
        return bool(_real().is_valid_syntax(term, value))

    def __getattr__(name: str) -> Any:  # anything else: from the real module
        return getattr(_real(), name)

    stand_in.is_valid_syntax = is_valid_syntax  # type: ignore[attr-defined]
    stand_in.__getattr__ = __getattr__  # type: ignore[attr-defined]
    sys.modules[_NAME] = stand_in
