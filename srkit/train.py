"""Training plumbing shared by the notebooks: devices, a PSNR metric, resumable fits.

- :func:`pick_strategy` — a ``tf.distribute`` strategy for what this machine
  has: a TPU (Colab), several GPUs (``MirroredStrategy``), else the default.
- :class:`PSNR` — PSNR in dB as a Keras metric (not "accuracy", which means
  nothing for image regression).
- :class:`CroppedMSE` — MSE that ignores the patch border the padding spoils.
- :func:`fit` — ``model.fit`` that survives a restarted kernel: it backs up
  weights, optimizer state and the epoch after every epoch and continues
  from there when run again; it keeps the whole history in a CSV file.
- :class:`TrainingCheckpoint` — the same for several networks and optimizers
  (a GAN): ``fit(..., state={...})``.
- :class:`TimeBudget`, :class:`EpochLog` — stop after a wall-clock budget;
  print one short line every few epochs.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import time
from pathlib import Path

import pandas as pd

from srkit.notebook import import_tensorflow

tf = import_tensorflow()  # quietly, before Keras imports it with its start-up chatter
import keras  # noqa: E402


def pick_strategy(devices=None, *, verbose: bool = True):
    """The ``tf.distribute`` strategy for this machine.

    Parameters
    ----------
    devices : list of str, optional
        Force ``MirroredStrategy`` over these devices (e.g. two logical CPUs
        in a test). None chooses automatically:

        1. a TPU when one is attached (Colab's TPU runtime): ``TPUStrategy``;
        2. two or more GPUs: ``MirroredStrategy`` over all of them;
        3. otherwise the default strategy (one GPU or the CPU).
    verbose : bool
        Print the choice and the number of replicas.

    Returns
    -------
    tf.distribute.Strategy
        Build and compile the model inside ``strategy.scope()``; give
        ``patch_dataset`` the *global* batch size (per-replica × replicas).
    """
    if devices is not None:
        strategy = tf.distribute.MirroredStrategy(devices=list(devices))
        name = f"MirroredStrategy over {', '.join(devices)}"
    else:
        strategy, name = _tpu_strategy(tf), "TPUStrategy"
        if strategy is None:
            gpus = tf.config.list_logical_devices("GPU")
            if len(gpus) > 1:
                strategy, name = tf.distribute.MirroredStrategy(), f"MirroredStrategy over {len(gpus)} GPUs"
            else:
                strategy = tf.distribute.get_strategy()
                name = f"default strategy ({'one GPU' if gpus else 'CPU'})"
    if verbose:
        print(f"distribution: {name}, {strategy.num_replicas_in_sync} replica(s)")
    return strategy


def _tpu_strategy(tf):
    """A TPUStrategy if a TPU is attached (Colab TPU VM or legacy TPU node), else None."""
    if not (os.environ.get("COLAB_TPU_ADDR") or os.environ.get("TPU_NAME")
            or Path("/dev/accel0").exists() or Path("/dev/vfio/0").exists()):
        return None
    try:
        target = "local" if not os.environ.get("COLAB_TPU_ADDR") else None
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=target)
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        return tf.distribute.TPUStrategy(resolver)
    except (ValueError, RuntimeError, tf.errors.OpError) as err:
        print(f"a TPU seems attached but could not be used ({err}); falling back")
        return None


RANGE_TOLERANCE = 1e-3
"""How far targets may stray outside [0, 1] (float rounding) before training stops."""


def _targets_in_unit_range(y_true, where: str):
    """Stop with a clear error when the targets are not images in [0, 1]; return the check.

    Every pixel metric of this kit assumes images in [0, 1]. Targets in 0–255
    (or in [-1, 1]) make every logged number meaningless without any error:
    PSNR of 0–255 data against predictions clipped to [0, 1] reads −43 dB.
    The check runs inside the compiled training step: ``tf.debugging.Assert``
    stops training at the first such batch, with this message (graph mode and
    eager mode, CPU and GPU). Under XLA (``jit_compile=True``, Keras' default
    on a GPU, and TPUs) assertions are dropped, so the caller also turns its
    value into NaN with the returned boolean: the log then shows ``nan``, never
    a plausible wrong number. Costs two reductions per batch.
    """
    lo, hi = tf.reduce_min(y_true), tf.reduce_max(y_true)
    ok = tf.logical_and(lo >= -RANGE_TOLERANCE, hi <= 1.0 + RANGE_TOLERANCE)
    assertion = tf.debugging.Assert(ok, [
        f"{where}: the targets (y_true) must be images in [0, 1], as everywhere in srkit; this "
        "batch has values in [min, max] =", lo, hi, "Divide 0-255 data by 255 (or map [-1, 1] "
        "data with (x + 1) / 2) before training."], name="targets_in_0_1")
    return ok, assertion


def psnr_metric(y_true, y_pred, border: int = 0):
    """Per-sample PSNR in dB for images in [0, 1], ``border`` pixels cropped per side.

    The prediction is clipped to [0, 1] first, as a saved image would be. On
    patches, without the Y conversion of the papers, so it tracks training;
    report test numbers with :mod:`srkit.evaluate`. Use it through
    :class:`PSNR` in ``compile(metrics=[...])``.

    Raises
    ------
    tensorflow.errors.InvalidArgumentError
        If ``y_true`` has values outside [0, 1] (beyond :data:`RANGE_TOLERANCE`),
        e.g. 0–255 images: the message says so. Where assertions cannot run
        (XLA), the values are NaN instead.
    """
    ops = keras.ops
    inner = slice(border, -border) if border > 0 else slice(None)
    y_true = ops.cast(y_true[:, inner, inner], "float32")
    ok, assertion = _targets_in_unit_range(y_true, "PSNR metric")
    with tf.control_dependencies([assertion]):
        y_pred = ops.clip(ops.cast(y_pred[:, inner, inner], "float32"), 0.0, 1.0)
    mse = ops.mean(ops.square(y_pred - y_true), axis=tuple(range(1, len(y_true.shape))))
    psnr = -10.0 * ops.log(ops.maximum(mse, 1e-10)) / math.log(10.0)
    return ops.where(ok, psnr, float("nan"))


@keras.saving.register_keras_serializable(package="srkit")
class PSNR(keras.metrics.MeanMetricWrapper):
    """Keras metric: mean per-sample PSNR (dB) of images in [0, 1], border cropped.

    Give it the same ``border`` as :class:`CroppedMSE`, so the metric measures
    the pixels the loss trains. Registered with Keras: a model compiled with
    it saves and loads (after ``import srkit.train``). Targets outside [0, 1]
    (0–255 data) stop training with a clear error (see :func:`psnr_metric`).
    """

    def __init__(self, border: int = 0, name: str = "psnr", dtype=None):
        super().__init__(fn=psnr_metric, name=name, dtype=dtype, border=int(border))
        self.border = int(border)

    def get_config(self):
        return {"border": self.border, "name": self.name, "dtype": self.dtype}


@keras.saving.register_keras_serializable(package="srkit")
class CroppedMSE(keras.losses.Loss):
    """Mean squared error over the centre of each patch, ``border`` pixels cropped per side.

    A convolutional network with ``padding="same"`` computes the outputs near a
    patch edge partly from the zero padding, not from image content. Within
    the receptive radius of the edge (6 pixels for SRCNN 9-1-5) such outputs
    are wrong *because the patch was cut*, and a loss on them teaches the
    model to compensate for an artefact of training. The SRCNN paper avoided
    it with unpadded convolutions and a 21×21 target for a 33×33 input; this
    loss does the same with padded ones. Per-sample losses, for Keras to average.

    Like :class:`PSNR`, it stops training with a clear error when the targets
    are not images in [0, 1] (0–255 data would give losses 65,025 times larger
    and a learning rate tuned for [0, 1] would not fit them).
    """

    def __init__(self, border: int, name: str = "cropped_mse", **kwargs):
        super().__init__(name=name, **kwargs)
        self.border = int(border)

    def call(self, y_true, y_pred):
        b = self.border
        inner = slice(b, -b) if b > 0 else slice(None)
        y_true = keras.ops.cast(y_true[:, inner, inner], "float32")
        _, assertion = _targets_in_unit_range(y_true, "CroppedMSE loss")
        with tf.control_dependencies([assertion]):
            diff = keras.ops.cast(y_pred[:, inner, inner], "float32") - y_true
        return keras.ops.mean(keras.ops.square(diff), axis=(1, 2, 3))

    def get_config(self):
        return {**super().get_config(), "border": self.border}


class TimeBudget(keras.callbacks.Callback):
    """Keras callback: stop training at the end of the epoch that exceeds ``seconds``.

    Counts only the time spent in this ``fit`` call, so two models given the
    same budget get the same wall time (up to one epoch).
    """

    def __init__(self, seconds: float):
        super().__init__()
        self.seconds = float(seconds)
        self.start = None
        self.stopped_epoch = None

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        if time.perf_counter() - self.start >= self.seconds:
            self.model.stop_training = True
            self.stopped_epoch = epoch + 1


class EpochLog(keras.callbacks.Callback):
    """Keras callback: one line every ``every`` epochs (and the last) with elapsed time.

    Readable in stored notebook outputs, unlike progress bars.
    """

    def __init__(self, every: int = 1, keys=None):
        super().__init__()
        self.every, self.keys = max(1, int(every)), keys
        self.start = None

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        last = epoch + 1 == self.params.get("epochs") or self.model.stop_training
        if (epoch + 1) % self.every and not last:
            return
        keys = self.keys or [k for k in (logs or {}) if k not in ("learning_rate", "seconds")]
        values = "  ".join(f"{k} {_fmt(logs[k])}" for k in keys if k in (logs or {}))
        print(f"epoch {epoch + 1:>3}  {values}  ({time.perf_counter() - self.start:.0f} s)",
              flush=True)


def _fmt(value) -> str:
    value = float(value)
    return f"{value:.2f}" if abs(value) >= 1 else f"{value:.5f}"


def fit(model, data, *, epochs: int, run_dir, steps_per_epoch: int | None = None,
        validation_data=None, validation_steps: int | None = None, callbacks=(),
        log_every: int = 1, restart: bool = False, state: dict | None = None) -> pd.DataFrame:
    """``model.fit`` that resumes after an interruption; returns the whole history.

    After every epoch the weights, the optimizer state and the epoch number
    are written to ``run_dir/backup`` (Keras ``BackupAndRestore``). Calling
    ``fit`` again with the same ``run_dir`` — after a Colab disconnect, a
    kernel restart or a KeyboardInterrupt, with the model rebuilt and
    recompiled the same way — loads them and runs only the remaining
    epochs. When training completes the backup is deleted, so a later call
    trains afresh. Losses are appended to ``run_dir/history.csv`` as they
    come, so the curves include the epochs before the interruption.

    Parameters
    ----------
    model : keras.Model
        Compiled (inside ``strategy.scope()`` when distributing).
    data : tf.data.Dataset
        Batches of ``(input, target)``; endless ones need ``steps_per_epoch``.
    epochs : int
        Total number of epochs, counting those done before an interruption.
    run_dir : path
        Folder for the backup and the history (e.g. ``outputs/02_srcnn_run``).
    validation_data, validation_steps, steps_per_epoch, callbacks
        As for ``keras.Model.fit``.
    log_every : int
        Print a line every this many epochs (0: print nothing).
    restart : bool
        Ignore (delete) a backup and history from an earlier run.

        A resumed run must be the same run: ``fit`` writes the configuration
        (every layer's class and settings, the optimizer's, the loss) to
        ``run_dir/run_config.json``, and when the folder holds an interrupted
        run of another configuration (a 5×5 kernel where it had 3×3, another
        learning rate or schedule) it raises ``ValueError`` saying what
        differs, instead of loading weights that do not fit or mixing two
        runs. Pass ``restart=True`` or another ``run_dir`` then.
    state : dict, optional
        For models with their own ``train_step`` and several networks and
        optimizers (a GAN): the objects to save and restore, by name, e.g.
        ``{"generator": g, "discriminator": d, "g_optimizer": go, "d_optimizer": do}``.
        They are checkpointed with :class:`TrainingCheckpoint` in
        ``run_dir/checkpoints`` instead of Keras' ``BackupAndRestore`` (which
        knows only ``model.optimizer``). Optimizers must be built.

    Returns
    -------
    pandas.DataFrame
        One row per epoch (``epoch`` from 1, the losses and metrics, and
        ``seconds``, the wall time of the epoch), epochs before a resume
        included.
    """
    run_dir = Path(run_dir)
    backup_dir = run_dir / ("checkpoints" if state else "backup")
    history_csv = run_dir / "history.csv"
    if restart:
        shutil.rmtree(backup_dir, ignore_errors=True)
        history_csv.unlink(missing_ok=True)
    config_json = run_dir / "run_config.json"
    config = _run_config(model, state)
    resuming = backup_dir.exists() and any(backup_dir.iterdir())
    if resuming and config_json.exists():
        differs = _config_difference(json.loads(config_json.read_text()), config)
        if differs:
            raise ValueError(f"{run_dir} holds an interrupted run of another configuration "
                             f"({differs}); pass restart=True to discard it and train afresh, "
                             "or give another run_dir")
    if not resuming:
        history_csv.unlink(missing_ok=True)  # stale curves of a finished run
    run_dir.mkdir(parents=True, exist_ok=True)
    if not resuming or not config_json.exists():
        config_json.write_text(json.dumps(config, indent=1))

    initial_epoch = 0
    if state:
        saver = TrainingCheckpoint(backup_dir, epochs=epochs, **state)
        initial_epoch = saver.restore()
        if initial_epoch:
            print(f"resuming from the checkpoint of epoch {initial_epoch}")
    else:
        saver = keras.callbacks.BackupAndRestore(str(backup_dir))
    cbs = [saver, _EpochTimer(), keras.callbacks.CSVLogger(str(history_csv), append=True),
           *callbacks]
    if log_every:
        cbs.append(EpochLog(log_every))
    if initial_epoch < epochs:
        model.fit(data, epochs=epochs, initial_epoch=initial_epoch,
                  steps_per_epoch=steps_per_epoch, validation_data=validation_data,
                  validation_steps=validation_steps, callbacks=cbs, verbose=0, shuffle=False)
    if not history_csv.exists():
        raise RuntimeError(f"no training history in {run_dir}: delete the folder and train again")
    history = pd.read_csv(history_csv)
    history["epoch"] = history["epoch"] + 1
    return history.drop_duplicates("epoch", keep="last").reset_index(drop=True)


def _plain(value):
    """``value`` as JSON-comparable data; code (Lambda layers) stands as a placeholder.

    A Lambda layer's config holds its marshalled bytecode, which names the
    notebook cell's file; that changes with every kernel and must not count.
    """
    if isinstance(value, dict):
        if value.get("class_name") == "__lambda__":
            return "<lambda>"
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def _settings(obj) -> dict:
    """A layer's, loss's or optimizer's config without its name (names count up on rebuild)."""
    try:
        config = dict(obj.get_config())
    except Exception:  # noqa: BLE001 - custom objects without get_config: the class must do
        return {}
    config.pop("name", None)
    return _plain(config)


def _layers(model) -> list:
    """``[class name, settings]`` of every layer, nested models walked into, in order."""
    entries = []
    for layer in getattr(model, "layers", []):
        if isinstance(layer, keras.Model):
            entries.extend(_layers(layer))
        else:
            entries.append([type(layer).__name__, _settings(layer)])
    return entries


def _describe_loss(loss):
    if loss is None or isinstance(loss, str):
        return loss
    if isinstance(loss, keras.losses.Loss):
        return [type(loss).__name__, _settings(loss)]
    return getattr(loss, "__name__", type(loss).__name__)


def _run_config(model, state) -> dict:
    """What must not change between an interrupted run and its resumption."""
    objects = dict(state) if state else {"model": model}
    config = {}
    for name, obj in objects.items():
        if isinstance(obj, keras.optimizers.Optimizer):
            config[name] = {"optimizer": [type(obj).__name__, _settings(obj)]}
        else:
            config[name] = {"layers": _layers(obj)}
    if not state:
        optimizer = getattr(model, "optimizer", None)
        if optimizer is not None:
            config["model"]["optimizer"] = [type(optimizer).__name__, _settings(optimizer)]
        config["model"]["loss"] = _plain(_describe_loss(getattr(model, "loss", None)))
    return config


def _short(value) -> str:
    text = json.dumps(value) if not isinstance(value, str) else value
    return text if len(text) <= 60 else text[:57] + "..."


def _leaf_difference(old, new, path: str = "") -> str:
    """``"key.sub value, was value"`` for the first setting that differs (depth first)."""
    if isinstance(old, dict) and isinstance(new, dict):
        for k in sorted(set(old) | set(new)):
            if old.get(k) != new.get(k):
                if k == "config" or k not in old or k not in new:
                    sub = path
                else:
                    sub = f"{path}.{k}" if path else k
                if k not in old or k not in new:
                    return f"{sub or k} {_short(new.get(k))}, was {_short(old.get(k))}"
                return _leaf_difference(old[k], new[k], sub)
        return ""
    return f"{path} {_short(new)}, was {_short(old)}".strip()


def _config_difference(saved: dict, now: dict) -> str:
    """The first difference between two run configurations in words, or '' if none."""
    for name in sorted(set(saved) | set(now)):
        if name not in saved or name not in now:
            return f"{name!r} is {'new' if name not in saved else 'missing'} in this run"
        old, new = saved[name], now[name]
        layers_old, layers_new = old.get("layers"), new.get("layers")
        if layers_old != layers_new and layers_old is not None and layers_new is not None:
            label = "the model" if name == "model" else name
            if len(layers_old) != len(layers_new):
                return f"{label} has {len(layers_new)} layers, the interrupted run had {len(layers_old)}"
            for i, ((cls_old, cfg_old), (cls_new, cfg_new)) in enumerate(zip(layers_old, layers_new)):
                if cls_old != cls_new:
                    return f"layer {i} of {label} is {cls_new}, was {cls_old}"
                if cfg_old != cfg_new:
                    return f"layer {i} ({cls_new}) of {label}: {_leaf_difference(cfg_old, cfg_new)}"
        for key in ("optimizer", "loss"):
            if old.get(key) != new.get(key):
                a, b = old.get(key), new.get(key)
                if key == "optimizer" and a and b and a[0] == b[0]:
                    return f"optimizer of {name}: {_leaf_difference(a[1], b[1])}"
                return f"{key} of {name}: {_short(b)}, was {_short(a)}"
    return ""


class TrainingCheckpoint(keras.callbacks.Callback):
    """Keras callback: checkpoint named networks and optimizers every epoch, resume from them.

    ``model.fit``'s own ``BackupAndRestore`` saves one model and its one
    optimizer. A GAN has two networks and two optimizers (their moment
    estimates matter: restarting Adam from zero after a resume is a
    different training run). This callback saves all of them, and the epoch,
    with ``tf.train.Checkpoint`` (keeping the last ``max_to_keep``), restores
    them in :meth:`restore`, and deletes the checkpoints once all ``epochs``
    are done, so a later run trains afresh. A run stopped early (a guard, a
    time budget) keeps its last checkpoint.

    Parameters
    ----------
    directory : path
        Folder for the checkpoints.
    epochs : int, optional
        Total epochs of the run; when reached, the checkpoints are deleted.
    max_to_keep : int
        Checkpoints kept (the newest ones).
    **objects
        Trackable objects by name: Keras models and *built* optimizers.

    Example
    -------
    >>> ckpt = TrainingCheckpoint("run/ckpt", epochs=20, generator=g, discriminator=d,
    ...                           g_optimizer=g_opt, d_optimizer=d_opt)
    >>> start = ckpt.restore()   # 0 for a fresh run
    >>> gan.fit(ds, epochs=20, initial_epoch=start, callbacks=[ckpt])
    """

    def __init__(self, directory, *, epochs: int | None = None, max_to_keep: int = 2, **objects):
        super().__init__()
        if not objects:
            raise ValueError("TrainingCheckpoint needs the objects to save, e.g. generator=g")
        for name, obj in objects.items():
            if isinstance(obj, keras.optimizers.Optimizer) and not obj.built:
                raise ValueError(f"optimizer {name!r} is not built yet: call "
                                 f"{name}.build(network.trainable_variables) first, so its "
                                 "state can be restored")
        self.directory = Path(directory)
        self.epochs = epochs
        self.epoch = tf.Variable(0, dtype=tf.int64, trainable=False, name="epoch")
        self._checkpoint = tf.train.Checkpoint(epoch=self.epoch, **objects)
        self._manager = tf.train.CheckpointManager(self._checkpoint, str(self.directory),
                                                   max_to_keep=max_to_keep)

    def restore(self) -> int:
        """Load the newest checkpoint, if any; return the number of epochs it had done."""
        latest = self._manager.latest_checkpoint
        if latest is None:
            return 0
        try:
            self._checkpoint.restore(latest).assert_existing_objects_matched()
        except (ValueError, AssertionError) as err:
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise ValueError(f"the checkpoint in {self.directory} was written by networks or "
                             f"optimizers of another configuration ({first[:200]}); delete that "
                             "folder (fit(..., restart=True)) or use another one") from err
        return int(self.epoch.numpy())

    def save(self, epoch: int) -> str:
        """Write a checkpoint after ``epoch`` epochs; return its path."""
        self.epoch.assign(int(epoch))
        return self._manager.save(checkpoint_number=int(epoch))

    def on_epoch_end(self, epoch, logs=None):
        self.save(epoch + 1)

    def on_train_end(self, logs=None):
        if self.epochs is not None and int(self.epoch.numpy()) >= self.epochs:
            shutil.rmtree(self.directory, ignore_errors=True)


class _EpochTimer(keras.callbacks.Callback):
    """Callback adding ``seconds`` (wall time of the epoch) to the logs (for CSVLogger)."""

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["seconds"] = time.perf_counter() - self.start

