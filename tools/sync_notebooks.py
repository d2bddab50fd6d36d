"""Write each notebook's "Open in Colab" badge and first (setup) cell from their one source.

The repository URL comes from ``srkit/project.py``, the first cell from ``tools/first_cell.py``.
In every notebook given (default: all of ``notebooks/[0-9][0-9]_*.ipynb``), in place:

- the markdown cell tagged ``colab-badge`` gets the badge (inserted as cell 0 if missing);
- the first code cell gets the template's source, and its outputs are cleared (run locally it
  prints nothing); its execution count and id are kept, and its metadata collapse it:
  ``jupyter.source_hidden`` (Jupyter, JupyterLab) and ``cellView: form`` (Colab shows the
  template's ``# @title`` line);
- the markdown cell just above it (``## Setup``) says in one line what the collapsed cell does.

Every other cell and every stored output is left byte for byte as it was.

Usage, from the repository root::

    python tools/sync_notebooks.py                      # all numbered notebooks
    python tools/sync_notebooks.py notebooks/01_interpolation_baselines.ipynb
    python tools/sync_notebooks.py --check              # exit 1 if a notebook is out of date
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "tools" / "first_cell.py"
BADGE_TAG = "colab-badge"
SETUP_MARKDOWN = ("## Setup\n\n"
                  "The next cell is collapsed: on Colab it installs srkit, elsewhere it does nothing. "
                  "Run it; click it to read it.")


def project():
    """``srkit/project.py``, loaded by path (srkit need not be installed)."""
    spec = importlib.util.spec_from_file_location("srkit_project", ROOT / "srkit" / "project.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def first_cell_source() -> str:
    """The first cell of every notebook, with the repository URL filled in."""
    text = TEMPLATE.read_text(encoding="utf-8")
    if text.count("{REPOSITORY}") != 1:
        raise ValueError(f"{TEMPLATE} must contain the placeholder {{REPOSITORY}} exactly once")
    return text.replace("{REPOSITORY}", project().REPOSITORY).rstrip("\n")


def badge_source(notebook: str) -> str:
    """The badge cell's markdown for ``notebooks/<notebook>``."""
    return project().colab_badge(notebook)


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def synced(nb: dict, name: str) -> dict:
    """``nb`` with its badge cell and first code cell written from their sources."""
    cells = nb["cells"]
    badge = [c for c in cells if BADGE_TAG in c.get("metadata", {}).get("tags", [])]
    if len(badge) > 1:
        raise ValueError(f"{name}: {len(badge)} cells tagged {BADGE_TAG!r}, expected one")
    if not badge:
        cell = {"cell_type": "markdown", "metadata": {"tags": [BADGE_TAG]}, "source": []}
        if nb.get("nbformat", 4) > 4 or nb.get("nbformat_minor", 0) >= 5:
            cell = {"cell_type": "markdown", "id": BADGE_TAG, "metadata": cell["metadata"],
                    "source": []}
        cells.insert(0, cell)
        badge = [cell]
    badge[0]["source"] = _lines(badge_source(name))
    code = [c for c in cells if c["cell_type"] == "code"]
    if not code:
        raise ValueError(f"{name} has no code cell")
    code[0]["source"] = _lines(first_cell_source())
    code[0]["outputs"] = []
    code[0].setdefault("metadata", {}).setdefault("jupyter", {})["source_hidden"] = True
    code[0]["metadata"]["cellView"] = "form"
    above = cells.index(code[0]) - 1
    if above >= 0 and cells[above]["cell_type"] == "markdown" and \
            "".join(cells[above]["source"]).startswith("## Setup"):
        cells[above]["source"] = _lines(SETUP_MARKDOWN)
    return nb


def dumps(nb: dict) -> str:
    """The notebook as Jupyter writes it (one-space indent, UTF-8, final newline)."""
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def sync(path: Path, check: bool = False) -> bool:
    """Sync one notebook in place (or only compare, if ``check``); True if it changed."""
    before = path.read_text(encoding="utf-8")
    after = dumps(synced(json.loads(before), path.name))
    if after != before and not check:
        path.write_text(after, encoding="utf-8")
    return after != before


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to sync (default: all numbered notebooks)")
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 if a notebook is out of date")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    stale = []
    for path in paths:
        changed = sync(path, check=args.check)
        verb = ("out of date" if args.check else "updated") if changed else "up to date"
        print(f"{path.name}: {verb}")
        if changed:
            stale.append(path)
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
