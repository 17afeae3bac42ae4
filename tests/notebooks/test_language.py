"""Every module notebook says which language its text is in (``metadata.lang``, an ISO 639-1 code),
in solutions/ and in the released exercises/ alike, so exports and assistive tools can use it.
(JupyterLab itself sets ``<html lang>`` from its display language; nbconvert from its
``HTMLExporter.language_code``, "en" by default, which the feedback pages use.)"""

from __future__ import annotations

import json

import pytest

from tests.conftest import REPO
from tests.modules import MODULES, SOLUTIONS


@pytest.mark.parametrize("tree", ["solutions", "exercises"])
def test_every_module_notebook_declares_english(tree: str) -> None:
    root = SOLUTIONS if tree == "solutions" else REPO / "exercises"
    for module in MODULES:
        meta = json.loads((root / module / f"{module}.ipynb").read_text("utf-8"))["metadata"]
        assert meta.get("lang") == "en", f"{tree}/{module}: metadata.lang is {meta.get('lang')!r}"
