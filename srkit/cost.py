"""What a method costs: multiply-adds per output pixel and seconds per megapixel.

The field's tables put parameters, multiply-adds ("Mult-Adds", e.g. FSRCNN, Dong et al.,
ECCV 2016; CARN, Ahn et al., ECCV 2018) and run time beside PSNR. Multiply-adds are
counted per *output* pixel, so models that work at different resolutions (SRCNN on the
upscaled image, SRResNet on the small one) compare directly: a convolution with a
k_h×k_w kernel from C_in to C_out channels costs k_h·k_w·C_in·C_out multiply-adds at each
of its output positions. SRCNN 9-1-5: 9·9·1·64 + 1·1·64·32 + 5·5·32·1 = 8,032.
"""

from __future__ import annotations

import numpy as np


def multiply_adds(model, *, probe: int = 48) -> float:
    """Multiply-adds per output pixel of a fully convolutional Keras model.

    Counts the convolutions (``Conv2D``, ``Conv2DTranspose``, ``DepthwiseConv2D``) and
    ``Dense`` layers of ``model`` (not of models nested in it), each at the spatial size
    of its output for a ``probe × probe`` input, and divides by the output's pixels. A
    ``Dense`` layer on a flattened input (a fully connected generator, B×N) counts once
    per image: C_in·C_out.
    Biases, activations, batch normalisation, additions and resizing are left out, as in
    the papers' counts (they cost a few operations per value, not per weight).

    Parameters
    ----------
    model : keras.Model
        Input ``B×H×W×C`` (channels last), any H and W that are multiples of its
        total stride; ``probe`` must be such a size (48 suits poolings by 2, 4, 8, 16).
        A model with a fixed input size (dense layers) takes exactly that size as ``probe``.
    probe : int
        Side of the probe input in pixels.

    Returns
    -------
    float
        Multiply-adds per output pixel (of one output channel map: an RGB model's three
        output channels count as one pixel).
    """
    import keras

    kinds = (keras.layers.Conv2D, keras.layers.Conv2DTranspose, keras.layers.DepthwiseConv2D,
             keras.layers.Dense)
    found = [layer for layer in model.layers if isinstance(layer, kinds)]
    x = np.zeros((1, probe, probe, int(model.input_shape[-1])), np.float32)
    # one forward pass that also returns every counted layer's output, for its size
    probe_model = keras.Model(model.inputs[0], [model.outputs[0], *[layer.output for layer in found]])
    import tensorflow as tf

    from srkit.notebook import _silenced_stderr

    logger, level = tf.get_logger(), tf.get_logger().level
    logger.setLevel("ERROR")  # eager grouped convolutions (CARN-M) warn about retracing
    try:
        with _silenced_stderr():  # and grappler may log a harmless notice for this probe graph
            out, *maps = probe_model(x, training=False)
    finally:
        logger.setLevel(level)
    total = 0.0
    for layer, value in zip(found, maps):
        positions = np.prod(value.shape[1:-1])  # 1 for a Dense layer on a flat B×N input
        kernel = layer.weights[0].shape  # depthwise: kh×kw×C×multiplier; dense: C_in×C_out
        total += float(np.prod(kernel)) * float(positions)
    return total / (int(out.shape[1]) * int(out.shape[2]))


def seconds_per_megapixel(method, lr, scale: int, *, repeats: int = 3) -> float:
    """Wall-clock seconds per output megapixel of ``method(lr, scale)`` on this machine.

    One untimed call first (it traces the model's graph), then the best of ``repeats``
    timed calls (:func:`srkit.notebook.best_time`), divided by the output's megapixels
    ``lr.shape[0] · lr.shape[1] · scale² / 10⁶``.

    Parameters
    ----------
    method : callable ``(lr, scale) → sr``
        E.g. :func:`srkit.evaluate.keras_method` or :func:`srkit.evaluate.bicubic`.
    lr : ndarray, h×w or h×w×C
        A low-resolution input as ``method`` takes it.
    scale : int
    repeats : int
    """
    from srkit.notebook import best_time

    method(lr, scale)
    seconds = best_time(method, lr, scale, repeats=repeats)
    return seconds / (lr.shape[0] * lr.shape[1] * scale * scale / 1e6)
