"""Notebook 04's own code: pixel shuffle, the two-phase train_step, resuming a GAN."""

import numpy as np
import pytest

from notebook_code import definitions
from srkit import cost, train
from srkit.train import keras, tf

NB = definitions("04_gan.ipynb")


def _reference_depth_to_space(x, r):
    """Pixel shuffle by explicit loops: out[h·r+i, w·r+j, c] = in[h, w, (i·r+j)·C + c]."""
    b, h, w, depth = x.shape
    c = depth // (r * r)
    out = np.empty((b, h * r, w * r, c), x.dtype)
    for n in range(b):
        for y in range(h):
            for x_ in range(w):
                for i in range(r):
                    for j in range(r):
                        out[n, y * r + i, x_ * r + j, :] = x[n, y, x_, (i * r + j) * c:(i * r + j + 1) * c]
    return out


@pytest.mark.parametrize("r, channels", [(2, 3), (3, 1), (4, 2)])
def test_pixel_shuffle_matches_the_reference_rearrangement(r, channels):
    x = np.random.default_rng(r).normal(size=(2, 3, 5, r * r * channels)).astype(np.float32)
    got = NB["PixelShuffle"](r)(x).numpy()
    np.testing.assert_array_equal(got, _reference_depth_to_space(x, r))


def test_pixel_shuffle_shapes_config_and_errors():
    layer = NB["PixelShuffle"](2)
    assert layer.compute_output_shape((None, 6, None, 12)) == (None, 12, None, 3)
    assert NB["PixelShuffle"].from_config(layer.get_config()).factor == 2
    with pytest.raises(ValueError, match="channels divisible by 4"):
        layer.compute_output_shape((None, 6, 6, 6))


def test_generator_upscales_any_size_and_the_image_skip_starts_from_bicubic():
    g = NB["build_generator"](scale=4, filters=8, blocks=2, image_skip=True)
    lr = np.random.default_rng(0).uniform(0, 1, (1, 7, 9, 3)).astype(np.float32)
    assert g(lr).shape == (1, 28, 36, 3)
    # the last convolution starts at zero: an untrained generator is exactly bicubic
    bicubic = tf.image.resize(lr, [28, 36], method="bicubic").numpy()
    np.testing.assert_allclose(g(lr).numpy(), bicubic, atol=1e-6)
    np.testing.assert_allclose(g(lr, training=True).numpy(), bicubic, atol=1e-6)
    assert NB["build_generator"](scale=3, filters=8, blocks=1)(lr).shape == (1, 21, 27, 3)


def test_discriminator_gives_one_logit_per_crop():
    d = NB["build_discriminator"](size=32, filters=4, dense=16)
    assert d(np.zeros((5, 32, 32, 3), np.float32)).shape == (5, 1)


def _small_gan(seed=0, features=True):
    keras.utils.set_random_seed(seed)
    g = NB["build_generator"](scale=2, filters=8, blocks=1)
    d = NB["build_discriminator"](size=16, filters=4, dense=8)
    f = None
    if features:
        frozen = NB["build_generator"](scale=2, filters=4, blocks=1, image_skip=False)
        f = keras.Model(frozen.input, frozen.get_layer("global_skip").output)
        f.trainable = False
    gan = NB["SRGAN"](g, d, f, adversarial_weight=1e-3)
    gan.compile(g_optimizer=keras.optimizers.Adam(1e-3), d_optimizer=keras.optimizers.Adam(1e-3))
    return gan


def _batch(seed=0):
    rng = np.random.default_rng(seed)
    hr = rng.uniform(0, 1, (4, 16, 16, 3)).astype(np.float32)
    lr = tf.image.resize(hr, [8, 8], method="area").numpy()
    return tf.constant(lr), tf.constant(hr)


def _snapshot(model):
    return {v.path: v.numpy().copy() for v in model.weights}


def _moved(before, model, trainable=True):
    """Paths of ``model``'s trainable (or non-trainable) variables that changed."""
    variables = model.trainable_variables if trainable else model.non_trainable_variables
    return {v.path for v in variables if not np.array_equal(before[v.path], v.numpy())}


def _one_phase(phase):
    """Run one phase ("discriminator" or "generator") on a fresh GAN.

    Returns the GAN and, for each network, the names of the variables that moved.
    """
    gan = _small_gan()
    nets = {"generator": gan.generator, "discriminator": gan.discriminator, "features": gan.features}
    before = {name: _snapshot(net) for name, net in nets.items()}
    getattr(gan, f"{phase}_step")(*_batch())
    moved = {name: _moved(before[name], net) for name, net in nets.items()}
    frozen_stats = _moved(before["features"], gan.features, trainable=False)
    assert not moved["features"] and not frozen_stats, "the feature extractor must stay frozen"
    return gan, moved


def test_discriminator_phase_updates_only_the_discriminator():
    gan, moved = _one_phase("discriminator")
    assert not moved["generator"], "the generator's weights moved in the discriminator phase"
    kernels = {v.path for v in gan.discriminator.trainable_variables if "kernel" in v.path}
    assert kernels and kernels <= moved["discriminator"], "every D layer learns"
    assert int(gan.d_optimizer.iterations.numpy()) == 1 and int(gan.g_optimizer.iterations.numpy()) == 0


def test_generator_phase_updates_only_the_generator():
    gan, moved = _one_phase("generator")
    # (D's batch-norm running statistics follow the batches it sees: not trained, not checked)
    assert not moved["discriminator"], "the discriminator's weights moved in the generator phase"
    kernels = {v.path for v in gan.generator.trainable_variables if "kernel" in v.path}
    assert "tail_conv/kernel" in " ".join(moved["generator"])  # the zero-initialised output learns
    assert moved["generator"] & kernels
    assert int(gan.g_optimizer.iterations.numpy()) == 1 and int(gan.d_optimizer.iterations.numpy()) == 0


def test_train_step_logs_every_tracked_quantity():
    gan = _small_gan(features=False)
    ds = tf.data.Dataset.from_tensors(_batch()).repeat()
    history = gan.fit(ds, steps_per_epoch=3, epochs=2, verbose=0).history
    assert set(history) == {"g_loss", "content_loss", "adversarial_loss", "d_loss",
                            "d_real_acc", "d_fake_acc"}
    assert all(np.isfinite(v).all() for v in history.values())
    assert all(0 <= a <= 1 for a in history["d_real_acc"] + history["d_fake_acc"])
    assert int(gan.g_optimizer.iterations.numpy()) == int(gan.d_optimizer.iterations.numpy()) == 6


class _Interrupt(keras.callbacks.Callback):
    def __init__(self, at_epoch, gan):
        super().__init__()
        self.at_epoch, self.gan = at_epoch, gan

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 == self.at_epoch:
            self.saved = {name: [v.numpy().copy() for v in obj.variables]
                          for name, obj in _state(self.gan).items()}
            raise KeyboardInterrupt("simulated disconnect")


class _Start(keras.callbacks.Callback):
    def __init__(self, gan):
        super().__init__()
        self.gan, self.epochs = gan, []

    def on_train_begin(self, logs=None):
        self.start = {name: [v.numpy().copy() for v in obj.variables]
                      for name, obj in _state(self.gan).items()}

    def on_epoch_begin(self, epoch, logs=None):
        self.epochs.append(epoch)


def _state(gan):
    return {"generator": gan.generator, "discriminator": gan.discriminator,
            "g_optimizer": gan.g_optimizer, "d_optimizer": gan.d_optimizer}


def test_an_interrupted_gan_resumes_both_networks_and_both_optimizers(tmp_path, capsys):
    ds = tf.data.Dataset.from_tensors(_batch()).repeat()
    gan = _small_gan(seed=0)
    interrupt = _Interrupt(2, gan)
    with pytest.raises(KeyboardInterrupt):
        train.fit(gan, ds, epochs=4, steps_per_epoch=3, run_dir=tmp_path, state=_state(gan),
                  callbacks=[interrupt], log_every=0)
    fresh = _small_gan(seed=7)  # "a new kernel": other initial weights, new optimizers
    start = _Start(fresh)
    history = train.fit(fresh, ds, epochs=4, steps_per_epoch=3, run_dir=tmp_path,
                        state=_state(fresh), callbacks=[start], log_every=0)
    assert "resuming from the checkpoint of epoch 2" in capsys.readouterr().out
    assert start.epochs == [2, 3]
    for name, values in interrupt.saved.items():
        assert len(values) == len(start.start[name])
        for a, b in zip(values, start.start[name]):
            np.testing.assert_array_equal(a, b, err_msg=name)
    assert int(fresh.g_optimizer.iterations.numpy()) == int(fresh.d_optimizer.iterations.numpy()) == 12
    assert list(history["epoch"]) == [1, 2, 3, 4]
    assert not (tmp_path / "checkpoints").exists()  # finished: the checkpoints are gone


@pytest.mark.parametrize("r", [2, 3])
def test_icnr_starts_the_pixel_shuffle_as_nearest_neighbour_upsampling(r):
    """ICNR (Aitken et al. 2017): conv(ICNR) → PixelShuffle(r) equals a conv with the base
    kernels followed by nearest-neighbour upsampling, so every r×r block starts uniform."""
    keras.utils.set_random_seed(0)
    channels = 2
    conv = keras.layers.Conv2D(channels * r * r, 3, padding="same", kernel_initializer=NB["ICNR"](r))
    x = np.random.default_rng(1).uniform(0, 1, (1, 6, 7, 3)).astype(np.float32)
    out = NB["PixelShuffle"](r)(conv(x)).numpy()
    base = conv.kernel.numpy()[..., :channels]
    small = tf.nn.conv2d(x, base, 1, "SAME").numpy()
    np.testing.assert_allclose(out, np.repeat(np.repeat(small, r, axis=1), r, axis=2), atol=1e-6)
    # the default initialisation does not do that
    keras.utils.set_random_seed(0)
    plain = keras.layers.Conv2D(channels * r * r, 3, padding="same")
    blocks = NB["PixelShuffle"](r)(plain(x)).numpy()
    assert np.abs(blocks[:, 0::r, 0::r] - blocks[:, 0::r, 1::r]).max() > 1e-3


def test_icnr_config_round_trip_and_error():
    init = NB["ICNR"](2)
    again = NB["ICNR"].from_config(init.get_config())
    assert again.factor == 2
    with pytest.raises(ValueError, match="divisible by 4"):
        init((3, 3, 8, 6))


def test_efficient_generator_starts_from_bicubic_and_works_at_the_lr_size_only():
    """DESIGN = "efficient" (issue 25): no batch norm, one pixel shuffle at the end, centred values."""
    g = NB["build_generator"](scale=4, filters=32, blocks=6, design="efficient", shift=0.5)
    assert not [lay for lay in g.layers if isinstance(lay, keras.layers.BatchNormalization)]
    lr = np.random.default_rng(0).uniform(0, 1, (1, 7, 9, 3)).astype(np.float32)
    bicubic = tf.image.resize(lr, [28, 36], method="bicubic").numpy()
    np.testing.assert_allclose(g(lr).numpy(), bicubic, atol=1e-6)  # zero tail: exactly bicubic
    # every convolution at the LR size: (9·3·F + B·2·9·F² + 9·F² + 9·F·3·s²) / s² per output pixel
    f, b, s = 32, 6, 4
    by_hand = (9 * 3 * f + b * 2 * 9 * f * f + 9 * f * f + 9 * f * 3 * s * s) / (s * s)
    assert cost.multiply_adds(g) == pytest.approx(by_hand) == 8406
    assert g.count_params() == 134_992
    # the paper's design with the same sizes spends most of its work above the LR size
    paper = NB["build_generator"](scale=4, filters=32, blocks=6)
    assert cost.multiply_adds(paper) == pytest.approx(27_270)


@pytest.mark.parametrize("arch, design", [("edsr", "efficient"), ("srresnet", "srresnet")])
def test_the_x4_recipe_benchmark_trains_the_notebooks_generators(arch, design):
    """benchmarks/bench_x4_recipe.py's networks are notebook 04's designs ("edsr" is
    DESIGN = "efficient", "srresnet" the paper's): same layers, and the same output for the
    same weights (the benchmark initialises the paper's upsampling without ICNR)."""
    import importlib.util
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_x4_recipe.py"
    spec = importlib.util.spec_from_file_location("bench_x4_recipe", script)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    args = bench.parse_args(list(bench.NOTEBOOK_04) + ["--arch", arch])
    ours = bench.build_generator(keras, args)
    nb = NB["build_generator"](scale=4, filters=args.filters, blocks=args.blocks, design=design,
                               shift=args.shift)
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in nb.get_weights()]
    rng = np.random.default_rng(2)
    weights = [rng.normal(scale=0.05, size=w.shape).astype(np.float32) for w in nb.get_weights()]
    ours.set_weights(weights)
    nb.set_weights(weights)
    lr = rng.uniform(0, 1, (1, 10, 8, 3)).astype(np.float32)
    np.testing.assert_allclose(ours(lr).numpy(), nb(lr).numpy(), atol=1e-5)
