"""Faults reported against SR and image-metric tools, replayed on srkit (issue 15).

One section per kind of fault; each case is a test with its right value (from an
independent source where there is one) or its clear error. Messages are checked by
their key words, never word for word.
"""

import numpy as np
import pytest
from skimage import data as skdata
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from srkit import color, degrade, gan, io, metrics, restoration, tiles, train
from srkit.train import keras, tf


@pytest.fixture(scope="module")
def camera_pair():
    """a: 128×128 uint8 crop of skimage's camera; b: a + uniform integer noise in [-20, 20]."""
    a = skdata.camera()[100:228, 200:328]
    noise = np.random.default_rng(0).integers(-20, 21, a.shape)
    b = np.clip(a.astype(int) + noise, 0, 255).astype(np.uint8)
    return a, b


@pytest.fixture(scope="module")
def rgba():
    rng = np.random.default_rng(1)
    image = rng.uniform(0, 1, (32, 32, 4)).astype(np.float32)
    image[..., :3] = degrade.gaussian_blur(image[..., :3], 1.0)  # some structure for JPEG
    return image


# --- 1. a data_range that does not match the data ---------------------------------------


def _ssim_reference(a, b):
    return structural_similarity(a / 255.0, b / 255.0, data_range=1.0, gaussian_weights=True,
                                 sigma=1.5, use_sample_covariance=False)


def test_right_values_with_and_without_a_matching_data_range(camera_pair):
    a, b = camera_pair
    expected = peak_signal_noise_ratio(a, b, data_range=255)
    assert 20 < expected < 35
    assert metrics.psnr(a, b) == pytest.approx(expected, abs=1e-9)
    assert metrics.psnr(a, b, data_range=255) == pytest.approx(expected, abs=1e-9)
    assert metrics.psnr(a * 1.0, b * 1.0, data_range=255) == pytest.approx(expected, abs=1e-9)
    assert metrics.ssim(a, b) == pytest.approx(_ssim_reference(a, b), abs=1e-9)
    assert metrics.ssim(a * 1.0, b * 1.0, data_range=255) == pytest.approx(_ssim_reference(a, b),
                                                                           abs=1e-9)
    assert metrics.mse(a, b, data_range=255) == pytest.approx(
        np.mean((a / 255.0 - b / 255.0) ** 2), rel=1e-12)


@pytest.mark.parametrize("function", [metrics.psnr, metrics.ssim, metrics.mse])
@pytest.mark.parametrize("as_float", [False, True])
def test_data_outside_the_data_range_is_refused(camera_pair, function, as_float):
    a, b = camera_pair
    if as_float:
        a, b = a * 1.0, b * 1.0
    with pytest.raises(ValueError, match=r"(?s)outside \[0, 1\].*data_range.*255"):
        function(a, b, data_range=1)
    with pytest.raises(ValueError, match="outside"):
        function(a, b, data_range=100, y_channel=True)


@pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf"), True, "255"])
def test_a_data_range_that_is_no_peak_value_is_refused(camera_pair, bad):
    a, b = camera_pair
    with pytest.raises(ValueError, match="data_range must be"):
        metrics.psnr(a, b, data_range=bad)


def test_images_on_different_scales_are_refused_with_a_data_range(camera_pair):
    a, b = camera_pair
    with pytest.raises(ValueError, match="different scales"):
        metrics.psnr(a / 255.0, b * 1.0, data_range=255)
    with pytest.raises(ValueError, match=r"both images lie in \[0, 1\]"):
        metrics.ssim(a / 255.0, b / 255.0, data_range=255)  # the opposite mistake, as before


def test_error_percentage_refuses_0_255_floats(camera_pair):
    a, b = camera_pair
    with pytest.raises(ValueError, match=r"result.*outside \[0, 1\]"):
        restoration.error_percentage(a / 255.0, b * 1.0)


# --- 2. RGBA input -------------------------------------------------------------------------

_DEGRADATIONS = {
    "jpeg_compress": lambda x: degrade.jpeg_compress(x, 75),
    "bilateral_blur": degrade.bilateral_blur,
    "gaussian_blur": lambda x: degrade.gaussian_blur(x, 1.5),
    "box_blur": lambda x: degrade.box_blur(x, 5),
    "motion_blur": lambda x: degrade.motion_blur(x, 7, 30),
    "median_blur": lambda x: degrade.median_blur(x, 3),
    "convolve": lambda x: degrade.convolve(x, degrade.gaussian_kernel(1.0)),
    "add_gaussian_noise": lambda x: degrade.add_gaussian_noise(x, 0.05, seed=3),
    "restoration.Blur": restoration.make_blur("bilateral"),
    "restoration.degradation": lambda x: restoration.degradation(
        restoration.make_blur("motion"), noise=0.02, quantize=False, seed=4)(x),
}


@pytest.mark.parametrize("name", list(_DEGRADATIONS))
def test_degradations_act_on_the_colour_of_rgba_and_keep_alpha(rgba, name):
    function = _DEGRADATIONS[name]
    out = function(rgba)
    assert out.shape == rgba.shape and out.dtype == np.float32
    np.testing.assert_array_equal(out[..., :3], function(rgba[..., :3]))
    alpha = np.round(rgba[..., 3] * 255) / 255 if name == "jpeg_compress" else rgba[..., 3]
    np.testing.assert_allclose(out[..., 3], alpha, atol=1e-7)


@pytest.mark.parametrize("function", [
    lambda x: degrade.imresize(x, 0.5), lambda x: degrade.modcrop(x, 3),
    lambda x: degrade.upscale(x, (48, 48)), lambda x: degrade.make_lr(x, 2, upsample=True)[0],
])
def test_resizing_and_cropping_carry_alpha_as_a_channel(rgba, function):
    out = function(rgba)
    assert out.shape[2] == 4
    np.testing.assert_array_equal(out[..., :3], function(rgba[..., :3]))
    np.testing.assert_array_equal(out[..., 3], function(rgba[..., 3]))


def test_functions_that_cannot_use_alpha_say_how_to_drop_it(rgba, tmp_path):
    for call in (lambda: metrics.psnr(rgba, rgba), lambda: metrics.ssim(rgba, rgba),
                 lambda: metrics.psnr(rgba, rgba, y_channel=True),
                 lambda: color.rgb_to_ycbcr(rgba),
                 lambda: color.replace_luma(rgba, rgba[..., 0]),
                 lambda: io.save_image(tmp_path / "a.png", rgba),
                 lambda: tiles.predict_image(_rgb_model(), rgba, tile=32)):
        with pytest.raises(ValueError, match=r"alpha.*\[\.\.\., :3\]"):
            call()
    with pytest.raises(ValueError, match="one channel"):
        restoration.wiener(rgba, degrade.gaussian_kernel(1.0), 0.01)


def _rgb_model():
    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input((None, None, 3)), keras.layers.Conv2D(3, 3, padding="same")])


# --- 3. training metrics and losses on 0–255 data -------------------------------------------


def _batches():
    rng = np.random.default_rng(0)
    yt = rng.uniform(0, 1, (8, 24, 24, 1)).astype(np.float32)
    yp = np.clip(yt + rng.normal(0, 0.03, yt.shape), 0, 1).astype(np.float32)
    return yt, yp


def test_psnr_metric_on_unit_data_is_right():
    yt, yp = _batches()
    expected = np.mean([metrics.psnr(t[3:-3, 3:-3, 0], p[3:-3, 3:-3, 0]) for t, p in zip(yt, yp)])
    metric = train.PSNR(3)
    metric.update_state(yt, yp)
    assert float(metric.result()) == pytest.approx(expected, rel=1e-4)
    assert 28 < expected < 33


def test_psnr_metric_and_cropped_mse_refuse_0_255_targets():
    yt, yp = _batches()
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"targets.*\[0, 1\]"):
        train.PSNR(3).update_state(yt * 255, yp * 255)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"targets.*\[0, 1\]"):
        train.CroppedMSE(3)(yt * 255, yp * 255)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"targets.*\[0, 1\]"):
        train.psnr_metric(yt * 2 - 1, yp)  # [-1, 1] data: the same mistake


def _tiny_model(jit_compile=False):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((None, None, 1)), keras.layers.Conv2D(1, 3, padding="same")])
    loss = "mse" if jit_compile else train.CroppedMSE(2)
    model.compile("adam", loss=loss, metrics=[train.PSNR(2)], jit_compile=jit_compile)
    return model


def test_training_on_0_255_data_stops_at_the_first_batch(tmp_path):
    yt, _ = _batches()
    ds = tf.data.Dataset.from_tensor_slices((yt * 255, yt * 255)).batch(4)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"targets.*\[0, 1\].*255"):
        train.fit(_tiny_model(), ds, epochs=1, run_dir=tmp_path, log_every=0)


def test_where_assertions_are_dropped_xla_the_psnr_is_nan_not_a_wrong_number():
    yt, _ = _batches()
    model = _tiny_model(jit_compile=True)
    history = model.fit(yt * 255, yt * 255, batch_size=4, epochs=1, verbose=0)
    assert np.isnan(history.history["psnr"][0])
    fine = _tiny_model(jit_compile=True).fit(yt, yt, batch_size=4, epochs=1, verbose=0)
    assert np.isfinite(fine.history["psnr"][0])


def test_other_image_takers_refuse_0_255_data():
    image = np.random.default_rng(0).uniform(0, 1, (24, 24)).astype(np.float32)
    model = tiles_srcnn()
    with pytest.raises(ValueError, match=r"outside \[0, 1\].*255"):
        tiles.predict_image(model, image * 255, tile=24)
    with pytest.raises(TypeError, match="255"):
        tiles.predict_tiled(model, (image * 255).astype(np.uint8), tile=24)
    with pytest.raises(ValueError, match=r"outside \[0, 1\].*255"):
        gan.CollapseGuard(image[None, ..., None] * 255)
    with pytest.raises(ValueError, match=r"outside \[0, 1\].*255"):
        gan.SampleGrid(image[None, ..., None], "unused", target=image[None, ..., None] * 255)
    rgb = np.stack([image] * 3, axis=-1)
    with pytest.raises(ValueError, match="255"):
        color.replace_luma(rgb, image * 255)
    with pytest.raises(ValueError, match="255"):
        color.ycbcr_to_rgb(color.rgb_to_ycbcr(rgb) * 255)


# --- 4. tiled inference of models that downsample --------------------------------------------


def tiles_srcnn():
    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input((None, None, 1)),
                             keras.layers.Conv2D(8, 9, padding="same", activation="relu"),
                             keras.layers.Conv2D(1, 5, padding="same")])


def _unet(seed=0):
    """A small U-Net: two MaxPooling2D layers (total stride 4), concatenated skips."""
    keras.utils.set_random_seed(seed)
    inp = keras.Input((None, None, 1))
    a = keras.layers.Conv2D(4, 3, padding="same", activation="relu")(inp)
    b = keras.layers.Conv2D(8, 3, padding="same", activation="relu")(keras.layers.MaxPooling2D()(a))
    c = keras.layers.Conv2D(8, 3, padding="same", activation="relu")(keras.layers.MaxPooling2D()(b))
    d = keras.layers.Concatenate()([b, keras.layers.UpSampling2D()(c)])
    e = keras.layers.Concatenate()([a, keras.layers.UpSampling2D()(d)])
    return keras.Model(inp, keras.layers.Conv2D(1, 3, padding="same")(e))


def _strided(seed=0):
    """One strided convolution and one transposed convolution: total stride 2."""
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input((None, None, 1)),
                             keras.layers.Conv2D(4, 3, strides=2, padding="same", activation="relu"),
                             keras.layers.Conv2DTranspose(1, 3, strides=2, padding="same")])


@pytest.fixture(scope="module")
def image_100x76():
    return np.random.default_rng(5).uniform(0, 1, (100, 76)).astype(np.float32)


def test_total_stride_is_measured():
    assert tiles.total_stride(tiles_srcnn()) == 1
    assert tiles.total_stride(_unet()) == 4
    assert tiles.total_stride(_strided()) == 2


def test_predict_tiled_of_a_pooling_model_has_no_seams(image_100x76):
    model = _unet()
    whole = tiles.predict_whole(model, image_100x76)
    tiled = tiles.predict_tiled(model, image_100x76, tile=48)  # no multiple given
    np.testing.assert_allclose(tiled, whole, atol=1e-5)
    np.testing.assert_allclose(tiles.predict_tiled(_strided(), image_100x76, tile=40),
                               tiles.predict_whole(_strided(), image_100x76), atol=1e-5)


def test_a_multiple_that_leaves_seams_is_refused(image_100x76):
    with pytest.raises(ValueError, match=r"(?s)seams.*stride.*4"):
        tiles.predict_tiled(_unet(), image_100x76, tile=48, multiple=2)
    with pytest.raises(ValueError, match=r"(?s)seams.*stride.*4"):
        tiles.predict_image(_unet(), image_100x76, tile=48, multiple=1)


@pytest.mark.parametrize("shape", [(100, 76), (101, 87), (64, 64)])
def test_predict_image_default_equals_the_model_on_the_mirrored_image(shape):
    model = _unet()
    image = np.random.default_rng(6).uniform(0, 1, shape).astype(np.float32)
    radius = tiles.receptive_radius(model)
    got = tiles.predict_image(model, image, tile=48, quantize=False)
    pad = -(-radius // 4) * 4
    extra = [(-(n + 2 * pad)) % 4 for n in shape]
    padded = np.pad(image, ((pad, pad + extra[0]), (pad, pad + extra[1])), mode="symmetric")
    expected = np.clip(tiles.predict_whole(model, padded)[pad:pad + shape[0], pad:pad + shape[1]], 0, 1)
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_a_model_that_is_not_shift_equivariant_is_refused(image_100x76):
    keras.utils.set_random_seed(0)
    inp = keras.Input((None, None, 1))
    x = keras.layers.Conv2D(2, 3, padding="same")(inp)
    mean = keras.layers.GlobalAveragePooling2D(keepdims=True)(x)
    model = keras.Model(inp, keras.layers.Add()([inp, keras.layers.Conv2D(1, 1)(mean)]))
    with pytest.raises(ValueError, match="shift"):
        tiles.total_stride(model, radius=2, max_stride=4)


# --- 5. shape errors that name what differs ---------------------------------------------------


def test_same_size_different_channels_is_named_as_such():
    gray = np.random.default_rng(0).uniform(0, 1, (40, 40))
    rgb = np.stack([gray] * 3, axis=-1)
    for function in (metrics.psnr, metrics.ssim, metrics.mse):
        with pytest.raises(ValueError, match="channel counts differ") as err:
            function(gray, rgb, y_channel=True)
        assert "modcrop" not in str(err.value)


def test_size_differences_are_named_with_the_fitting_hint():
    image = np.random.default_rng(0).uniform(0, 1, (48, 48, 3))
    with pytest.raises(ValueError, match=r"(?s)sizes differ.*modcrop"):
        metrics.psnr(image[:47, :46], image[:45, :45])
    with pytest.raises(ValueError, match=r"(?s)sizes differ.*3× smaller.*low-resolution"):
        metrics.psnr(image, image[::3, ::3])
    with pytest.raises(ValueError, match=r"(?s)result.*sizes differ"):
        restoration.error_percentage(image[..., 0], image[:40, :, 0])


def test_gray_as_hxw_and_hxwx1_are_the_same_image():
    gray = np.random.default_rng(0).uniform(0, 1, (24, 24))
    other = np.clip(gray + 0.01, 0, 1)
    assert metrics.psnr(gray, other[..., None]) == pytest.approx(metrics.psnr(gray, other))
    assert metrics.ssim(gray[..., None], other) == pytest.approx(metrics.ssim(gray, other))


def test_other_shape_errors_name_what_differs():
    rgb = np.random.default_rng(0).uniform(0, 1, (20, 30, 3)).astype(np.float32)
    with pytest.raises(ValueError, match="sizes differ"):
        color.replace_luma(rgb, rgb[:10, :15, 0])
    with pytest.raises(ValueError, match="channels"):
        color.replace_luma(rgb, rgb)
    with pytest.raises(ValueError, match=r"3-channel input.*1 channel"):
        tiles.predict_tiled(_rgb_model(), rgb[..., 0], tile=16)
    generator = keras.Sequential([keras.Input((None, None, 3)), keras.layers.UpSampling2D(2)])
    grid = gan.SampleGrid(rgb[None], "unused", target=rgb[None])  # target 1× instead of 2×
    with pytest.raises(ValueError, match="sizes differ"):
        grid.grid(generator)


# --- 6. resuming a run of another configuration ------------------------------------------------


def _run_model(kernel=3, lr=1e-2, seed=0):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((None, None, 1)),
                              keras.layers.Conv2D(8, kernel, padding="same", activation="relu"),
                              keras.layers.Lambda(lambda t: t * 1.0),  # its code must not count
                              keras.layers.Conv2D(1, 3, padding="same")])
    model.compile(keras.optimizers.Adam(lr), loss=train.CroppedMSE(2), metrics=[train.PSNR(2)])
    return model


def _run_data():
    x = np.random.default_rng(0).uniform(0, 1, (16, 12, 12, 1)).astype(np.float32)
    return tf.data.Dataset.from_tensor_slices((x, x * 0.5)).batch(8).repeat()


class _StopAfter(keras.callbacks.Callback):
    def __init__(self, epochs):
        super().__init__()
        self.epochs = epochs

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 == self.epochs:
            raise KeyboardInterrupt("simulated interruption")


def _interrupted_run(run_dir):
    with pytest.raises(KeyboardInterrupt):
        train.fit(_run_model(), _run_data(), epochs=5, steps_per_epoch=2, run_dir=run_dir,
                  callbacks=[_StopAfter(2)], log_every=0)


def test_resuming_with_another_kernel_size_says_what_differs(tmp_path):
    _interrupted_run(tmp_path)
    with pytest.raises(ValueError, match=r"(?s)another configuration.*kernel_size.*restart=True"):
        train.fit(_run_model(kernel=5), _run_data(), epochs=5, steps_per_epoch=2, run_dir=tmp_path,
                  log_every=0)
    with pytest.raises(ValueError, match=r"(?s)learning_rate.*restart=True"):
        train.fit(_run_model(lr=1e-3), _run_data(), epochs=5, steps_per_epoch=2, run_dir=tmp_path,
                  log_every=0)
    # the interrupted run is still there: the same configuration resumes it
    history = train.fit(_run_model(seed=1), _run_data(), epochs=5, steps_per_epoch=2,
                        run_dir=tmp_path, log_every=0)
    assert list(history["epoch"]) == [1, 2, 3, 4, 5]


def test_restart_trains_the_new_configuration_afresh(tmp_path):
    _interrupted_run(tmp_path)
    history = train.fit(_run_model(kernel=5), _run_data(), epochs=3, steps_per_epoch=2,
                        run_dir=tmp_path, log_every=0, restart=True)
    assert list(history["epoch"]) == [1, 2, 3]


def test_state_runs_of_another_configuration_are_refused(tmp_path):
    def nets(width):
        keras.utils.set_random_seed(0)
        g = keras.Sequential([keras.Input((None, None, 1)), keras.layers.Conv2D(1, 3, padding="same")])
        d = keras.Sequential([keras.Input((None, None, 1)), keras.layers.Conv2D(width, 3),
                              keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(1)])
        g.compile(keras.optimizers.Adam(1e-3), "mse")
        g.optimizer.build(g.trainable_variables)
        d_opt = keras.optimizers.Adam(1e-3)
        d_opt.build(d.trainable_variables)
        return g, {"generator": g, "discriminator": d, "g_optimizer": g.optimizer,
                   "d_optimizer": d_opt}

    g, state = nets(4)
    with pytest.raises(KeyboardInterrupt):
        train.fit(g, _run_data(), epochs=4, steps_per_epoch=2, run_dir=tmp_path, state=state,
                  callbacks=[_StopAfter(2)], log_every=0)
    g, state = nets(8)
    with pytest.raises(ValueError, match=r"(?s)discriminator.*filters.*restart=True"):
        train.fit(g, _run_data(), epochs=4, steps_per_epoch=2, run_dir=tmp_path, state=state,
                  log_every=0)
    # TrainingCheckpoint used on its own: the same refusal, not a mixed restore
    checkpoint = train.TrainingCheckpoint(tmp_path / "checkpoints", **state)
    with pytest.raises(ValueError, match="another configuration"):
        checkpoint.restore()
