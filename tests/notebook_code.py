"""Run a notebook's definition cells in-process, so tests can check the code a student reads.

Teaching code (a model, a ``train_step``) lives in the notebooks, not in srkit. Cells tagged
``definitions`` (cell metadata, "tags") must only define things: they are executed here in
a namespace that already holds the notebook's usual imports.
"""

from __future__ import annotations

import json
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"

PRELUDE = """
import math
import numpy as np
import tensorflow as tf
import keras
from keras import layers
"""


def definitions(notebook: str, tag: str = "definitions") -> dict:
    """Execute the cells of ``notebooks/<notebook>`` tagged ``tag``; return their namespace."""
    nb = json.loads((NOTEBOOKS / notebook).read_text())
    cells = ["".join(c["source"]) for c in nb["cells"]
             if c["cell_type"] == "code" and tag in c.get("metadata", {}).get("tags", [])]
    if not cells:
        raise LookupError(f"{notebook} has no code cells tagged {tag!r}")
    namespace: dict = {"__name__": f"notebook_{Path(notebook).stem}"}
    exec(compile(PRELUDE, "<prelude>", "exec"), namespace)
    for i, source in enumerate(cells):
        exec(compile(source, f"<{notebook} definitions cell {i + 1}>", "exec"), namespace)
    return namespace
