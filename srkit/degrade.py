"""Degradations: modcrop, MATLAB-exact ``imresize``, LR/HR pairs, blur, noise, JPEG.

The literature makes low-resolution (LR) images with MATLAB's
``imresize(hr, 1/s, 'bicubic')``. :func:`imresize` reimplements that function
(``method="bicubic"``, and MATLAB's other kernels) so that the numbers this kit
prints can be compared with published tables. OpenCV's resizers are available
under ``cv2_*`` method names, for comparison: they use other kernels and no
antialiasing, so they are *not* the papers' bicubic.

All functions take and return images as float32 in [0, 1] (H×W or H×W×C)
unless stated otherwise; :func:`imresize` also accepts uint8 and then returns
uint8, rounding after each pass exactly as MATLAB does.

A 4-channel image is RGB plus alpha. Resizing and cropping (:func:`imresize`,
:func:`modcrop`, :func:`make_lr`, :func:`upscale`) treat alpha as one more
channel, so it stays aligned with the colour. Degradations (the blurs,
:func:`add_gaussian_noise`, :func:`jpeg_compress`) model the camera and the
file format: they act on the RGB channels exactly as on an RGB image and return
alpha unchanged.
"""

from __future__ import annotations

import math
import numbers
from functools import reduce

import cv2
import numpy as np
from scipy import ndimage

from srkit._validate import check_image, check_scale, to_float, to_uint8

# ---------------------------------------------------------------------------
# Resampling kernels, written as in MATLAB's imresize.m
# ---------------------------------------------------------------------------


def cubic(x: np.ndarray, a: float = -0.5) -> np.ndarray:
    """Keys' cubic convolution kernel; ``a=-0.5`` is MATLAB's, OpenCV uses -0.75.

    The kernel is 0 outside |x| < 2 and interpolates: cubic(0) = 1, cubic(±1) = 0.
    """
    ax = np.abs(np.asarray(x, dtype=np.float64))
    ax2, ax3 = ax**2, ax**3
    inner = (a + 2) * ax3 - (a + 3) * ax2 + 1
    outer = a * ax3 - 5 * a * ax2 + 8 * a * ax - 4 * a
    return inner * (ax <= 1) + outer * ((ax > 1) & (ax <= 2))


def _box(x):
    return ((x >= -0.5) & (x < 0.5)).astype(np.float64)


def _triangle(x):
    return (x + 1) * ((x >= -1) & (x < 0)) + (1 - x) * ((x >= 0) & (x <= 1))


def _lanczos(radius):
    def kernel(x):
        eps = np.finfo(np.float64).eps
        num = np.sin(np.pi * x) * np.sin(np.pi * x / radius) + eps
        den = np.pi**2 * x**2 / radius + eps
        return num / den * (np.abs(x) < radius)

    return kernel


# name -> (kernel, support width, antialias when downscaling) as in MATLAB
_MATLAB_KERNELS = {
    "nearest": (_box, 1.0, False),
    "bilinear": (_triangle, 2.0, True),
    "bicubic": (cubic, 4.0, True),
    "lanczos2": (_lanczos(2), 4.0, True),
    "lanczos3": (_lanczos(3), 6.0, True),
}
_CV2_METHODS = {
    "area": cv2.INTER_AREA,
    "cv2_nearest": cv2.INTER_NEAREST,
    "cv2_linear": cv2.INTER_LINEAR,
    "cv2_cubic": cv2.INTER_CUBIC,
    "cv2_area": cv2.INTER_AREA,
    "cv2_lanczos4": cv2.INTER_LANCZOS4,
}
METHODS = tuple(_MATLAB_KERNELS) + tuple(_CV2_METHODS)


def resize_weights(in_length: int, out_length: int, scale: float, method: str = "bicubic",
                   antialias: bool | None = None):
    """Return MATLAB's resampling weights and source indices along one axis.

    Parameters
    ----------
    in_length, out_length : int
        Number of input and output samples.
    scale : float
        Output/input size ratio used for the coordinate map (MATLAB's scale).
    method : str
        One of ``"nearest"``, ``"bilinear"``, ``"bicubic"``, ``"lanczos2"``,
        ``"lanczos3"``.
    antialias : bool or None
        Stretch the kernel by ``1/scale`` when downscaling. ``None`` uses
        MATLAB's default (on, except for nearest).

    Returns
    -------
    weights : ndarray, float64, shape (out_length, P)
        Rows sum to 1.
    indices : ndarray, int, shape (out_length, P)
        0-based input indices, mirrored at the borders (edge pixel repeated).
    """
    kernel, width, default_aa = _MATLAB_KERNELS[method]
    if antialias is None:
        antialias = default_aa
    if scale < 1 and antialias:
        base = kernel
        kernel = lambda x: scale * base(scale * x)  # noqa: E731
        width = width / scale
    x = np.arange(1, out_length + 1, dtype=np.float64)
    u = x / scale + 0.5 * (1 - 1 / scale)  # 1-based source coordinate
    left = np.floor(u - width / 2)
    taps = int(math.ceil(width)) + 2
    idx = left[:, None] + np.arange(taps)[None, :]  # 1-based
    weights = kernel(u[:, None] - idx)
    weights = weights / weights.sum(axis=1, keepdims=True)
    # symmetric padding: ..., 2, 1, [1, 2, ..., n], n, n-1, ...
    mirror = np.concatenate([np.arange(in_length), np.arange(in_length - 1, -1, -1)])
    idx = mirror[np.mod(idx.astype(np.int64) - 1, 2 * in_length)]
    keep = np.any(weights != 0, axis=0)
    return weights[:, keep], idx[:, keep]


def _resize_axis(array, axis, out_length, scale, method, antialias, uint8):
    """One separable pass of MATLAB's imresize along ``axis`` (0 or 1), in float64."""
    weights, idx = resize_weights(array.shape[axis], out_length, scale, method, antialias)
    src = np.moveaxis(array, axis, 0)
    out = np.zeros((out_length,) + src.shape[1:], dtype=np.float64)
    shape = (out_length,) + (1,) * (src.ndim - 1)
    for p in range(weights.shape[1]):
        out += weights[:, p].reshape(shape) * src[idx[:, p]]
    if uint8:  # MATLAB rounds half away from zero and saturates after every pass
        out = np.clip(np.sign(out) * np.floor(np.abs(out) + 0.5), 0, 255)
    return np.moveaxis(out, 0, axis)


def _output_shape(shape, scale, output_shape):
    if (scale is None) == (output_shape is None):
        raise ValueError("give exactly one of scale (e.g. 1/3 or 3) or output_shape (height, width)")
    if output_shape is not None:
        h, w = (int(v) for v in output_shape)
        if h < 1 or w < 1:
            raise ValueError(f"output_shape must be positive, got {output_shape}")
        return (h, w), (h / shape[0], w / shape[1])
    if (isinstance(scale, bool) or not isinstance(scale, numbers.Real) or not scale > 0
            or not np.isfinite(scale)):
        raise ValueError(f"scale must be a positive number (0.5 halves, 2 doubles), got {scale!r}")
    # ceil as MATLAB, tolerant of 1/3 being stored as 0.33333333333333331
    size = tuple(int(math.ceil(n * scale - 1e-9)) for n in shape[:2])
    if min(size) < 1:
        raise ValueError(f"scale {scale} turns a {shape[0]}×{shape[1]} image into nothing")
    return size, (float(scale), float(scale))


def imresize(image, scale=None, output_shape=None, method: str = "bicubic",
             antialias: bool | None = None, clip: bool = True) -> np.ndarray:
    """Resize like MATLAB's ``imresize``; bicubic is bit-exact for uint8 input.

    Parameters
    ----------
    image : ndarray, H×W or H×W×C, uint8 or float in [0, 1]
    scale : float, optional
        Multiplier as in MATLAB: ``1/3`` downscales by 3, ``3`` upscales by 3.
        The output size is ``ceil(in * scale)``.
    output_shape : (int, int), optional
        ``(height, width)`` of the result, instead of ``scale``.
    method : str
        MATLAB kernels: ``"bicubic"`` (cubic, a = -0.5), ``"bilinear"``,
        ``"nearest"``, ``"lanczos2"``, ``"lanczos3"``; these antialias when
        downscaling (not nearest), as MATLAB does. OpenCV: ``"area"`` and
        ``"cv2_nearest"``, ``"cv2_linear"``, ``"cv2_cubic"`` (a = -0.75, no
        antialiasing), ``"cv2_area"``, ``"cv2_lanczos4"``.
    antialias : bool or None
        Override MATLAB's antialiasing default (MATLAB kernels only).
    clip : bool
        Clip float results to [0, 1] (cubic and Lanczos kernels overshoot).

    Returns
    -------
    ndarray
        uint8 if the input is uint8 (rounded after each pass, like MATLAB),
        else float32. As in MATLAB, the axis with the smaller scale is resized
        first (rows first when the scales are equal).

    Examples
    --------
    >>> lr = imresize(modcrop(hr, 3), 1 / 3)          # the papers' LR image
    >>> up = imresize(lr, output_shape=hr.shape[:2])  # bicubic baseline
    """
    image = check_image(image)
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    (out_h, out_w), (scale_h, scale_w) = _output_shape(image.shape, scale, output_shape)
    uint8 = image.dtype == np.uint8
    if method in _CV2_METHODS:
        src = image if uint8 else image.astype(np.float32)
        out = cv2.resize(src, (out_w, out_h), interpolation=_CV2_METHODS[method])
        if image.ndim == 3 and out.ndim == 2:  # OpenCV drops a single channel
            out = out[..., None]
    else:
        out = image.astype(np.float64)
        # MATLAB resizes the axis with the smaller scale first; rows first on a tie
        passes = sorted([(scale_h, 0, out_h), (scale_w, 1, out_w)], key=lambda p: p[0])
        for axis_scale, axis, length in passes:
            out = _resize_axis(out, axis, length, axis_scale, method, antialias, uint8)
    if uint8:
        return out.astype(np.uint8)
    out = out.astype(np.float32)
    return np.clip(out, 0.0, 1.0) if clip else out


def modcrop(image, scale) -> np.ndarray:
    """Crop the bottom and right so that height and width are multiples of ``scale``.

    ``hr[:h - h % s, :w - w % s]``, as in the SRCNN code. ``image`` is float in
    [0, 1] or uint8, H×W or H×W×C; the result is a view of the same dtype.

    Raises
    ------
    ValueError
        If ``scale`` is not an integer ≥ 2 or the image is smaller than ``scale``.
    """
    scale = check_scale(scale)
    image = check_image(image)
    h, w = image.shape[:2]
    if h < scale or w < scale:
        raise ValueError(f"image of size {h}×{w} is smaller than the scale {scale}")
    return image[: h - h % scale, : w - w % scale]


def make_lr(hr, scale, *, upsample: bool = False, quantize: bool = True):
    """Make the literature's LR image for ``scale``: modcrop, then MATLAB bicubic down.

    Parameters
    ----------
    hr : ndarray, H×W[×C], float in [0, 1] or uint8
        The high-resolution ground truth.
    scale : int
        Integer factor ≥ 2.
    upsample : bool
        Also upscale the LR back to the HR size with MATLAB bicubic, as the
        input of pre-upsampling models (SRCNN) and the bicubic baseline.
    quantize : bool
        Round the LR (and the upsampled image) to 8 bits, as a stored LR PNG
        is. This is what makes the pixels equal to MATLAB's.

    Returns
    -------
    lr : ndarray, float32 in [0, 1]
        ``(H // s) × (W // s)``, or ``H' × W'`` (the cropped HR size) if ``upsample``.
    hr : ndarray, float32 in [0, 1]
        The modcropped HR, aligned with ``lr``; compare against this one.
    """
    hr = modcrop(hr, scale)
    src = to_uint8(hr) if quantize else to_float(hr)
    lr = imresize(src, 1 / scale)
    if upsample:
        return upscale(lr, hr.shape[:2], quantize=quantize), to_float(hr)
    return to_float(lr), to_float(hr)


def upscale(lr, output_shape, method: str = "bicubic", *, quantize: bool = True) -> np.ndarray:
    """Interpolate ``lr`` to ``output_shape`` (height, width): the classic baselines.

    Parameters
    ----------
    lr : ndarray, h×w[×C], float in [0, 1] or uint8
    output_shape : (int, int)
        Target height and width, usually ``hr.shape[:2]``.
    method : str
        Any :data:`METHODS` name (``"bicubic"`` is MATLAB's).
    quantize : bool
        Compute on 8-bit values and round the result to 8 bits, as MATLAB
        does for uint8 images and as a saved result would be.

    Returns
    -------
    ndarray, float32 in [0, 1], ``output_shape`` (+ channels)
    """
    lr = check_image(lr)
    src = to_uint8(lr) if quantize else to_float(lr)
    return to_float(imresize(src, output_shape=output_shape, method=method))


# ---------------------------------------------------------------------------
# Blur, noise, compression
# ---------------------------------------------------------------------------


def gaussian_kernel(sigma: float, size: int | None = None) -> np.ndarray:
    """2-D Gaussian kernel (float64, sums to 1), size ``2·ceil(3σ)+1`` by default."""
    if not sigma > 0:
        raise ValueError(f"sigma must be > 0, got {sigma!r}")
    size = _odd_size(size if size is not None else 2 * math.ceil(3 * sigma) + 1)
    r = np.arange(size) - size // 2
    g = np.exp(-(r**2) / (2 * sigma**2))
    k = np.outer(g, g)
    return k / k.sum()


def box_kernel(size: int) -> np.ndarray:
    """Averaging kernel of ``size × size`` ones / size² (OpenCV's ``blur``)."""
    size = _odd_size(size)
    return np.full((size, size), 1.0 / size**2)


def motion_kernel(length: int, angle: float = 0.0) -> np.ndarray:
    """Linear motion-blur kernel: a line of ``length`` pixels at ``angle`` degrees.

    Angle 0 is horizontal motion; positive angles turn counter-clockwise. The
    kernel is a ``length × length`` float64 array summing to 1.
    """
    length = _odd_size(length)
    k = np.zeros((length, length))
    c = length // 2
    t = np.linspace(-c, c, 4 * length)
    rad = math.radians(angle)
    rows = np.rint(c - t * math.sin(rad)).astype(int)
    cols = np.rint(c + t * math.cos(rad)).astype(int)
    k[rows, cols] = 1.0
    return k / k.sum()


def _keep_alpha(image: np.ndarray, degrade_rgb) -> np.ndarray:
    """``degrade_rgb`` applied to the colour of a float32 image; a 4th (alpha) channel is kept.

    Gray and RGB images go straight through, so their results are those of
    ``degrade_rgb`` itself.
    """
    if image.ndim == 3 and image.shape[2] == 4:
        rgb = degrade_rgb(np.ascontiguousarray(image[..., :3]))
        return np.concatenate([rgb, image[..., 3:].astype(rgb.dtype)], axis=2)
    return degrade_rgb(image)


def convolve(image, kernel) -> np.ndarray:
    """Convolve each channel with ``kernel`` (true convolution, symmetric borders).

    Parameters
    ----------
    image : ndarray, H×W[×C], float in [0, 1] or uint8
    kernel : ndarray, 2-D, odd sizes, usually summing to 1

    Returns
    -------
    ndarray, float32 in [0, 1], same shape as ``image`` (alpha of an RGBA image unchanged)
    """
    image = to_float(check_image(image))
    kernel = np.asarray(kernel, dtype=np.float64)
    if kernel.ndim != 2 or kernel.shape[0] % 2 == 0 or kernel.shape[1] % 2 == 0:
        raise ValueError(f"kernel must be a 2-D array with odd sizes, got shape {kernel.shape}")
    flipped = np.ascontiguousarray(kernel[::-1, ::-1]).astype(np.float32)  # filter2D correlates

    def blur(x):
        out = cv2.filter2D(x, -1, flipped, borderType=cv2.BORDER_REFLECT)
        return np.clip(out.reshape(x.shape), 0.0, 1.0)

    return _keep_alpha(image, blur)


def gaussian_blur(image, sigma: float, size: int | None = None) -> np.ndarray:
    """Gaussian blur with standard deviation ``sigma`` pixels (see :func:`gaussian_kernel`)."""
    return convolve(image, gaussian_kernel(sigma, size))


def box_blur(image, size: int) -> np.ndarray:
    """Average (box) blur over ``size × size`` pixels."""
    return convolve(image, box_kernel(size))


def motion_blur(image, length: int, angle: float = 0.0) -> np.ndarray:
    """Linear motion blur over ``length`` pixels at ``angle`` degrees."""
    return convolve(image, motion_kernel(length, angle))


def median_blur(image, size: int) -> np.ndarray:
    """Median filter over ``size × size`` pixels, per channel, on float data.

    Computed in float (no uint8 round trip), so it never mixes value ranges.
    Nonlinear: it has no kernel and cannot be undone by deconvolution.
    """
    image = to_float(check_image(image))
    size = _odd_size(size)
    footprint = (size, size) + (1,) * (image.ndim - 2)
    return _keep_alpha(image, lambda x: ndimage.median_filter(x, size=footprint, mode="reflect"))


def bilateral_blur(image, diameter: int = 9, sigma_color: float = 0.1,
                   sigma_space: float = 3.0) -> np.ndarray:
    """Edge-preserving bilateral filter (OpenCV), on float data.

    ``sigma_color`` is in image units ([0, 1] scale: 0.1 ≈ 25 grey levels),
    ``sigma_space`` in pixels. Nonlinear: smooths flat areas, keeps edges.
    """
    image = to_float(check_image(image))
    if not (sigma_color > 0 and sigma_space > 0):
        raise ValueError("sigma_color and sigma_space must be > 0")

    def bilateral(x):  # OpenCV takes 1 or 3 channels: alpha is kept aside
        out = cv2.bilateralFilter(x, int(diameter), float(sigma_color), float(sigma_space))
        return np.clip(out.reshape(x.shape), 0.0, 1.0)

    return _keep_alpha(image, bilateral)


def add_gaussian_noise(image, sigma: float, seed=None) -> np.ndarray:
    """Add white Gaussian noise of standard deviation ``sigma`` ([0, 1] units), then clip.

    ``sigma = 25 / 255`` is the papers' "σ = 25". ``seed`` (int or
    ``numpy.random.Generator``) makes the noise reproducible.
    """
    image = to_float(check_image(image))
    if not sigma >= 0:
        raise ValueError(f"sigma must be ≥ 0, got {sigma!r}")
    rng = np.random.default_rng(seed)

    def noise(x):
        return np.clip(x + rng.normal(0.0, sigma, x.shape).astype(np.float32), 0.0, 1.0)

    return _keep_alpha(image, noise)


def jpeg_compress(image, quality: int = 75) -> np.ndarray:
    """Encode as JPEG at ``quality`` (1–100) and decode again; float32 out.

    JPEG stores gray or RGB: the colour of an RGBA image is compressed and its
    alpha returned unchanged (rounded to 8 bits, as the colour is).
    """
    image = check_image(image)
    if not 1 <= int(quality) <= 100:
        raise ValueError(f"quality must be in 1..100, got {quality!r}")

    def compress(u8):
        color = u8.ndim == 3 and u8.shape[2] == 3
        ok, buf = cv2.imencode(".jpg", cv2.cvtColor(u8, cv2.COLOR_RGB2BGR) if color else u8,
                               [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
        if not ok:  # pragma: no cover - OpenCV failure
            raise RuntimeError("OpenCV could not encode the image as JPEG")
        out = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
        if color:
            out = cv2.cvtColor(out, cv2.COLOR_BGR2RGB)
        return out.reshape(u8.shape)

    return to_float(_keep_alpha(to_uint8(image), compress))


def compose(*steps):
    """Chain degradations left to right: ``compose(f, g)(x) == g(f(x))``.

    Use :func:`functools.partial` to fix arguments, e.g.
    ``compose(partial(gaussian_blur, sigma=1.6), partial(add_gaussian_noise, sigma=0.01, seed=0))``.
    """
    if not steps or not all(callable(s) for s in steps):
        raise ValueError("compose needs one or more callables image -> image")
    return lambda image: reduce(lambda acc, step: step(acc), steps, image)


def _odd_size(size) -> int:
    size = int(size)
    if size < 1 or size % 2 == 0:
        raise ValueError(f"kernel size must be an odd integer ≥ 1, got {size}")
    return size
