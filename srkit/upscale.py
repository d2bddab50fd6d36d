"""Upscale a whole photo with a course model, strip by strip, in bounded memory.

:func:`srkit.evaluate.keras_method` shows how a model is applied to an image: MATLAB
bicubic up, Y of the result for a 1-channel model, the model on it through
:func:`srkit.tiles.predict_image`, the colour put back with
:func:`srkit.color.replace_luma`. On a 4000×3000 photo at ×3 every one of those
steps holds a 12000×9000 float64 image (2.6 GB for the bicubic RGB alone).
:func:`upscale_image` computes the same result one horizontal strip at a time:

- the strips are the rows of windows that :func:`srkit.tiles.predict_image` would cut
  from the model's (mirror-padded) input, so every window the model sees holds the
  values it would see in the whole-image call, and the result is the same (up to the
  float32 rounding of the bicubic and colour steps, see :func:`upscale_image`);
- each strip's model input is made from the few low-resolution rows it needs
  (:func:`bicubic_upscale` with ``rows=``), then the strip's output rows are
  coloured, rounded and written into the result.

Memory is bounded by one strip (about ``tile`` rows of the output width) plus the
result array, whatever the image size.

>>> from srkit import io, pretrained, upscale
>>> model, record = pretrained.load("srcnn_x3"), pretrained.info("srcnn_x3")  # doctest: +SKIP
>>> lr = io.load_image("photo.png")                                          # doctest: +SKIP
>>> sr = upscale.upscale_image(model, lr, 3, upsample=record["upsample"])    # doctest: +SKIP
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np

from srkit import degrade
from srkit._validate import check_image, check_scale
from srkit.color import _MATRIX
from srkit.metrics import _Y_OFFSET, _Y_WEIGHTS

# BT.601 luma as a 1×4 matrix for cv2.transform: Y = w·(R, G, B) + offset
_LUMA = np.array([[*_Y_WEIGHTS, _Y_OFFSET]], np.float32)
# Replacing the luma Y of an RGB pixel by y' while keeping its Cb and Cr (what
# color.replace_luma does) adds (y' - Y) times the Y column of the inverse BT.601
# matrix to R, G and B; that column is 255/219 (studio range) for all three. One
# multiply-add instead of a colour conversion there and back.
_Y_GAIN = np.float32(np.linalg.inv(_MATRIX)[:, 0].mean())


def bicubic_phases(scale: int) -> np.ndarray:
    """MATLAB's bicubic weights for an integer upscaling, one 5-tap kernel per output phase.

    Upscaling by an integer ``s``, output pixel ``i = q·s + p`` lies at input position
    ``q + (p + 0.5)/s - 0.5`` and is a weighted sum of input pixels ``q - 2 … q + 2``;
    the weights depend on the phase ``p`` only. They are read from
    :func:`srkit.degrade.resize_weights` (MATLAB's ``imresize`` weights) at an output
    pixel away from the borders.

    Returns
    -------
    ndarray, float64, ``scale × 5``
        Row ``p``: the weights of input offsets ``-2 … 2`` (rows sum to 1).
    """
    s = check_scale(scale)
    n = 8
    weights, indices = degrade.resize_weights(n, n * s, s, "bicubic")
    kernels = np.zeros((s, 5))
    for p in range(s):
        i = (n // 2) * s + p
        used = weights[i] != 0
        kernels[p, indices[i][used] - n // 2 + 2] = weights[i][used]
    return kernels


def _upscale_axis(array: np.ndarray, s: int, axis: int) -> np.ndarray:
    """One bicubic pass: every phase is a 5-tap filter, the phases interleave along ``axis``.

    ``cv2.BORDER_REFLECT`` repeats the edge pixel (``cba|abc``), as MATLAB's symmetric
    padding does.
    """
    shape = list(array.shape)
    shape[axis] *= s
    out = np.empty(shape, np.float32)
    for p, kernel in enumerate(bicubic_phases(s)):
        kernel = kernel.astype(np.float32).reshape((5, 1) if axis == 0 else (1, 5))
        phase = cv2.filter2D(array, -1, kernel, borderType=cv2.BORDER_REFLECT)
        if axis == 0:
            out[p::s] = phase.reshape(out[p::s].shape)
        else:
            out[:, p::s] = phase.reshape(out[:, p::s].shape)
    return out


def _check_lr(image) -> np.ndarray:
    """The LR image checked once: H×W×3 or H×W, float in [0, 1], uint8 or uint16."""
    lr = np.asarray(image)
    if lr.ndim == 3 and lr.shape[2] == 1:
        lr = lr[..., 0]
    if lr.ndim not in (2, 3) or (lr.ndim == 3 and lr.shape[2] != 3):
        raise ValueError(f"image must be H×W×3 (RGB) or H×W (gray), got shape {lr.shape}")
    return lr if lr.dtype == np.uint16 else check_image(lr)


def _as_float32(rows: np.ndarray) -> np.ndarray:
    """Image rows as float32 in [0, 1]; integers divided by 255 or 65535 in float32, as
    :func:`srkit.io.load_image` divides the values of 8- and 16-bit files."""
    if rows.dtype in (np.uint8, np.uint16):
        return rows.astype(np.float32) / np.float32(np.iinfo(rows.dtype).max)
    return np.asarray(rows, dtype=np.float32)


def _bicubic_rows(lr: np.ndarray, s: int, r0: int, r1: int) -> np.ndarray:
    """Rows ``[r0, r1)`` of the bicubic ×s upscale of a checked image (see bicubic_upscale)."""
    lo, hi = max(0, r0 // s - 2), min(lr.shape[0], (r1 - 1) // s + 3)
    x = np.ascontiguousarray(_as_float32(lr[lo:hi]))
    tall = _upscale_axis(x, s, axis=0)[r0 - lo * s:r1 - lo * s]  # rows first, as MATLAB
    return _upscale_axis(np.ascontiguousarray(tall), s, axis=1)


def bicubic_upscale(image, scale: int, *, rows: tuple[int, int] | None = None) -> np.ndarray:
    """MATLAB's bicubic ``imresize(image, scale)`` for an integer scale, fast and unclipped.

    The same weights as :func:`srkit.degrade.imresize` for floating-point images (and
    the ``bicubic`` method of :mod:`srkit.evaluate`), applied as one small filter per
    output phase (:func:`bicubic_phases`, ``cv2.filter2D``) in float32: about ten times
    faster than the general resizer (in float64), equal to it within 3e-7.

    Parameters
    ----------
    image : ndarray, H×W or H×W×3
        The low-resolution image: float in [0, 1], or uint8 / uint16 (divided by 255 /
        65535, as :func:`srkit.io.load_image` reads 8- and 16-bit files).
    scale : int
        Integer factor ≥ 2.
    rows : (int, int), optional
        Only output rows ``[r0, r1)`` of the ``(s·H)×(s·W)`` result, computed from the
        input rows they need (``r0 // s - 2`` to ``(r1 - 1) // s + 2``): a strip of a
        large image without upscaling the rest.

    Returns
    -------
    ndarray, float32, ``(r1 - r0) × (s·W)`` (+ channels)
        Not clipped: bicubic overshoots [0, 1] a little near strong edges, as MATLAB's
        does for floating-point images.

    Raises
    ------
    ValueError
        For an image of another shape, float values outside [0, 1], a scale that is not
        an integer ≥ 2, or rows outside the result.
    """
    lr = _check_lr(image)
    s = check_scale(scale)
    h = lr.shape[0]
    r0, r1 = (0, h * s) if rows is None else (int(rows[0]), int(rows[1]))
    if not 0 <= r0 < r1 <= h * s:
        raise ValueError(f"rows must satisfy 0 <= r0 < r1 <= {h * s} (the upscaled height), "
                         f"got {rows}")
    return _bicubic_rows(lr, s, r0, r1)


def _mirror(index: np.ndarray, length: int) -> np.ndarray:
    """Indices into ``[0, length)`` of ``np.pad(mode="symmetric")`` positions (``cba|abc|cba``)."""
    index = np.mod(index, 2 * length)
    return np.where(index < length, index, 2 * length - 1 - index)


def _luma(rgb: np.ndarray) -> np.ndarray:
    """BT.601 Y (studio range, [0, 1] units) of an H×W×3 float32 image, as
    :func:`srkit.metrics.rgb_to_y`: float32 H×W."""
    return cv2.transform(np.ascontiguousarray(rgb, dtype=np.float32), _LUMA)


class _Source:
    """The model's input rows and the output rows' colour, made from the LR image.

    ``upsample``: the model's input is the clipped bicubic upscale (its Y for a 1-channel
    model on a colour image); otherwise the LR image itself (or its Y). A gray image
    goes to a 3-channel model as three equal channels.
    """

    def __init__(self, lr, scale, upsample, channels):
        self.lr, self.s, self.upsample, self.channels = lr, scale, upsample, channels
        self.colour = lr.ndim == 3

    def up(self, r0: int, r1: int) -> np.ndarray:
        """Rows ``[r0, r1)`` of the clipped bicubic upscale, float32."""
        rows = _bicubic_rows(self.lr, self.s, r0, r1)
        return np.clip(rows, 0.0, 1.0, out=rows)

    def model_input(self, r0: int, r1: int):
        """Rows ``[r0, r1)`` of the model's input (float32, 1 or 3 channels), and what the
        colour step can reuse: ``(r0, bicubic rows, their Y)`` (None when not made)."""
        up = luma = None
        x = self.up(r0, r1) if self.upsample else _as_float32(self.lr[r0:r1])
        if self.upsample:
            up = x
        if self.colour and self.channels == 1:
            x = luma = _luma(x)
        if x.ndim == 2:
            x = x[..., None]
        if x.shape[2] != self.channels:
            x = np.repeat(x, 3, axis=2)
        return x, (r0, up, luma if self.upsample else None)

    def result(self, y: np.ndarray, r0: int, r1: int, made=None) -> np.ndarray:
        """Output rows ``[r0, r1)`` from the model's clipped output ``y`` for them.

        ``made``: what :meth:`model_input` returned beside the input, reused for the colour
        when it covers ``[r0, r1)``.
        """
        if self.channels == 3:
            return y if self.colour else y.mean(axis=-1)  # gray: the channels averaged
        if not self.colour:
            return y[..., 0]
        first, up, luma = made if made is not None else (0, None, None)
        if up is None or luma is None:
            first, up = r0, self.up(r0, r1)
            luma = _luma(up)
        up, luma = up[r0 - first:r1 - first], luma[r0 - first:r1 - first]
        # a 1-channel model restored Y: Cb and Cr stay those of the bicubic upscale
        gain = (y[..., 0] - luma) * _Y_GAIN
        rgb = np.add(up, gain[..., None], out=up)  # the bicubic rows are not needed after this
        return np.clip(rgb, 0.0, 1.0, out=rgb)


def _store(out: np.ndarray, r0: int, rows: np.ndarray) -> None:
    """Write float32 rows in [0, 1] into ``out``, rounded to its integer steps if it has
    any (to nearest, as :func:`srkit.io.save_image`)."""
    if out.dtype == np.uint8:
        rows = cv2.convertScaleAbs(rows, alpha=255.0)  # x·255 rounded, in one pass
    elif out.dtype == np.uint16:
        rows = np.rint(rows * np.float32(65535.0)).astype(np.uint16)
    target = out[r0:r0 + rows.shape[0]]
    behind = target[..., ::-1] if target.ndim == 3 else None
    if behind is not None and target.strides[2] < 0 and behind.flags.c_contiguous \
            and rows.dtype != np.float32:
        # ``out`` is bgr[..., ::-1]: OpenCV writes the swapped channels straight into bgr
        cv2.cvtColor(rows, cv2.COLOR_RGB2BGR, dst=behind)
    else:
        target[...] = rows.reshape(target.shape)


def upscale_image(model, image, scale: int, *, upsample: bool = True, tile: int = 256,
                  multiple: int | None = None, radius: int | None = None, batch_size: int = 4,
                  out: np.ndarray | None = None, progress=None,
                  timings: dict | None = None) -> np.ndarray:
    """Super-resolve a whole image with a fully convolutional model, strip by strip.

    The result is that of ``srkit.evaluate.keras_method(model, upsample=upsample,
    tile=tile, multiple=multiple)(image, scale)`` (and so of
    :func:`srkit.pretrained.method` for a reference model): the model sees the same
    windows, only the bicubic and colour steps run in float32 instead of float64 (for
    speed and memory), so the two agree within about 1e-6: rounded to 8 bits, about 2 in
    100,000 values differ, by one step (to 16 bits, a few in 1,000). Memory is bounded
    by ``tile`` rows of the output width instead of several copies of the whole output:

    - 1-channel models work on BT.601 Y (:func:`srkit.metrics.rgb_to_y`): of the
      clipped bicubic upscale when ``upsample``, else of the LR image; the result takes
      its Cb and Cr from the bicubic upscale (:func:`srkit.color.replace_luma`). On a
      gray image they work on its values and the result is gray.
    - 3-channel models get the clipped bicubic upscale (``upsample``) or the LR image;
      a gray image is given as three equal channels and the output averaged back to one.

    Parameters
    ----------
    model : keras.Model
        Fully convolutional, input ``B×h×w×C`` with C = 1 or 3, output of the same
        channels: the size of its input (``upsample=True``) or ``scale`` times it.
    image : ndarray, H×W×3 (RGB) or H×W (gray)
        The low-resolution image: float in [0, 1], as :func:`srkit.io.load_image`
        returns it, or uint8 / uint16 (divided by 255 / 65535 as that function divides
        the values of 8- and 16-bit files; a quarter or half of the memory).
    scale : int
        Integer factor ≥ 2; the result is ``(scale·H)×(scale·W)``.
    upsample : bool
        True: the model takes the bicubic-upscaled image (SRCNN, the autoencoder).
        False: it takes the LR image and upscales it by ``scale`` itself (SRResNet).
    tile : int
        Window side in the model's input pixels, as in :func:`srkit.tiles.predict_image`
        (memory for the activations grows with ``tile²``); also the height of a strip.
    multiple : int, optional
        The model's total stride (4 for the autoencoder); measured when None
        (:func:`srkit.tiles.total_stride`).
    radius : int, optional
        Receptive radius in input pixels; measured when None
        (:func:`srkit.tiles.receptive_radius`).
    batch_size : int
        Windows per model call.
    out : ndarray, optional
        Where to write the result: ``(scale·H)×(scale·W)×3`` for a colour image,
        ``(scale·H)×(scale·W)`` for a gray one; uint8 (values rounded to 255 steps),
        uint16 (65535 steps) or float32 (not rounded). It may be a view, e.g.
        ``bgr[..., ::-1]`` to fill an array in OpenCV's channel order.
        None: a new float32 array.
    progress : callable, optional
        Called as ``progress(done, total)`` after each strip.
    timings : dict, optional
        Seconds spent are added under ``"input"`` (bicubic, Y, padding), ``"model"``
        and ``"output"`` (colour, rounding, storing).

    Returns
    -------
    ndarray
        ``out``, filled; values in [0, 1] for float32.

    Raises
    ------
    ValueError
        If the image is not H×W×3 or H×W (float in [0, 1], uint8 or uint16), the model's
        channels are not 1 or 3, its output size does not fit ``upsample`` and ``scale``,
        or ``out`` has the wrong shape or dtype.
    """
    from srkit import tiles

    lr = _check_lr(image)
    s = check_scale(scale)
    channels = int(model.input_shape[-1])
    if channels not in (1, 3):
        raise ValueError(f"the model takes {channels}-channel input; upscale_image runs models "
                         "on Y (1 channel) or RGB (3 channels)")
    factor = tiles._output_scale(model, channels)
    if factor != (1 if upsample else s):
        raise ValueError(
            f"the model's output is {factor}× its input, so it "
            + ("takes the bicubic-upscaled image: pass upsample=True" if factor == 1 else
               f"upscales by {factor} itself: pass upsample=False and scale={factor}"))
    h, w = lr.shape[:2]
    shape = (h * s, w * s) + lr.shape[2:]
    if out is None:
        out = np.empty(shape, np.float32)
    elif out.shape != shape or out.dtype not in (np.uint8, np.uint16, np.float32):
        raise ValueError(f"out must be a uint8, uint16 or float32 array of shape {shape}, "
                         f"got {out.dtype} {out.shape}")
    if radius is None:
        radius = tiles.receptive_radius(model, channels)
    if multiple is None:
        multiple = tiles.total_stride(model, channels, radius=radius)
    timings = {} if timings is None else timings
    for key in ("input", "model", "output"):
        timings.setdefault(key, 0.0)

    # The model's input X (the upscaled image, or the LR one), padded and cut into rows
    # of windows exactly as tiles.predict_image pads and tiles it.
    xh, xw = (h * s, w * s) if upsample else (h, w)
    f = 1 if upsample else s  # output pixels per input pixel
    pad = -(-int(radius) // multiple) * multiple
    ph = xh + 2 * pad + (-(xh + 2 * pad)) % multiple
    pw = xw + 2 * pad + (-(xw + 2 * pad)) % multiple
    window = max(int(tile), 2 * pad + 2 * multiple)
    window -= window % multiple
    strip_h = min(window, ph)
    # (start, keep_from, keep_to) in padded rows, as predict_tiled places its windows
    strips = tiles._windows(ph, strip_h, pad, multiple)
    columns = _mirror(np.arange(pw) - pad, xw)
    source = _Source(lr, s, upsample, channels)

    def prepare(strip):  # the strip's model input: the padded rows of X it covers
        t0 = time.perf_counter()
        start = strip[0]
        rows = _mirror(np.arange(start, start + strip_h) - pad, xh)
        lo, hi = int(rows.min()), int(rows.max()) + 1
        x, made = source.model_input(lo, hi)
        x = x[rows - lo][:, columns]
        timings["input"] += time.perf_counter() - t0
        return x, made

    def finish(strip, y, made):  # the kept rows inside the image: colour, round, store
        t0 = time.perf_counter()
        start, keep_from, keep_to = strip
        a, b = max(keep_from, pad), min(keep_to, pad + xh)
        if a < b:
            y = np.clip(y[(a - start) * f:(b - start) * f, pad * f:(pad + xw) * f], 0.0, 1.0)
            r0, r1 = (a - pad) * f, (b - pad) * f
            _store(out, r0, source.result(y, r0, r1, made))
        timings["output"] += time.perf_counter() - t0

    # A worker thread prepares the next strip and finishes the last one while the model
    # runs on this one (NumPy and OpenCV release the GIL); one worker keeps them in order.
    with ThreadPoolExecutor(max_workers=1) as worker:
        next_input, finishing = worker.submit(prepare, strips[0]), None
        for done, strip in enumerate(strips, 1):
            x, made = next_input.result()
            if done < len(strips):
                next_input = worker.submit(prepare, strips[done])
            t0 = time.perf_counter()
            y = tiles.predict_tiled(model, x, tile=window, overlap=radius,
                                    batch_size=batch_size, multiple=multiple)
            timings["model"] += time.perf_counter() - t0
            if finishing is not None:
                finishing.result()  # raises here if finishing the last strip failed
            finishing = worker.submit(finish, strip, y, made)
            if progress is not None:
                progress(done, len(strips))
        finishing.result()
    return out
