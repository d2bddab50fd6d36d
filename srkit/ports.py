"""Keras ports of published efficient super-resolution networks, to load their authors' weights.

The course trains its own small models (SRCNN, an autoencoder, SRResNet/SRGAN). To see where
the field stands, srkit ships two later families with the weights their authors published,
converted by ``tools/convert_published_weights.py`` (``srkit.pretrained``: ``rlfn_x2``,
``rlfn_x4``, ``carn_m_x2``, ``carn_m_x3``, ``carn_m_x4``):

- :func:`rlfn` — RLFN, Residual Local Feature Network (Kong et al., "Residual Local Feature
  Network for Efficient Super-Resolution", CVPRW 2022; winner of the NTIRE 2022 efficient SR
  challenge's runtime track). Reference code: github.com/bytedance/RLFN, ``model/rlfn.py``,
  ``model/block.py`` (Apache-2.0).
- :func:`carn_m` — CARN-M, the mobile Cascading Residual Network (Ahn et al., "Fast,
  Accurate, and Lightweight Super-Resolution with Cascading Residual Network", ECCV 2018).
  Reference code: github.com/nmhkahn/CARN-pytorch, ``carn/model/carn_m.py``, ``ops.py`` (MIT).

Written from the papers and the reference code's definitions (not copied). Every layer that
holds weights is named like the PyTorch module whose tensors it takes (``block_1.esa.conv2``
takes ``block_1.esa.conv2.weight`` and ``.bias``), so the conversion is one tensor to one
Keras variable; a module the reference code applies several times (CARN-M's shared residual
block ``b1.b1``) is one Keras layer called several times.

Both take an RGB image ``B×h×w×3``, float32 in [0, 1], and return ``B×(s·h)×(s·w)×3`` in
about [0, 1] (not clipped). RLFN works on values in [0, 255] inside (fixed ``Rescaling``
layers at both ends, as its authors' test code multiplies by 255); CARN-M on [0, 1] minus the
DIV2K mean (its ``sub_mean``/``add_mean`` 1×1 convolutions, stored in its weights file).

One difference from a fully convolutional network: RLFN's attention (ESA) pools the whole
feature map and resizes the result to the input's size, so an output pixel depends a little
on the image's size and on pixels far away. Tiled inference is then close to, not equal to,
the whole-image result; the authors' numbers are measured on whole images
(``pretrained.method`` does so for these models).
"""

from __future__ import annotations

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="srkit")
class ResizeLike(keras.layers.Layer):
    """Bilinear resize of ``x`` to the height and width of ``like``: ``[x, like] → B×H×W×C``.

    Half-pixel centres without antialiasing (``tf.image.resize(method="bilinear")``), which
    is PyTorch's ``F.interpolate(mode="bilinear", align_corners=False)``: RLFN's ESA.
    """

    def call(self, inputs):
        x, like = inputs
        size = tf.shape(like)[1:3]
        return tf.image.resize(x, size, method="bilinear")

    def compute_output_shape(self, shapes):
        x, like = shapes
        return (x[0], like[1], like[2], x[3])


@keras.saving.register_keras_serializable(package="srkit")
class TorchPixelShuffle(keras.layers.Layer):
    """PyTorch's ``nn.PixelShuffle(r)`` in channels-last: ``B×h×w×(C·r²) → B×(r·h)×(r·w)×C``.

    Channel ``c·r² + i·r + j`` becomes sub-pixel ``(i, j)`` of channel ``c`` — PyTorch's
    order, not ``tf.nn.depth_to_space``'s (``(i·r + j)·C + c``, :class:`srkit.layers.PixelShuffle`).
    With it the convolution before the shuffle takes the authors' kernel as it is, also
    when it is grouped (CARN-M), where reordering output channels would break the groups.
    """

    def __init__(self, factor, **kwargs):
        super().__init__(**kwargs)
        self.factor = int(factor)

    def call(self, x):
        r = self.factor
        shape = tf.shape(x)
        b, h, w, c = shape[0], shape[1], shape[2], x.shape[-1] // (r * r)
        x = tf.reshape(x, [b, h, w, c, r, r])
        x = tf.transpose(x, [0, 1, 4, 2, 5, 3])  # b, h, i, w, j, c
        return tf.reshape(x, [b, h * r, w * r, c])

    def compute_output_shape(self, shape):
        b, h, w, c = shape
        r = self.factor
        return (b, None if h is None else h * r, None if w is None else w * r, c // (r * r))

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


CUSTOM_OBJECTS = {"srkit>ResizeLike": ResizeLike, "srkit>TorchPixelShuffle": TorchPixelShuffle}
"""The ports' own layers, for ``keras.models.load_model``."""


def _conv(filters, kernel, name, **kwargs):
    return keras.layers.Conv2D(filters, kernel, padding=kwargs.pop("padding", "same"), name=name,
                               **kwargs)


def _esa(x, n_feats: int, prefix: str, esa_channels: int = 16):
    """Enhanced spatial attention as RLFN uses it (RFANet's ESA without conv_max and conv3_)."""
    c1_ = _conv(esa_channels, 1, f"{prefix}.conv1")(x)
    c1 = _conv(esa_channels, 3, f"{prefix}.conv2", strides=2, padding="valid")(c1_)
    v_max = keras.layers.MaxPooling2D(7, strides=3, padding="valid", name=f"{prefix}.pool")(c1)
    c3 = _conv(esa_channels, 3, f"{prefix}.conv3")(v_max)
    c3 = ResizeLike(name=f"{prefix}.resize")([c3, x])
    cf = _conv(esa_channels, 1, f"{prefix}.conv_f")(c1_)
    c4 = _conv(n_feats, 1, f"{prefix}.conv4")(keras.layers.Add(name=f"{prefix}.add")([c3, cf]))
    m = keras.layers.Activation("sigmoid", name=f"{prefix}.sigmoid")(c4)
    return keras.layers.Multiply(name=f"{prefix}.mul")([x, m])


def _rlfb(x, channels: int, mid_channels: int, prefix: str, esa_channels: int = 16):
    """Residual local feature block: three 3×3 conv + LeakyReLU(0.05), skip, 1×1, ESA."""
    out = x
    for i, filters in ((1, mid_channels), (2, mid_channels), (3, channels)):
        out = _conv(filters, 3, f"{prefix}.c{i}_r")(out)
        out = keras.layers.LeakyReLU(negative_slope=0.05, name=f"{prefix}.act{i}")(out)
    out = keras.layers.Add(name=f"{prefix}.skip")([out, x])
    out = _conv(channels, 1, f"{prefix}.c5")(out)
    return _esa(out, channels, f"{prefix}.esa", esa_channels)


def rlfn(scale: int = 4, feature_channels: int = 52, mid_channels: int | None = None,
         blocks: int = 6, esa_channels: int = 16, name: str | None = None) -> keras.Model:
    """RLFN (Kong et al., CVPRW 2022) as a Keras model; defaults are the paper's RLFN.

    Parameters
    ----------
    scale : int
        Upscaling factor of the pixel-shuffle tail (the authors publish ×2 and ×4).
    feature_channels, mid_channels, blocks, esa_channels : int
        52, 52, 6, 16 for RLFN; RLFN-S has 48 features; the NTIRE 2022 entry
        (``rlfn_ntire_x4.pth``) 46 features, 48 middle channels and 4 blocks.

    Returns
    -------
    keras.Model
        ``B×h×w×3`` float32 RGB in [0, 1] → ``B×(s·h)×(s·w)×3`` (not clipped); inputs at
        least 15×15 (the attention's stride-2 convolution and 7×7 pooling). Weights random
        until set from the authors' file (``pretrained.load("rlfn_x4")``).
    """
    mid_channels = mid_channels or feature_channels
    inputs = keras.Input((None, None, 3), name="lr")
    x = keras.layers.Rescaling(255.0, name="to_255")(inputs)  # the authors' input range
    out_feature = _conv(feature_channels, 3, "conv_1")(x)
    out = out_feature
    for b in range(1, blocks + 1):
        out = _rlfb(out, feature_channels, mid_channels, f"block_{b}", esa_channels)
    out = _conv(feature_channels, 3, "conv_2")(out)
    out = keras.layers.Add(name="global_skip")([out, out_feature])
    out = _conv(3 * scale * scale, 3, "upsampler.0")(out)
    out = TorchPixelShuffle(scale, name="upsampler.1")(out)
    outputs = keras.layers.Rescaling(1 / 255.0, name="to_1")(out)
    return keras.Model(inputs, outputs, name=name or f"rlfn_x{scale}")


def _upsample_block(x, scale: int, prefix: str, group: int):
    """CARN's upsampler: (grouped 3×3 conv to 4·C or 9·C, ReLU, pixel shuffle) per factor 2 or 3."""
    channels = x.shape[-1]
    steps = [3] if scale == 3 else [2] * {2: 1, 4: 2, 8: 3}[scale]
    index = 0
    for r in steps:
        x = _conv(r * r * channels, 3, f"{prefix}.body.{index}", groups=group)(x)
        x = keras.layers.ReLU(name=f"{prefix}.body.{index + 1}")(x)
        x = TorchPixelShuffle(r, name=f"{prefix}.body.{index + 2}")(x)
        index += 3
    return x


def _basic(x, filters: int, name: str):
    """CARN's BasicBlock as used for its cascades: 1×1 conv + ReLU."""
    x = _conv(filters, 1, f"{name}.body.0")(x)
    return keras.layers.ReLU(name=f"{name}.body.1")(x)


def carn_m(scale: int = 4, channels: int = 64, group: int = 4, name: str | None = None
           ) -> keras.Model:
    """CARN-M (Ahn et al., ECCV 2018) as a Keras model for one scale.

    The authors' ``carn_m.pth`` holds one network with three upsamplers (×2, ×3, ×4) that
    share everything else; each scale is its own Keras model here (``upsample.up{scale}``).

    Parameters
    ----------
    scale : int
        2, 3 or 4.
    channels, group : int
        64 features; grouped 3×3 convolutions with 4 groups (CARN-M's efficient residual
        block and upsampler).

    Returns
    -------
    keras.Model
        ``B×h×w×3`` float32 RGB in [0, 1] → ``B×(s·h)×(s·w)×3`` (not clipped).
    """
    if scale not in (2, 3, 4):
        raise ValueError(f"CARN-M has upsamplers for scales 2, 3 and 4, not {scale}")
    inputs = keras.Input((None, None, 3), name="lr")
    x = _conv(3, 1, "sub_mean.shifter")(inputs)  # the DIV2K mean, subtracted (weights)
    x = _conv(channels, 3, "entry")(x)
    c = o = x
    for b in (1, 2, 3):
        # one cascading block; its efficient residual block b{b}.b1 is shared by 3 calls
        shared = [_conv(channels, 3, f"b{b}.b1.body.0", groups=group),
                  _conv(channels, 3, f"b{b}.b1.body.2", groups=group),
                  _conv(channels, 1, f"b{b}.b1.body.4")]
        cc = oo = o
        for i in (1, 2, 3):
            r = keras.layers.ReLU()(shared[0](oo))
            r = keras.layers.ReLU()(shared[1](r))
            r = keras.layers.ReLU()(keras.layers.Add()([shared[2](r), oo]))
            cc = keras.layers.Concatenate(name=f"b{b}.cat{i}")([cc, r])
            oo = _basic(cc, channels, f"b{b}.c{i}")
        c = keras.layers.Concatenate(name=f"cat{b}")([c, oo])
        o = _basic(c, channels, f"c{b}")
    out = _upsample_block(o, scale, f"upsample.up{scale}", group)
    out = _conv(3, 3, "exit")(out)
    outputs = _conv(3, 1, "add_mean.shifter")(out)  # the mean, added back (weights)
    return keras.Model(inputs, outputs, name=name or f"carn_m_x{scale}")


BUILDERS = {"rlfn": rlfn, "carn_m": carn_m}
"""Model family → builder, as the records in ``srkit/weights/MODELS.json`` name them."""
