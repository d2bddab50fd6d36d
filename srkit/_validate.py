"""Input checks shared by every srkit module.

Every public function validates its inputs with these helpers so that a student
gets one clear message naming the argument and what was expected, instead of a
NumPy broadcasting error three calls deeper.
"""

from __future__ import annotations

import numbers

import numpy as np


def check_image(image, name: str = "image", *, allow_uint8: bool = True) -> np.ndarray:
    """Check that ``image`` is a finite H×W or H×W×C array with valid values.

    Parameters
    ----------
    image : array_like
        Float image with values in [0, 1], or (if ``allow_uint8``) a uint8 image.
    name : str
        Argument name used in error messages.
    allow_uint8 : bool
        Accept uint8 arrays (0–255) as well as floats in [0, 1].

    Returns
    -------
    numpy.ndarray
        The same data as an array (no copy when already an array).

    Raises
    ------
    TypeError
        If the dtype is neither floating point nor (when allowed) uint8.
    ValueError
        If the array is not 2-D/3-D, contains NaN or inf, or a float image
        lies outside [0, 1].
    """
    array = np.asarray(image)
    if array.ndim not in (2, 3):
        raise ValueError(
            f"{name} must be H×W (gray) or H×W×C (color), got an array of shape {array.shape}"
        )
    if array.ndim == 3 and array.shape[2] not in (1, 3, 4):
        raise ValueError(
            f"{name} has {array.shape[2]} channels (shape {array.shape}); expected 1, 3 or 4. "
            "Is it channels-first? Use np.moveaxis(image, 0, -1)."
        )
    if array.size == 0:
        raise ValueError(f"{name} is empty (shape {array.shape})")
    if array.dtype == np.uint8:
        if not allow_uint8:
            raise TypeError(f"{name} must be a float image in [0, 1], got uint8; use image / 255.0")
        return array
    if array.dtype == bool or not np.issubdtype(array.dtype, np.floating):
        allowed = "float (values in [0, 1]) or uint8" if allow_uint8 else "float (values in [0, 1])"
        raise TypeError(f"{name} must be {allowed}, got dtype {array.dtype}")
    if not np.all(np.isfinite(array)):
        bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
        raise ValueError(f"{name} contains {bad} NaN or inf values; check the step that produced it")
    lo, hi = float(array.min()), float(array.max())
    if lo < 0.0 or hi > 1.0:
        raise ValueError(
            f"{name} is a float image with values in [{lo:.4g}, {hi:.4g}], outside [0, 1]. "
            "Clip it (np.clip(image, 0, 1)) or, if it holds 0–255 values, divide by 255."
        )
    return array


def check_scale(scale, name: str = "scale") -> int:
    """Return ``scale`` as an int, requiring an integer factor ≥ 2.

    Raises
    ------
    ValueError
        If ``scale`` is not a whole number or is smaller than 2.
    """
    if isinstance(scale, bool) or not isinstance(scale, numbers.Real):
        raise ValueError(f"{name} must be an integer ≥ 2, got {scale!r}")
    if float(scale) != int(scale):
        raise ValueError(f"{name} must be an integer ≥ 2, got {scale!r} (not a whole number)")
    value = int(scale)
    if value < 2:
        raise ValueError(f"{name} must be an integer ≥ 2, got {scale!r}")
    return value


def to_float(image: np.ndarray) -> np.ndarray:
    """Return a float32 copy-or-view in [0, 1] of a checked float or uint8 image."""
    if image.dtype == np.uint8:
        return image.astype(np.float32) / np.float32(255.0)
    return image.astype(np.float32, copy=False)


def to_uint8(image: np.ndarray) -> np.ndarray:
    """Return a checked float [0, 1] or uint8 image as uint8, rounding (not truncating)."""
    if image.dtype == np.uint8:
        return image
    return np.rint(image.astype(np.float64) * 255.0).astype(np.uint8)
