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

The second half serves the standard sets by name (:func:`load_dataset`): the papers' T91,
Set5 and Set14 and the student works' domains (faces, brain MRI, Fashion-MNIST, MNIST,
with fixed splits), all shipped in ``srkit/datasets`` with checksums, and larger sets
downloaded on first use.
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


# ---------------------------------------------------------------------------
# The standard benchmark sets: shipped with srkit, or downloaded
# ---------------------------------------------------------------------------

DATASETS_DIR = Path(__file__).parent / "datasets"
"""Folder of the sets shipped as package data (``srkit/datasets``), with ``SHA256SUMS``."""


@dataclass(frozen=True)
class StandardSet:
    """A standard super-resolution set: where its HR images are and where they come from.

    ``images`` counts what :func:`load_dataset` gives with ``split=None`` (for a set shipped
    as a subset, the subset: see ``subset``). Sets with fixed splits list them in ``splits``
    as ``(split, count)`` pairs; ``archive`` names the ``.npz`` file of sets stored as
    arrays (28×28 digits and clothes) instead of PNG files.
    """

    name: str
    folder: str  # relative to DATASETS_DIR, or "" for a downloaded set
    images: int
    citation: str
    source: str
    shipped: bool = True
    licence: str = "research and teaching use, as distributed by the authors (see the citation)"
    splits: tuple[tuple[str, int], ...] = ()  # (split, number of images), train/val/test
    gray: bool = False  # every image single-channel (H×W in mode "native")
    archive: str = ""  # .npz in folder holding <split>_images/_labels/_index arrays
    classes: tuple[str, ...] = ()  # label names of load_labels, by label value
    subset: str = ""  # what part of the full set is shipped, and where the rest is


STANDARD_SETS: dict[str, StandardSet] = {
    "t91": StandardSet(
        "t91", "T91", 91,
        "Yang, Wright, Huang & Ma, Image super-resolution via sparse representation, IEEE TIP 2010",
        "the 91 training images distributed with the SRCNN code (Dong et al., ECCV 2014), "
        "BMP converted losslessly to PNG"),
    "set5": StandardSet(
        "set5", "Set5/HR", 5,
        "Bevilacqua, Roumy, Guillemot & Alberi-Morel, Low-complexity single-image "
        "super-resolution based on nonnegative neighbor embedding, BMVC 2012",
        "HR images as in the SRCNN release's Test/Set5 (pixel-identical PNG copies); MATLAB's "
        "own bicubic LR at x2/x3/x4 beside them"),
    "set14": StandardSet(
        "set14", "Set14/HR", 14,
        "Zeyde, Elad & Protter, On single image scale-up using sparse-representations, "
        "Curves and Surfaces 2010",
        "the SRCNN release's Test/Set14 BMPs, converted losslessly to PNG; 'bridge' is a "
        "single-channel gray file, 'man' a gray image stored as RGB"),
    "b100": StandardSet(
        "b100", "", 100,
        "Martin, Fowlkes, Tal & Malik, A database of human segmented natural images, ICCV 2001",
        "downloaded by srkit.download (the 100 test images of BSDS300)", shipped=False),
    "urban100": StandardSet(
        "urban100", "", 100,
        "Huang, Singh & Ahuja, Single image super-resolution from transformed self-exemplars, "
        "CVPR 2015", "downloaded by srkit.download", shipped=False),
    "manga109": StandardSet(
        "manga109", "", 109,
        "Matsui et al., Sketch-based manga retrieval using Manga109 dataset, MTAP 2017",
        "downloaded by srkit.download (academic use only)", shipped=False),
    "div2k_valid_hr": StandardSet(
        "div2k_valid_hr", "", 100,
        "Agustsson & Timofte, NTIRE 2017 challenge on single image super-resolution: dataset "
        "and study, CVPRW 2017", "downloaded by srkit.download", shipped=False),
    "bsds500": StandardSet(
        "bsds500", "", 500,
        "Arbelaez, Maire, Fowlkes & Malik, Contour detection and hierarchical image "
        "segmentation, TPAMI 2011", "downloaded by srkit.download", shipped=False),
    # The student works' domains: subsets with fixed splits, made by
    # tools/make_domain_datasets.py (srkit/datasets/README.md: sources, licences, methods).
    "faces": StandardSet(
        "faces", "Faces", 204,
        "DeBruine & Jones, Face Research Lab London Set (Version 5), figshare 2017, "
        "doi:10.6084/m9.figshare.5047666.v5",
        "the 102 persons' neutral and smiling frontal photographs (1350×1350 JPEG, as in "
        "github.com/debruine/webmorphR.stim inst/neutral_front, inst/smiling_front), one fixed "
        "square crop (810 px) area-resized to 144×144 RGB PNG; split by person",
        licence="CC BY 4.0",
        splits=(("train", 144), ("val", 20), ("test", 40))),
    "brain_mri": StandardSet(
        "brain_mri", "BrainMRI", 144,
        "Cheng et al., Enhanced performance of brain tumor classification via tumor region "
        "augmentation and partition, PLoS ONE 2015; Cheng, brain tumor dataset, figshare, "
        "doi:10.6084/m9.figshare.1512427",
        "144 of the 3,064 T1-weighted contrast-enhanced slices (512×512 gray JPEG, as copied in "
        "github.com/nanonane/RCS-YOLO dataset-brain-tumor/categorized), in 12 blocks of 12 "
        "consecutive figshare indices, area-resized to 256×256 gray PNG; blocks ≥ 243 indices "
        "apart so that no patient spans two splits",
        licence="CC BY 4.0", gray=True,
        splits=(("train", 96), ("val", 24), ("test", 24))),
    "fashion_mnist": StandardSet(
        "fashion_mnist", "FashionMNIST", 7500,
        "Xiao, Rasul & Vollgraf, Fashion-MNIST: a novel image dataset for benchmarking machine "
        "learning algorithms, arXiv:1708.07747, 2017",
        "Zalando's IDX files (Debian package dataset-fashion-mnist): 28×28 gray clothes, 10 "
        "classes", licence="MIT (copyright 2017 Zalando SE)", gray=True,
        archive="fashion_mnist_subset.npz",
        splits=(("train", 6000), ("val", 500), ("test", 1000)),
        classes=("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                 "Sneaker", "Bag", "Ankle boot"),
        subset="7,500 of the 70,000 images: train = the first 6,000 of the official training "
               "file, val = its last 500, test = the first 1,000 of the official test file. The "
               "full set: srkit.download.fetch_dataset('fashion_mnist') (IDX files, internet "
               "once) or restoration.fashion_mnist_splits(..., full=True)"),
    "mnist": StandardSet(
        "mnist", "MNIST", 4500,
        "LeCun, Bottou, Bengio & Haffner, Gradient-based learning applied to document "
        "recognition, Proc. IEEE 1998; LeCun, Cortes & Burges, The MNIST database",
        "the MNIST digits as PNG files in github.com/rasbt/mnist-pngs, read back into the "
        "official order: 28×28 gray, 10 classes", licence="CC BY-SA 3.0", gray=True,
        archive="mnist_subset.npz",
        splits=(("train", 3000), ("val", 500), ("test", 1000)),
        classes=tuple(str(d) for d in range(10)),
        subset="4,500 of the 70,000 images: train = the first 3,000 of the official training "
               "file, val = its last 500, test = the first 1,000 of the official test file"),
}
BUNDLED_SETS = {f"bundled_{split}": split for split in SPLITS}
"""Names under which :func:`load_dataset` also serves the bundled splits."""

MATLAB_LR_SCALES = (2, 3, 4)


class DatasetChecksumError(ValueError):
    """A shipped dataset file differs from the one srkit was released with."""


def dataset_names(*, shipped_only: bool = False) -> list[str]:
    """Names :func:`load_dataset` accepts (shipped sets first, then bundled splits, downloads)."""
    shipped = [n for n, s in STANDARD_SETS.items() if s.shipped]
    downloaded = [n for n, s in STANDARD_SETS.items() if not s.shipped]
    return shipped + list(BUNDLED_SETS) + ([] if shipped_only else downloaded)


def _shipped_checksums() -> dict[str, str]:
    sums = {}
    for line in (DATASETS_DIR / "SHA256SUMS").read_text().splitlines():
        if line.strip():
            digest, rel = line.split(maxsplit=1)
            sums[rel.strip().lstrip("*")] = digest
    return sums


def verify_shipped(paths=None) -> None:
    """Check shipped dataset files against ``srkit/datasets/SHA256SUMS``.

    Parameters
    ----------
    paths : iterable of pathlib.Path, optional
        Files under :data:`DATASETS_DIR` to check; default all listed files.

    Raises
    ------
    DatasetChecksumError
        Naming each file that is missing, unlisted or altered, and how to repair
        the installation.
    """
    sums = _shipped_checksums()
    rels = sorted(sums) if paths is None else [
        Path(p).resolve().relative_to(DATASETS_DIR.resolve()).as_posix() for p in paths]
    bad = []
    for rel in rels:
        path = DATASETS_DIR / rel
        if rel not in sums:
            bad.append(f"{rel} (not listed in SHA256SUMS)")
        elif not path.is_file():
            bad.append(f"{rel} (missing)")
        elif hashlib.sha256(path.read_bytes()).hexdigest() != sums[rel]:
            bad.append(f"{rel} (altered)")
    if bad:
        raise DatasetChecksumError(
            f"shipped dataset files do not match srkit's checksums: {', '.join(bad[:5])}"
            f"{' …' if len(bad) > 5 else ''}. Restore them: git checkout srkit/datasets in the "
            "kit's folder, or reinstall srkit from it (python -m pip install --force-reinstall -e .) "
            "or from your SRKIT_REPO.")


def _load_native(path: Path):
    """Load a file as float32 in [0, 1]: H×W for a single-channel file, else H×W×3."""
    single = io.image_info(path)["channels"] == 1
    return io.load_image(path, mode="gray" if single else "rgb")


def is_available(name: str) -> bool:
    """True when :func:`load_dataset` can load ``name`` without downloading anything.

    Shipped sets and bundled splits always; B100, Urban100, … once downloaded and
    cached (:func:`srkit.download.is_cached`). For "add B100 if you have it" in notebooks.
    """
    key = str(name).lower()
    if key in BUNDLED_SETS or (key in STANDARD_SETS and STANDARD_SETS[key].shipped):
        return True
    if key not in STANDARD_SETS:
        raise ValueError(f"unknown dataset {name!r}; known: {', '.join(dataset_names())}")
    from srkit import download

    return download.is_cached(key)


def dataset_splits(name: str) -> tuple[str, ...]:
    """The fixed splits of a set: ``("train", "val", "test")``, or ``()`` for sets without.

    The student works' domains (``"faces"``, ``"brain_mri"``, ``"fashion_mnist"``,
    ``"mnist"``) have fixed splits; T91, Set5, Set14, the bundled splits and the
    downloaded sets have none (``load_dataset(name, split=...)`` refuses them).

    Raises
    ------
    ValueError
        For an unknown name (the message lists the known ones).
    """
    key = str(name).lower()
    if key in BUNDLED_SETS:
        return ()
    if key not in STANDARD_SETS:
        raise ValueError(f"unknown dataset {name!r}; known: {', '.join(dataset_names())}")
    return tuple(split for split, _ in STANDARD_SETS[key].splits)


def _split_info(key: str, split: str | None) -> tuple[StandardSet | None, list[str]]:
    """The set's record and the splits asked for (all of them for ``None``)."""
    if key in BUNDLED_SETS or key not in STANDARD_SETS:
        info = None
    else:
        info = STANDARD_SETS[key]
    splits = [s for s, _ in info.splits] if info is not None else []
    if split is None:
        return info, splits
    if not splits:
        hint = ("the bundled photographs' splits are sets of their own: "
                + ", ".join(f"load_dataset({b!r})" for b in BUNDLED_SETS) if key in BUNDLED_SETS
                else "leave split=None and split the images yourself (e.g. srkit.trainset.load)")
        raise ValueError(f"dataset {key!r} has no fixed splits, so split={split!r} means nothing; "
                         f"{hint}. Sets with splits: "
                         f"{', '.join(n for n, s in STANDARD_SETS.items() if s.splits)}")
    if split not in splits:
        raise ValueError(f"dataset {key!r} has splits {', '.join(splits)}, not {split!r}")
    return info, [split]


def _load_archive(info: StandardSet, splits: list[str]) -> dict:
    """The arrays of an ``.npz`` set for ``splits``, checksum verified first."""
    import numpy as np

    path = DATASETS_DIR / info.folder / info.archive
    verify_shipped([path])
    with np.load(path, allow_pickle=False) as npz:
        return {f"{s}_{part}": npz[f"{s}_{part}"] for s in splits
                for part in ("images", "labels", "index")}


def load_dataset(name: str, *, split: str | None = None,
                 mode: str = "native") -> list[tuple[str, object]]:
    """Load a standard set (or a bundled split) as ``(name, image)`` pairs, sorted by name.

    Parameters
    ----------
    name : str
        Shipped with srkit (offline; checksums verified on every load against
        ``srkit/datasets/SHA256SUMS``):

        - ``"t91"``, ``"set5"``, ``"set14"``: the papers' training and test sets;
        - ``"faces"``: 204 colour faces, 144×144 (the Face Research Lab London Set,
          102 persons, neutral and smiling; splits by person);
        - ``"brain_mri"``: 144 gray T1 brain MRI slices, 256×256 (Cheng et al.'s
          figshare set; splits by blocks of patients);
        - ``"fashion_mnist"``: a 7,500-image subset of Fashion-MNIST, 28×28 gray
          (6,000 / 500 / 1,000). The full 70,000 images are not shipped:
          :func:`srkit.download.fetch_dataset` ``("fashion_mnist")`` downloads them, and
          :func:`srkit.restoration.fashion_mnist_splits` with ``full=True`` reads them;
        - ``"mnist"``: a 4,500-image subset of MNIST, 28×28 gray (3,000 / 500 / 1,000).

        ``"bundled_train"``, ``"bundled_val"``, ``"bundled_test"``: the bundled
        photographs (:func:`load_split`). Downloaded on first use and cached:
        ``"b100"``, ``"urban100"``, ``"manga109"``, ``"div2k_valid_hr"``,
        ``"bsds500"`` (needs internet once; see :mod:`srkit.download`).
    split : {None, "train", "val", "test"}
        For sets with fixed splits (:func:`dataset_splits`: faces, brain_mri,
        fashion_mnist, mnist) the one split to load; ``None`` loads all of them.
        Image names start with their split (``"train_00042"``,
        ``"test_004_smiling"``), so they are the same whichever way a set is
        loaded and never collide. Sets without splits accept only ``None``.
    mode : {"native", "rgb", "gray"}
        ``"native"`` keeps each file as stored: H×W for a single-channel gray file
        (Set14's ``bridge``, every image of brain_mri, fashion_mnist, mnist), H×W×3
        otherwise. This is what the papers measure: the reference scripts convert
        only 3-channel images to Y. ``"rgb"`` / ``"gray"`` as
        :func:`srkit.io.load_image`.

    Returns
    -------
    list of (str, ndarray)
        Image name (file stem, e.g. ``"baby"``; for split sets prefixed by the split)
        and the HR image, float32 in [0, 1].

    Raises
    ------
    ValueError
        For an unknown name (the message lists the known ones), mode or split, or a
        split asked of a set without splits.
    DatasetChecksumError
        If a shipped file was altered or is missing.
    srkit.download.DownloadError
        If a downloadable set is not cached and cannot be downloaded.

    Notes
    -----
    Set14 holds the "lenna" image: keep it in metric tables, out of figures.
    Labels of fashion_mnist and mnist: :func:`load_labels`.
    """
    if mode not in ("native", "rgb", "gray"):
        raise ValueError(f"mode must be 'native', 'rgb' or 'gray', got {mode!r}")
    key = str(name).lower()
    if key not in BUNDLED_SETS and key not in STANDARD_SETS:
        raise ValueError(f"unknown dataset {name!r}; known: {', '.join(dataset_names())}")
    info, splits = _split_info(key, split)
    if key in BUNDLED_SETS:
        return load_split(BUNDLED_SETS[key], "rgb" if mode == "native" else mode)
    if info.archive:
        import numpy as np

        arrays = _load_archive(info, splits)
        items = []
        for s in splits:
            images = arrays[f"{s}_images"].astype(np.float32) / np.float32(255.0)
            if mode == "rgb":
                images = np.repeat(images[..., None], 3, axis=-1)
            items += [(f"{s}_{int(i):05d}", im) for i, im in zip(arrays[f"{s}_index"], images)]
        return sorted(items, key=lambda item: item[0])
    if info.shipped:
        folders = [DATASETS_DIR / info.folder / s for s in splits] or [DATASETS_DIR / info.folder]
        paths = sorted(p for folder in folders for p in folder.glob("*.png"))
        verify_shipped(paths)
        expected = (sum(n for s, n in info.splits if s in splits) if splits else info.images)
        if len(paths) != expected:
            raise DatasetChecksumError(
                f"{info.folder} holds {len(paths)} images for {split or 'all splits'}, expected "
                f"{expected}; reinstall srkit")
    else:
        from srkit import download

        paths = download.hr_images(key)
    load = _load_native if mode == "native" else (lambda p: io.load_image(p, mode=mode))
    prefix = (lambda p: f"{Path(p).parent.name}_") if splits else (lambda p: "")
    return sorted(((prefix(p) + Path(p).stem, load(Path(p))) for p in paths),
                  key=lambda item: item[0])


def load_labels(name: str, *, split: str | None = None) -> dict[str, int]:
    """Class labels of a shipped labelled set, by the image names :func:`load_dataset` gives.

    Parameters
    ----------
    name : {"fashion_mnist", "mnist"}
    split : {None, "train", "val", "test"}
        As in :func:`load_dataset`; ``None`` for all splits.

    Returns
    -------
    dict of str to int
        Image name (``"train_00042"``) to its class, 0–9: the digit for MNIST;
        for Fashion-MNIST the index into ``STANDARD_SETS["fashion_mnist"].classes``
        (0 "T-shirt/top" … 9 "Ankle boot").

    Raises
    ------
    ValueError
        For a set without labels (the message names those with labels) or a bad split.
    DatasetChecksumError
        If the shipped file was altered or is missing.
    """
    key = str(name).lower()
    labelled = [n for n, s in STANDARD_SETS.items() if s.classes]
    if key not in labelled:
        raise ValueError(f"srkit ships class labels for {', '.join(labelled)} only, not {name!r}")
    info, splits = _split_info(key, split)
    arrays = _load_archive(info, splits)
    return {f"{s}_{int(i):05d}": int(label) for s in splits
            for i, label in zip(arrays[f"{s}_index"], arrays[f"{s}_labels"])}


def load_matlab_lr(name: str, scale: int) -> list[tuple[str, object]]:
    """MATLAB's own bicubic LR images of a shipped set, as ``(name, lr)`` pairs.

    ``imresize(modcrop(hr, s), 1/s, 'bicubic')`` as computed by MATLAB and stored
    as 8-bit PNG (Set5, ×2/×3/×4). srkit's :func:`srkit.degrade.make_lr` equals
    them pixel for pixel (a test checks it).

    Returns
    -------
    list of (str, ndarray)
        HR image name (``"baby"``) and the LR image, float32 in [0, 1], H/s×W/s×3.

    Raises
    ------
    ValueError
        If the set has no MATLAB LR files or the scale is not 2, 3 or 4.
    """
    key = str(name).lower()
    if key != "set5":
        raise ValueError(f"srkit ships MATLAB's LR images for 'set5' only, not {name!r}")
    if scale not in MATLAB_LR_SCALES:
        raise ValueError(f"MATLAB LR images exist for scales {MATLAB_LR_SCALES}, not {scale!r}")
    paths = sorted((DATASETS_DIR / "Set5" / "LR_bicubic_matlab" / f"X{scale}").glob("*.png"))
    verify_shipped(paths)
    suffix = f"x{scale}"
    return [(p.stem[: -len(suffix)] if p.stem.endswith(suffix) else p.stem, _load_native(p))
            for p in paths]


def user_dataset(env_var: str = EVAL_DIR_ENV):
    """The user's own folder of HR images named by ``$SRKIT_EVAL_DIR``, as an extra set.

    Returns
    -------
    (str, list of (str, ndarray)) or None
        The folder's name (used as the dataset name in result tables) and its
        images as from :func:`srkit.io.load_folder`; ``None`` when the variable
        is not set.
    """
    folder = os.environ.get(env_var, "").strip()
    if not folder:
        return None
    path = Path(folder).expanduser()
    return path.resolve().name or str(path), io.load_folder(path, mode="rgb")
