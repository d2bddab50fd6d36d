"""Multiply-adds per output pixel and seconds per megapixel (srkit.cost).

Independent references: the multiply-adds written out by hand from each layer's kernel and
the resolution it runs at (SRCNN 9-1-5: 8,032, as FSRCNN's Table 1 counts SRCNN's cost per
pixel before the image-size factor).
"""

import numpy as np
import pytest

from notebook_code import definitions
from srkit import cost, evaluate
from srkit.train import keras


def srcnn(padding="same"):
    return keras.Sequential([keras.Input((None, None, 1)),
                             keras.layers.Conv2D(64, 9, padding=padding, activation="relu"),
                             keras.layers.Conv2D(32, 1, padding=padding, activation="relu"),
                             keras.layers.Conv2D(1, 5, padding=padding)])


def test_srcnn_915_costs_8032_multiply_adds_per_pixel():
    assert cost.multiply_adds(srcnn()) == 9 * 9 * 64 + 64 * 32 + 5 * 5 * 32 == 8032


def test_layers_at_lower_resolution_cost_less_per_output_pixel():
    """Notebook 04's generator: everything before the pixel shuffles runs on the small image."""
    gen = definitions("04_gan.ipynb")["build_generator"](scale=4, filters=8, blocks=1)
    lr_convs = 9 * 9 * 3 * 8 + 2 * 9 * 8 * 8 + 9 * 8 * 8 + 9 * 8 * 32  # head, block, trunk, up1
    half = 9 * 8 * 32                       # up2 at 2× the LR size: a quarter of the HR pixels
    hr = 9 * 9 * 8 * 3                      # tail at HR size
    assert cost.multiply_adds(gen) == pytest.approx(lr_convs / 16 + half / 4 + hr)


def test_pooling_models_and_probe_size():
    x = keras.Input((None, None, 1))
    y = keras.layers.Conv2D(4, 3, padding="same")(keras.layers.MaxPooling2D()(x))
    y = keras.layers.Conv2D(1, 3, padding="same")(keras.layers.UpSampling2D()(y))
    model = keras.Model(x, y)
    assert cost.multiply_adds(model, probe=32) == pytest.approx(9 * 4 / 4 + 9 * 4)


def test_dense_layers_on_a_flat_input_count_once_per_image():
    """A fully connected ×2 generator (14×14 → 28×28): every weight once per image."""
    x = keras.Input((14, 14, 1))
    y = keras.layers.Dense(784)(keras.layers.Dense(64)(keras.layers.Flatten()(x)))
    model = keras.Model(x, keras.layers.Reshape((28, 28, 1))(y))
    assert cost.multiply_adds(model, probe=14) == pytest.approx((196 * 64 + 64 * 784) / 784)


def test_seconds_per_megapixel_counts_output_pixels():
    calls = []

    def slow(lr, scale):
        calls.append(lr.shape)
        return np.zeros((lr.shape[0] * scale, lr.shape[1] * scale))

    spm = cost.seconds_per_megapixel(slow, np.zeros((100, 50)), 4, repeats=2)
    assert len(calls) == 3 and spm >= 0  # one warm-up call, two timed
    lr = np.random.default_rng(0).uniform(size=(200, 150))
    spm = cost.seconds_per_megapixel(evaluate.bicubic, lr, 2, repeats=1)
    assert 0 < spm < 60
