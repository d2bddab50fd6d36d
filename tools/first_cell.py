# @title Setup (extra code): installs srkit on Colab; does nothing where srkit is installed
# Installed with the README's command, srkit is already there and nothing
# happens. On Colab it is installed from SRKIT_REPO: the course's repository, your fork's URL,
# or the path of the kit's folder or .zip that you uploaded (Files panel, on the left).
import importlib.metadata
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

SRKIT_REPO = os.environ.get("SRKIT_REPO", "{REPOSITORY}")
OUTPUTS_ON_DRIVE = False  # Colab: True keeps outputs/ (checkpoints) on Google Drive

# Keep TensorFlow's start-up messages out of the notebook: set before it is imported.
# (Not TF_ENABLE_ONEDNN_OPTS=0: it would silence one more notice but make CPU training
# about 5× slower; setup() below catches that notice instead.)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


class SetupError(Exception):
    def _render_traceback_(self):  # Jupyter shows the message alone, not a traceback
        return [str(self)]


def installed(name):
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


IN_COLAB = "google.colab" in sys.modules
if IN_COLAB and OUTPUTS_ON_DRIVE:
    from google.colab import drive

    drive.mount("/content/drive")
    os.environ["SRKIT_OUTPUTS"] = "/content/drive/MyDrive/srkit/outputs"
    print("outputs and checkpoints go to Google Drive: MyDrive/srkit/outputs")
if importlib.util.find_spec("srkit") is None:
    if not IN_COLAB:
        raise SetupError("srkit is not installed: run `python -m pip install -r requirements.txt` "
                         "in the kit's folder, then restart the kernel.")
    if "://" not in SRKIT_REPO:  # an uploaded folder or .zip
        url = Path(SRKIT_REPO).expanduser().resolve().as_uri()
    elif SRKIT_REPO.startswith("git+") or SRKIT_REPO.endswith(".zip"):
        url = SRKIT_REPO
    else:
        url = f"git+{SRKIT_REPO}"
    # [tf]: Colab's TensorFlow, Keras and NumPy stay as they are unless below the kit's minimum.
    core = {name: installed(name) for name in ("numpy", "tensorflow", "keras")}
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "-q", f"srkit[tf] @ {url}"],
                         capture_output=True, text=True)
    if pip.returncode:
        said = [line.strip() for line in pip.stderr.splitlines() if line.strip()] or ["pip failed"]
        why = next((line for line in said if line.startswith(("fatal:", "ERROR:"))), said[-1])
        raise SetupError(
            f"srkit could not be installed from {SRKIT_REPO}\n  ({why})\n"
            "Two ways out, then run this cell again:\n"
            '  1. from a fork or copy on GitHub: SRKIT_REPO = "https://github.com/<you>/srkit" above;\n'
            "  2. without one, or offline: upload the kit's folder or .zip (Files panel, on the left)\n"
            '     and set SRKIT_REPO = "/content/srkit.zip" (or the folder\'s path) above.')
    importlib.invalidate_caches()
    changed = [f"{name} {installed(name)}" for name, was in core.items() if installed(name) != was]
    print(f"srkit {installed('srkit')} installed from {SRKIT_REPO}")
    if changed:
        print(f"Upgraded to the kit's minimum: {', '.join(changed)}. "
              "Restart the session (Runtime > Restart session), then run this cell again.")
