"""Training data from a name or a folder: split, checked, degraded into LR/HR pairs.

The training notebooks (02–05, 07) take their training images from one line of
their parameters cell::

    TRAIN_SET = trainset.source("t91")   # "t91", a srkit.data set ("faces", "brain_mri",
                                         # …) or a folder; $SRKIT_TRAIN_DIR overrides

and then call :func:`load` for a training and a validation list, :func:`resolve_channels`
for the channels the model works on, and :func:`make_pairs` for the LR/HR pairs.

- ``"t91"`` keeps the papers' protocol: T91 to train on, the kit's ten bundled
  photographs to validate on (as the notebooks always did).
- A set of :mod:`srkit.data` with fixed splits (``"faces"``, ``"brain_mri"``, …)
  gives its ``train`` and ``val`` splits.
- A folder (or a set without splits, such as ``"b100"``) is split here, reproducibly
  and **by group**: the images of one sub-folder (a person, a patient, a scan) and
  images with identical pixels always land in the same split, so validation never
  sees a near-copy of a training image. A folder with ``train/`` and ``val/``
  sub-folders is used as it is split.

Folders are refused with one line that says what to do when they cannot serve:
no such folder, no images, fewer than two usable images, images smaller than a
training crop, unreadable files (named), or gray and colour images mixed where the
notebook needs one kind.
"""

from __future__ import annotations

import hashlib
import os
import random
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from srkit import data, io

TRAIN_DIR_ENV = "SRKIT_TRAIN_DIR"
"""Environment variable naming a training source (a folder or a set name)."""

CHANNELS = ("auto", "y", "rgb", "gray")
"""What a model works on: ``"y"`` (BT.601 luma of colour images, a gray file's own
values), ``"rgb"``, ``"gray"`` (single-channel data, full range), or ``"auto"``
(``"gray"`` when every training image is gray, else the notebook's colour default)."""

KERNELS = ("bicubic", "bilinear", "nearest")
"""Downscaling kernels of :class:`Degradation` (MATLAB's ``imresize`` methods)."""

TEST_SETS = ("set5", "set14")
"""Sets the notebooks test on; refused as training data."""

VAL_SPLIT_NAMES = ("val", "valid", "validation")


class TrainingDataError(ValueError):
    """A training source cannot serve; the message says why and what to do."""


def source(default: str = "t91", env_var: str = TRAIN_DIR_ENV) -> str:
    """The training source: ``$SRKIT_TRAIN_DIR`` when set, else ``default``.

    For the parameters cell: ``TRAIN_SET = trainset.source("t91")`` lets an
    instructor (or a test) point every notebook at a folder without editing it.
    """
    value = os.environ.get(env_var, "").strip()
    return value or default


@dataclass(frozen=True)
class TrainingData:
    """Training and validation images of one source, ready for :func:`make_pairs`.

    Attributes
    ----------
    train, val : list of (str, ndarray)
        ``(name, image)``, float32 in [0, 1]; H×W for gray images, H×W×3 for colour.
    name : str
        Short label for tables and file names (``"t91"``, ``"faces"``, a folder's name).
    description : str
        One line on where the images come from and how they were split.
    gray : bool
        Every image (train and val) is single-channel.
    skipped : tuple of str
        Images left out (too small for a training crop), with their sizes.
    """

    train: list
    val: list
    name: str
    description: str
    gray: bool
    skipped: tuple = field(default_factory=tuple)

    def summary(self) -> str:
        """One line: counts, kind and sizes of the images, where they come from."""
        sizes = [im.shape[:2] for _, im in self.train + self.val]
        hs, ws = [s[0] for s in sizes], [s[1] for s in sizes]
        size = (f"{hs[0]}×{ws[0]}" if len(set(sizes)) == 1
                else f"{min(hs)}–{max(hs)} × {min(ws)}–{max(ws)}")
        text = (f"training: {self.name}, {len(self.train)} images; validation: {len(self.val)}; "
                f"{'gray' if self.gray else 'colour'}, {size} px ({self.description})")
        if self.skipped:
            text += (f"; left out as smaller than the training crop: {', '.join(self.skipped[:3])}"
                     f"{f' and {len(self.skipped) - 3} more' if len(self.skipped) > 3 else ''}")
        return text


def _is_gray(image: np.ndarray) -> bool:
    return image.ndim == 2


def _native(path: Path) -> np.ndarray:
    """A file as float32 in [0, 1]: H×W when single-channel or when R = G = B, else H×W×3."""
    image = io.load_image(path, mode="rgb" if io.image_info(path)["channels"] != 1 else "gray")
    if image.ndim == 3 and np.array_equal(image[..., 0], image[..., 1]) \
            and np.array_equal(image[..., 0], image[..., 2]):
        return np.ascontiguousarray(image[..., 0])  # a gray scan saved as RGB (JPEG, PNG)
    return image


def _digest(image: np.ndarray) -> str:
    from srkit._validate import to_uint8

    return hashlib.sha256(np.ascontiguousarray(to_uint8(image)).tobytes()).hexdigest()


def _read_folder(folder: Path) -> list[tuple[str, str, np.ndarray]]:
    """``(name, group, image)`` of every image below ``folder``; unreadable files named."""
    files = io.list_images(folder, recursive=True)
    if not files:
        raise TrainingDataError(
            f"training folder '{folder}' holds no images ({', '.join(io.IMAGE_EXTENSIONS)}); "
            "put your HR images in it (sub-folders are read too)")
    items, bad = [], []
    for path in files:
        rel = path.relative_to(folder)
        try:
            image = _native(path)
        except (ValueError, OSError) as err:
            bad.append(f"{rel.as_posix()} ({str(err).split('(')[-1].rstrip(').') or 'unreadable'})")
            continue
        group = rel.parts[0] if len(rel.parts) > 1 else rel.with_suffix("").as_posix()
        items.append((rel.with_suffix("").as_posix(), group, image))
    if bad:
        raise TrainingDataError(
            f"cannot read {len(bad)} file(s) in '{folder}': {'; '.join(bad[:5])}"
            f"{' …' if len(bad) > 5 else ''}. Remove or re-save them, then run again")
    return items


def split_groups(items, *, val_fraction: float = 0.1, seed: int = 0):
    """Split ``(name, group, image)`` items into train and val lists, whole groups at a time.

    Images with identical pixels (as 8-bit) are merged into one group first. The
    groups are shuffled with ``seed`` (after sorting, so the result does not depend
    on file-system order) and taken into validation until it holds at least
    ``val_fraction`` of the images (at least one group); training keeps at least one.

    Returns
    -------
    train, val : list of (str, ndarray)
        In name order. :func:`srkit.data.assert_disjoint` holds between them.

    Raises
    ------
    TrainingDataError
        If there are fewer than two images or fewer than two groups.
    """
    items = list(items)
    if len(items) < 2:
        raise TrainingDataError(
            f"{len(items)} usable image(s): training needs at least 2 (one to train on, one to "
            "validate on); add images")
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must be between 0 and 1, got {val_fraction}")
    # union groups that share pixels: a copy under another name must not cross the split
    parent = {g: g for _, g, _ in items}

    def find(g):
        while parent[g] != g:
            parent[g] = parent[parent[g]]
            g = parent[g]
        return g

    first_of = {}
    for _, group, image in items:
        d = _digest(image)
        if d in first_of:
            a, b = find(first_of[d]), find(group)
            if a != b:
                parent[max(a, b)] = min(a, b)
        else:
            first_of[d] = group
    members = defaultdict(list)
    for name, group, image in items:
        members[find(group)].append((name, image))
    keys = sorted(members)
    if len(keys) < 2:
        raise TrainingDataError(
            f"all {len(items)} images form one group (one sub-folder, or identical pixels): "
            "validation needs another; add a second sub-folder or more distinct images")
    random.Random(seed).shuffle(keys)
    want = max(1, round(val_fraction * len(items)))
    val, train = [], []
    for i, key in enumerate(keys):
        if len(val) < want and i < len(keys) - 1:
            val.extend(members[key])
        else:
            train.extend(members[key])
    return sorted(train, key=lambda t: t[0]), sorted(val, key=lambda t: t[0])


def _drop_small(images, min_side: int):
    keep, skipped = [], []
    for name, image in images:
        if min(image.shape[:2]) < min_side:
            skipped.append(f"{name} ({image.shape[0]}×{image.shape[1]})")
        else:
            keep.append((name, image))
    return keep, skipped


def load(source: str = "t91", *, min_side: int = 0, val_fraction: float = 0.1,
         seed: int = 0) -> TrainingData:
    """Training and validation images from a set name or a folder.

    Parameters
    ----------
    source : str or path
        ``"t91"`` (T91 to train on, the ten bundled photographs to validate on: the
        papers' protocol), a name of :func:`srkit.data.dataset_names` (sets with
        fixed splits give ``train``/``val``; others are split here), or a folder of
        HR images (PNG, JPEG, BMP, TIFF; 8- or 16-bit; EXIF orientation applied;
        sub-folders read, each one a group kept in one split; ``train/`` and ``val/``
        sub-folders used as given).
    min_side : int
        The training crop's HR side: smaller images are left out (named in
        ``skipped`` and by :meth:`TrainingData.summary`).
    val_fraction : float
        Share of the images (whole groups) a folder gives to validation.
    seed : int
        Seed of the folder split (the same seed, the same split).

    Returns
    -------
    TrainingData

    Raises
    ------
    TrainingDataError
        No such folder or set, no images, unreadable files (named), fewer than two
        usable images, or a test set (Set5, Set14) named as training data.
    """
    text = str(source).strip()
    key = text.lower()
    known = data.dataset_names()
    skipped_first = []  # images of a folder left out before its split
    if key in TEST_SETS:
        raise TrainingDataError(
            f"{key} is a test set of the notebooks: train on 't91', another set "
            f"({', '.join(n for n in known if n not in TEST_SETS)}) or a folder of your images")
    if key == "t91":
        train = data.load_dataset("t91")
        val = data.load_dataset("bundled_train") + data.load_dataset("bundled_val")
        name, how = "t91", "T91; validation: the ten bundled photographs"
    elif key in known:
        splits = _dataset_splits(key)
        if "train" in splits and "val" in splits:
            train = data.load_dataset(key, split="train")
            val = data.load_dataset(key, split="val")
            how = f"srkit.data '{key}', its fixed train/val splits"
        elif key == "bundled_train":
            train, val = data.load_dataset("bundled_train"), data.load_dataset("bundled_val")
            how = "the bundled train split; validation: the bundled val split"
        else:
            images = data.load_dataset(key)
            train, val = split_groups([(n, n, im) for n, im in images],
                                      val_fraction=val_fraction, seed=seed)
            how = f"srkit.data '{key}', split {1 - val_fraction:.0%}/{val_fraction:.0%} with seed {seed}"
        name = key
    else:
        folder = Path(text).expanduser()
        if not folder.exists():
            raise TrainingDataError(
                f"no training set or folder '{text}' (working directory '{Path.cwd()}'); "
                f"give a folder of images or one of: {', '.join(n for n in known if n not in TEST_SETS)}")
        if not folder.is_dir():
            raise TrainingDataError(f"'{folder}' is a file; give the folder that holds your images")
        name = folder.resolve().name or str(folder)
        subdirs = {p.name.lower(): p for p in folder.iterdir() if p.is_dir()}
        val_dir = next((subdirs[v] for v in VAL_SPLIT_NAMES if v in subdirs), None)
        if "train" in subdirs and val_dir is not None:
            train = [(n, im) for n, _, im in _read_folder(subdirs["train"])]
            val = [(n, im) for n, _, im in _read_folder(val_dir)]
            how = f"folder {folder}, its train/ and {val_dir.name}/ sub-folders"
        else:
            items = _read_folder(folder)
            usable = [it for it in items if min(it[2].shape[:2]) >= min_side]
            if len(usable) < 2 <= len(items):
                raise TrainingDataError(
                    f"only {len(usable)} of the {len(items)} images in '{folder}' are at least "
                    f"{min_side}×{min_side} px, the training crop; use larger images or a "
                    "smaller crop (PATCH in the parameters cell)")
            skipped_first = [f"{n} ({im.shape[0]}×{im.shape[1]})" for n, _, im in items
                             if min(im.shape[:2]) < min_side]
            train, val = split_groups(usable, val_fraction=val_fraction, seed=seed)
            how = (f"folder {folder}, split by group {1 - val_fraction:.0%}/{val_fraction:.0%} "
                   f"with seed {seed}")
    skipped = list(skipped_first)
    if min_side:
        train, small_train = _drop_small(train, min_side)
        val, small_val = _drop_small(val, min_side)
        skipped += small_train + small_val  # named by TrainingData.summary()
    if not train or not val:
        raise TrainingDataError(
            f"'{text}' leaves {len(train)} training and {len(val)} validation images at least "
            f"{min_side}×{min_side} px; both need one at least (use larger images or a smaller crop)")
    data.assert_disjoint(train, val)
    gray = all(_is_gray(im) for _, im in train + val)
    return TrainingData(train, val, name, how, gray, tuple(skipped))


def _dataset_splits(name: str) -> tuple:
    splits = getattr(data, "dataset_splits", None)
    return tuple(splits(name)) if splits else ()


def resolve_channels(training: TrainingData, channels: str = "auto", *, colour: str = "y") -> str:
    """The channels a model trains on: ``"y"``, ``"rgb"`` or ``"gray"``.

    Parameters
    ----------
    training : TrainingData
    channels : {"auto", "y", "rgb", "gray"}
        ``"auto"``: ``"gray"`` when every image is gray (a gray image is not three
        copies of itself: its model has one channel and is measured on the image's
        own values, full range), ``colour`` when every image is in colour.
    colour : {"y", "rgb"}
        The notebook's choice for colour images.

    Raises
    ------
    TrainingDataError
        ``"auto"`` with gray and colour images mixed, or ``"gray"`` for colour images:
        say ``"y"`` or ``"rgb"`` (gray images then count as R = G = B), or separate them.
    """
    if channels not in CHANNELS:
        raise ValueError(f"channels must be one of {', '.join(CHANNELS)}, got {channels!r}")
    if colour not in ("y", "rgb"):
        raise ValueError(f"colour must be 'y' or 'rgb', got {colour!r}")
    images = training.train + training.val
    n_gray = sum(_is_gray(im) for _, im in images)
    n_colour = len(images) - n_gray
    if channels == "auto":
        if n_gray and n_colour:
            raise TrainingDataError(
                f"'{training.name}' mixes {n_gray} gray and {n_colour} colour images; set "
                f"CHANNELS = '{colour}' to treat gray ones as R = G = B, or keep one kind per folder")
        return "gray" if n_gray else colour
    if channels == "gray" and n_colour:
        raise TrainingDataError(
            f"CHANNELS = 'gray' but {n_colour} of the {len(images)} images of '{training.name}' "
            f"are in colour; use '{colour}' (or 'y', the luma) for them")
    return channels


@dataclass(frozen=True)
class Degradation:
    """How an LR training input is made from its HR image.

    The default is the papers': modcrop, MATLAB bicubic down, 8-bit rounding,
    nothing else. The student works also used bilinear (a phone photo's
    downscale) and blurred or noisy inputs.

    Order, on the HR image as stored (RGB or gray, 8-bit): Gaussian blur of
    ``blur_sigma`` HR pixels (:func:`srkit.degrade.gaussian_blur`), downscale by
    ``scale`` with ``kernel`` (MATLAB's ``imresize``, antialiased but for nearest),
    rounding to 8 bits, Gaussian noise of ``noise_sigma`` ([0, 1] units,
    :func:`srkit.degrade.add_gaussian_noise`, seeded per image) and 8-bit rounding again.
    """

    kernel: str = "bicubic"
    blur_sigma: float = 0.0
    noise_sigma: float = 0.0
    seed: int = 0

    def __post_init__(self):
        if self.kernel not in KERNELS:
            raise ValueError(f"kernel must be one of {', '.join(KERNELS)}, got {self.kernel!r}")
        if self.blur_sigma < 0 or self.noise_sigma < 0:
            raise ValueError("blur_sigma and noise_sigma must be ≥ 0")

    @property
    def is_standard(self) -> bool:
        """True for the papers' degradation (MATLAB bicubic only)."""
        return self.kernel == "bicubic" and not self.blur_sigma and not self.noise_sigma

    def __str__(self) -> str:
        parts = [f"{self.kernel} down"]
        if self.blur_sigma:
            parts.insert(0, f"Gaussian blur σ={self.blur_sigma:g} px")
        if self.noise_sigma:
            parts.append(f"noise σ={self.noise_sigma:g}")
        return ", ".join(parts) + ", 8-bit"

    def lr(self, hr, scale: int, index: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """``(lr, hr)``: the LR image (uint8, (H/s)×(W/s)[×C]) and the modcropped HR (uint8).

        ``index`` seeds the noise of this image (``seed + index``), so a list of
        images gets reproducible, different noise.
        """
        from srkit import degrade
        from srkit._validate import to_float, to_uint8

        hr8 = to_uint8(degrade.modcrop(hr, scale))
        x = hr8
        if self.blur_sigma:
            x = to_uint8(degrade.gaussian_blur(to_float(x), self.blur_sigma))
        lr = degrade.imresize(x, 1 / scale, method=self.kernel)
        if self.noise_sigma:
            lr = to_uint8(degrade.add_gaussian_noise(to_float(lr), self.noise_sigma,
                                                     seed=self.seed + index))
        return lr, hr8


def _channel(image8: np.ndarray, channels: str) -> np.ndarray:
    """uint8 H×W[×3] → float32 H×W×C in [0, 1] for ``channels`` (y, rgb, gray)."""
    from srkit import metrics

    x = image8.astype(np.float32) / 255.0
    if channels == "y":
        return metrics.rgb_to_y(image8).astype(np.float32)[..., None]
    if channels == "gray":
        if x.ndim == 3:
            raise TrainingDataError("a colour image reached a gray model; use channels 'y' or 'rgb'")
        return x[..., None]
    return np.repeat(x[..., None], 3, axis=2) if x.ndim == 2 else x


def make_pairs(images, scale: int, *, upsample: bool, channels: str, route: str = "rgb",
               degradation: Degradation | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """Aligned ``(input, target)`` training pairs for ``channels`` and ``degradation``.

    With the papers' degradation this is :func:`srkit.patches.make_pairs` with the
    ``route`` the notebook evaluates on (the same pairs as before, bit for bit);
    ``channels="gray"`` gives 1-channel pairs of gray images on their own values
    (full range). Any other :class:`Degradation` degrades the stored image as
    described there; the input is then upscaled back with MATLAB bicubic when
    ``upsample``.

    Parameters
    ----------
    images : list of (str, ndarray)
    scale : int
    upsample : bool
        Pre-upsampling models (SRCNN, the autoencoder) take the bicubic upscale.
    channels : {"y", "rgb", "gray"}
        As :func:`resolve_channels` returns.
    route : {"srcnn", "vdsr", "rgb"}
        The evaluation route (:data:`srkit.evaluate.ROUTES`) for the standard degradation.
    degradation : Degradation, optional

    Returns
    -------
    list of (input, target), float32 H×W×C
    """
    from srkit import evaluate, patches
    from srkit._validate import check_scale

    scale = check_scale(scale)
    if channels not in ("y", "rgb", "gray"):
        raise ValueError(f"channels must be 'y', 'rgb' or 'gray' (resolve 'auto' first), got {channels!r}")
    degradation = degradation or Degradation()
    if channels == "gray":
        colour = [n for n, im in images if not _is_gray(np.asarray(im))]
        if colour:
            raise TrainingDataError(f"channels 'gray' but {len(colour)} colour image(s) "
                                    f"({', '.join(colour[:3])}); use 'y' or 'rgb'")
    if degradation.is_standard and channels != "gray":
        if channels == "rgb" and route != "rgb":
            route = "rgb"
        if channels == "y" and route == "rgb":
            route = None  # 8-bit RGB resized, then Y: the rgb route's inputs, seen on Y
        return patches.make_pairs(images, scale, upsample=upsample, channels=channels, route=route)
    pairs = []
    for index, (_, image) in enumerate(images):
        if degradation.is_standard:  # gray, standard: the route's own LR, full range
            lr, ref = evaluate.route_pair(image, scale, route)
            lr = np.asarray(lr, dtype=np.float64) / (255.0 if lr.dtype == np.uint8 else 1.0)
            hr = np.asarray(ref, dtype=np.float64) / (255.0 if ref.dtype == np.uint8 else 1.0)
            lr_in = evaluate.bicubic(lr, scale) if upsample else lr
            pairs.append((lr_in.astype(np.float32)[..., None], hr.astype(np.float32)[..., None]))
            continue
        lr8, hr8 = degradation.lr(image, scale, index)
        if upsample:  # the input of pre-upsampling models: MATLAB bicubic up, as a stored image
            lr8 = evaluate.bicubic(lr8, scale)
        pairs.append((_channel(lr8, channels), _channel(hr8, channels)))
    if not pairs:
        raise TrainingDataError("make_pairs() got no images")
    return pairs


def measure_image(hr8, sr, scale: int) -> tuple[float, float]:
    """PSNR (dB) and SSIM of one result against its HR image, as :func:`benchmark` measures.

    ``hr8``: the uint8 reference of :meth:`Degradation.lr` (H×W gray or H×W×3 colour);
    ``sr``: the result, uint8 or float in [0, 1] (rounded to 8 bits as MATLAB's
    ``uint8(x * 255)``), H×W, H×W×1 or H×W×3. Border ``scale``; Y for colour images, the own
    values of gray ones.
    """
    from srkit import evaluate, metrics

    sr = np.asarray(sr)
    sr = sr if sr.dtype == np.uint8 else evaluate._round8(sr)
    if sr.ndim == 3 and sr.shape[2] == 1 and hr8.ndim == 2:
        sr = sr[..., 0]
    kw = dict(crop_border=scale, y_channel=hr8.ndim == 3)
    return metrics.psnr(hr8, sr, **kw), metrics.ssim(hr8, sr, **kw)


def benchmark(method, images, scale: int, degradation: Degradation, *, name: str,
              dataset: str = "test") -> "pd.DataFrame":
    """Mean PSNR/SSIM of ``method`` on ``images`` degraded by ``degradation`` (not a paper's route).

    For a model trained on another degradation (bilinear, blur, noise): the
    papers' routes (:func:`srkit.evaluate.benchmark`) feed it bicubic LR, which is
    not what it learned. The LR here is :meth:`Degradation.lr` (uint8, like a
    stored file); ``method(lr, scale)`` is a :func:`srkit.evaluate.benchmark`
    method; the result is rounded to 8 bits and measured with border ``scale``, on
    Y for colour images and on the own values of gray ones.

    Returns
    -------
    pandas.DataFrame
        One row: ``dataset, scale, method, degradation, images, psnr, ssim``.
    """
    import pandas as pd

    rows = []
    for index, (image_name, hr) in enumerate(images):
        lr8, hr8 = degradation.lr(hr, scale, index)
        rows.append(measure_image(hr8, method(lr8, scale), scale))
    psnr, ssim = np.mean(rows, axis=0)
    return pd.DataFrame([{"dataset": dataset, "scale": scale, "method": name,
                          "degradation": str(degradation), "images": len(rows),
                          "psnr": psnr, "ssim": ssim}])
