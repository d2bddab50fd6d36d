"""The install files agree with each other, and every notebook follows the kit's conventions."""

import json
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _requirement_lines(lines):
    reqs = []
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if line:
            reqs.append(re.sub(r"\s+", "", line))
    return reqs


def requirements_txt():
    return _requirement_lines((ROOT / "requirements.txt").read_text().splitlines())


def environment_pip():
    """The entries of the ``- pip:`` list in environment.yml."""
    lines, inside, indent = [], False, None
    for raw in (ROOT / "environment.yml").read_text().splitlines():
        if re.match(r"\s*-\s*pip:\s*$", raw):
            inside, indent = True, len(raw) - len(raw.lstrip())
            continue
        if inside:
            stripped = raw.strip()
            if not stripped or stripped.startswith("#"):
                continue
            if len(raw) - len(raw.lstrip()) <= indent:
                break
            lines.append(stripped[1:].strip() if stripped.startswith("-") else stripped)
    return _requirement_lines(lines)


def _name(req):
    return re.split(r"[<>=!~\[;]", req, maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_and_requirements_name_the_same_packages():
    assert environment_pip(), "environment.yml has no pip list"
    assert sorted(environment_pip()) == sorted(requirements_txt())


def test_requirements_install_srkit_and_cover_its_dependencies():
    reqs = requirements_txt()
    assert "-e." in reqs, "requirements.txt must install srkit itself (-e .)"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {_name(r) for r in reqs}
    missing = {_name(d) for d in project["dependencies"]} - names
    assert not missing, f"pyproject dependencies missing from requirements.txt: {missing}"


def test_readme_test_command_is_what_ci_runs():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "python -m pytest" in readme and "python -m pip install -r requirements.txt" in readme
    assert re.search(r"^python -m pytest$", ci, re.M)
    assert re.search(r"^python -m pip install .*-r requirements.txt$", ci, re.M)


def test_there_are_notebooks():
    assert NOTEBOOKS, "no numbered notebooks found"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_follows_the_kit_conventions(path):
    nb = json.loads(path.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    sources = ["".join(c["source"]) for c in code]
    # setup first: Colab install, TensorFlow silenced before import, then seeds/devices
    assert "google.colab" in sources[0] and "TF_CPP_MIN_LOG_LEVEL" in sources[0]
    assert "setup(" in sources[1]
    # exactly one parameters cell, reading the quick profile
    params = [s for s in sources if "is_quick()" in s]
    assert len(params) == 1, "one parameters cell that reads is_quick()"
    # stored from a clean run: executed in order, no errors
    counts = [c["execution_count"] for c in code]
    assert counts == list(range(1, len(code) + 1)), "restart the kernel and run all, then save"
    for c in code:
        for out in c.get("outputs", []):
            assert out["output_type"] != "error", f"saved error output in {path.name}"
            if out.get("name") == "stderr":
                raise AssertionError(f"saved stderr output in {path.name}: {''.join(out['text'])[:200]}")
    # no machine-specific paths in what a reader sees (home folders, checkouts, temp dirs)
    for c in code:
        for out in c.get("outputs", []):
            shown = "".join(out.get("text", "")) + "".join(
                "".join(v) if isinstance(v, list) else str(v)
                for k, v in out.get("data", {}).items() if k.startswith("text/"))
            found = re.search(r"(?<![\w.])/(?:root|home/[^/\s]+|Users/[^/\s]+|work|tmp)/\S*", shown)
            assert not found, f"saved output in {path.name} shows a machine path: {found.group(0)}"
    # checked cells exist and training logs stay readable
    assert any(s.startswith("# NBVAL_CHECK_OUTPUT") for s in sources)
    assert not any("verbose=1" in s for s in sources)
    markdown = "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    assert "## Takeaways" in markdown and "## Exercises" in markdown
