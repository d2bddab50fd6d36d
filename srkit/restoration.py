"""Deblurring plumbing: five blur kinds, classical baselines, the "error percentage".

The deblurring notebook compares learned restoration with classical
deconvolution. What it needs besides the lesson lives here, written once:

- :func:`make_blur` / :func:`blurs` — a registry of the five blur kinds
  (Gaussian, average (box), median, bilateral, motion) with their parameters
  and, for the linear ones, their kernels; :class:`Blur` applies one.
- :func:`degradation` — blur, then optional Gaussian noise, then 8-bit
  rounding (a blurred photograph as it would be saved).
- :func:`wiener`, :func:`richardson_lucy`, :func:`unsharp` — scikit-image's
  Wiener–Hunt and Richardson–Lucy deconvolution and unsharp masking, with the
  image borders handled (mirrored) so the result does not ring at the edges.
- :func:`error_percentage` — mean absolute error as a percentage of the
  value range, defined precisely; :func:`measure` — PSNR, SSIM and error %
  in one long table; :func:`tune` — pick a baseline's parameter on the
  validation images.

All images are float32 in [0, 1], single channel: H×W or H×W×1 (the shape
of the input is kept). Kernels are 2-D float64 arrays with odd sides that sum
to 1, applied as a true convolution (:func:`srkit.degrade.convolve`).
"""

from __future__ import annotations

import itertools
import numbers
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from srkit import degrade, evaluate, metrics
from srkit._validate import check_image, to_float

# ---------------------------------------------------------------------------
# The five blur kinds
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Kind:
    title: str
    apply: Callable
    kernel: Callable | None  # params -> 2-D kernel, None for nonlinear blurs
    defaults: dict
    template: str  # parameters in words, formatted with the params
    optional: dict = field(default_factory=dict)  # name -> words added when the parameter is given


_KINDS = {
    "gaussian": _Kind("Gaussian", degrade.gaussian_blur, degrade.gaussian_kernel,
                      {"sigma": 2.0}, "σ = {sigma:g} px",
                      {"size": "{size}×{size} kernel"}),  # default size: 2·ceil(3σ) + 1
    "box": _Kind("average (box)", degrade.box_blur, degrade.box_kernel,
                 {"size": 7}, "{size}×{size} px"),
    "median": _Kind("median", degrade.median_blur, None, {"size": 5}, "{size}×{size} px"),
    "bilateral": _Kind("bilateral", degrade.bilateral_blur, None,
                       {"diameter": 9, "sigma_color": 0.1, "sigma_space": 3.0},
                       "d = {diameter} px, σ_space = {sigma_space:g} px, σ_color = {sigma_color:g}"),
    "motion": _Kind("motion", degrade.motion_blur, degrade.motion_kernel,
                    {"length": 9, "angle": 30.0}, "{length} px at {angle:g}°"),
}
BLUR_KINDS = tuple(_KINDS)
"""Names of the blur kinds, in the order the notebook shows them."""


@dataclass(frozen=True)
class Blur:
    """One blur kind with fixed parameters; call it on an image to blur it.

    Build it with :func:`make_blur` (or :func:`blurs` for all five).

    Attributes
    ----------
    kind : str
        One of :data:`BLUR_KINDS`.
    params : dict
        Keyword arguments of the :mod:`srkit.degrade` function that applies it.
    """

    kind: str
    params: dict = field(default_factory=dict)

    @property
    def linear(self) -> bool:
        """True for a convolution (it has a kernel), False for median and bilateral."""
        return _KINDS[self.kind].kernel is not None

    @property
    def kernel(self) -> np.ndarray | None:
        """The convolution kernel (2-D float64, odd sides, sums to 1), or None if nonlinear."""
        make = _KINDS[self.kind].kernel
        return None if make is None else make(**self.params)

    @property
    def label(self) -> str:
        """Short description, e.g. ``"Gaussian, σ = 2 px"``."""
        kind = _KINDS[self.kind]
        words = [kind.template.format(**self.params)]
        words += [text.format(**self.params) for name, text in kind.optional.items()
                  if self.params.get(name) is not None]
        return f"{kind.title}, {', '.join(words)}"

    def __call__(self, image) -> np.ndarray:
        """Blur ``image`` (H×W or H×W×C, float in [0, 1] or uint8): float32 in [0, 1], same shape."""
        image = to_float(check_image(image))
        return _KINDS[self.kind].apply(image, **self.params).astype(np.float32, copy=False)


def make_blur(kind: str, **params) -> Blur:
    """A :class:`Blur` of ``kind`` with the notebook's default parameters, overridden by ``params``.

    Defaults (moderate strengths): Gaussian σ = 2 px; box 7×7 (the same
    spatial standard deviation as that Gaussian, 7/√12 ≈ 2.02 px); median
    5×5; bilateral with diameter 9, σ_space = 3 px, σ_color = 0.1 (≈ 25 grey
    levels); motion over 9 px at 30°.

    The Gaussian's kernel is ``2·ceil(3σ) + 1`` pixels wide unless ``size``
    (odd) is given, as OpenCV's ``GaussianBlur`` takes it. For a 5×5 kernel
    with σ = 0 OpenCV's rule gives σ = 0.3·((5 − 1)/2 − 1) + 0.8 = 1.1, here
    ``make_blur("gaussian", sigma=1.1, size=5)`` (OpenCV itself then uses
    the binomial 1-4-6-4-1 table for sizes up to 7, close to that Gaussian). A 3×3 box is
    ``make_blur("box", size=3)``.

    Raises
    ------
    ValueError
        For an unknown ``kind`` or parameter name (the message lists the
        valid ones), or a parameter value the blur refuses.
    """
    if kind not in _KINDS:
        raise ValueError(f"unknown blur kind {kind!r}; choose one of {', '.join(BLUR_KINDS)}")
    defaults = _KINDS[kind].defaults
    known = [*defaults, *_KINDS[kind].optional]
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise ValueError(f"{kind} blur has no parameter {', '.join(map(repr, unknown))}; "
                         f"its parameters are {', '.join(known)}")
    blur = Blur(kind, {**defaults, **params})
    blur(np.full((3, 3), 0.5, np.float32))  # let degrade check the values now, not mid-training
    return blur


def blurs(**overrides: Mapping) -> dict[str, Blur]:
    """All five blur kinds, in :data:`BLUR_KINDS` order: ``{kind: Blur}``.

    ``overrides`` maps a kind to parameters to change, e.g.
    ``blurs(gaussian={"sigma": 1.5}, motion={"length": 15})``, or a Gaussian
    with a 5×5 kernel and a 3×3 box as in the 2023 thesis's kind of settings:
    ``blurs(gaussian={"sigma": 1.1, "size": 5}, box={"size": 3})``.
    """
    unknown = sorted(set(overrides) - set(_KINDS))
    if unknown:
        raise ValueError(f"unknown blur kind {', '.join(map(repr, unknown))}; "
                         f"choose among {', '.join(BLUR_KINDS)}")
    return {kind: make_blur(kind, **dict(overrides.get(kind, {}))) for kind in BLUR_KINDS}


def degradation(blur: Callable, *, noise: float = 0.0, quantize: bool = True,
                seed=None) -> Callable[[np.ndarray], np.ndarray]:
    """The observation model ``y = round8(k * x + n)`` as a function ``x -> y``.

    Parameters
    ----------
    blur : callable
        A :class:`Blur` (or any function image -> image, float32 in [0, 1]).
    noise : float
        Standard deviation of white Gaussian noise added after the blur, in
        [0, 1] units (0.01 ≈ 2.6 grey levels). 0: none.
    quantize : bool
        Round to 8-bit steps, as a saved photograph is.
    seed : int or numpy.random.Generator, optional
        Seeds the noise. The returned function draws fresh noise at every
        call, so the same sequence of images always gets the same noise.

    Returns
    -------
    callable
        ``x -> y``: float32 in [0, 1], the shape of ``x``.
    """
    if not callable(blur):
        raise ValueError(f"blur must be callable (a Blur from make_blur), got {type(blur).__name__}")
    if isinstance(noise, bool) or not isinstance(noise, numbers.Real) or not noise >= 0:
        raise ValueError(f"noise must be a standard deviation ≥ 0 in [0, 1] units, got {noise!r}")
    rng = np.random.default_rng(seed)

    def degrade_one(image):
        out = blur(image)
        if noise > 0:
            rgba = out.ndim == 3 and out.shape[2] == 4  # noise in the colour, alpha kept
            grain = rng.normal(0.0, noise, out.shape[:2] + (3,) if rgba else out.shape)
            if rgba:
                grain = np.concatenate([grain, np.zeros(out.shape[:2] + (1,))], axis=2)
            out = out + grain.astype(np.float32)
        out = np.clip(out, 0.0, 1.0)
        if quantize:
            out = np.round(out * 255.0) / 255.0
        return out.astype(np.float32)

    return degrade_one


# ---------------------------------------------------------------------------
# Classical baselines (scikit-image), borders handled
# ---------------------------------------------------------------------------


def _gray(image, name: str = "blurred") -> tuple[np.ndarray, tuple]:
    """Checked single-channel image as float64 H×W, and the shape to return."""
    array = check_image(image, name)
    if array.ndim == 3 and array.shape[2] != 1:
        raise ValueError(f"{name} must be one channel (H×W or H×W×1), got shape {array.shape}; "
                         "restore the luma (srkit.metrics.rgb_to_y) or each channel separately")
    return to_float(array).reshape(array.shape[:2]).astype(np.float64), array.shape


def _check_kernel(kernel) -> np.ndarray:
    k = np.asarray(kernel, dtype=np.float64) if kernel is not None else None
    if k is None or k.ndim != 2 or k.shape[0] % 2 == 0 or k.shape[1] % 2 == 0:
        shape = None if k is None else k.shape
        raise ValueError(f"kernel must be a 2-D array with odd sides, got {shape}; nonlinear "
                         "blurs (median, bilateral) have no kernel to deconvolve")
    if not np.all(np.isfinite(k)) or k.min() < 0:
        raise ValueError("kernel must be finite and non-negative")
    if abs(k.sum() - 1.0) > 1e-6:
        raise ValueError(f"kernel must sum to 1, got {k.sum():.6g}; normalise it: kernel / kernel.sum()")
    return k


def _finish(out: np.ndarray, shape: tuple) -> np.ndarray:
    return np.clip(out, 0.0, 1.0).astype(np.float32).reshape(shape)


def wiener(blurred, kernel, balance: float) -> np.ndarray:
    """Wiener–Hunt deconvolution (``skimage.restoration.wiener``) with mirrored borders.

    In the Fourier domain, with ``K`` the kernel's transfer function and ``D``
    the Laplacian's, ``X̂ = conj(K) · Y / (|K|² + balance · |D|²)``: the inverse
    filter ``Y / K`` where the kernel passes the signal, damped where ``|K|``
    is small and noise would be amplified.

    The FFT treats the image as periodic, so the left edge "touches" the right
    one and deconvolution rings there. The image is therefore mirrored into a
    2H×2W array first (``np.pad(..., mode="symmetric")``), which is periodic
    without jumps; the top-left H×W of the result is returned. This matches
    the symmetric borders :func:`srkit.degrade.convolve` blurs with.

    Parameters
    ----------
    blurred : ndarray, H×W or H×W×1, float in [0, 1] (or uint8)
    kernel : ndarray, 2-D, odd sides, non-negative, sums to 1
        The blur's kernel (``Blur.kernel``).
    balance : float > 0
        Regularisation weight: larger is smoother and amplifies less noise.

    Returns
    -------
    ndarray, float32 in [0, 1] (clipped), the shape of ``blurred``
    """
    from skimage import restoration

    y, shape = _gray(blurred)
    k = _check_kernel(kernel)
    if isinstance(balance, bool) or not isinstance(balance, numbers.Real) or not balance > 0:
        raise ValueError(f"balance must be a number > 0 (e.g. 0.01), got {balance!r}")
    h, w = y.shape
    mirrored = np.pad(y, ((0, h), (0, w)), mode="symmetric").astype(np.float32)  # float32: 2× faster
    out = restoration.wiener(mirrored, k.astype(np.float32), float(balance), clip=False)[:h, :w]
    return _finish(out, shape)


def richardson_lucy(blurred, kernel, iterations: int, *, pad: int | None = None) -> np.ndarray:
    """Richardson–Lucy deconvolution (``skimage.restoration.richardson_lucy``), borders mirrored.

    The update, with ``k̃`` the kernel flipped, is
    ``x ← x · (k̃ * (y / (k * x)))``: multiplicative, so the estimate stays
    non-negative; each iteration sharpens more, and noise grows with the
    iterations (stopping early is the regularisation).

    scikit-image convolves with zero borders; the image is padded by
    mirroring (``pad`` pixels each side) and the padding cropped again, so the
    dark frame does not bleed in.

    Parameters
    ----------
    blurred : ndarray, H×W or H×W×1, float in [0, 1] (or uint8)
    kernel : ndarray, 2-D, odd sides, non-negative, sums to 1
    iterations : int ≥ 1
    pad : int, optional
        Mirrored margin; default three kernel sizes.

    Returns
    -------
    ndarray, float32 in [0, 1], the shape of ``blurred``
    """
    from skimage import restoration

    y, shape = _gray(blurred)
    k = _check_kernel(kernel)
    if isinstance(iterations, bool) or not isinstance(iterations, numbers.Integral) or iterations < 1:
        raise ValueError(f"iterations must be an integer ≥ 1, got {iterations!r}")
    pad = 3 * max(k.shape) if pad is None else int(pad)
    if pad < 0:
        raise ValueError(f"pad must be ≥ 0, got {pad}")
    padded = (np.pad(y, pad, mode="symmetric") if pad else y).astype(np.float32)  # 2× faster
    out = restoration.richardson_lucy(padded, k.astype(np.float32), num_iter=int(iterations),
                                      clip=False)
    if pad:
        out = out[pad:-pad, pad:-pad]
    return _finish(out, shape)


def unsharp(blurred, radius: float, amount: float) -> np.ndarray:
    """Unsharp masking (``skimage.filters.unsharp_mask``): ``y + amount · (y − G_radius * y)``.

    Needs no kernel, so it applies to every blur kind, linear or not: it boosts
    the detail a Gaussian of standard deviation ``radius`` would remove.

    Parameters
    ----------
    blurred : ndarray, H×W or H×W×1, float in [0, 1] (or uint8)
    radius : float > 0
        Standard deviation (pixels) of the Gaussian that defines "detail".
    amount : float ≥ 0
        How much detail to add back (0 returns the input).

    Returns
    -------
    ndarray, float32 in [0, 1], the shape of ``blurred``
    """
    from skimage import filters

    y, shape = _gray(blurred)
    if not (isinstance(radius, numbers.Real) and radius > 0):
        raise ValueError(f"radius must be a number > 0 (pixels), got {radius!r}")
    if not (isinstance(amount, numbers.Real) and amount >= 0):
        raise ValueError(f"amount must be a number ≥ 0, got {amount!r}")
    out = filters.unsharp_mask(y, radius=float(radius), amount=float(amount), preserve_range=True)
    return _finish(out, shape)


# ---------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------


def error_percentage(reference, result, *, crop_border: int = 0) -> float:
    """Mean absolute error as a percentage of the value range: ``100 · mean |x̂ − x|``.

    With images in [0, 1] the range is 1, so 1 % means pixels are off by 2.55
    grey levels on average. Lower is better; 0 for identical images. Unlike
    PSNR it weighs all errors linearly (one large error counts as many small
    ones) and unlike SSIM it ignores structure, so equal error percentages can
    look very different.

    Parameters
    ----------
    reference, result : ndarray, same shape, H×W[×C]
        Both float in [0, 1] or both uint8 (0–255, divided by 255): mixing
        the two is refused, since a uint8 image compared with a [0, 1] one is
        off by a factor of 255.
    crop_border : int
        Pixels removed from every border first (as for PSNR).

    Returns
    -------
    float
        In [0, 100].

    Examples
    --------
    >>> error_percentage(np.zeros((4, 4)), np.full((4, 4), 0.02))
    2.0
    """
    ref, res = metrics._prepare(reference, result, crop_border, False, None,
                                names=("reference", "result"))  # the checks PSNR makes
    return float(100.0 * np.mean(np.abs(res - ref)))


def measure(items: Iterable, *, crop_border: int = 0, **labels) -> pd.DataFrame:
    """PSNR, SSIM and error % of ``(name, reference, result)`` triples, one row each.

    PSNR and SSIM come from :func:`srkit.evaluate.evaluate` on the channel
    given (``y_channel=False``: the images are already the gray/luma channel),
    error % from :func:`error_percentage`, all with the same ``crop_border``.

    Returns
    -------
    pandas.DataFrame
        Columns ``[*labels, "image", "psnr", "ssim", "error_pct"]``; no mean row
        (a long table to concatenate and group).
    """
    items = list(items)
    table = evaluate.evaluate(items, crop_border=crop_border, y_channel=False, mean_row=False,
                              **labels)
    table["error_pct"] = [error_percentage(ref, res, crop_border=crop_border)
                          for _, ref, res in items]
    return table


def tune(restore: Callable, grid: Mapping[str, Iterable], pairs: Iterable, *,
         crop_border: int = 0) -> tuple[dict, pd.DataFrame]:
    """Choose a restoration's parameters by mean PSNR over ``pairs`` (use the validation split).

    Parameters
    ----------
    restore : callable
        ``restore(blurred, **params) -> restored``.
    grid : dict of str -> iterable
        Values to try for each parameter; every combination is tried, e.g.
        ``{"balance": [0.001, 0.01, 0.1]}``.
    pairs : iterable of (sharp, blurred)
        Ground truths and degraded images (float in [0, 1], same shapes).
    crop_border : int
        As in :func:`measure`.

    Returns
    -------
    best : dict
        The parameters with the highest mean PSNR (the first one on a tie).
    table : pandas.DataFrame
        One row per combination: the parameters and the mean ``psnr``.
    """
    pairs = list(pairs)
    if not pairs:
        raise ValueError("tune() got no (sharp, blurred) pairs")
    names = list(grid)
    values = [list(grid[n]) for n in names]
    if not names or any(not v for v in values):
        raise ValueError(f"grid must map parameter names to non-empty lists of values, got {dict(grid)!r}")
    combos = [dict(zip(names, combo)) for combo in itertools.product(*values)]
    rows = []
    for params in combos:
        scores = [metrics.psnr(sharp, restore(blurred, **params), crop_border=crop_border)
                  for sharp, blurred in pairs]
        rows.append({**params, "psnr": float(np.mean(scores))})
    table = pd.DataFrame(rows)
    return combos[int(table["psnr"].to_numpy().argmax())], table


# ---------------------------------------------------------------------------
# Fashion-MNIST: the subset shipped with srkit, or the full set through Keras
# ---------------------------------------------------------------------------


def fashion_mnist_splits(n_train: int = 6000, n_val: int = 1000, n_test: int = 500, *,
                         full: bool = False):
    """Fashion-MNIST as ``(name, image)`` lists: srkit's shipped subset, or the full set.

    The student work this notebook grew from trained on Fashion-MNIST. By default
    the images come from the subset shipped inside srkit (``load_dataset(
    "fashion_mnist")``: 6,000 train / 500 val / 1,000 test, no internet, checksums
    verified). ``full=True`` loads all 70,000 with ``keras.datasets.fashion_mnist``,
    which downloads them (about 30 MB) to ``~/.keras/datasets`` the first time;
    ``srkit.download.fetch_dataset("fashion_mnist")`` fetches the same IDX files.

    Parameters
    ----------
    n_train, n_val : int
        Images taken from the start (train) and the end (val) of the official
        60,000 training images; the two never overlap. Shipped: at most 6,000 and 500.
    n_test : int
        Images from the start of the official 10,000 test images. Any that equal
        a train or val image pixel for pixel are dropped, so
        :func:`srkit.data.assert_disjoint` holds. Shipped: at most 1,000.
    full : bool
        Load the full set through Keras (internet the first time) instead of the
        shipped subset.

    Returns
    -------
    train, val, test : list of (str, ndarray)
        Gray 28×28 float32 images in [0, 1], named by their index in the official
        files: ``"train_00042"``, ``"val_59042"``, ``"test_00042"``. The shipped
        subset gives the same names and pixels as the full set for the same counts.

    Raises
    ------
    ValueError
        If a count is < 1 or ``n_train + n_val`` exceeds 60,000 (``n_test``: 10,000);
        without ``full``, if a count exceeds the shipped subset (the message says how
        to get the full set).
    RuntimeError
        With ``full=True``, if Keras cannot load the data set (no internet).
    """
    counts = {"n_train": n_train, "n_val": n_val, "n_test": n_test}
    for key, value in counts.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise ValueError(f"{key} must be an integer ≥ 1, got {value!r}")
    if n_train + n_val > 60000 or n_test > 10000:
        raise ValueError(f"Fashion-MNIST has 60,000 training and 10,000 test images; asked for "
                         f"n_train + n_val = {n_train + n_val} and n_test = {n_test}")
    if not full:
        return _shipped_fashion_mnist(n_train, n_val, n_test)
    import keras

    try:
        (x_train, _), (x_test, _) = keras.datasets.fashion_mnist.load_data()
    except Exception as err:  # urllib, socket and Keras' own errors alike
        raise RuntimeError(
            "could not load Fashion-MNIST with keras.datasets.fashion_mnist.load_data(): it "
            "downloads the data from the internet the first time. Connect, or use the subset "
            "shipped with srkit (full=False, up to 6,000 / 500 / 1,000 images). "
            f"Cause: {type(err).__name__}: {err}"
        ) from err

    def as_list(images, prefix, first):
        return [(f"{prefix}_{first + i:05d}", np.asarray(im, np.float32) / np.float32(255.0))
                for i, im in enumerate(images)]

    train = as_list(x_train[:n_train], "train", 0)
    val = as_list(x_train[len(x_train) - n_val:], "val", len(x_train) - n_val)
    seen = {np.asarray(im).tobytes() for im in x_train[:n_train]}
    seen |= {np.asarray(im).tobytes() for im in x_train[len(x_train) - n_val:]}
    keep = [i for i in range(n_test) if np.asarray(x_test[i]).tobytes() not in seen]
    test = [(f"test_{i:05d}", np.asarray(x_test[i], np.float32) / np.float32(255.0)) for i in keep]
    return train, val, test


def _shipped_fashion_mnist(n_train: int, n_val: int, n_test: int):
    """The first/last/first images of srkit's shipped Fashion-MNIST subset, by official index."""
    from srkit import data

    info = data.STANDARD_SETS["fashion_mnist"]
    shipped = dict(info.splits)
    asked = {"train": n_train, "val": n_val, "test": n_test}
    over = [f"n_{s} = {asked[s]} (shipped: {shipped[s]})" for s in asked if asked[s] > shipped[s]]
    if over:
        raise ValueError(
            f"srkit ships {shipped['train']:,} / {shipped['val']:,} / {shipped['test']:,} "
            f"Fashion-MNIST images (train / val / test); asked for {', '.join(over)}. Ask for "
            "fewer, or load the full 70,000 with fashion_mnist_splits(..., full=True) "
            "(downloads about 30 MB once; srkit.download.fetch_dataset('fashion_mnist') "
            "fetches the same files)")
    splits = {s: data.load_dataset("fashion_mnist", split=s) for s in asked}
    train = splits["train"][:n_train]  # sorted by official index: the first n
    val = splits["val"][len(splits["val"]) - n_val:]  # the last n of the training file
    seen = {im.tobytes() for _, im in train + val}
    test = [(name, im) for name, im in splits["test"]
            if int(name.split("_")[1]) < n_test and im.tobytes() not in seen]
    return train, val, test
