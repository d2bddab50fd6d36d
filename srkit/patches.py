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
from srkit._validate import check_image, check_scale, to_float

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
               quantize: bool = True) -> list[tuple[np.ndarray, np.ndarray]]:
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

    Returns
    -------
    list of (input, target)
        float32 arrays in [0, 1] with a channel axis. The target is the
        modcropped HR; the input is H×W×C (``upsample``) or
        (H/scale)×(W/scale)×C.
    """
    scale = check_scale(scale)
    if channels not in CHANNELS:
        raise ValueError(f"channels must be one of {CHANNELS}, got {channels!r}")
    pairs = []
    for item in images:
        image = item[1] if isinstance(item, tuple) else item
        image = to_float(check_image(image))
        lr, hr = degrade.make_lr(image, scale, upsample=upsample, quantize=quantize)
        pairs.append((_as_channels(lr, channels), _as_channels(hr, channels)))
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

    Parameters
    ----------
    pairs : list of (input, target)
        As returned by :func:`make_pairs`. All are kept in memory.
    patch_size : int
        Target patch side in HR pixels (SRCNN: 33). For post-upsampling pairs
        a multiple of the scale; the input patch is ``patch_size / scale``.
    stride : int or None
        An int cuts patches on a fixed grid with this step (HR pixels), as the
        SRCNN paper; the dataset then knows its length when ``repeat=False``.
        None draws patches at uniformly random positions (every valid
        position of every image equally likely), an endless stream: give
        ``steps_per_epoch`` to ``fit``.
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
        ``B×p×p×C`` (the last, smaller batch is dropped).
    """
    import tensorflow as tf

    factor = pair_factor(pairs)
    _check_multiple(patch_size, factor, "patch_size")
    if stride is not None:
        inputs, targets = grid_patches(pairs, patch_size, stride, min_std=min_std)
        ds = tf.data.Dataset.from_tensor_slices((inputs, targets))
        if shuffle:
            ds = ds.shuffle(len(inputs), seed=seed, reshuffle_each_iteration=True)
        if repeat:
            ds = ds.repeat()
    else:
        ds = _random_patches(pairs, patch_size // factor, factor, seed)
        if min_std > 0:
            ds = ds.filter(lambda lr, hr: tf.math.reduce_std(hr) >= min_std)
    if augment:
        seeds = tf.data.Dataset.random(seed=seed + 1).batch(2)
        ds = tf.data.Dataset.zip(ds, seeds).map(_dihedral, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)


def _check_multiple(value: int, factor: int, name: str) -> None:
    if int(value) != value or value < 1 or value % factor:
        raise ValueError(f"{name}={value} must be a positive multiple of the scale {factor}")


def _dihedral(pair, seed):
    """Rotate by k·90° and maybe flip both tensors of ``pair`` the same way."""
    import tensorflow as tf

    lr, hr = pair
    k = tf.random.stateless_uniform([], seed, 0, 4, dtype=tf.int32)
    flip = tf.random.stateless_uniform([], seed[::-1], 0, 2, dtype=tf.int32)
    lr, hr = tf.image.rot90(lr, k), tf.image.rot90(hr, k)
    return tf.cond(flip > 0,
                   lambda: (tf.image.flip_left_right(lr), tf.image.flip_left_right(hr)),
                   lambda: (lr, hr))


def _random_patches(pairs, lp: int, factor: int, seed: int):
    """Endless dataset of patches at random positions, cut from flat in-memory buffers.

    All images are flattened into one buffer per side; a patch is gathered
    row by row. An image is chosen with probability proportional to its
    number of valid positions, so every position is equally likely.
    """
    import tensorflow as tf

    usable = [(lr, hr) for lr, hr in pairs if lr.shape[0] >= lp and lr.shape[1] >= lp]
    if not usable:
        raise ValueError(f"no image is at least {lp * factor} pixels on each side")
    channels = usable[0][0].shape[2]
    lr_flat = tf.constant(np.concatenate([lr.ravel() for lr, _ in usable]))
    hr_flat = tf.constant(np.concatenate([hr.ravel() for _, hr in usable]))
    lr_off = tf.constant(np.cumsum([0] + [lr.size for lr, _ in usable[:-1]]), tf.int64)
    hr_off = tf.constant(np.cumsum([0] + [hr.size for _, hr in usable[:-1]]), tf.int64)
    heights = np.array([lr.shape[0] for lr, _ in usable])
    widths = np.array([lr.shape[1] for lr, _ in usable])
    positions = (heights - lp + 1) * (widths - lp + 1)
    logits = tf.constant(np.log(positions / positions.sum())[None, :], tf.float32)
    heights_t, widths_t = tf.constant(heights, tf.int64), tf.constant(widths, tf.int64)

    def gather(flat, offset, top, left, width, size):
        rows = offset + ((top + tf.range(size, dtype=tf.int64))[:, None] * width + left) * channels
        index = rows + tf.range(size * channels, dtype=tf.int64)[None, :]
        return tf.reshape(tf.gather(flat, index), [size, size, channels])

    def cut(seed_pair):
        s1, s2 = seed_pair[0], seed_pair[1]
        i = tf.random.stateless_categorical(logits, 1, [s1, s2])[0, 0]
        h, w = heights_t[i], widths_t[i]
        top = tf.random.stateless_uniform([], [s2, s1], 0, h - lp + 1, dtype=tf.int64)
        left = tf.random.stateless_uniform([], [s1 + 1, s2], 0, w - lp + 1, dtype=tf.int64)
        lr = gather(lr_flat, lr_off[i], top, left, w, lp)
        hr = gather(hr_flat, hr_off[i], top * factor, left * factor, w * factor, lp * factor)
        return lr, hr

    seeds = tf.data.Dataset.random(seed=seed).batch(2)
    return seeds.map(cut, num_parallel_calls=tf.data.AUTOTUNE)
