"""Two small controls ipywidgets lacks, built on anywidget (a few lines of plain JavaScript each).

``RadioGroup``: one choice out of several, as a real radio group (native radio inputs).

ipywidgets' ``RadioButtons`` renders radio inputs without a shared name inside a box without a group
role: arrow keys do not move between the choices and screen readers do not hear a group. This
widget renders a ``<fieldset role="radiogroup">`` with a ``<legend>`` and native radio inputs that
share one name, so the browser gives the usual keyboard behaviour (one Tab stop, arrow keys move and
pick, Space picks) and announces "radio group, Your answer:". It keeps ``RadioButtons``' Python
surface that the course uses: ``options`` as ``(label, value)`` pairs and ``value`` (``None`` when
nothing is picked).

``LiveRegion``: instant feedback that screen readers announce. An ``ipywidgets.HTML`` replaces its
content, so a ``role="status"`` inside it is a new region each time, which screen readers often
ignore; this one renders ``<div role="status" aria-live="polite">`` once and changes only its
content (``value``, HTML made by the course and escaped where it quotes the learner).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anywidget
import traitlets

_STATIC = Path(__file__).resolve().parent / "static"


class RadioGroup(anywidget.AnyWidget):
    """A labelled radio group; ``options`` are ``(label, value)`` pairs of strings."""

    _esm = (_STATIC / "radio_group.js").read_text("utf-8")
    _css = (_STATIC / "radio_group.css").read_text("utf-8")
    description = traitlets.Unicode("").tag(sync=True)
    options = traitlets.List(traitlets.List(traitlets.Unicode(), minlen=2, maxlen=2)).tag(sync=True)
    value = traitlets.Unicode(None, allow_none=True).tag(sync=True)

    def __init__(self, options: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(options=[list(pair) for pair in options or []], **kwargs)

    @traitlets.validate("options")
    def _pairs(self, proposal: dict[str, Any]) -> list[list[str]]:
        return [list(pair) for pair in proposal["value"]]

    @traitlets.validate("value")
    def _known(self, proposal: dict[str, Any]) -> str | None:
        value = proposal["value"]
        if value is not None and value not in {v for _, v in self.options}:
            raise traitlets.TraitError(f"{value!r} is not one of the choices {[v for _, v in self.options]}")
        return value


class LiveRegion(anywidget.AnyWidget):
    """A polite live region whose HTML content (``value``) is announced whenever it changes."""

    _esm = (_STATIC / "live_region.js").read_text("utf-8")
    value = traitlets.Unicode("").tag(sync=True)
