"""Tiled inference: run a fully convolutional model on an image of any size.

A whole 4000×3000 photo through SRCNN needs several GiB for the activations
(64 feature maps of 12 M pixels each, float32). Cutting the image into
overlapping tiles bounds that memory by the tile size, and — if the overlap
is at least the model's *receptive radius* — gives the same output as the
whole image, because every kept output pixel sees exactly the input pixels
it would have seen anyway.

How it works (one axis; the other is the same)::

    image   |--------------------------------------------|
    windows |=========|                                     fixed size T, step T - 2·r
                 |=========|
                      |=========|   ...        |=========|  last one flush with the edge
    kept     |-------|  the window minus r pixels on every side that is not
                        the image border (those pixels saw the window's padding)

Functions
---------
- :func:`receptive_radius` — how far an output pixel looks, found by probing.
- :func:`total_stride` — the shift that moves the output along, found by probing
  (1 for SRCNN; 4 for a network with two 2× poolings).
- :func:`predict_tiled` — tiled prediction, identical to whole-image prediction.
- :func:`predict_whole` — the reference: the image in one call.
"""

from __future__ import annotations

import weakref

import numpy as np

_COMPILED = weakref.WeakKeyDictionary()  # model -> its traced inference function
_GRADIENTS = weakref.WeakKeyDictionary()  # model -> its traced probe gradient
_STRIDES = weakref.WeakKeyDictionary()  # model -> {(channels, radius, weights sum): stride}


def _output_scale(model, channels: int, probe: int = 16) -> int:
    """Integer size ratio output/input of ``model`` (1 for pre-upsampling models)."""
    out = model(np.zeros((1, probe, probe, channels), np.float32), training=False)
    ratio = out.shape[1] / probe
    if ratio != int(ratio) or ratio < 1 or out.shape[2] / probe != ratio:
        raise ValueError(f"model maps {probe}×{probe} to {tuple(out.shape[1:3])}: "
                         "tiled inference needs an integer up-scaling (or none)")
    return int(ratio)


def receptive_radius(model, channels: int | None = None, *, probe: int = 64, trials: int = 3,
                     seed: int = 0) -> int:
    """Radius in input pixels of the region one output pixel depends on.

    Found by probing: the gradient of one central output pixel with respect
    to random inputs is non-zero exactly on its receptive field. (SRCNN 9-1-5
    gives 4 + 0 + 2 = 6.) The probe grows until the field fits inside it.

    Parameters
    ----------
    model : keras.Model
        Fully convolutional, input ``B×H×W×C``.
    channels : int, optional
        Input channels; read from ``model.input_shape`` when None.
    probe : int
        Initial probe size in pixels.
    trials : int
        Random inputs whose fields are united (guards against ReLUs that
        happen to be off for one input).

    Returns
    -------
    int
        r ≥ 0 such that output pixel (i, j) depends only on input pixels
        within r of its position (measured on the input grid).

    Notes
    -----
    The probe measures the network as it is now. A residual network whose last
    layer starts at zero (output = input + 0 before training) reports only the
    radius of its skip path until it has been trained: measure a trained model,
    or pass the overlap explicitly.
    """
    import tensorflow as tf

    channels = channels or int(model.input_shape[-1])
    scale = _output_scale(model, channels)
    rng = np.random.default_rng(seed)
    centre_gradient = _centre_gradient(model, channels)
    while True:
        support = np.zeros((probe, probe), bool)
        for _ in range(trials):
            x = tf.constant(rng.uniform(0, 1, (1, probe, probe, channels)).astype(np.float32))
            grad = centre_gradient(x)
            support |= np.any(np.abs(grad[0].numpy()) > 0, axis=-1)
        rows, cols = np.nonzero(support)
        if rows.size == 0:
            return 0
        c = probe // 2
        radius = int(max(abs(rows - c).max(), abs(cols - c).max()))
        if radius < probe // 2 - 1 or probe >= 2048:
            return radius
        probe *= 2


def _centre_gradient(model, channels: int):
    """Traced gradient of the centre output pixel w.r.t. the input, one trace per model.

    Traced, not eager: eager gradients of some layers make oneDNN print a fallback
    notice on stderr. One signature for all probe sizes, so probing several images
    or growing probes does not retrace.
    """
    import tensorflow as tf

    cache = _GRADIENTS.setdefault(model, {})
    if channels not in cache:
        spec = tf.TensorSpec([1, None, None, channels], tf.float32)

        def centre_gradient(x):
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = model(x, training=False)
                value = tf.reduce_sum(y[0, tf.shape(y)[1] // 2, tf.shape(y)[2] // 2, :])
            return tape.gradient(value, x)

        cache[channels] = tf.function(centre_gradient, input_signature=[spec])
    return cache[channels]


def total_stride(model, channels: int | None = None, *, radius: int | None = None,
                 max_stride: int = 32, seed: int = 0) -> int:
    """Total stride of ``model``: the smallest input shift that shifts its output along.

    A network without downsampling is shift-equivariant: move the input by one
    pixel and the output moves by one pixel (times its upscaling factor). A
    network with two 2× poolings is so only for shifts by multiples of 4: its
    pooling grid is anchored at the window's corner, so a tile starting at
    another offset gives other values. Tiles must then start at multiples of
    that stride, or the mosaic has seams. Found by probing: the output for a
    random input is compared with the output for the same input shifted by
    1, 2, … pixels, away from the borders.

    Parameters
    ----------
    model : keras.Model
        Fully convolutional, input ``B×H×W×C``.
    channels : int, optional
        Input channels; read from ``model.input_shape`` when None.
    radius : int, optional
        Receptive radius (:func:`receptive_radius`, measured when None): the
        comparison keeps away from the borders by more than that.
    max_stride : int
        Largest stride tried.

    Returns
    -------
    int
        s ≥ 1; 1 for models without downsampling (SRCNN, SRResNet).

    Raises
    ------
    ValueError
        If no shift up to ``max_stride`` reproduces the output (global pooling,
        position-dependent layers): such a model cannot be run tile by tile.
    """
    import tensorflow as tf

    channels = channels or int(model.input_shape[-1])
    if radius is None:
        radius = receptive_radius(model, channels)
    weights_sum = float(sum(np.sum(np.asarray(w, np.float64)) for w in model.get_weights()))
    key = (channels, int(radius), int(max_stride), weights_sum)
    cache = _STRIDES.setdefault(model, {})
    if key in cache:  # the same weights: the same answer
        return cache[key]
    scale = _output_scale(model, channels)
    margin = int(radius) + int(max_stride)
    n = -(-(2 * margin + 64) // max_stride) * max_stride
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, (n + max_stride, n + max_stride, channels)).astype(np.float32)
    call = _infer_function(model, channels)  # a probe, not a tile
    base = call(tf.constant(x[None, :n, :n])).numpy()[0]
    tolerance = 1e-5 * max(1.0, float(np.abs(base).max()))
    for shift in range(1, int(max_stride) + 1):
        moved = call(tf.constant(x[None, shift:shift + n, shift:shift + n])).numpy()[0]
        a = base[(shift + margin) * scale:(n - margin) * scale,
                 (shift + margin) * scale:(n - margin) * scale]
        b = moved[margin * scale:(n - margin - shift) * scale,
                  margin * scale:(n - margin - shift) * scale]
        if np.abs(a - b).max() <= tolerance:
            cache[key] = shift
            return shift
    raise ValueError(f"the output of {model.name!r} does not follow its input under any shift "
                     f"up to {max_stride} pixels (global pooling or position-dependent layers?): "
                     "tiles would not reproduce the whole-image output; use predict_whole")


_APPROXIMATE = weakref.WeakSet()  # models whose tiled output is accepted as approximate


def accept_approximate_tiles(model) -> None:
    """Accept that ``model`` run tile by tile only approximates its whole-image output.

    For models whose output depends a little on the whole image, such as RLFN's attention
    (:mod:`srkit.ports`: it pools the feature map and resizes it to the input's size), no
    overlap makes tiles exact, and :func:`total_stride` refuses them. After this call the
    tiling functions use stride 1 for ``model`` without probing; how close the result is
    has to be measured (``python -m srkit upscale`` uses it for the published models, whose
    records give the overlap; tests/test_ports.py measures the difference).
    """
    _APPROXIMATE.add(model)


def _check_multiple(model, channels: int, multiple, radius: int) -> int:
    """The tiling step: ``multiple`` checked against the model's total stride, or that stride."""
    if model in _APPROXIMATE:
        return 1 if multiple is None else int(multiple)
    stride = total_stride(model, channels, radius=radius)
    if multiple is None:
        return stride
    if isinstance(multiple, bool) or int(multiple) != multiple or int(multiple) < 1:
        raise ValueError(f"multiple must be an integer ≥ 1 (or None to detect it), got {multiple!r}")
    if int(multiple) % stride:
        raise ValueError(f"multiple={multiple} would leave seams: the model's total stride "
                         f"(pooling or strided layers) is {stride}, so tiles must start at "
                         f"multiples of {stride}. Pass multiple={stride} (or a multiple of it), or "
                         "leave multiple=None to use the measured stride")
    return int(multiple)


def _check_channels(model, channels: int) -> None:
    """Refuse an image whose channel count the model does not take, saying what differs."""
    try:
        shape = model.input_shape
    except (AttributeError, ValueError):  # a subclassed model not yet called: nothing to check
        return
    expected = shape[-1] if isinstance(shape, tuple) else None
    if expected is not None and int(expected) != channels:
        hint = {(4, 3): ": drop the alpha channel with image[..., :3]",
                (3, 1): ": give the luma (srkit.metrics.rgb_to_y) or one channel",
                (1, 3): ": give an RGB image H×W×3"}.get((channels, int(expected)), "")
        raise ValueError(f"the model takes {expected}-channel input, the image has {channels} "
                         f"channel(s){hint}")


def _as_hwc(image) -> tuple[np.ndarray, bool]:
    """float32 H×W×C view of ``image``, and whether it was 2-D (to squeeze the result).

    Refuses what would give a wrong result without an error: integer data
    (0–255 values fed to a network trained on [0, 1]), NaN/inf, and values
    outside [0, 1].
    """
    x = np.asarray(image)
    if x.dtype == bool or not np.issubdtype(x.dtype, np.floating):
        raise TypeError(f"image must be a float array in [0, 1], got dtype {x.dtype}"
                        + ("; use image / 255.0" if np.issubdtype(x.dtype, np.integer) else ""))
    x = x.astype(np.float32, copy=False)
    if x.size and not np.all(np.isfinite(x)):
        raise ValueError("image contains NaN or inf values")
    if x.size and (float(x.min()) < 0.0 or float(x.max()) > 1.0):
        raise ValueError(f"image has values in [{float(x.min()):.4g}, {float(x.max()):.4g}], "
                         "outside [0, 1], the range srkit's models are trained on: clip it "
                         "(np.clip(image, 0, 1)) or, for 0–255 data, divide by 255")
    if x.ndim == 2:
        return x[..., None], True
    if x.ndim != 3:
        raise ValueError(f"image must be H×W×C or H×W, got shape {x.shape}")
    return x, False


def _windows(length: int, window: int, halo: int, multiple: int) -> list[tuple[int, int, int]]:
    """Start of each window and the [keep_from, keep_to) part it owns, along one axis."""
    if window >= length:
        return [(0, 0, length)]
    step = window - 2 * halo
    step -= step % multiple
    if step < multiple:
        raise ValueError(f"tile {window} is too small for an overlap of {halo} pixels on each "
                         f"side; use a tile larger than {2 * halo + multiple}")
    starts = list(range(0, length - window, step)) + [length - window]
    if (length - window) % multiple:
        raise ValueError(f"image side {length} minus tile {window} must be a multiple of {multiple} "
                         "(the model's stride): crop or pad the image to a multiple of "
                         f"{multiple}, or use predict_image, which pads it")
    out, covered = [], 0
    for start in starts:
        keep_to = start + window - halo if start + window < length else length
        out.append((start, covered, keep_to))
        covered = keep_to
    return out


def predict_tiled(model, image, *, tile: int = 256, overlap: int | None = None,
                  batch_size: int = 4, multiple: int | None = None) -> np.ndarray:
    """Run ``model`` on ``image`` tile by tile; same result as one whole-image call.

    Parameters
    ----------
    model : keras.Model
        Fully convolutional: input ``B×h×w×C``, output ``B×(s·h)×(s·w)×C'``
        for an integer s ≥ 1 (found by a probe).
    image : ndarray, H×W×C or H×W (then C = 1), float in [0, 1]
        The model's input (e.g. the bicubic-upscaled Y channel for SRCNN).
    tile : int
        Window side in input pixels, overlap included. Memory for the
        activations grows with ``tile²``, not with the image.
    overlap : int, optional
        Pixels each window extends past the part it keeps. Must be at least
        the receptive radius for exact results; None measures it with
        :func:`receptive_radius`.
    batch_size : int
        Windows per model call.
    multiple : int, optional
        Window positions are multiples of it. None (default): the model's
        total stride, measured with :func:`total_stride` (1 for models that do
        not downsample, 4 after two 2× poolings). A value that is not a
        multiple of the measured stride is refused: it would leave seams.

    Returns
    -------
    ndarray, float32, (s·H)×(s·W)×C' (or ×1 squeezed to 2-D if the input was 2-D)
        Equal to whole-image inference up to float rounding (≈1e-6).

    Raises
    ------
    ValueError
        If the image's channels are not the model's, ``multiple`` does not fit
        the model's stride, the tile is too small for the overlap, or an image
        side is not compatible with the stride.
    """
    import tensorflow as tf

    x, squeeze = _as_hwc(image)
    h, w, c = x.shape
    _check_channels(model, c)
    scale = _output_scale(model, c)
    if overlap is None:
        overlap = receptive_radius(model, c)
    multiple = _check_multiple(model, c, multiple, overlap)
    # the halo is rounded up to the model's stride so kept regions stay aligned
    halo = -(-int(overlap) // multiple) * multiple
    th, tw = min(tile, h), min(tile, w)
    rows = _windows(h, th, halo, multiple)
    cols = _windows(w, tw, halo, multiple)

    call = _compiled(model, c)
    result = None
    jobs = [(r, q) for r in rows for q in cols]
    for first in range(0, len(jobs), max(1, int(batch_size))):
        chunk = jobs[first:first + batch_size]
        batch = np.stack([x[r[0]:r[0] + th, q[0]:q[0] + tw] for r, q in chunk])
        out = call(tf.constant(batch)).numpy()
        if result is None:
            result = np.empty((h * scale, w * scale, out.shape[-1]), np.float32)
        for k, (r, q) in enumerate(chunk):
            (r0, a0, a1), (q0, b0, b1) = r, q
            result[a0 * scale:a1 * scale, b0 * scale:b1 * scale] = \
                out[k, (a0 - r0) * scale:(a1 - r0) * scale, (b0 - q0) * scale:(b1 - q0) * scale]
    return result[..., 0] if squeeze and result.shape[-1] == 1 else result


def _compiled(model, channels: int):
    """``model(x, training=False)`` traced once for any batch and tile size (the tiles' call)."""
    return _infer_function(model, channels)


def _infer_function(model, channels: int):
    """The traced inference function of ``model``, shared by tiles and probes."""
    import tensorflow as tf

    key = (channels,)
    cache = _COMPILED.setdefault(model, {})
    if key not in cache:
        spec = tf.TensorSpec([None, None, None, channels], tf.float32)

        def infer(t):
            return model(t, training=False)

        cache[key] = tf.function(infer, input_signature=[spec])
    return cache[key]


def predict_whole(model, image) -> np.ndarray:
    """Run ``model`` on the whole ``image`` in one call (H×W×C or H×W float32)."""
    x = np.asarray(image, dtype=np.float32)
    squeeze = x.ndim == 2
    out = np.asarray(model(x[None, ..., None] if squeeze else x[None], training=False))[0]
    return out[..., 0] if squeeze and out.shape[-1] == 1 else out


def predict_image(model, image, *, tile: int = 256, multiple: int | None = None,
                  radius: int | None = None,
                  batch_size: int = 4, quantize: bool = True) -> np.ndarray:
    """Restore a whole image: mirror its borders, run the model tile by tile, crop, clip.

    The same step for every fully convolutional model of the course (SRCNN and the
    autoencoder on the bicubic-upscaled Y channel, SRResNet on the small RGB image,
    the deblurring network on gray images):

    1. pad the input by its mirror image (``np.pad(mode="symmetric")``) by ``radius``
       pixels, rounded up to ``multiple``, and to a multiple of ``multiple`` on each
       side, so no kept output pixel sees the network's zero padding;
    2. :func:`predict_tiled` (memory bounded by ``tile``);
    3. crop the padding (times the model's upscaling factor) and clip to [0, 1];
    4. round to 8-bit steps as a saved image would be (``quantize``).

    Parameters
    ----------
    model : keras.Model
        Fully convolutional, input ``B×h×w×C``, output ``B×(s·h)×(s·w)×C'``.
    image : ndarray, H×W×C or H×W, float in [0, 1]
        The model's input (a gray image or one channel may be 2-D).
    tile : int
        Window side in input pixels for :func:`predict_tiled`.
    multiple : int, optional
        Total stride of models that downsample inside (4 after two 2×
        poolings): inputs and tile positions are kept at multiples of it.
        None (default) measures it (:func:`total_stride`); a value that does
        not fit the model is refused, as in :func:`predict_tiled`.
    radius : int, optional
        Receptive radius; measured with :func:`receptive_radius` when None.
    batch_size : int
        Tiles per model call.
    quantize : bool
        Round the output to multiples of 1/255.

    Returns
    -------
    ndarray, float32 in [0, 1]
        ``(s·H)×(s·W)×C'``, 2-D when the input was 2-D and C' = 1.
    """
    x, squeeze = _as_hwc(image)
    _check_channels(model, x.shape[2])
    if radius is None:
        radius = receptive_radius(model, x.shape[2])
    multiple = _check_multiple(model, x.shape[2], multiple, radius)
    pad = -(-int(radius) // multiple) * multiple
    h, w = x.shape[:2]
    extra_h, extra_w = (-(h + 2 * pad)) % multiple, (-(w + 2 * pad)) % multiple
    padded = np.pad(x, ((pad, pad + extra_h), (pad, pad + extra_w), (0, 0)), mode="symmetric")
    tile = max(int(tile), 2 * pad + 2 * multiple)
    tile -= tile % multiple
    out = predict_tiled(model, padded, tile=tile, overlap=radius, batch_size=batch_size,
                        multiple=multiple)
    s = out.shape[0] // padded.shape[0]
    out = np.clip(out[pad * s:(pad + h) * s, pad * s:(pad + w) * s], 0.0, 1.0)
    if quantize:
        out = np.round(out * 255.0) / 255.0
    out = out.astype(np.float32)
    return out[..., 0] if squeeze and out.shape[-1] == 1 else out
