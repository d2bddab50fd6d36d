"""Every notebook's first cell, run as on Google Colab: a stub ``google.colab`` module.

- In a fresh virtual environment where srkit is not installed, it installs srkit (package
  data included) from a local clone (``file://``), and nothing else: the environment's
  TensorFlow, Keras and NumPy (here, like Colab's, reused as they are) stay untouched. Run
  again, it installs nothing.
- Against a repository that does not exist, it stops with one short message naming the two
  ways out, and no traceback.
- Where srkit is importable (local Jupyter) it does nothing, on Colab or not; with
  ``OUTPUTS_ON_DRIVE = True`` on Colab it mounts Drive and points ``SRKIT_OUTPUTS`` there.

The cell runs in IPython (as in Jupyter), in a subprocess started in an empty folder, so the
checkout's ``srkit/`` folder is not importable by accident.
"""

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))

RUNNER = textwrap.dedent('''
    """Run a notebook cell in IPython with a stub google.colab module (unless --local)."""
    import os
    import sys
    import types

    if "--local" not in sys.argv:
        colab = types.ModuleType("google.colab")
        colab.drive = types.ModuleType("google.colab.drive")
        colab.drive.mount = lambda path, **kwargs: print(f"[stub] drive.mount({path!r})")
        sys.modules["google.colab"] = colab
        sys.modules["google.colab.drive"] = colab.drive

    from IPython.core.interactiveshell import InteractiveShell

    source = open(sys.argv[1], encoding="utf-8").read()
    result = InteractiveShell.instance().run_cell(source)
    print(f"[cell {'succeeded' if result.success else 'failed'}]")
    print(f"[SRKIT_OUTPUTS={os.environ.get('SRKIT_OUTPUTS', '')}]")
''')


def template() -> str:
    """The first cell as tools/sync_notebooks.py writes it."""
    spec = importlib.util.spec_from_file_location("sync_notebooks", ROOT / "tools" / "sync_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.first_cell_source()


def first_cell(path: Path) -> str:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return "".join(next(c for c in nb["cells"] if c["cell_type"] == "code")["source"])


def run_cell(python, source, workdir, env=None, local=False):
    """Run ``source`` as a Jupyter cell with ``python``; return (succeeded, printed)."""
    (workdir / "cell.py").write_text(source, encoding="utf-8")
    (workdir / "runner.py").write_text(RUNNER, encoding="utf-8")
    args = [str(python), "runner.py", "cell.py"] + (["--local"] if local else [])
    # without VIRTUAL_ENV: IPython would add that environment's packages (and srkit) to sys.path
    env = {k: v for k, v in {**os.environ, **(env or {})}.items() if k != "VIRTUAL_ENV"}
    done = subprocess.run(args, cwd=workdir, capture_output=True, text=True, timeout=600, env=env)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    return "[cell succeeded]" in out, out


@pytest.fixture(scope="module")
def bare_python(tmp_path_factory):
    """A fresh venv without srkit that sees this environment's other packages (like Colab's).

    Its site-packages gets a ``.pth`` line adding a folder of links to everything installed
    here except srkit (whose editable install would otherwise come along).
    """
    root = tmp_path_factory.mktemp("colab")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    deps = root / "deps"
    deps.mkdir()
    for folder in dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]]):
        for entry in Path(folder).iterdir():
            if "srkit" not in entry.name.lower() and not (deps / entry.name).exists():
                (deps / entry.name).symlink_to(entry)
    site_packages = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True).stdout.strip()
    (Path(site_packages) / "zz_reuse_packages.pth").write_text(
        f"import site; site.addsitedir({str(deps)!r})\n")
    probe = subprocess.run([str(python), "-c", "import importlib.util as u; "
                            "print(u.find_spec('srkit'), u.find_spec('numpy') is not None)"],
                           cwd=root, capture_output=True, text=True, check=True).stdout.split()
    assert probe == ["None", "True"], probe
    return python, Path(site_packages), root


def pip_accepts_git_file_urls(python) -> bool:
    """pip before 24.1 (packaging 21) rejects ``name @ git+file:///path`` (a URL without host).

    Only this test uses such URLs; Colab's pip is newer, and CI upgrades pip.
    """
    shown = subprocess.run([str(python), "-m", "pip", "--version"], capture_output=True,
                           text=True, check=True).stdout.split()[1]
    return tuple(int(part) for part in shown.split(".")[:2]) >= (24, 1)


def installed_here(site_packages: Path) -> set[str]:
    return {p.name for p in site_packages.iterdir() if p.name.endswith(".dist-info")}


def uninstall_srkit(python, site_packages):
    if any(name.startswith("srkit-") for name in installed_here(site_packages)):
        subprocess.run([str(python), "-m", "pip", "uninstall", "-q", "-y", "srkit"], check=True,
                       capture_output=True)


# One notebook is enough: every notebook's first cell is the same template, byte for byte
# (tests/test_packaging.py::test_notebook_badge_and_first_cell_come_from_the_one_source), and
# each install takes about 16 s on the CI machine.
@pytest.mark.parametrize("path", NOTEBOOKS[:1], ids=lambda p: p.name)
def test_on_colab_the_first_cell_installs_srkit_and_nothing_else(path, bare_python, tmp_path):
    python, site_packages, _ = bare_python
    if not pip_accepts_git_file_urls(python):
        pytest.skip("this pip rejects git+file:/// URLs: python -m pip install --upgrade pip")
    uninstall_srkit(python, site_packages)  # left by an earlier failure
    before = installed_here(site_packages)
    repo = ROOT.as_uri()
    ok, out = run_cell(python, first_cell(path), tmp_path, env={"SRKIT_REPO": repo})
    assert ok, out
    assert f"installed from {repo}" in out and "Traceback" not in out, out
    assert "Upgraded" not in out, out
    new = installed_here(site_packages) - before
    assert [name.split("-")[0] for name in new] == ["srkit"], f"installed more than srkit: {new}"
    # srkit and its package data (every non-Python file the repository tracks in srkit/)
    tracked = subprocess.run(["git", "ls-files", "srkit"], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout.split()
    data_files = [f[len("srkit/"):] for f in tracked if not f.endswith(".py")]
    check = ("import pathlib, sys, srkit; root = pathlib.Path(srkit.__file__).parent; "
             "missing = [f for f in sys.argv[1:] if not (root / f).is_file()]; "
             "print('srkit from', root.parent.name, srkit.__version__, 'missing', missing)")
    shown = subprocess.run([str(python), "-c", check, *data_files], cwd=tmp_path,
                           capture_output=True, text=True, check=True).stdout
    assert shown.split()[2] == "site-packages" and shown.strip().endswith("missing []"), shown
    # a second run (or a notebook opened later in the same session) installs nothing
    ok, again = run_cell(python, first_cell(path), tmp_path, env={"SRKIT_REPO": repo})
    assert ok and "installed" not in again, again
    uninstall_srkit(python, site_packages)
    assert installed_here(site_packages) == before


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_on_colab_a_failed_install_says_what_to_do_without_a_traceback(path, bare_python, tmp_path):
    python, site_packages, root = bare_python
    uninstall_srkit(python, site_packages)
    missing = (root / "no-such-repository").as_uri()
    ok, out = run_cell(python, first_cell(path), tmp_path, env={"SRKIT_REPO": missing})
    assert not ok, out
    assert f"srkit could not be installed from {missing}" in out, out
    assert "\n  (fatal: " in out or "\n  (ERROR: " in out, out  # what git or pip said
    assert "SRKIT_REPO" in out and "fork" in out and "upload" in out and ".zip" in out, out
    assert "Traceback" not in out and "CalledProcessError" not in out, out
    assert len(out.splitlines()) <= 10, out


@pytest.mark.parametrize("colab", [True, False], ids=["colab", "local"])
def test_where_srkit_is_installed_the_first_cell_installs_nothing(colab, tmp_path):
    ok, out = run_cell(sys.executable, template(), tmp_path,
                       env={"SRKIT_REPO": "file:///nowhere", "SRKIT_OUTPUTS": ""}, local=not colab)
    assert ok, out
    assert out.splitlines() == ["[cell succeeded]", "[SRKIT_OUTPUTS=]"], out


def test_on_colab_outputs_can_go_to_google_drive(tmp_path):
    source = template()
    assert source.count("OUTPUTS_ON_DRIVE = False") == 1
    ok, out = run_cell(sys.executable, source.replace("OUTPUTS_ON_DRIVE = False", "OUTPUTS_ON_DRIVE = True"),
                       tmp_path, env={"SRKIT_OUTPUTS": ""})
    assert ok, out
    assert "[stub] drive.mount('/content/drive')" in out, out
    assert "[SRKIT_OUTPUTS=/content/drive/MyDrive/srkit/outputs]" in out, out


def test_git_is_there():
    assert shutil.which("git"), "the first-cell tests install srkit from a git URL: install git"
