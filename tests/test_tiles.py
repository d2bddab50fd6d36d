"""Tiled inference equals whole-image inference and bounds the tile size."""

import numpy as np
import pytest

from srkit import data, metrics, tiles
from srkit.notebook import import_tensorflow

tf = import_tensorflow()
import keras  # noqa: E402


def _srcnn(seed=0, channels=1):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([
        keras.Input((None, None, channels)),
        keras.layers.Conv2D(16, 9, padding="same", activation="relu"),
        keras.layers.Conv2D(8, 1, padding="same", activation="relu"),
        keras.layers.Conv2D(channels, 5, padding="same"),
    ])


def _upsampler(scale=3):
    keras.utils.set_random_seed(1)
    inp = keras.Input((None, None, 3))
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu")(inp)
    x = keras.layers.Conv2D(3 * scale * scale, 3, padding="same")(x)
    out = keras.layers.Lambda(lambda t: tf.nn.depth_to_space(t, scale))(x)  # any Keras 3
    return keras.Model(inp, out)


@pytest.fixture(scope="module")
def photo_y():
    return metrics.rgb_to_y(data.load_bundled("chelsea")).astype(np.float32)


def test_receptive_radius_of_a_9_1_5_network():
    assert tiles.receptive_radius(_srcnn()) == 6


def test_receptive_radius_of_a_post_upsampling_network():
    assert tiles.receptive_radius(_upsampler()) == 2


@pytest.mark.parametrize("tile", [40, 64, 200])
def test_tiled_equals_whole_image(photo_y, tile):
    model = _srcnn()
    whole = tiles.predict_whole(model, photo_y)
    tiled = tiles.predict_tiled(model, photo_y, tile=tile, batch_size=3)
    assert tiled.shape == whole.shape == photo_y.shape
    np.testing.assert_allclose(tiled, whole, atol=1e-5)


def test_tiled_equals_whole_image_with_upsampling():
    rgb = data.load_bundled("coffee")[:150, :170]
    model = _upsampler(3)
    whole = tiles.predict_whole(model, rgb)
    tiled = tiles.predict_tiled(model, rgb, tile=48)
    assert tiled.shape == (450, 510, 3)
    np.testing.assert_allclose(tiled, whole, atol=1e-5)


def test_too_small_an_overlap_is_not_exact(photo_y):
    """The overlap matters: below the receptive radius the seams show."""
    model = _srcnn()
    whole = tiles.predict_whole(model, photo_y)
    tiled = tiles.predict_tiled(model, photo_y, tile=64, overlap=2)
    assert np.abs(tiled - whole).max() > 1e-3


def test_tiles_passed_to_the_model_have_the_tile_size(photo_y, monkeypatch):
    """Memory is bounded by the tile: the model never sees more than batch × tile²."""
    seen = []
    model = _srcnn()

    def eager(model, channels):
        def call(batch):
            seen.append(tuple(batch.shape))
            return model(batch, training=False)
        return call

    monkeypatch.setattr(tiles, "_compiled", eager)
    out = tiles.predict_tiled(model, photo_y, tile=64, batch_size=2)
    assert seen and all(s[1:3] == (64, 64) and s[0] <= 2 for s in seen)
    np.testing.assert_allclose(out, tiles.predict_whole(model, photo_y), atol=1e-5)


def test_a_tile_too_small_for_its_overlap_is_refused(photo_y):
    with pytest.raises(ValueError, match="too small"):
        tiles.predict_tiled(_srcnn(), photo_y, tile=12, overlap=6)


def _pooling_unet(seed=2):
    """A small encoder–decoder with two 2× poolings (total stride 4), like notebook 03's."""
    keras.utils.set_random_seed(seed)
    inp = keras.Input((None, None, 1))
    a = keras.layers.Conv2D(4, 3, padding="same", activation="relu")(inp)
    b = keras.layers.Conv2D(8, 3, padding="same", activation="relu")(keras.layers.MaxPooling2D()(a))
    c = keras.layers.Conv2D(8, 3, padding="same", activation="relu")(keras.layers.MaxPooling2D()(b))
    d = keras.layers.Add()([b, keras.layers.UpSampling2D()(c)])
    e = keras.layers.Add()([a, keras.layers.Conv2D(4, 3, padding="same")(keras.layers.UpSampling2D()(d))])
    return keras.Model(inp, keras.layers.Add()([inp, keras.layers.Conv2D(1, 3, padding="same")(e)]))


def test_predict_image_equals_the_model_on_the_mirrored_image(photo_y):
    """predict_image = whole-image inference on the symmetric-padded image, cropped and clipped."""
    model = _pooling_unet()
    y = photo_y[:101, :87]  # sides that are not multiples of the stride 4
    r = tiles.receptive_radius(model)
    got = tiles.predict_image(model, y, tile=48, multiple=4, radius=r, quantize=False)
    pad = -(-r // 4) * 4
    padded = np.pad(y, ((pad, pad + (-(101 + 2 * pad)) % 4), (pad, pad + (-(87 + 2 * pad)) % 4)),
                    mode="symmetric")
    expected = np.clip(tiles.predict_whole(model, padded)[pad:pad + 101, pad:pad + 87], 0, 1)
    assert got.shape == y.shape and got.dtype == np.float32
    np.testing.assert_allclose(got, expected, atol=1e-5)
    quantized = tiles.predict_image(model, y, tile=48, multiple=4, radius=r)
    np.testing.assert_allclose(quantized * 255, np.round(quantized * 255), atol=1e-4)
    assert np.abs(quantized - got).max() <= 0.5 / 255 + 1e-6


def test_predict_image_with_upsampling_keeps_channels():
    rgb = data.load_bundled("coffee")[:41, :53]
    out = tiles.predict_image(_upsampler(3), rgb, tile=32)
    assert out.shape == (123, 159, 3)
    assert 0 <= out.min() and out.max() <= 1
