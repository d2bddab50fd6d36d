"""Reference weights: the models the default profiles of notebooks 02–04 trained.

srkit ships four trained models as ``.keras`` files (``srkit/weights/``), each with a
record of how it was made (notebook, commit, profile, training time, seeds, machine) and
what it measures on Set5 and Set14, and a SHA-256 checksum verified on every load:

============== ===== ======= ============================================ ==========
name           scale input   model                                        parameters
============== ===== ======= ============================================ ==========
srcnn_x3       3     Y       SRCNN 9-1-5, bicubic-upscaled input          8,129
autoencoder_x3 3     Y       notebook 03's encoder–decoder with skips     277,569
srresnet_x4    4     RGB     notebook 04's generator, pixel loss          211,747
srgan_x4       4     RGB     the same after adversarial training          211,747
============== ===== ======= ============================================ ==========

>>> from srkit import pretrained
>>> model = pretrained.load("srcnn_x3")                               # doctest: +SKIP
>>> model, said = pretrained.own_or_shipped("srcnn_x3")               # doctest: +SKIP
>>> print(said)            # which one: yours in outputs/, or the shipped one   # doctest: +SKIP

Y models work on BT.601 luma in [0, 1] (``srkit.metrics.rgb_to_y``) and take the
bicubic-upscaled image (pre-upsampling, SRCNN's design); RGB models take the small LR
image in [0, 1] and upscale it themselves. :func:`method` wraps any of them as a
:func:`srkit.evaluate.benchmark` method with the right settings.
"""

from __future__ import annotations

import hashlib
import json
import time
import zipfile
from pathlib import Path

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
"""Folder of the shipped ``.keras`` files, ``MODELS.json`` (records) and ``SHA256SUMS``."""

ALIASES = {"srcnn": "srcnn_x3", "autoencoder": "autoencoder_x3", "srresnet": "srresnet_x4",
           "srgan": "srgan_x4"}
"""Short names (the command line's ``--model``) → reference weight names."""


class WeightsChecksumError(ValueError):
    """A shipped weights file differs from the one srkit was released with."""


def _records() -> dict:
    return json.loads((WEIGHTS_DIR / "MODELS.json").read_text(encoding="utf-8"))


def names() -> list[str]:
    """The reference models srkit ships, e.g. ``["srcnn_x3", "autoencoder_x3", …]``."""
    return list(_records())


def resolve(name: str) -> str:
    """A reference name or alias (``"srcnn"``) → the reference name (``"srcnn_x3"``).

    Raises
    ------
    ValueError
        For an unknown name, listing the known ones.
    """
    key = str(name).lower()
    key = ALIASES.get(key, key)
    if key not in _records():
        known = ", ".join([*ALIASES, *names()])
        raise ValueError(f"unknown reference model {name!r}; srkit ships {known}")
    return key


def info(name: str) -> dict:
    """The record of a reference model (see ``srkit/weights/MODELS.json``).

    Returns
    -------
    dict
        ``title``, ``file``, ``sha256``, ``scale``, ``input`` (``"y"`` or ``"rgb"``),
        ``upsample`` (takes the bicubic-upscaled image), ``multiple`` (input sizes a
        multiple of it), ``tile``, ``route`` (how notebook measured it, see
        :data:`srkit.evaluate.ROUTES`), ``parameters``, ``outputs_file`` (what the
        notebook saves in ``outputs/``), ``made_by`` (notebook, commit, profile,
        training, training_minutes, seeds, machine, versions, date) and ``measured``
        (``{"set5": {"psnr", "ssim"}, "set14": …}`` at ``scale`` on ``route``).
    """
    return dict(_records()[resolve(name)])


def alias(name: str) -> str:
    """The short name of a reference model (``"srcnn_x3"`` → ``"srcnn"``), as ``--model`` takes it."""
    full = resolve(name)
    return next((short for short, target in ALIASES.items() if target == full), full)


def path(name: str) -> Path:
    """The shipped ``.keras`` file of a reference model."""
    return WEIGHTS_DIR / info(name)["file"]


def verify(name: str | None = None) -> None:
    """Check the shipped weights files (all, or one) against ``srkit/weights/SHA256SUMS``.

    Raises
    ------
    WeightsChecksumError
        Naming each file that is missing or altered, and how to repair the installation.
    """
    sums = {}
    for line in (WEIGHTS_DIR / "SHA256SUMS").read_text().splitlines():
        if line.strip():
            digest, rel = line.split(maxsplit=1)
            sums[rel.strip().lstrip("*")] = digest
    files = [info(name)["file"]] if name is not None else [info(n)["file"] for n in names()]
    bad = []
    for rel in files:
        file = WEIGHTS_DIR / rel
        if not file.is_file():
            bad.append(f"{rel} (missing)")
        elif rel not in sums or hashlib.sha256(file.read_bytes()).hexdigest() != sums[rel]:
            bad.append(f"{rel} (altered)")
    if bad:
        raise WeightsChecksumError(
            f"srkit's reference weights do not match their checksums: {', '.join(bad)}. "
            "Restore them: git checkout srkit/weights in the kit's folder, or reinstall srkit "
            "from it (python -m pip install --force-reinstall -e .) or from your SRKIT_REPO.")


def check_model_file(file) -> Path:
    """``file`` as a Path, checked to look like a ``.keras`` model file (Keras not imported).

    Cheap checks before anything heavy: it exists, is a file, ends in ``.keras`` and is a
    zip archive (what ``model.save("name.keras")`` writes). Whether Keras can read it is
    found by :func:`load_model`.

    Raises
    ------
    FileNotFoundError
        If ``file`` does not exist.
    ValueError
        If it is a folder, has another extension, or is not a zip archive.
    """
    file = Path(file)
    if not file.exists():
        raise FileNotFoundError(f"no model file at '{file}'")
    if not file.is_file():
        raise ValueError(f"'{file}' is a folder, not a .keras model file")
    if file.suffix != ".keras":
        raise ValueError(f"'{file}' is not a .keras file: save models with model.save('name.keras')")
    if not zipfile.is_zipfile(file):
        raise ValueError(f"'{file}' is not a Keras model file (a .keras file is the zip archive "
                         "model.save('name.keras') writes)")
    return file


def load_model(file):
    """Load any course model saved as ``.keras`` (the shipped ones, or a notebook's own).

    Knows the layers of notebook 04's generator (:data:`srkit.layers.CUSTOM_OBJECTS`),
    so ``outputs/04_srresnet_x4.keras`` loads outside that notebook. Not compiled.

    Raises
    ------
    FileNotFoundError
        If ``file`` does not exist.
    ValueError
        If it is not a Keras ``.keras`` file that Keras can read (:func:`check_model_file`,
        then Keras itself).
    """
    file = check_model_file(file)
    import keras

    from srkit import layers

    try:
        return keras.models.load_model(file, custom_objects=layers.CUSTOM_OBJECTS, compile=False)
    except Exception as error:  # Keras raises many kinds for a damaged or foreign file
        raise ValueError(f"'{file}' could not be loaded as a Keras model "
                         f"({type(error).__name__}: {str(error).splitlines()[0][:200]})") from error


def load(name: str):
    """The shipped reference model ``name`` (checksum verified), ready for inference."""
    verify(name)
    return load_model(path(name))


def describe(name: str) -> str:
    """One line: what the shipped model is, how it was made and what it measures."""
    record = info(name)
    made = record["made_by"]
    set5 = record["measured"]["set5"]
    return (f"{record['title']} ×{record['scale']}: srkit's reference weights ({made['notebook']}, "
            f"{made['profile']} profile, commit {made['commit'][:7]}, {made['training']}; "
            f"Set5 {set5['psnr']:.2f} dB on the {record['route']} route)")


def own_or_shipped(name: str, outputs=None):
    """The student's own model from ``outputs/`` when it exists, else the shipped one.

    Parameters
    ----------
    name : str
        A reference name or alias; its notebook saves ``info(name)["outputs_file"]``.
    outputs : path, optional
        Where to look; default :func:`srkit.notebook.outputs_dir` (``SRKIT_OUTPUTS`` or
        ``outputs/``).

    Returns
    -------
    (keras.Model, str)
        The model, and one line that says which one it is (print it).
    """
    from srkit.notebook import outputs_dir

    record = info(name)
    own = Path(outputs if outputs is not None else outputs_dir()) / record["outputs_file"]
    if own.is_file():
        stamp = time.strftime("%Y-%m-%d %H:%M", time.localtime(own.stat().st_mtime))
        return load_model(own), (f"{record['title']} ×{record['scale']}: your own model, "
                                 f"outputs/{own.name} ({stamp}; {record['made_by']['notebook']} "
                                 "saved it)")
    return load(name), describe(name)


def method(name: str, model=None):
    """A :func:`srkit.evaluate.benchmark` method for a reference model (or ``model``,
    e.g. the student's own of the same kind), with that model's inference settings.

    Measure it on ``info(name)["route"]``, the route its notebook used.
    """
    from srkit import evaluate

    record = info(name)
    return evaluate.keras_method(load(name) if model is None else model, upsample=record["upsample"],
                                 tile=record["tile"], multiple=record["multiple"])
