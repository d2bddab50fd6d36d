"""srkit.gan and srkit.train.TrainingCheckpoint: guard, sample grids, VGG19 features, GAN checkpoints."""

import hashlib
import http.server
import threading
from pathlib import Path

import numpy as np
import pytest

from srkit import data, download, gan, train
from srkit.train import keras, tf


def _probe(n=3, size=12, seed=0):
    """Real image content: small crops of a bundled photo, as a generator input batch."""
    photo = data.load_bundled("chelsea")
    rng = np.random.default_rng(seed)
    tops = rng.integers(0, photo.shape[0] - size, n)
    lefts = rng.integers(0, photo.shape[1] - size, n)
    return np.stack([photo[t:t + size, s:s + size] for t, s in zip(tops, lefts)]).astype(np.float32)


def _upsampler(fn):
    """A "generator" ×2 whose output is ``fn`` of the nearest-neighbour enlarged input."""
    inp = keras.Input((None, None, 3))
    x = keras.layers.UpSampling2D(2)(inp)
    return keras.Model(inp, keras.layers.Lambda(fn)(x))


class _Holder(keras.Model):
    """Stands for the GAN: the guard reads ``model.generator``."""

    def __init__(self, generator):
        super().__init__()
        self.generator = generator
        self.stop_training = False


def _run_guard(guard, generator, epochs_logs):
    guard.set_model(_Holder(generator))
    guard.on_train_begin()
    for epoch, logs in enumerate(epochs_logs):
        guard.on_epoch_begin(epoch)
        guard.on_train_batch_end(0, logs)
        guard.on_epoch_end(epoch, logs)
        if guard.model.stop_training:
            return epoch + 1
    return None


HEALTHY = {"g_loss": 0.01, "d_loss": 1.2, "d_real_acc": 0.7, "d_fake_acc": 0.6}


def test_guard_stays_quiet_on_a_healthy_generator(capsys):
    guard = gan.CollapseGuard(_probe())
    assert _run_guard(guard, _upsampler(lambda t: t), [HEALTHY] * 5) is None
    assert guard.reason is None and len(guard.history) == 5
    assert capsys.readouterr().out == ""


def test_guard_fires_on_black_output(capsys):
    guard = gan.CollapseGuard(_probe())
    stopped = _run_guard(guard, _upsampler(lambda t: t * 0.0), [HEALTHY] * 5)
    assert stopped == 1 and "black" in guard.reason
    assert "CollapseGuard stopped training at epoch 1" in capsys.readouterr().out


def test_guard_fires_on_near_constant_output():
    guard = gan.CollapseGuard(_probe())
    grey = _upsampler(lambda t: 0.5 + 0.001 * t)  # detail squashed to almost nothing
    assert _run_guard(guard, grey, [HEALTHY] * 5) == 1
    assert "near-constant" in guard.reason


def test_guard_fires_on_nan_losses_within_the_epoch():
    guard = gan.CollapseGuard(_probe())
    logs = [HEALTHY, {**HEALTHY, "g_loss": float("nan")}]
    assert _run_guard(guard, _upsampler(lambda t: t), logs) == 2
    assert "non-finite" in guard.reason and "batch 1" in guard.reason


def test_guard_fires_when_the_discriminator_wins_for_patience_epochs():
    wins = {**HEALTHY, "d_real_acc": 1.0, "d_fake_acc": 0.995}
    guard = gan.CollapseGuard(_probe(), patience=3)
    # two winning epochs, a normal one (the count restarts), then three in a row
    logs = [wins, wins, HEALTHY, wins, wins, wins, wins]
    assert _run_guard(guard, _upsampler(lambda t: t), logs) == 6
    assert "discriminator has won completely for 3 epochs" in guard.reason


def test_guard_can_raise_instead():
    guard = gan.CollapseGuard(_probe(), raise_error=True)
    with pytest.raises(RuntimeError, match="black"):
        _run_guard(guard, _upsampler(lambda t: t * 0.0), [HEALTHY])


def test_guard_stops_a_real_fit_whose_generator_collapses(tmp_path):
    """A generator trained towards black images: the guard stops ``fit`` early."""
    keras.utils.set_random_seed(0)
    inp = keras.Input((None, None, 3))
    generator = keras.Model(inp, keras.layers.Conv2D(3, 3, padding="same")(
        keras.layers.UpSampling2D(2)(inp)))
    probe = _probe()
    x = np.repeat(probe, 4, axis=0)
    y = np.zeros((len(x), 24, 24, 3), np.float32)  # the target: black
    train_model = keras.Model(inp, generator(inp))
    train_model.generator = generator
    train_model.compile(keras.optimizers.Adam(0.05), "mse")
    guard = gan.CollapseGuard(probe)
    train_model.fit(x, y, epochs=30, batch_size=4, verbose=0, callbacks=[guard])
    assert guard.reason is not None and ("black" in guard.reason or "near-constant" in guard.reason)
    assert len(guard.history) < 30


def test_guard_rejects_a_probe_that_is_not_a_batch():
    with pytest.raises(ValueError, match="probe must be a batch"):
        gan.CollapseGuard(np.zeros((8, 8, 3), np.float32))


def test_sample_grid_writes_one_image_per_epoch(tmp_path):
    probe = _probe(n=2)
    target = probe.repeat(2, axis=1).repeat(2, axis=2)
    grid = gan.SampleGrid(probe, tmp_path / "samples", target=target)
    grid.set_model(_Holder(_upsampler(lambda t: t)))
    for epoch in range(2):
        grid.on_epoch_end(epoch)
    assert [p.name for p in grid.paths] == ["epoch_001.png", "epoch_002.png"]
    image = grid.grid(_upsampler(lambda t: t))
    assert image.shape == (2 * 24, 3 * 24, 3)
    # input (nearest-enlarged), output (identity here) and target are the same picture
    np.testing.assert_allclose(image[:24, :24], image[:24, 24:48], atol=1e-6)
    np.testing.assert_allclose(image[:24, 48:], target[0], atol=1e-6)


# --- VGG19 features ---------------------------------------------------------------


@pytest.fixture(scope="module")
def random_vgg():
    keras.utils.set_random_seed(0)
    return gan.vgg19_features("block5_conv4", weights=None)


def test_vgg19_feature_path_is_wired_like_keras_preprocessing(random_vgg):
    """weights=None (offline): same layers and preprocessing as Keras' own VGG19 pipeline."""
    x = _probe(n=2, size=96)
    feats = np.asarray(random_vgg(x))
    assert feats.shape == (2, 6, 6, 512)  # 96 / 2^4, block5_conv4 has 512 channels
    assert not random_vgg.trainable and not random_vgg.trainable_weights
    # the same network fed by keras.applications' own preprocessing gives the same features
    trunk = random_vgg.get_layer("vgg19_to_block5_conv4")
    expected = trunk(keras.applications.vgg19.preprocess_input(x * 255.0)) * gan.SRGAN_FEATURE_SCALE
    np.testing.assert_allclose(feats, np.asarray(expected), rtol=1e-4, atol=1e-4)
    assert trunk.layers[-1].name == "block5_conv4"


def test_vgg19_feature_loss_sends_gradients_to_the_image(random_vgg):
    x = tf.constant(_probe(n=1, size=32))
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = tf.reduce_mean(tf.square(random_vgg(x) - random_vgg(tf.zeros_like(x))))
    grad = tape.gradient(loss, x)
    assert grad is not None and float(tf.reduce_max(tf.abs(grad))) > 0


def test_vgg19_rejects_an_unknown_layer():
    with pytest.raises(ValueError, match="VGG19 has no layer 'block9_conv1'"):
        gan.vgg19_features("block9_conv1", weights=None)


class _WeightsHandler(http.server.BaseHTTPRequestHandler):
    body = b""

    def do_GET(self):  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


@pytest.fixture
def weights_server(tmp_path, random_vgg):
    """A 127.0.0.1 server handing out a VGG19 weights file (random weights, Keras format)."""
    base = keras.applications.VGG19(include_top=False, weights=None, input_shape=(None, None, 3))
    for w in base.weights:
        w.assign(np.full(w.shape, 0.01, np.float32))
    path = tmp_path / "vgg19_notop.weights.h5"
    base.save_weights(path)
    _WeightsHandler.body = path.read_bytes()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _WeightsHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/vgg19_notop.weights.h5", \
        hashlib.md5(_WeightsHandler.body).hexdigest()
    server.shutdown()


def test_vgg19_weights_are_downloaded_verified_and_loaded(tmp_path, weights_server, capsys):
    url, md5 = weights_server
    model, description = gan.feature_extractor("block2_conv2", url=url, md5=md5,
                                               cache_dir=tmp_path / "cache", fallback=None)
    assert "VGG19 (block2_conv2) with ImageNet weights" == description
    assert (tmp_path / "cache" / "vgg19_notop.weights.h5").is_file()
    kernel = model.get_layer("vgg19_to_block2_conv2").get_layer("block1_conv1").kernel
    np.testing.assert_allclose(np.asarray(kernel), 0.01)  # the served weights, not random ones


def test_offline_the_alternative_is_announced(tmp_path, capsys):
    fallback = _upsampler(lambda t: t)
    url = "http://127.0.0.1:9/vgg19.h5"  # nothing listens on the discard port: refused
    model, description = gan.feature_extractor(url=url, cache_dir=tmp_path, timeout=2,
                                               fallback=fallback, fallback_name="the stand-in")
    out = capsys.readouterr().out
    assert model is fallback and description == "the stand-in"
    assert "VGG19 ImageNet weights are not available" in out and "uses the stand-in instead" in out
    assert "NOT SRGAN's VGG loss" in out
    # where to put the weights, said without this machine's home folder
    assert f"{Path.home()}/" not in out and "~/.keras/models/vgg19_weights" in out


def test_offline_without_an_alternative_raises_the_download_error(tmp_path):
    with pytest.raises(download.DownloadError, match="Could not download"):
        gan.feature_extractor(url="http://127.0.0.1:9/vgg19.h5", cache_dir=tmp_path, timeout=2)


# --- checkpoints of two networks and two optimizers -----------------------------------


def _pair_of_nets(seed):
    keras.utils.set_random_seed(seed)
    g = keras.Sequential([keras.Input((4,)), keras.layers.Dense(4)])
    d = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    g_opt, d_opt = keras.optimizers.Adam(1e-2), keras.optimizers.Adam(3e-3)
    g_opt.build(g.trainable_variables)
    d_opt.build(d.trainable_variables)
    return g, d, g_opt, d_opt


def _step(net, opt, x):
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(net(x) ** 2)
    opt.apply_gradients(zip(tape.gradient(loss, net.trainable_variables), net.trainable_variables))


def test_training_checkpoint_restores_both_networks_and_both_optimizers(tmp_path):
    g, d, g_opt, d_opt = _pair_of_nets(0)
    ckpt = train.TrainingCheckpoint(tmp_path, epochs=10, generator=g, discriminator=d,
                                    g_optimizer=g_opt, d_optimizer=d_opt)
    assert ckpt.restore() == 0  # nothing yet
    x = np.ones((2, 4), np.float32)
    for _ in range(3):
        _step(g, g_opt, x)
    _step(d, d_opt, x)
    ckpt.save(2)
    saved = [v.numpy().copy() for v in (*g.weights, *d.weights, *g_opt.variables, *d_opt.variables)]

    g2, d2, g_opt2, d_opt2 = _pair_of_nets(1)  # "a new kernel"
    again = train.TrainingCheckpoint(tmp_path, epochs=10, generator=g2, discriminator=d2,
                                     g_optimizer=g_opt2, d_optimizer=d_opt2)
    assert again.restore() == 2
    restored = [v.numpy() for v in (*g2.weights, *d2.weights, *g_opt2.variables, *d_opt2.variables)]
    assert len(saved) == len(restored)
    for a, b in zip(saved, restored):
        np.testing.assert_array_equal(a, b)
    assert int(g_opt2.iterations.numpy()) == 3 and int(d_opt2.iterations.numpy()) == 1
    # Adam's moment estimates are not zero: the state that a restart would lose
    assert any(np.abs(v.numpy()).max() > 0 for v in g_opt2.variables if "momentum" in v.path)


def test_training_checkpoint_needs_built_optimizers(tmp_path):
    g = keras.Sequential([keras.Input((4,)), keras.layers.Dense(4)])
    with pytest.raises(ValueError, match="optimizer 'g_optimizer' is not built"):
        train.TrainingCheckpoint(tmp_path, generator=g, g_optimizer=keras.optimizers.Adam())
