"""Notebook 02's exercises 2 and 3 as a student does them: ``STRIDE = None`` and ``SCALE = 2``.

The notebook's own cells run in a Jupyter kernel (nbclient), quick profile, from the start
through section 4's "other scales" table, with the parameters cell changed the way the
exercises say (one run with both changes, to keep CI short) and the training shortened to
300 steps: this checks that the code follows the parameters (patches at random positions,
×2 labels and published rows, the other scales measured), not the quality.
"""

from __future__ import annotations

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOK = NOTEBOOKS / "02_srcnn.ipynb"
PARAMETERS = "56bf4d0b"  # the parameters cell
LAST_CELL = "39486144"   # section 4's "other scales" table
EXERCISES = ("\nSTRIDE = None  # exercise 2\nSCALE = 2  # exercise 3\n"
             "STEPS, STEPS_PER_EPOCH = 300, 150  # the test's: it checks the plumbing, not the quality\n")


def _outputs(cells) -> str:
    text = []
    for cell in cells:
        for out in cell.get("outputs", []):
            text.append(out.get("text", "") or out.get("data", {}).get("text/plain", ""))
    return "".join(text)


def test_notebook_02_runs_with_random_positions_at_x2(tmp_path, monkeypatch):
    monkeypatch.setenv("SRKIT_QUICK", "1")
    monkeypatch.setenv("SRKIT_OUTPUTS", str(tmp_path / "outputs"))
    for name in ("SRKIT_TRAIN_DIR", "SRKIT_EVAL_DIR"):
        monkeypatch.delenv(name, raising=False)
    nb = nbformat.read(NOTEBOOK, as_version=4)
    ids = [cell.get("id") for cell in nb.cells]
    for cell_id in (PARAMETERS, LAST_CELL):
        assert cell_id in ids, f"{NOTEBOOK.name} has no cell {cell_id}: update this test"
    nb.cells = nb.cells[:ids.index(LAST_CELL) + 1]
    nb.cells[ids.index(PARAMETERS)].source += EXERCISES

    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()

    text = _outputs(nb.cells)
    assert "training patches of 33×33 at random positions: 300 steps of 64" in text  # exercise 2
    assert "Set5 ×2: " in text and "Set14 ×2: " in text                             # exercise 3
    assert "the paper gives no 9-1-5 (91 images) number at ×2" in text
    assert "×3" not in text.split("Set5 ×2: ")[1].split("\n")[0]
    assert "SRCNN ×2 model" in text and "SRCNN ×3 model" not in text                # labels
    other = nb.cells[-1]["outputs"][-1]["data"]["text/plain"]
    assert "SRCNN ×2 model" in other and " 3 " in other and " 4 " in other        # ×3 and ×4 rows
    assert list((tmp_path / "outputs").glob("02_srcnn_x2_quick_run*")), "no ×2 training run was written"
