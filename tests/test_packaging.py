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
    markdown = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    assert "## Takeaways" in markdown and "## Exercises" in markdown
    # the setup cell and the solution cells are collapsed (Jupyter and Colab), with a title line
    for c in [code[0]] + [c for c, s in zip(code, sources) if s.startswith("# @title Solution")]:
        assert c["metadata"].get("jupyter", {}).get("source_hidden") is True, f"{path.name}: not collapsed"
        assert c["metadata"].get("cellView") == "form", f"{path.name}: no Colab form view"
        assert "".join(c["source"]).startswith("# @title "), f"{path.name}: a collapsed cell needs a title"
    # every exercise states its cost, and has a hint and a worked solution (folded)
    exercises = markdown.split("## Exercises", 1)[1].split("## Solutions", 1)[0]
    items = re.split(r"^\d+\. ", exercises, flags=re.M)[1:]
    assert items, f"{path.name}: no numbered exercises"
    for k, item in enumerate(items, 1):
        assert "<summary>Hint</summary>" in item, f"{path.name}: exercise {k} has no hint"
        assert "<summary>Solution</summary>" in item, f"{path.name}: exercise {k} has no solution"
        head = item.split("<details>", 1)[0]
        assert re.search(r"\b(seconds?|min|minutes?|hours?|GPU)\b", head), \
            f"{path.name}: exercise {k} does not say what it costs on a CPU"


# --- one repository URL: srkit/project.py; every copy is written from it and checked here ---

def _load(name, path):
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


PROJECT = _load("srkit_project", ROOT / "srkit" / "project.py")
SYNC = _load("sync_notebooks", ROOT / "tools" / "sync_notebooks.py")
FIX = "run `python tools/sync_notebooks.py` from the repository root"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_badge_and_first_cell_come_from_the_one_source(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = nb["cells"]
    assert SYNC.BADGE_TAG in cells[0].get("metadata", {}).get("tags", []), \
        f"{path.name}: no Colab badge cell at the top; {FIX}"
    assert "".join(cells[0]["source"]) == SYNC.badge_source(path.name), f"{path.name}: badge drifted; {FIX}"
    first = next(c for c in cells if c["cell_type"] == "code")
    assert "".join(first["source"]) == SYNC.first_cell_source(), f"{path.name}: first cell drifted; {FIX}"


def _kit_urls(text):
    """Every URL in ``text`` naming a GitHub repository called srkit, or opening one in Colab."""
    github = re.findall(r"https://github\.com/[\w.-]+/srkit\b[^\s)\"'`\]\\]*", text)
    colab = re.findall(r"https://colab\.research\.google\.com/github/[^\s)\"'`\]\\]+", text)
    return github, colab


def test_readme_and_docs_name_the_repository_of_srkit_project():
    texts = {"README.md": (ROOT / "README.md").read_text(encoding="utf-8")}
    texts.update({str(p.relative_to(ROOT)): p.read_text(encoding="utf-8")
                  for p in sorted((ROOT / "docs").rglob("*.md"))} if (ROOT / "docs").is_dir() else {})
    texts.update({str(p.relative_to(ROOT)): "\n".join(
        "".join(c["source"]) for c in json.loads(p.read_text(encoding="utf-8"))["cells"])
        for p in NOTEBOOKS})
    allowed = {f"https://colab.research.google.com/github/{PROJECT.github_path()}/blob/{PROJECT.BRANCH}/notebooks/{p.name}"
               for p in NOTEBOOKS}
    for name, text in texts.items():
        github, colab = _kit_urls(text)
        for url in github:
            assert url.rstrip("/.") in (PROJECT.REPOSITORY, PROJECT.REPOSITORY + ".git"), \
                f"{name} names {url}, srkit/project.py says {PROJECT.REPOSITORY}"
        for url in colab:
            assert url in allowed, f"{name} links {url}, not a notebook of {PROJECT.REPOSITORY}"


def test_readme_has_a_colab_badge_for_every_notebook_and_says_where_srkit_comes_from():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for path in NOTEBOOKS:
        assert PROJECT.colab_badge(path.name) in readme, f"README: no Colab badge for {path.name}"
    assert PROJECT.REPOSITORY in readme and "SRKIT_REPO" in readme
