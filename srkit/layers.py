"""The two non-standard layers of notebook 04's generator, so saved models load anywhere.

Notebook 04 teaches these layers and defines them itself (cells tagged ``definitions``);
srkit keeps a copy only so that the reference weights (:mod:`srkit.pretrained`) and a
student's own ``outputs/04_*.keras`` load outside that notebook, e.g. in notebook 06 or
``python -m srkit upscale``. ``tests/test_pretrained.py`` checks that both copies compute
the same thing. Importing this module registers them with Keras under ``srkit>``.

Both layers take and return ``B×h×w×C`` float tensors (channels last).
"""

from __future__ import annotations

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="srkit")
class PixelShuffle(keras.layers.Layer):
    """Depth-to-space: ``B×h×w×(r²·C) → B×(r·h)×(r·w)×C``.

    The sub-pixel upsampling of ESPCN (Shi et al., CVPR 2016) and SRGAN (Ledig et al.,
    CVPR 2017): channel ``(i·r + j)·C + c`` becomes sub-pixel ``(i, j)`` of channel ``c``
    (``tf.nn.depth_to_space``; ``keras.ops.depth_to_space`` only exists since Keras 3.14).
    """

    def __init__(self, factor, **kwargs):
        super().__init__(**kwargs)
        self.factor = int(factor)

    def call(self, x):
        return tf.nn.depth_to_space(x, self.factor)

    def compute_output_shape(self, shape):
        b, h, w, c = shape
        r = self.factor
        if c is not None and c % (r * r):
            raise ValueError(f"PixelShuffle({r}) needs channels divisible by {r * r}, got {c}")
        return (b, None if h is None else h * r, None if w is None else w * r,
                None if c is None else c // (r * r))

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


@keras.saving.register_keras_serializable(package="srkit")
class BicubicUpsample(keras.layers.Layer):
    """Bicubic upscaling by an integer ``factor`` for inputs of any size.

    TensorFlow's bicubic (``tf.image.resize``, Keys a = −0.5, no antialiasing): the image
    skip of notebook 04's generator. Not MATLAB's ``imresize`` (see :mod:`srkit.degrade`);
    the network learns the difference.
    """

    def __init__(self, factor, **kwargs):
        super().__init__(**kwargs)
        self.factor = int(factor)

    def call(self, x):
        size = keras.ops.shape(x)[1:3]
        return tf.image.resize(x, [size[0] * self.factor, size[1] * self.factor], method="bicubic")

    def compute_output_shape(self, shape):
        b, h, w, c = shape
        return (b, None if h is None else h * self.factor, None if w is None else w * self.factor, c)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


class _LoadedInitializer(keras.initializers.Initializer):
    """Stands in for an initializer a saved model names but srkit does not teach (notebook
    04's ICNR). Loading overwrites every weight from the file, so it is never used."""

    def __init__(self, **config):
        self.config = config

    def __call__(self, shape, dtype=None):
        return keras.ops.zeros(shape, dtype=dtype)

    def get_config(self):
        return dict(self.config)


CUSTOM_OBJECTS = {
    "srkit>PixelShuffle": PixelShuffle,
    "srkit>BicubicUpsample": BicubicUpsample,
    # what notebook 04 registers its own copies as (a student's outputs/04_*.keras)
    "srkit_course>PixelShuffle": PixelShuffle,
    "srkit_course>BicubicUpsample": BicubicUpsample,
    "srkit_course>ICNR": _LoadedInitializer,
}
"""Names of the classes a course model may reference, for ``keras.models.load_model``."""
