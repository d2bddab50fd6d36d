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

from srkit._validate import check_image, to_uint8

# BT.601 "studio swing" luma, as MATLAB's rgb2ycbcr, for RGB in [0, 1]
_Y_WEIGHTS = np.array([65.481, 128.553, 24.966]) / 255.0
_Y_OFFSET = 16.0 / 255.0


def rgb_to_y(image) -> np.ndarray:
    """Luma Y of ITU-R BT.601 as MATLAB's ``rgb2ycbcr`` (studio range), in [0, 1] units.

    Parameters
    ----------
    image : ndarray, H×W×3 (RGB), or H×W / H×W×1 (a single-channel gray image),
        float in [0, 1] or uint8.

    Returns
    -------
    ndarray, float64, H×W
        For RGB, ``Y / 255`` with ``Y = 16 + (65.481 R + 128.553 G + 24.966 B) / 255``
        for R, G, B in 0–255, so values lie in [16/255, 235/255]; multiply by 255
        for MATLAB's numbers. Not rounded (see :func:`rgb_to_y8`).
        A single-channel image is returned unchanged (as float in [0, 1]): the
        papers' MATLAB scripts call ``rgb2ycbcr`` only on 3-channel images, so a
        gray file (Set14's ``bridge``) is measured on its own values. A gray image
        stored with three equal channels (Set14's ``man``) is converted like any
        colour image.

    Raises
    ------
    ValueError
        For a 4-channel (RGBA) image: drop the alpha channel first.
    """
    image = check_image(image)
    values = image.astype(np.float64) / (255.0 if image.dtype == np.uint8 else 1.0)
    if values.ndim == 2 or values.shape[2] == 1:
        return values.reshape(values.shape[:2])
    if values.shape[2] == 4:
        raise ValueError("image has an alpha channel (4 channels); drop it first: image[..., :3]")
    return _Y_OFFSET + values @ _Y_WEIGHTS


def rgb_to_y8(image) -> np.ndarray:
    """8-bit luma as MATLAB's ``rgb2ycbcr`` returns it for a uint8 image: Y rounded.

    The first step of the SRCNN evaluation code (``im = rgb2ycbcr(im); im = im(:, :, 1)``).

    Parameters
    ----------
    image : ndarray, H×W×3 or H×W (gray, returned as is), uint8 or float in [0, 1]
        Float images are taken to 8 bits first (rounded).

    Returns
    -------
    ndarray, uint8, H×W
        ``round(16 + (65.481 R + 128.553 G + 24.966 B) / 255)`` (half away from
        zero), in [16, 235] for colour input.
    """
    image = to_uint8(check_image(image))
    if image.ndim == 2 or image.shape[2] == 1:
        return image.reshape(image.shape[:2])
    y = rgb_to_y(image) * 255.0
    return np.floor(y + 0.5).astype(np.uint8)


def _prepare(reference, test, crop_border, y_channel, data_range, names=("reference", "test")):
    """Check both images, bring them to float64 in [0, 1], convert to Y and crop.

    ``names`` are the argument names the error messages use (a caller whose
    arguments are called otherwise, e.g. ``restoration.error_percentage``).
    """
    from srkit import _validate

    ref_name, tst_name = names
    ref = np.asarray(reference)
    tst = np.asarray(test)
    if ref.shape != tst.shape and ref.shape[:2] == tst.shape[:2] \
            and {ref.ndim, tst.ndim} == {2, 3} and max(ref, tst, key=np.ndim).shape[-1] == 1:
        ref, tst = ref.reshape(ref.shape[:2]), tst.reshape(tst.shape[:2])  # H×W and H×W×1 agree
    if ref.shape != tst.shape:
        raise ValueError(_validate.describe_shape_mismatch(names, (ref.shape, tst.shape)))
    for name, arr in ((ref_name, ref), (tst_name, tst)):
        if arr.ndim == 3 and arr.shape[2] == 4:
            raise ValueError(f"{name} has an alpha channel (shape {arr.shape}); metrics measure "
                             "gray or RGB images: drop alpha with image[..., :3]")
    if data_range is None:
        ref, tst = check_image(ref, ref_name), check_image(tst, tst_name)
        if (ref.dtype == np.uint8) != (tst.dtype == np.uint8):
            raise TypeError(
                f"{ref_name} is {ref.dtype} and {tst_name} is {tst.dtype}: convert both to float in "
                "[0, 1] (uint8 / 255) so their value ranges agree"
            )
        peak = 255.0 if ref.dtype == np.uint8 else 1.0
    else:
        peak = _validate.check_data_range(data_range)
        for name, arr in ((ref_name, ref), (tst_name, tst)):  # data outside the range told: refused
            _validate.check_in_range(arr, name, peak, data_range)
        if peak > 1.0 and max(float(ref.max()), float(tst.max())) <= 1.0 and ref.dtype != np.uint8:
            raise ValueError(
                f"data_range={data_range} but both images lie in [0, 1]: this inflates PSNR by "
                f"{20 * np.log10(peak):.0f} dB. Leave data_range=None for images in [0, 1]."
            )
        for (name, arr), (other, oarr) in (((ref_name, ref), (tst_name, tst)),
                                           ((tst_name, tst), (ref_name, ref))):
            if peak > 1.0 and arr.dtype.kind == "f" and float(arr.max()) <= 1.0 < float(oarr.max()):
                raise ValueError(
                    f"{name} lies in [0, 1] but {other} reaches {float(oarr.max()):.4g} "
                    f"(data_range={data_range}): the two are on different scales. Bring both "
                    "to [0, 1] (0–255 data / 255) and leave data_range=None."
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
