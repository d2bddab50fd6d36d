"""Training plumbing: the PSNR metric, resumable fits, time budget, distribution."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from srkit import metrics, train
from srkit.train import keras, tf


def _data(n=64, size=12, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, (n, size, size, 1)).astype(np.float32)
    y = np.clip(x * 0.8 + 0.1, 0, 1).astype(np.float32)
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(16).repeat()


def _model(seed=0):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((None, None, 1)),
                              keras.layers.Conv2D(4, 3, padding="same", activation="relu"),
                              keras.layers.Conv2D(1, 3, padding="same")])
    model.compile(keras.optimizers.Adam(1e-2), "mse", metrics=[train.PSNR()])
    return model


def test_psnr_metric_matches_srkit_psnr_per_sample_mean():
    rng = np.random.default_rng(0)
    ref = rng.uniform(0, 1, (3, 16, 16, 1)).astype(np.float32)
    out = np.clip(ref + rng.normal(0, 0.05, ref.shape), -0.1, 1.1).astype(np.float32)
    got = np.asarray(train.psnr_metric(ref, out))
    expected = [metrics.psnr(r[..., 0], np.clip(o[..., 0], 0, 1)) for r, o in zip(ref, out)]
    np.testing.assert_allclose(got, expected, rtol=1e-4)
    cropped = np.asarray(train.psnr_metric(ref, out, border=3))
    expected = [metrics.psnr(r[..., 0], np.clip(o[..., 0], 0, 1), crop_border=3)
                for r, o in zip(ref, out)]
    np.testing.assert_allclose(cropped, expected, rtol=1e-4)
    metric = train.PSNR(border=3)
    metric.update_state(ref, out)
    np.testing.assert_allclose(float(metric.result()), np.mean(expected), rtol=1e-4)
    assert metric.name == "psnr" and train.PSNR.from_config(metric.get_config()).border == 3


class _Interrupt(keras.callbacks.Callback):
    def __init__(self, at_epoch):
        super().__init__()
        self.at_epoch = at_epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 == self.at_epoch:
            self.weights = [w.copy() for w in self.model.get_weights()]
            self.iterations = int(self.model.optimizer.iterations.numpy())
            raise KeyboardInterrupt("simulated disconnect")


class _Record(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.start_weights = [w.copy() for w in self.model.get_weights()]
        self.start_iterations = int(self.model.optimizer.iterations.numpy())
        self.epochs = []

    def on_epoch_begin(self, epoch, logs=None):
        self.epochs.append(epoch)


def test_fit_resumes_after_an_interruption(tmp_path, capsys):
    interrupt = _Interrupt(at_epoch=3)
    with pytest.raises(KeyboardInterrupt):
        train.fit(_model(), _data(), epochs=6, steps_per_epoch=4, run_dir=tmp_path,
                  callbacks=[interrupt])
    # a "new kernel": a fresh model built the same way, a different initialisation
    record = _Record()
    history = train.fit(_model(seed=1), _data(), epochs=6, steps_per_epoch=4, run_dir=tmp_path,
                        callbacks=[record])
    assert record.epochs == [3, 4, 5]  # only the remaining epochs run
    for got, saved in zip(record.start_weights, interrupt.weights):
        np.testing.assert_array_equal(got, saved)  # continued from the checkpoint
    assert record.start_iterations == interrupt.iterations == 12  # optimizer state restored
    assert list(history["epoch"]) == [1, 2, 3, 4, 5, 6]
    assert {"loss", "psnr", "seconds"} <= set(history.columns)
    assert not (tmp_path / "backup").exists()  # finished: the backup is gone
    assert "epoch   6" in capsys.readouterr().out


def test_a_finished_run_trains_afresh(tmp_path):
    train.fit(_model(), _data(), epochs=2, steps_per_epoch=2, run_dir=tmp_path, log_every=0)
    record = _Record()
    history = train.fit(_model(), _data(), epochs=2, steps_per_epoch=2, run_dir=tmp_path,
                        callbacks=[record], log_every=0)
    assert record.epochs == [0, 1] and list(history["epoch"]) == [1, 2]


def test_training_lowers_the_loss_and_raises_psnr(tmp_path):
    history = train.fit(_model(), _data(), epochs=5, steps_per_epoch=8, run_dir=tmp_path,
                        validation_data=_data(seed=1), validation_steps=2, log_every=0)
    assert history["loss"].iloc[-1] < history["loss"].iloc[0]
    assert history["val_psnr"].iloc[-1] > history["val_psnr"].iloc[0]


def test_time_budget_stops_training(tmp_path):
    budget = train.TimeBudget(0.0)
    history = train.fit(_model(), _data(), epochs=50, steps_per_epoch=2, run_dir=tmp_path,
                        callbacks=[budget], log_every=0)
    assert len(history) == 1 and budget.stopped_epoch == 1


def test_default_strategy_on_a_single_device(capsys):
    strategy = train.pick_strategy()
    assert strategy.num_replicas_in_sync == 1
    assert "default strategy" in capsys.readouterr().out


_MIRRORED = textwrap.dedent("""
    import json, sys
    import numpy as np
    from srkit.notebook import import_tensorflow
    tf = import_tensorflow()
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras
    from srkit import patches, train, data

    pairs = patches.make_pairs([data.load_bundled("brick")[:200, :200]], 3, channels="y")

    def run(strategy, tmp, **kw):
        keras.utils.set_random_seed(0)
        with strategy.scope():
            model = keras.Sequential([keras.Input((None, None, 1)),
                                      keras.layers.Conv2D(8, 5, padding="same", activation="relu"),
                                      keras.layers.Conv2D(1, 3, padding="same")])
            model.compile(keras.optimizers.Adam(1e-3), "mse", metrics=[train.PSNR()])
        ds = patches.patch_dataset(pairs, 24, batch_size=16, seed=0, **kw)
        history = train.fit(model, ds, epochs=3, steps_per_epoch=5, run_dir=tmp, log_every=0)
        return model.get_weights(), history

    mirrored = train.pick_strategy(devices=["/cpu:0", "/cpu:1"])
    # random positions, no augmentation: both see the very same batches
    w2, h2 = run(mirrored, sys.argv[1] + "/m", augment=False)
    w1, h1 = run(tf.distribute.get_strategy(), sys.argv[1] + "/d", augment=False)
    # the full pipeline (grid, shuffle, augmentation) under the mirrored strategy
    _, h3 = run(mirrored, sys.argv[1] + "/a", stride=12)
    print(json.dumps({
        "replicas": mirrored.num_replicas_in_sync,
        "max_weight_diff": max(float(np.abs(a - b).max()) for a, b in zip(w1, w2)),
        "moved": max(float(np.abs(a).max()) for a in w2) > 0,
        "loss_m": h2["loss"].tolist(), "loss_d": h1["loss"].tolist(),
        "loss_a": h3["loss"].tolist()}))
""")


def test_mirrored_strategy_over_two_logical_cpus_matches_one_device(tmp_path):
    """Same global batches, same result: the distributed path trains the same model.

    (With shuffling or augmentation the mirrored input pipeline draws another,
    equally valid, random order, so only the loss going down is checked there.)
    """
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run([sys.executable, "-c", _MIRRORED, str(tmp_path)], capture_output=True,
                          text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["replicas"] == 2
    assert result["loss_m"][-1] < result["loss_m"][0]
    np.testing.assert_allclose(result["loss_m"], result["loss_d"], rtol=1e-5)
    assert result["loss_a"][-1] < result["loss_a"][0]
    assert result["max_weight_diff"] < 1e-4


def test_a_model_compiled_with_the_psnr_metric_saves_and_loads(tmp_path):
    model = _model()
    model.fit(_data(), steps_per_epoch=2, epochs=1, verbose=0)
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    x = np.random.default_rng(0).uniform(0, 1, (1, 8, 8, 1)).astype(np.float32)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)


def test_cropped_mse_ignores_the_border_only():
    rng = np.random.default_rng(0)
    y = rng.uniform(0, 1, (2, 10, 10, 1)).astype(np.float32)
    p = y.copy()
    p[:, :2] += 0.5  # errors only in the 2-pixel border
    p[:, 2:8, 2:8] += 0.1
    loss = train.CroppedMSE(2)
    np.testing.assert_allclose(float(loss(y, p)), 0.01, rtol=1e-5)
    np.testing.assert_allclose(float(train.CroppedMSE(0)(y, p)), np.mean((p - y) ** 2), rtol=1e-5)
    restored = keras.losses.deserialize(keras.losses.serialize(loss))
    assert isinstance(restored, train.CroppedMSE) and restored.border == 2
