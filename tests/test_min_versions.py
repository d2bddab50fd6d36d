"""The versions the kit admits are the versions it tests.

``.ci/lowest-versions`` installs ``.ci/lowest-versions.txt`` (the lowest release of every
lower bound declared for srkit's direct dependencies) and runs ``tests/`` against it; these
tests keep that file in step with the declared bounds, and run every notebook's
``definitions`` cells (the teaching code the unit tests check) in whatever versions are
installed.
"""

import json
import re
import tomllib
from pathlib import Path

import pytest
from packaging.version import Version

from notebook_code import definitions

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _name(req):
    return re.split(r"[<>=!~\[;@ ]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def declared_lower_bounds() -> dict:
    """``{name: minimum}`` of srkit's dependencies and its ``tf`` extra (pyproject.toml)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    bounds = {}
    for req in project["dependencies"] + project["optional-dependencies"]["tf"]:
        found = re.search(r">=\s*([0-9][0-9.]*)", req)
        assert found, f"{req!r} declares no lower bound"
        bounds[_name(req)] = found.group(1)
    return bounds


def lowest_pins() -> dict:
    pins = {}
    for line in (ROOT / ".ci" / "lowest-versions.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[_name(name)] = version.strip()
    return pins


def requirements_bounds() -> dict:
    bounds = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        found = re.search(r">=\s*([0-9][0-9.]*)", line)
        if found:
            bounds[_name(line)] = found.group(1)
    return bounds


def test_lowest_versions_pin_the_lowest_release_of_every_declared_bound():
    bounds, pins = declared_lower_bounds(), lowest_pins()
    assert sorted(pins) == sorted(bounds), "one pin per direct dependency of srkit"
    for name, minimum in bounds.items():
        pinned = Version(pins[name])
        assert pinned >= Version(minimum), f"{name}: pinned {pinned} is below the bound {minimum}"
        # the first release of the bound's series (4.8 -> 4.8.0.76, 2.16 -> 2.16.1), not a later one
        assert pinned.release[:len(Version(minimum).release)] == Version(minimum).release, (
            f"{name}: pinned {pinned} is not a release of the declared minimum {minimum}")


def test_requirements_declare_the_same_lower_bounds_as_pyproject():
    reqs = requirements_bounds()
    for name, minimum in declared_lower_bounds().items():
        assert reqs.get(name) == minimum, f"{name}: requirements.txt says >={reqs.get(name)}, pyproject >={minimum}"


def test_ci_runs_the_lowest_versions():
    ci = (ROOT / ".ci" / "run").read_text()
    job = (ROOT / ".ci" / "lowest-versions").read_text()
    assert re.search(r"^bash \.ci/lowest-versions\b", ci, re.M)
    assert "-c .ci/lowest-versions.txt" in job and re.search(r"^python -m pytest tests\b", job, re.M)


def _has_definitions(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    return any("definitions" in c.get("metadata", {}).get("tags", []) for c in nb["cells"])


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if _has_definitions(p)], ids=lambda p: p.name)
def test_definitions_cells_run_in_the_installed_versions(path):
    namespace = definitions(path.name)
    assert any(not k.startswith("_") and k not in ("math", "np", "tf", "keras", "layers")
               for k in namespace), "the definitions cells defined nothing"


def test_pixel_shuffle_builds_in_a_functional_model():
    """Notebook 04's pixel shuffle on a symbolic tensor (keras.ops.depth_to_space needs 3.14)."""
    nb = definitions("04_gan.ipynb")
    keras = nb["keras"]
    inp = keras.Input((None, None, 12))
    model = keras.Model(inp, nb["PixelShuffle"](2)(inp))
    assert tuple(model.output.shape) == (None, None, None, 3)
    x = nb["np"].arange(2 * 3 * 12, dtype="float32").reshape(1, 2, 3, 12)
    assert model(x).shape == (1, 4, 6, 3)
