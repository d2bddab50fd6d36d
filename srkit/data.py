"""The bundled photographs, split once into train / val / test, and user folders.

Every image here ships inside a package the kit installs anyway
(scikit-image's ``skimage/data`` and matplotlib's ``sample_data``), so the
notebooks and tests run offline, on Colab and in CI alike. The split is fixed
and made by *source*: the two views of the Middlebury motorcycle stereo pair
share a group and stay together in the training split, so no test image has a
near-duplicate in training. ``data/README.md`` documents each image.

- ``train``: material the models learn from (patches are cut from these).
- ``val``: for choosing epochs and hyper-parameters.
- ``test``: only for the final numbers; never seen in training.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from srkit import io

SPLITS = ("train", "val", "test")
EVAL_DIR_ENV = "SRKIT_EVAL_DIR"


@dataclass(frozen=True)
class BundledImage:
    """One bundled photograph: where it lives, its split, source and licence."""

    name: str
    package: str  # "skimage" or "matplotlib"
    filename: str
    split: str
    group: str  # images of one group (e.g. a stereo pair) share a split
    sha256: str  # of the file's bytes in the package version the kit was built with
    source: str
    licence: str

    @property
    def path(self) -> Path:
        """Absolute path of the file inside the installed package."""
        if self.package == "skimage":
            import skimage

            return Path(skimage.__file__).parent / "data" / self.filename
        import matplotlib

        return Path(matplotlib.get_data_path()) / "sample_data" / self.filename


_SK = "scikit-image (skimage/data)"
BUNDLED: tuple[BundledImage, ...] = (
    # test: five varied natural photographs, like Set5 in size
    BundledImage("astronaut", "skimage", "astronaut.png", "test", "astronaut",
                 "88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5",
                 f"{_SK}; NASA photograph of Eileen Collins", "public domain (NASA)"),
    BundledImage("camera", "skimage", "camera.png", "test", "camera",
                 "b0793d2adda0fa6ae899c03989482bff9a42d3d5690fc7e3648f2795d730c23a",
                 f"{_SK}; photograph by Lav Varshney (grayscale)", "CC0"),
    BundledImage("chelsea", "skimage", "chelsea.png", "test", "chelsea",
                 "596aa1e7cb875eb79f437e310381d26b338a81c2da23439704a73c4651e8c4bb",
                 f"{_SK}; photograph of a cat by Stefan van der Walt", "CC0"),
    BundledImage("coffee", "skimage", "coffee.png", "test", "coffee",
                 "cc02f8ca188b167c775a7101b5d767d1e71792cf762c33d6fa15a4599b5a8de7",
                 f"{_SK}; photograph by Rachel Michetti", "CC0"),
    BundledImage("rocket", "skimage", "rocket.jpg", "test", "rocket",
                 "c2dd0de7c538df8d111e479619b129464d0269d0ae5fd18ca91d33a7fdfea95c",
                 f"{_SK}; SpaceX launch photograph (JPEG)", "public domain (SpaceX)"),
    # val: two photographs for model selection
    BundledImage("grace_hopper", "matplotlib", "grace_hopper.jpg", "val", "grace_hopper",
                 "a8ca6d734765703b09728ab47fe59f473d93ae3967fc24c7c0288c3c7adb7130",
                 "matplotlib (mpl-data/sample_data); U.S. Navy portrait of Grace Hopper (JPEG)",
                 "public domain (U.S. Navy)"),
    BundledImage("coins", "skimage", "coins.png", "val", "coins",
                 "f8d773fc9cfa6f4d8e5942dc34d0a0788fcaed2a4fefbbed0aef5398d7ef4cba",
                 f"{_SK}; Greek coins, Brooklyn Museum (grayscale)", "no known copyright restrictions"),
    # train
    BundledImage("motorcycle_left", "skimage", "motorcycle_left.png", "train", "motorcycle",
                 "db18e9c4157617403c3537a6ba355dfeafe9a7eabb6b9b94cb33f6525dd49179",
                 f"{_SK}; Middlebury 2014 stereo (Scharstein et al., GCPR 2014), ×4 downsampled",
                 "Middlebury stereo data set: free for research, cite the paper"),
    BundledImage("motorcycle_right", "skimage", "motorcycle_right.png", "train", "motorcycle",
                 "5fc913ae870e42a4b662314bc904d1786bcad8e2f0b9b67dba5a229406357797",
                 f"{_SK}; Middlebury 2014 stereo (Scharstein et al., GCPR 2014), ×4 downsampled",
                 "Middlebury stereo data set: free for research, cite the paper"),
    BundledImage("hubble_deep_field", "skimage", "hubble_deep_field.jpg", "train", "hubble",
                 "3a19c5dd8a927a9334bb1229a6d63711b1c0c767fb27e2286e7c84a3e2c2f5f4",
                 f"{_SK}; Hubble eXtreme Deep Field (JPEG)", "public domain (NASA)"),
    BundledImage("retina", "skimage", "retina.jpg", "train", "retina",
                 "38a07f36f27f095e818aea7b96d34202c05176d30253c66733f2e00379e9e0e6",
                 f"{_SK}; fundus photograph by Mikael Häggström, Wikimedia (JPEG)", "CC0"),
    BundledImage("immunohistochemistry", "skimage", "ihc.png", "train", "ihc",
                 "f8dd1aa387ddd1f49d8ad13b50921b237df8e9b262606d258770687b0ef93cef",
                 f"{_SK}; microscopy, Center for Microscopy and Molecular Imaging",
                 "no known copyright restrictions"),
    BundledImage("brick", "skimage", "brick.png", "train", "brick",
                 "7966caf324f6ba843118d98f7a07746d22f6a343430add0233eca5f6eaaa8fcf",
                 f"{_SK}; CC0Textures Bricks25, warped and cropped (grayscale)", "CC0"),
    BundledImage("grass", "skimage", "grass.png", "train", "grass",
                 "b6b6022426b38936c43a4ac09635cd78af074e90f42ffa8227ac8b7452d39f89",
                 f"{_SK}; texture by linolafett, DeviantArt (grayscale)", "CC0"),
    BundledImage("gravel", "skimage", "gravel.png", "train", "gravel",
                 "c48615b451bf1e606fbd72c0aa9f8cc0f068ab7111ef7d93bb9b0f2586440c12",
                 f"{_SK}; CC0Textures Gravel04, cropped (grayscale)", "CC0"),
)
_BY_NAME = {item.name: item for item in BUNDLED}


def catalog(split: str | None = None) -> pd.DataFrame:
    """Table of the bundled images (name, split, group, source, licence, package file)."""
    rows = [{"name": b.name, "split": b.split, "group": b.group, "source": b.source,
             "licence": b.licence, "file": f"{b.package}: {b.filename}"}
            for b in BUNDLED if split is None or b.split == _check_split(split)]
    return pd.DataFrame(rows)


def names(split: str) -> list[str]:
    """Names of the bundled images in ``split`` ("train", "val" or "test")."""
    split = _check_split(split)
    return [b.name for b in BUNDLED if b.split == split]


def load_bundled(name: str, mode: str = "rgb"):
    """Load one bundled image as float32 in [0, 1] (see :func:`srkit.io.load_image`).

    Warns if the package file differs from the one the kit was built with:
    numbers will then differ a little from the notebooks' stored outputs.
    """
    if name not in _BY_NAME:
        raise ValueError(f"no bundled image {name!r}; known: {', '.join(_BY_NAME)}")
    item = _BY_NAME[name]
    path = item.path
    if not path.exists():
        raise FileNotFoundError(
            f"bundled image {name!r} is missing at {path}; reinstall {item.package} "
            "(python -m pip install --force-reinstall scikit-image matplotlib)"
        )
    if hashlib.sha256(path.read_bytes()).hexdigest() != item.sha256:
        warnings.warn(f"{path} differs from the file srkit was built with; results will "
                      "differ slightly from the stored notebook outputs", stacklevel=2)
    return io.load_image(path, mode=mode)


def load_split(split: str, mode: str = "rgb") -> list[tuple[str, object]]:
    """All bundled images of ``split`` as ``(name, image)`` pairs, in catalog order."""
    return [(name, load_bundled(name, mode)) for name in names(split)]


def eval_images(split: str = "test", mode: str = "rgb", env_var: str = EVAL_DIR_ENV):
    """The images to evaluate on: the folder named by ``$SRKIT_EVAL_DIR``, else ``split``.

    Returns
    -------
    images : list of (str, ndarray)
        ``(name, image)`` pairs, float32 in [0, 1].
    source : str
        Where they came from, for printing ("bundled test split" or the folder).
    """
    folder = os.environ.get(env_var, "").strip()
    if folder:
        return io.load_folder(folder, mode=mode), f"folder {folder} (from ${env_var})"
    return load_split(split, mode), f"bundled {split} split"


def _check_split(split: str) -> str:
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose one of {', '.join(SPLITS)}")
    return split


def assert_disjoint(train, test) -> None:
    """Raise if an image of ``test`` is also in ``train`` (same name or same pixels).

    Parameters
    ----------
    train, test : list of (name, ndarray)
        As returned by :func:`load_split` or :func:`eval_images`. Pixels are
        compared after conversion to 8 bits, so a copy saved under another
        name or format (PNG, lossless) is caught too.

    Raises
    ------
    ValueError
        Naming the test images found in the training data: evaluating on them
        would measure memory, not generalisation.
    """
    import numpy as np

    from srkit._validate import check_image, to_uint8

    def digest(image):
        return hashlib.sha256(np.ascontiguousarray(to_uint8(check_image(image))).tobytes()).hexdigest()

    train_names = {name for name, _ in train}
    train_digests = {digest(image) for _, image in train}
    leaked = [name for name, image in test if name in train_names or digest(image) in train_digests]
    if leaked:
        raise ValueError(f"test images also in the training data: {', '.join(leaked)}. "
                         "Remove them from one side; a model scores best on what it saw.")
