"""PSNR and SSIM as the super-resolution papers compute them.

The convention (see the SRCNN, VDSR, EDSR evaluation code):

1. convert RGB to the luma channel Y of ITU-R BT.601 (MATLAB's ``rgb2ycbcr``),
   ``Y = 16 + (65.481 R + 128.553 G + 24.966 B) / 255`` for R, G, B in [0, 255];
2. crop ``scale`` pixels from every border (``crop_border=scale``);
3. PSNR = 10·log10(peak² / MSE) per image, in float64, then average over images;
   SSIM with an 11×11 Gaussian window (σ = 1.5), K1 = 0.01, K2 = 0.03,
   population covariance, averaged over the valid part of the map.

Both functions take float images in [0, 1] or uint8 images; they never
subtract uint8 arrays (which wraps around: ``np.uint8(3) - np.uint8(5) == 254``).
"""

from __future__ import annotations

import numpy as np
from skimage.metrics import structural_similarity

from srkit._validate import check_image

# BT.601 "studio swing" luma, as MATLAB's rgb2ycbcr, for RGB in [0, 1]
_Y_WEIGHTS = np.array([65.481, 128.553, 24.966]) / 255.0
_Y_OFFSET = 16.0 / 255.0


def rgb_to_y(image) -> np.ndarray:
    """Luma Y of ITU-R BT.601 as MATLAB's ``rgb2ycbcr`` (studio range), in [0, 1] units.

    Parameters
    ----------
    image : ndarray, H×W×3 (RGB) or H×W / H×W×1 (gray, treated as R = G = B),
        float in [0, 1] or uint8.

    Returns
    -------
    ndarray, float64, H×W
        ``Y / 255`` with ``Y = 16 + (65.481 R + 128.553 G + 24.966 B) / 255``
        for R, G, B in 0–255, so values lie in [16/255, 235/255]. Multiply by
        255 for MATLAB's numbers. Not rounded.
    """
    image = check_image(image)
    rgb = image.astype(np.float64) / (255.0 if image.dtype == np.uint8 else 1.0)
    if rgb.ndim == 2 or rgb.shape[2] == 1:
        gray = rgb.reshape(rgb.shape[:2])
        return _Y_OFFSET + _Y_WEIGHTS.sum() * gray
    if rgb.shape[2] == 4:
        raise ValueError("image has an alpha channel (4 channels); drop it first: image[..., :3]")
    return _Y_OFFSET + rgb @ _Y_WEIGHTS


def _prepare(reference, test, crop_border, y_channel, data_range, names=("reference", "test")):
    """Check both images, bring them to float64 in [0, 1], convert to Y and crop.

    ``names`` are the argument names the error messages use (a caller whose
    arguments are called otherwise, e.g. ``restoration.error_percentage``).
    """
    ref_name, tst_name = names
    ref = np.asarray(reference)
    tst = np.asarray(test)
    if ref.shape != tst.shape:
        raise ValueError(
            f"{ref_name} and {tst_name} must have the same shape, got {ref.shape} and {tst.shape}. "
            "Did you modcrop the reference (srkit.degrade.modcrop) to the size of the result?"
        )
    if data_range is None:
        ref, tst = check_image(ref, ref_name), check_image(tst, tst_name)
        if (ref.dtype == np.uint8) != (tst.dtype == np.uint8):
            raise TypeError(
                f"{ref_name} is {ref.dtype} and {tst_name} is {tst.dtype}: convert both to float in "
                "[0, 1] (uint8 / 255) so their value ranges agree"
            )
        peak = 255.0 if ref.dtype == np.uint8 else 1.0
    else:
        peak = float(data_range)
        if not peak > 0:
            raise ValueError(f"data_range must be > 0, got {data_range!r}")
        for name, arr in ((ref_name, ref), (tst_name, tst)):
            if not np.all(np.isfinite(arr.astype(np.float64))):
                raise ValueError(f"{name} contains NaN or inf values")
        if peak > 1.0 and max(float(ref.max()), float(tst.max())) <= 1.0 and ref.dtype != np.uint8:
            raise ValueError(
                f"data_range={data_range} but both images lie in [0, 1]: this inflates PSNR by "
                f"{20 * np.log10(peak):.0f} dB. Leave data_range=None for images in [0, 1]."
            )
    ref = ref.astype(np.float64) / peak
    tst = tst.astype(np.float64) / peak
    if y_channel:
        ref, tst = rgb_to_y(ref), rgb_to_y(tst)
    crop = int(crop_border)
    if crop < 0 or crop != crop_border:
        raise ValueError(f"crop_border must be an integer ≥ 0, got {crop_border!r}")
    if crop:
        h, w = ref.shape[:2]
        if h <= 2 * crop or w <= 2 * crop:
            raise ValueError(f"crop_border={crop} leaves nothing of a {h}×{w} image")
        ref, tst = ref[crop:-crop, crop:-crop], tst[crop:-crop, crop:-crop]
    return ref, tst


def mse(reference, test, *, crop_border: int = 0, y_channel: bool = False,
        data_range=None) -> float:
    """Mean squared error on the [0, 1] scale, computed in float64 (see :func:`psnr`)."""
    ref, tst = _prepare(reference, test, crop_border, y_channel, data_range)
    return float(np.mean((ref - tst) ** 2))


def psnr(reference, test, *, crop_border: int = 0, y_channel: bool = False,
         data_range=None) -> float:
    """Peak signal-to-noise ratio in dB; higher means closer to the reference.

    ``PSNR = 10·log10(peak² / MSE)``. It measures the error of ``test``
    against ``reference``: a blurrier or noisier result scores *lower*.

    Parameters
    ----------
    reference, test : ndarray, same shape, H×W[×C]
        Float in [0, 1] or uint8 (both the same kind).
    crop_border : int
        Pixels removed from every border before measuring; the papers use
        the scale factor.
    y_channel : bool
        Measure on BT.601 luma (:func:`rgb_to_y`), as the papers do.
    data_range : float, optional
        Peak value. Default: 1 for float images, 255 for uint8. Give it only
        for images in another range; values are divided by it.

    Returns
    -------
    float
        PSNR in dB; ``inf`` when the images are identical.

    Raises
    ------
    ValueError
        On a shape mismatch (both shapes are shown), NaN/inf, floats outside
        [0, 1], or a ``crop_border`` that leaves nothing.
    """
    err = mse(reference, test, crop_border=crop_border, y_channel=y_channel, data_range=data_range)
    return float("inf") if err == 0 else float(10.0 * np.log10(1.0 / err))


def ssim(reference, test, *, crop_border: int = 0, y_channel: bool = False,
         data_range=None) -> float:
    """Structural similarity (Wang et al. 2004) with the reference parameters.

    11×11 Gaussian window with σ = 1.5, K1 = 0.01, K2 = 0.03, population
    covariance; the mean of the valid part of the SSIM map. For colour images
    without ``y_channel``, the mean over channels. Arguments as :func:`psnr`.

    Returns
    -------
    float
        In [-1, 1]; 1 for identical images.
    """
    ref, tst = _prepare(reference, test, crop_border, y_channel, data_range)
    if min(ref.shape[:2]) < 11:
        raise ValueError(f"SSIM needs at least 11×11 pixels after cropping, got {ref.shape[:2]}")
    return float(
        structural_similarity(
            ref, tst, data_range=1.0, gaussian_weights=True, sigma=1.5,
            use_sample_covariance=False, channel_axis=-1 if ref.ndim == 3 else None,
        )
    )
