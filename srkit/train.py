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


def psnr_metric(y_true, y_pred, border: int = 0):
    """Per-sample PSNR in dB for images in [0, 1], ``border`` pixels cropped per side.

    The prediction is clipped to [0, 1] first, as a saved image would be. On
    patches, without the Y conversion of the papers, so it tracks training;
    report test numbers with :mod:`srkit.evaluate`. Use it through
    :class:`PSNR` in ``compile(metrics=[...])``.
    """
    ops = keras.ops
    inner = slice(border, -border) if border > 0 else slice(None)
    y_true = ops.cast(y_true[:, inner, inner], "float32")
    y_pred = ops.clip(ops.cast(y_pred[:, inner, inner], "float32"), 0.0, 1.0)
    mse = ops.mean(ops.square(y_pred - y_true), axis=tuple(range(1, len(y_true.shape))))
    return -10.0 * ops.log(ops.maximum(mse, 1e-10)) / math.log(10.0)


@keras.saving.register_keras_serializable(package="srkit")
class PSNR(keras.metrics.MeanMetricWrapper):
    """Keras metric: mean per-sample PSNR (dB) of images in [0, 1], border cropped.

    Give it the same ``border`` as :class:`CroppedMSE`, so the metric measures
    the pixels the loss trains. Registered with Keras: a model compiled with
    it saves and loads (after ``import srkit.train``).
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
    """

    def __init__(self, border: int, name: str = "cropped_mse", **kwargs):
        super().__init__(name=name, **kwargs)
        self.border = int(border)

    def call(self, y_true, y_pred):
        b = self.border
        inner = slice(b, -b) if b > 0 else slice(None)
        diff = keras.ops.cast(y_pred[:, inner, inner], "float32") - \
            keras.ops.cast(y_true[:, inner, inner], "float32")
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
    resuming = backup_dir.exists() and any(backup_dir.iterdir())
    if not resuming:
        history_csv.unlink(missing_ok=True)  # stale curves of a finished run
    run_dir.mkdir(parents=True, exist_ok=True)

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
        self._checkpoint.restore(latest).assert_existing_objects_matched()
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

