"""BT.601 YCbCr as MATLAB's ``rgb2ycbcr``/``ycbcr2rgb`` (studio range), in [0, 1] units.

Models such as SRCNN restore only the luma Y; the chroma is taken from the
bicubic image (the eye is far less sensitive to colour detail). These two
functions split an image into Y, Cb, Cr and put it back together.
"""

from __future__ import annotations

import numpy as np

from srkit._validate import check_image
from srkit.metrics import _Y_OFFSET, _Y_WEIGHTS

# MATLAB's rgb2ycbcr for RGB in [0, 1]: the luma row is the one srkit.metrics measures with
_MATRIX = np.vstack([_Y_WEIGHTS, np.array([[-37.797, -74.203, 112.0],
                                           [112.0, -93.786, -18.214]]) / 255.0])
_OFFSET = np.array([_Y_OFFSET, 128.0 / 255.0, 128.0 / 255.0])


def rgb_to_ycbcr(image) -> np.ndarray:
    """RGB → Y, Cb, Cr (ITU-R BT.601 studio range, as MATLAB), divided by 255.

    Parameters
    ----------
    image : ndarray, H×W×3, float in [0, 1] or uint8

    Returns
    -------
    ndarray, float64, H×W×3
        Y in [16/255, 235/255], Cb and Cr in [16/255, 240/255]. Channel 0
        equals :func:`srkit.metrics.rgb_to_y`.
    """
    image = check_image(image)
    if image.ndim == 3 and image.shape[2] == 4:
        raise ValueError(f"rgb_to_ycbcr needs an H×W×3 RGB image, got shape {image.shape} "
                         "(RGB + alpha): drop alpha with image[..., :3]")
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"rgb_to_ycbcr needs an H×W×3 RGB image, got shape {image.shape}")
    rgb = image.astype(np.float64) / (255.0 if image.dtype == np.uint8 else 1.0)
    return rgb @ _MATRIX.T + _OFFSET


def ycbcr_to_rgb(ycbcr) -> np.ndarray:
    """Inverse of :func:`rgb_to_ycbcr`: H×W×3 YCbCr (/255) → float32 RGB clipped to [0, 1]."""
    ycbcr = np.asarray(ycbcr, dtype=np.float64)
    if ycbcr.ndim != 3 or ycbcr.shape[2] != 3:
        raise ValueError(f"ycbcr_to_rgb needs an H×W×3 array, got shape {ycbcr.shape}")
    _check_scale(ycbcr, "ycbcr")
    rgb = (ycbcr - _OFFSET) @ np.linalg.inv(_MATRIX).T
    return np.clip(rgb, 0.0, 1.0).astype(np.float32)


def _check_scale(values: np.ndarray, name: str) -> None:
    """Refuse NaN/inf and 0–255 data where values in [0, 1] units are expected.

    A model's luma may overshoot [0, 1] a little (it is clipped afterwards);
    values beyond [-0.5, 1.5] are a scale mistake, which clipping would hide.
    """
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{name} contains NaN or inf values")
    lo, hi = float(values.min()), float(values.max())
    if lo < -0.5 or hi > 1.5:
        raise ValueError(f"{name} has values in [{lo:.4g}, {hi:.4g}]; expected [0, 1] units "
                         "(Y/255 as srkit.metrics.rgb_to_y returns): divide 0–255 data by 255")


def replace_luma(rgb, y) -> np.ndarray:
    """Put a restored luma ``y`` (H×W, Y/255 as above) into ``rgb``'s colour.

    Parameters
    ----------
    rgb : ndarray, H×W×3 float in [0, 1] or uint8
        Usually the bicubic upscale, which supplies Cb and Cr.
    y : ndarray, H×W (or H×W×1)
        The model's Y, e.g. SRCNN's output.

    Returns
    -------
    ndarray, float32, H×W×3 RGB in [0, 1]
    """
    ycbcr = rgb_to_ycbcr(rgb)
    y = np.asarray(y, dtype=np.float64)
    if y.shape not in (ycbcr.shape[:2], ycbcr.shape[:2] + (1,)):
        h, w = ycbcr.shape[:2]
        what = ("y has channels: give the luma alone (H×W)" if y.ndim == 3 and y.shape[:2] == (h, w)
                else "the sizes differ: crop or upscale rgb to the size of y")
        raise ValueError(f"y must be the luma of rgb, H×W = {h}×{w} (or {h}×{w}×1), got shape "
                         f"{y.shape}: {what}")
    y = y.reshape(ycbcr.shape[:2])
    _check_scale(y, "y")
    ycbcr[..., 0] = y
    return ycbcr_to_rgb(ycbcr)
