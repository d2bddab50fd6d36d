"""Notebook 02 as a student changes it: a folder of their own, ``STRIDE = None``, ``SCALE = 2``.

The notebook's own cells run in a Jupyter kernel (nbclient), in the quick profile, from the
start through section 4's "other scales" table: setup, parameters, the data cell that loads and
splits the folder named by ``$SRKIT_TRAIN_DIR`` (issue 22), the model, a short training run,
the benchmark, the figures and the other scales. The parameters cell gets the edits of
exercises 2 and 3 (patches at random positions, ×2): one run checks all three changes, to keep
CI short. The rest of the notebook (experiments) runs with the default data under nbval.
Notebook 02 is the cheapest of 02-05 to take this far; the test shortens its training run to
300 steps (it checks the plumbing, not the quality: the notebooks run whole under nbval).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

from srkit import data  # noqa: E402

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOK = NOTEBOOKS / "02_srcnn.ipynb"
LAST_CELL = "39486144"  # section 4's "other scales" table
PARAMETERS = "56bf4d0b"  # the parameters cell: exercises 2 and 3, and a shorter training run
EDITS = ("\nSTRIDE = None  # exercise 2\nSCALE = 2  # exercise 3\n"
         "STEPS, STEPS_PER_EPOCH = 300, 150  # the test's: it checks the plumbing, not the quality\n")


def _folder(root: Path) -> Path:
    """Six T91 photographs as PNG files in a folder of a student's own (no names of a set)."""
    from PIL import Image

    folder = root / "my_photos"
    folder.mkdir()
    images = [x for _, x in data.load_dataset("t91") if min(x.shape[:2]) >= 200][:6]
    for k, image in enumerate(images):
        Image.fromarray(np.round(image * 255).astype(np.uint8)).save(folder / f"photo_{k}.png")
    return folder


def _text(cells) -> str:
    return "".join(out.get("text", "") or out.get("data", {}).get("text/plain", "")
                   for cell in cells if cell.cell_type == "code" for out in cell.outputs)


def test_notebook_02_on_a_train_dir_with_random_positions_at_x2(tmp_path, monkeypatch):
    folder = _folder(tmp_path)
    monkeypatch.setenv("SRKIT_QUICK", "1")
    monkeypatch.setenv("SRKIT_TRAIN_DIR", str(folder))
    monkeypatch.setenv("SRKIT_OUTPUTS", str(tmp_path / "outputs"))
    monkeypatch.delenv("SRKIT_EVAL_DIR", raising=False)
    nb = nbformat.read(NOTEBOOK, as_version=4)
    ids = [cell.get("id") for cell in nb.cells]
    assert LAST_CELL in ids, f"{NOTEBOOK.name} has no cell {LAST_CELL}: update LAST_CELL"
    assert PARAMETERS in ids, f"{NOTEBOOK.name} has no cell {PARAMETERS}: update PARAMETERS"
    nb.cells = nb.cells[:ids.index(LAST_CELL) + 1]
    nb.cells[ids.index(PARAMETERS)].source += EDITS

    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()

    text = _text(nb.cells)
    # the data cell's summary names the folder and its split: 5 images to train on, 1 to validate
    assert "training: my_photos, 5 images; validation: 1; colour" in text
    assert f"folder {folder}, split by group" in text
    assert "model channel: y; LR: bicubic down, 8-bit" in text
    # exercise 2: patches at random positions (the grid count is not asked for)
    assert "training patches of 33×33 at random positions: 300 steps of 64" in text
    # it trained, and the evaluation ran on the test sets at ×2, with ×2 labels and paper rows
    assert "trained " in text and " steps in " in text
    assert "Set5 ×2: " in text and "Set14 ×2: " in text
    assert "the paper gives no 9-1-5 (91 images) number at ×2" in text
    assert "SRCNN ×2 model" in text and "SRCNN ×3 model" not in text
    other = nb.cells[-1].outputs[-1]["data"]["text/plain"]
    assert "SRCNN ×2 model" in other and " 3 " in other and " 4 " in other  # the other scales
    assert list((tmp_path / "outputs").glob("02_srcnn_x2_quick_run*")), "no ×2 training run was written"
