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


def check_data_range(data_range) -> float:
    """Return ``data_range`` as a finite float > 0 (the peak value images are divided by).

    Raises
    ------
    ValueError
        If it is not a finite number > 0.
    """
    if isinstance(data_range, bool) or not isinstance(data_range, numbers.Real) \
            or not np.isfinite(data_range) or not data_range > 0:
        raise ValueError(f"data_range must be a finite number > 0 (the images' peak value, "
                         f"e.g. 255 for 0–255 data), got {data_range!r}")
    return float(data_range)


def check_in_range(array, name: str, peak: float, given=None) -> np.ndarray:
    """Check that a real array is finite with values in [0, ``peak``]; return it as an array.

    Used wherever a caller states the images' ``data_range``: data outside the
    range it was told would give wrong numbers without any error (a 0–255
    image with ``data_range=1`` has a "PSNR" of −21 dB).

    Raises
    ------
    TypeError
        If the dtype is not a real number type.
    ValueError
        On NaN/inf or values below 0 or above ``peak``.
    """
    array = np.asarray(array)
    if array.dtype == bool or not (np.issubdtype(array.dtype, np.integer)
                                   or np.issubdtype(array.dtype, np.floating)):
        raise TypeError(f"{name} must hold real numbers, got dtype {array.dtype}")
    if array.size == 0:
        raise ValueError(f"{name} is empty (shape {array.shape})")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or inf values")
    lo, hi = float(array.min()), float(array.max())
    if lo < 0 or hi > peak:
        told = given if given is not None else peak
        hint = (" It looks like 0–255 data: use data_range=255, or divide by 255 and leave "
                "data_range=None." if hi > 1 and peak <= 1 and hi <= 255 else
                " data_range must be the images' peak value (their values lie in [0, data_range]).")
        raise ValueError(f"{name} has values in [{lo:.4g}, {hi:.4g}], outside [0, {told}] "
                         f"given by data_range={told}: the numbers would be wrong.{hint}")
    return array


def _channels(shape) -> int:
    return shape[2] if len(shape) == 3 else 1


def describe_shape_mismatch(names, shapes) -> str:
    """One message saying what differs between two image shapes (size, channels, or both).

    ``names`` and ``shapes`` are pairs, e.g. ``("reference", "test")`` and their
    ``.shape``. The hint fits the difference: channel counts (gray vs colour,
    alpha), or sizes (modcrop, an LR image given instead of the result).
    """
    (a, b), (sa, sb) = names, (tuple(shapes[0]), tuple(shapes[1]))
    if len(sa) not in (2, 3) or len(sb) not in (2, 3):
        return (f"{a} and {b} must be H×W or H×W×C images of the same shape, "
                f"got shapes {sa} and {sb}")
    ca, cb = _channels(sa), _channels(sb)
    parts = []
    if sa[:2] != sb[:2]:
        (ha, wa), (hb, wb) = sa[:2], sb[:2]
        text = f"the sizes differ: {a} is {ha}×{wa}, {b} is {hb}×{wb}"
        if ha >= hb and wa >= wb and ha - hb < 8 and wa - wb < 8:
            text += (f". Did you modcrop {a} (srkit.degrade.modcrop) to the size of {b}?")
        elif ha % hb == 0 and wa % wb == 0 and ha // hb == wa // wb:
            text += (f" ({ha // hb}× smaller): is {b} the low-resolution input instead of "
                     "the upscaled result?")
        parts.append(text)
    if ca != cb:
        text = f"the channel counts differ: {a} has {ca}, {b} has {cb}"
        if {ca, cb} == {1, 3}:
            text += ("; measure both on the luma (y_channel=True with two RGB images, or "
                     "srkit.metrics.rgb_to_y of the RGB one) or give both in colour")
        elif 4 in (ca, cb):
            text += "; drop the alpha channel with image[..., :3]"
        parts.append(text)
    elif len(sa) != len(sb):
        parts.append(f"one is H×W and the other H×W×{ca}")
    detail = "; ".join(parts) or "they differ"
    return f"{a} and {b} must have the same shape, got {sa} and {sb}: {detail}"
