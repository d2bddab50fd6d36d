"""Aligned LR/HR training patches as a ``tf.data`` pipeline.

Two steps, so the degradation is the one used for evaluation:

1. :func:`make_pairs` turns whole images into ``(input, target)`` pairs with
   :func:`srkit.degrade.make_lr` (modcrop, MATLAB bicubic down, 8-bit
   rounding), either upscaled back to the HR size (*pre-upsampling* models
   such as SRCNN) or left small (*post-upsampling* models with a learned
   upsampler, such as SRResNet), on the Y channel or in RGB.
2. :func:`patch_dataset` cuts aligned patches from those pairs — at a fixed
   stride as in the SRCNN paper, or at random positions — with the eight
   flips/rotations as augmentation, and batches them.

:func:`make_restoration_pairs` does step 1 for restoration (deblurring,
denoising): any degradation that keeps the size, same-size pairs.

Degrading whole images first and cutting afterwards matters: a patch of a
downscaled image is not the downscale of a patch (the bicubic kernel reaches
across the patch border).

Example
-------
>>> pairs = make_pairs(train_images, scale=3, upsample=True, channels="y")
>>> ds = patch_dataset(pairs, patch_size=33, stride=14, batch_size=64)
>>> model.fit(ds, steps_per_epoch=200, epochs=10)
"""

from __future__ import annotations

import numpy as np

from srkit import degrade, metrics
from srkit._validate import check_image, check_scale, to_float, to_uint8

CHANNELS = ("y", "rgb")


def _as_channels(image: np.ndarray, channels: str) -> np.ndarray:
    """H×W×3/H×W float image in [0, 1] -> float32 H×W×1 (Y) or H×W×3 (RGB)."""
    if channels == "y":
        return metrics.rgb_to_y(image).astype(np.float32)[..., None]
    if image.ndim == 2:
        image = image[..., None]
    if image.shape[2] == 1:
        image = np.repeat(image, 3, axis=2)
    return np.ascontiguousarray(image[..., :3], dtype=np.float32)


def make_pairs(images, scale: int, *, upsample: bool = True, channels: str = "y",
               quantize: bool = True, route: str | None = None
               ) -> list[tuple[np.ndarray, np.ndarray]]:
    """Degrade whole images into aligned ``(input, target)`` pairs for training.

    Parameters
    ----------
    images : iterable of ndarray or of (name, ndarray)
        HR images, H×W×3 or H×W, float in [0, 1] or uint8 (e.g. the output
        of :func:`srkit.data.load_split`).
    scale : int
        Downscaling factor ≥ 2.
    upsample : bool
        True: the input is the LR upscaled back with MATLAB bicubic, the same
        size as the target (SRCNN). False: the input is the small LR image,
        ``scale`` times smaller than the target (SRResNet, ESPCN).
    channels : "y" or "rgb"
        "y": BT.601 luma as :func:`srkit.metrics.rgb_to_y` (values in
        [16/255, 235/255]), shape H×W×1. "rgb": H×W×3 (gray replicated).
    quantize : bool
        Round the LR to 8 bits as a stored LR image is (the evaluation does).
    route : {None, "srcnn", "vdsr", "rgb"}
        Make the pairs exactly as :func:`srkit.evaluate.benchmark` makes its test
        inputs on that route (:func:`srkit.evaluate.route_pair`). ``"srcnn"`` is the
        SRCNN code's training data: 8-bit Y of the image, resized down and (with
        ``upsample``) up in floating point, **not clipped** (bicubic overshoots [0, 1]
        by a few percent); the target is that 8-bit Y / 255. Y routes need
        ``channels="y"``; ``quantize`` is then ignored. None (default): RGB resized
        as 8-bit images by :func:`srkit.degrade.make_lr`, then converted to ``channels``.

    Returns
    -------
    list of (input, target)
        float32 arrays with a channel axis (values in [0, 1] but for a Y route's
        input). The target is the modcropped HR; the input is H×W×C
        (``upsample``) or (H/scale)×(W/scale)×C.
    """
    scale = check_scale(scale)
    if channels not in CHANNELS:
        raise ValueError(f"channels must be one of {CHANNELS}, got {channels!r}")
    if route is not None:
        from srkit import evaluate

        if route not in evaluate.ROUTES:
            raise ValueError(f"unknown route {route!r}; choose one of {', '.join(evaluate.ROUTES)}")
        if route != "rgb" and channels != "y":
            raise ValueError(f"route {route!r} works on the Y channel: use channels='y'")
    pairs = []
    for item in images:
        image = item[1] if isinstance(item, tuple) else item
        image = to_float(check_image(image))
        if route is None:
            lr, hr = degrade.make_lr(image, scale, upsample=upsample, quantize=quantize)
            pairs.append((_as_channels(lr, channels), _as_channels(hr, channels)))
            continue
        lr, ref = evaluate.route_pair(image, scale, route)
        if route == "rgb":
            lr, hr = to_float(lr), to_float(ref)
            if upsample:
                lr = to_float(evaluate.bicubic(to_uint8(lr), scale))
            pairs.append((_as_channels(lr, channels), _as_channels(hr, channels)))
            continue
        hr = ref / 255.0 if ref.dtype == np.uint8 else ref
        if upsample:
            lr = evaluate.bicubic(lr, scale)
        pairs.append((lr.astype(np.float32)[..., None], hr.astype(np.float32)[..., None]))
    if not pairs:
        raise ValueError("make_pairs() got no images")
    return pairs


def make_restoration_pairs(images, degrade_fn, *, channels: str = "y"
                           ) -> list[tuple[np.ndarray, np.ndarray]]:
    """Degrade whole images into same-size ``(input, target)`` pairs (deblurring, denoising).

    The restoration counterpart of :func:`make_pairs`: no resizing (size
    ratio 1), any degradation. The image is converted to ``channels`` first and
    degraded afterwards, so a blur acts on the channel the model restores.
    :func:`patch_dataset` and :func:`grid_patches` accept the result.

    Parameters
    ----------
    images : iterable of ndarray or of (name, ndarray)
        Sharp images, H×W×3 or H×W, float in [0, 1] or uint8.
    degrade_fn : callable
        ``degrade_fn(x) -> y`` on one converted image: H×W for ``"y"``, H×W×3
        for ``"rgb"``; returns float in [0, 1] of the same height and width
        (e.g. :func:`srkit.restoration.degradation`). Called once per image, in
        order, so a seeded noise generator gives reproducible pairs.
    channels : "y" or "rgb"
        "y": BT.601 luma as :func:`srkit.metrics.rgb_to_y` (values in
        [16/255, 235/255]; a gray image is treated as R = G = B), shape H×W×1.
        "rgb": H×W×3 (gray replicated).

    Returns
    -------
    list of (input, target)
        float32 arrays in [0, 1], both H×W×C: the degraded image and the sharp one.

    Raises
    ------
    ValueError
        If there are no images, ``channels`` is unknown, or ``degrade_fn``
        changes the size or returns values outside [0, 1].
    """
    if channels not in CHANNELS:
        raise ValueError(f"channels must be one of {CHANNELS}, got {channels!r}")
    if not callable(degrade_fn):
        raise ValueError(f"degrade_fn must be a function image -> image, got {type(degrade_fn).__name__}")
    pairs = []
    for item in images:
        image = item[1] if isinstance(item, tuple) else item
        target = _as_channels(to_float(check_image(image)), channels)
        clean = target[..., 0] if channels == "y" else target
        degraded = check_image(np.asarray(degrade_fn(clean.copy())), "degrade_fn's output")
        if degraded.shape[:2] != target.shape[:2]:
            raise ValueError(f"degrade_fn changed the size from {target.shape[:2]} to "
                             f"{degraded.shape[:2]}; for resizing degradations use make_pairs")
        if degraded.size != target.size:
            raise ValueError(f"degrade_fn returned shape {degraded.shape} for a {clean.shape} "
                             "input; keep the channels")
        degraded = to_float(degraded).reshape(target.shape)
        pairs.append((np.ascontiguousarray(degraded, dtype=np.float32), target))
    if not pairs:
        raise ValueError("make_restoration_pairs() got no images")
    return pairs


def pair_factor(pairs) -> int:
    """The size ratio target/input shared by all pairs (1 for pre-upsampling pairs)."""
    factors = set()
    for lr, hr in pairs:
        if lr.ndim != 3 or hr.ndim != 3 or lr.shape[2] != hr.shape[2]:
            raise ValueError(f"pairs need H×W×C arrays with equal channels, got {lr.shape} and {hr.shape}")
        fh, fw = hr.shape[0] / lr.shape[0], hr.shape[1] / lr.shape[1]
        if fh != fw or fh != int(fh):
            raise ValueError(f"target {hr.shape[:2]} is not an integer multiple of input {lr.shape[:2]}")
        factors.add(int(fh))
    if len(factors) != 1:
        raise ValueError(f"pairs mix size ratios {sorted(factors)}; make them with one scale")
    return factors.pop()


def grid_patches(pairs, patch_size: int, stride: int, *,
                 min_std: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Cut every pair into patches at a fixed stride (the SRCNN paper's sub-images).

    Parameters
    ----------
    pairs : list of (input, target)
        As returned by :func:`make_pairs`.
    patch_size : int
        Target patch side in HR pixels; a multiple of the size ratio.
    stride : int
        Step in HR pixels between patches; a multiple of the size ratio.
    min_std : float
        Drop patches whose target's standard deviation is below this (flat
        sky, black background): they carry no edges to learn from.

    Returns
    -------
    inputs, targets : ndarray, float32
        N×p'×p'×C and N×p×p×C with ``p' = patch_size / factor``; patch ``i``
        of both comes from the same place of the same image.
    """
    factor = pair_factor(pairs)
    _check_multiple(patch_size, factor, "patch_size")
    _check_multiple(stride, factor, "stride")
    lp, ls = patch_size // factor, stride // factor
    inputs, targets = [], []
    for lr, hr in pairs:
        for i in range(0, lr.shape[0] - lp + 1, ls):
            for j in range(0, lr.shape[1] - lp + 1, ls):
                inputs.append(lr[i:i + lp, j:j + lp])
                targets.append(hr[i * factor:(i + lp) * factor, j * factor:(j + lp) * factor])
    if not inputs:
        raise ValueError(f"no image is at least {patch_size} pixels on each side")
    inputs, targets = np.stack(inputs), np.stack(targets)
    if min_std > 0:
        keep = targets.std(axis=(1, 2, 3)) >= min_std
        if not keep.any():
            raise ValueError(f"every patch is flatter than min_std={min_std}; lower it")
        inputs, targets = inputs[keep], targets[keep]
    return inputs, targets


def patch_dataset(pairs, patch_size: int, *, stride: int | None = None, batch_size: int = 32,
                  augment: bool = True, shuffle: bool = True, repeat: bool = True,
                  min_std: float = 0.0, seed: int = 0):
    """A batched ``tf.data.Dataset`` of aligned ``(input, target)`` patches.

    Every step works on whole batches held in memory (one gather per batch, the
    flips/rotations as three ``tf.where`` on the batch), so the pipeline costs next
    to nothing beside training even on a 2-core CPU (``benchmarks/bench_pipeline.py``).

    Parameters
    ----------
    pairs : list of (input, target)
        As returned by :func:`make_pairs`. All are kept in memory.
    patch_size : int
        Target patch side in HR pixels (SRCNN: 33). For post-upsampling pairs
        a multiple of the scale; the input patch is ``patch_size / scale``.
    stride : int or None
        An int cuts patches on a fixed grid with this step (HR pixels), as the
        SRCNN paper (:func:`grid_patches`); each pass over the data (epoch) visits
        every patch once, in a new random order when ``shuffle``. None draws
        patches at uniformly random positions (every valid position of every
        image equally likely), an endless stream: give ``steps_per_epoch`` to ``fit``.
    batch_size : int
        Global batch size (under a ``tf.distribute`` strategy it is split
        across replicas).
    augment : bool
        Apply one of the eight flips/rotations (the dihedral group), the same
        to input and target, chosen at random per patch.
    shuffle : bool
        Shuffle grid patches (random positions are random already).
    repeat : bool
        Repeat grid patches forever (random positions always repeat).
    min_std : float
        Skip patches whose target's standard deviation (values in [0, 1]) is
        below this: flat regions (black space, sky) teach nothing and slow
        learning down. 0 keeps all.
    seed : int
        Seed for positions, shuffling and augmentation: the same seed gives
        the same stream.

    Returns
    -------
    tf.data.Dataset
        Elements ``(inputs, targets)``: float32 tensors ``B×p'×p'×C`` and
        ``B×p×p×C`` (patches that do not fill a last batch are left out).

    Raises
    ------
    ValueError
        If no patch fits, all are flatter than ``min_std``, or there are fewer
        grid patches than ``batch_size``.
    """
    import tensorflow as tf

    factor = pair_factor(pairs)
    _check_multiple(patch_size, factor, "patch_size")
    if stride is not None:
        inputs, targets = grid_patches(pairs, patch_size, stride, min_std=min_std)
        ds = _grid_batches(inputs, targets, batch_size, shuffle, repeat, seed)
    else:
        ds = _random_batches(pairs, patch_size // factor, factor, batch_size, min_std, seed)
    if augment:
        seeds = tf.data.Dataset.random(seed=seed + 1).batch(2)
        ds = tf.data.Dataset.zip(ds, seeds).map(_dihedral_batch)
    return ds.prefetch(tf.data.AUTOTUNE)


def _grid_batches(inputs, targets, batch_size: int, shuffle: bool, repeat: bool, seed: int):
    """Batches of grid patches: one index vector per batch, one gather per side."""
    import tensorflow as tf

    n = len(inputs)
    per_epoch = n // batch_size
    if per_epoch == 0:
        raise ValueError(f"{n} patches cannot fill one batch of {batch_size}; lower batch_size")
    x, y = tf.constant(inputs), tf.constant(targets)

    def epoch_order(epoch):
        order = tf.range(n, dtype=tf.int64)
        if shuffle:
            order = tf.random.experimental.stateless_shuffle(
                order, seed=tf.stack([tf.constant(seed, tf.int64), epoch]))
        return tf.reshape(order[:per_epoch * batch_size], [per_epoch, batch_size])

    epochs = tf.data.Dataset.range(2**62 if repeat else 1)
    index_batches = epochs.map(epoch_order).unbatch()
    return index_batches.map(lambda idx: (tf.gather(x, idx), tf.gather(y, idx)))


def _valid_positions(lr, hr, lp: int, factor: int, min_std: float) -> np.ndarray:
    """(top, left) LR positions of the patches of one pair whose target is not flat."""
    h, w = lr.shape[0] - lp + 1, lr.shape[1] - lp + 1
    if h < 1 or w < 1:
        return np.zeros((0, 2), np.int64)
    if min_std <= 0:
        tops, lefts = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
        return np.stack([tops.ravel(), lefts.ravel()], axis=1)
    p = lp * factor
    values = hr.astype(np.float64)

    def box_sums(a):  # sums over every p×p window (all channels) at LR-grid positions
        total = np.pad(a.sum(axis=2).cumsum(0).cumsum(1), ((1, 0), (1, 0)))
        sums = total[p:, p:] - total[:-p, p:] - total[p:, :-p] + total[:-p, :-p]
        return sums[::factor, ::factor][:h, :w]

    count = p * p * hr.shape[2]
    mean = box_sums(values) / count
    var = np.maximum(box_sums(values * values) / count - mean * mean, 0.0)
    tops, lefts = np.nonzero(np.sqrt(var) >= min_std)
    return np.stack([tops, lefts], axis=1)


def _random_batches(pairs, lp: int, factor: int, batch_size: int, min_std: float, seed: int):
    """Endless batches of patches at uniformly random (non-flat) positions.

    All images are flattened into one buffer per side; the valid positions of
    every image are listed once, and a batch draws ``batch_size`` of them
    uniformly and gathers the patches with one index tensor per side.
    """
    import tensorflow as tf

    usable, positions = [], []
    for lr, hr in pairs:
        pos = _valid_positions(lr, hr, lp, factor, min_std)
        if len(pos):
            positions.append(np.column_stack([np.full(len(pos), len(usable)), pos]))
            usable.append((lr, hr))
    if not usable:
        if any(lr.shape[0] >= lp and lr.shape[1] >= lp for lr, _ in pairs):
            raise ValueError(f"every patch is flatter than min_std={min_std}; lower it")
        raise ValueError(f"no image is at least {lp * factor} pixels on each side")
    positions = tf.constant(np.concatenate(positions), tf.int64)  # (image, top, left)
    channels = usable[0][0].shape[2]
    lr_flat = tf.constant(np.concatenate([lr.ravel() for lr, _ in usable]))
    hr_flat = tf.constant(np.concatenate([hr.ravel() for _, hr in usable]))
    lr_off = tf.constant(np.cumsum([0] + [lr.size for lr, _ in usable[:-1]]), tf.int64)
    hr_off = tf.constant(np.cumsum([0] + [hr.size for _, hr in usable[:-1]]), tf.int64)
    widths = tf.constant([lr.shape[1] for lr, _ in usable], tf.int64)

    def gather(flat, offset, top, left, width, size):  # B patches, size×size×channels
        rows = top[:, None] + tf.range(size, dtype=tf.int64)[None, :]           # B×size
        starts = offset[:, None] + (rows * width[:, None] + left[:, None]) * channels
        index = starts[:, :, None] + tf.range(size * channels, dtype=tf.int64)  # B×size×size·C
        return tf.reshape(tf.gather(flat, index), [-1, size, size, channels])

    def cut(seed_pair):
        pick = tf.random.stateless_uniform([batch_size], seed_pair, 0, tf.shape(positions, tf.int64)[0],
                                           dtype=tf.int64)
        image, top, left = tf.unstack(tf.gather(positions, pick), axis=1)
        width = tf.gather(widths, image)
        lr = gather(lr_flat, tf.gather(lr_off, image), top, left, width, lp)
        hr = gather(hr_flat, tf.gather(hr_off, image), top * factor, left * factor,
                    width * factor, lp * factor)
        return lr, hr

    return tf.data.Dataset.random(seed=seed).batch(2).map(cut)


def _check_multiple(value: int, factor: int, name: str) -> None:
    if int(value) != value or value < 1 or value % factor:
        raise ValueError(f"{name}={value} must be a positive multiple of the scale {factor}")


def _dihedral_batch(pair, seed):
    """One of the eight flips/rotations per patch, the same for input and target.

    Transposing, flipping left-right and flipping up-down, each with probability
    1/2, reach all eight elements of the dihedral group with equal probability;
    on a batch of square patches each is one ``tf.where``.
    """
    import tensorflow as tf

    lr, hr = pair
    coins = tf.random.stateless_uniform([3, tf.shape(lr)[0]], seed, 0, 2, dtype=tf.int32) > 0
    for k, op in enumerate((lambda t: tf.transpose(t, [0, 2, 1, 3]),
                            lambda t: tf.reverse(t, [2]), lambda t: tf.reverse(t, [1]))):
        mask = coins[k][:, None, None, None]
        lr, hr = tf.where(mask, op(lr), lr), tf.where(mask, op(hr), hr)
    return lr, hr
