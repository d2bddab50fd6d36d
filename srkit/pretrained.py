"""Reference weights: the course's own models, and published models converted from their authors.

srkit ships the models the default profiles of notebooks 02–04 trained as ``.keras`` files
(``srkit/weights/``), each with a record of how it was made (notebook, commit, profile,
training time, seeds, machine) and what it measures on Set5 and Set14, and a SHA-256
checksum verified on every load:

============== ===== ======= ============================================ ==========
name           scale input   model                                        parameters
============== ===== ======= ============================================ ==========
srcnn_x3       3     Y       SRCNN 9-1-5, bicubic-upscaled input          8,129
autoencoder_x3 3     Y       notebook 03's encoder–decoder with skips     277,569
srresnet_x4    4     RGB     notebook 04's generator, pixel loss          134,992
srgan_x4       4     RGB     the same after adversarial training          134,992
============== ===== ======= ============================================ ==========

>>> from srkit import pretrained
>>> model = pretrained.load("srcnn_x3")                               # doctest: +SKIP
>>> model, said = pretrained.own_or_shipped("srcnn_x3")               # doctest: +SKIP
>>> print(said)            # which one: yours in outputs/, or the shipped one   # doctest: +SKIP

Beside them, published efficient models with their authors' weights, converted by
``tools/convert_published_weights.py`` into the Keras ports of :mod:`srkit.ports` (records:
``source`` — repository, commit, path, SHA-256 of the authors' file, licence, paper —,
``published`` and ``measured`` Set5/Set14 numbers on the authors' route):

========== ===== ===== ====================================================== ==========
name       scale input model                                                  parameters
========== ===== ===== ====================================================== ==========
rlfn_x2    2     RGB   RLFN (Kong et al. 2022), bytedance/RLFN, Apache-2.0    526,856
rlfn_x4    4     RGB   RLFN                                                   543,740
carn_m_x2  2     RGB   CARN-M (Ahn et al. 2018), nmhkahn/CARN-pytorch, MIT    257,051
carn_m_x3  3     RGB   CARN-M                                                 303,451
carn_m_x4  4     RGB   CARN-M                                                 294,171
========== ===== ===== ====================================================== ==========

``resolve("rlfn", scale=2)`` picks a family's model for a scale. Y models work on BT.601 luma in [0, 1] (``srkit.metrics.rgb_to_y``) and take the
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
           "srgan": "srgan_x4", "rlfn": "rlfn_x4", "carn_m": "carn_m_x4"}
"""Short names (the command line's ``--model``) → reference weight names (for a family
shipped at several scales, its ×4 model; :func:`resolve` with ``scale`` picks another)."""


class WeightsChecksumError(ValueError):
    """A shipped weights file differs from the one srkit was released with."""


def _records() -> dict:
    return json.loads((WEIGHTS_DIR / "MODELS.json").read_text(encoding="utf-8"))


def names() -> list[str]:
    """The reference models srkit ships, e.g. ``["srcnn_x3", "autoencoder_x3", …]``."""
    return list(_records())


def scales(name: str) -> list[int]:
    """The scales a model or family is shipped at: ``scales("rlfn")`` → ``[2, 4]``."""
    family = alias(name)
    return sorted({r["scale"] for n, r in _records().items() if alias(n) == family})


def resolve(name: str, scale: int | None = None) -> str:
    """A reference name or alias (``"srcnn"``) → the reference name (``"srcnn_x3"``).

    With ``scale``, a family shipped at several scales gives that scale's model
    (``resolve("rlfn", 2)`` → ``"rlfn_x2"``); a name of one scale is returned as it is
    (the caller checks the scale).

    Raises
    ------
    ValueError
        For an unknown name, listing the known ones.
    """
    short = str(name).lower().replace("-", "_")
    key = ALIASES.get(short, short)
    records = _records()
    if key not in records:
        known = ", ".join([*ALIASES, *names()])
        raise ValueError(f"unknown reference model {name!r}; srkit ships {known}")
    if scale is not None and short in ALIASES:  # a family: its model for that scale
        match = [n for n, r in records.items() if r.get("family") == short and r["scale"] == int(scale)]
        if match:
            return match[0]
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
        A published model has ``family``, ``source`` (repo, commit, path, url, sha256 of
        the authors' file, licence, paper), ``published`` (the paper's Set5/Set14/B100/
        Urban100 PSNR/SSIM), ``whole_image``, ``radius`` (the overlap the command line's
        strips use) and no ``made_by``; its ``measured`` Set14 reads gray images as RGB
        like its authors (:func:`srkit.evaluate.gray_as_rgb`), ``set14_gray_own`` with
        the course's rule.
    """
    return dict(_records()[resolve(name)])


def alias(name: str) -> str:
    """The short name of a reference model (``"srcnn_x3"`` → ``"srcnn"``, ``"rlfn_x2"`` →
    ``"rlfn"``), as ``--model`` takes it."""
    full = resolve(name)
    family = _records()[full].get("family")
    if family:
        return family
    return next((short for short, target in ALIASES.items() if target == full), full)


def is_published(name: str) -> bool:
    """True for a published model converted from its authors' weights (``source`` record)."""
    return "source" in info(name)


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

    from srkit import layers, ports

    try:
        return keras.models.load_model(file, custom_objects={**layers.CUSTOM_OBJECTS,
                                                             **ports.CUSTOM_OBJECTS}, compile=False)
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
    if "source" in record:
        source, set5 = record["source"], record["measured"]["set5"]
        paper = record["published"]["set5"]["psnr"]
        return (f"{record['title']} ×{record['scale']}: the authors' weights ({source['repo']} "
                f"at {source['commit'][:7]}, {source['licence'].split(' ')[0]}), converted; "
                f"Set5 {set5['psnr']:.2f} dB measured, {paper:.2f} published (RGB route, "
                "whole images)")
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
    if not record.get("outputs_file"):  # a published model: no notebook trains it
        return load(name), describe(name)
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

    Measure it on ``info(name)["route"]``, the route its notebook used. A published model
    (``whole_image`` in its record) runs on each whole image without padding, as its authors
    measured it.
    """
    from srkit import evaluate

    record = info(name)
    tile = None if record.get("whole_image") else record["tile"]
    return evaluate.keras_method(load(name) if model is None else model, upsample=record["upsample"],
                                 tile=tile, multiple=record["multiple"])
