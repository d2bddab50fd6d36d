"""GAN plumbing for notebook 04: perceptual features, a stability guard, sample grids.

The lesson — the generator, the discriminator and the adversarial ``train_step`` —
is written out in the notebook. What is here is what every GAN run needs and no
student should have to write twice:

- :func:`vgg19_features` — a frozen VGG19 feature map of RGB images in [0, 1]
  (SRGAN's "VGG loss"), ImageNet weights fetched once and checksum-verified.
- :func:`feature_extractor` — the VGG19 features when the weights can be
  fetched, otherwise a stated alternative, *announced*, never a silent switch.
- :class:`CollapseGuard` — stops training with a clear message when losses turn
  NaN, the generator's output collapses (black or near-constant images) or the
  discriminator wins completely for too long.
- :class:`SampleGrid` — saves a grid of generated samples after every epoch.

Checkpoints of both networks and both optimizers: :class:`srkit.train.TrainingCheckpoint`
(``srkit.train.fit(..., state=...)``).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from srkit import download, io
from srkit.notebook import import_tensorflow

tf = import_tensorflow()  # quietly, before Keras imports it
import keras  # noqa: E402

# The "no top" VGG19 weights Keras itself uses (keras.applications.vgg19), same checksum.
VGG19_URL = ("https://storage.googleapis.com/tensorflow/keras-applications/vgg19/"
             "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5")
VGG19_MD5 = "253f8cb515780f3b799900260a226db6"
IMAGENET_MEAN_BGR = (103.939, 116.779, 123.68)  # subtracted by VGG's "caffe" preprocessing
SRGAN_FEATURE_SCALE = 1 / 12.75  # Ledig et al. rescale VGG features to the range of MSE


def keras_cache_dir() -> Path:
    """Keras' own download folder for model weights (``$KERAS_HOME/models`` or ``~/.keras/models``)."""
    home = os.environ.get("KERAS_HOME", "").strip()
    return (Path(home).expanduser() if home else Path.home() / ".keras") / "models"


def _home_as_tilde(path: Path) -> str:
    """``path`` with the home folder written ``~``: the same text on every machine."""
    try:
        return "~/" + Path(path).relative_to(Path.home()).as_posix()
    except ValueError:
        return str(path)


@keras.saving.register_keras_serializable(package="srkit")
class ImageNetPreprocess(keras.layers.Layer):
    """RGB in [0, 1] → VGG's input: ×255, RGB → BGR, minus the ImageNet channel means.

    The same as ``keras.applications.vgg19.preprocess_input(255 * x)``, as a layer
    so gradients flow through it to the generator.
    """

    def call(self, x):
        x = keras.ops.flip(keras.ops.cast(x, "float32") * 255.0, axis=-1)
        return x - keras.ops.convert_to_tensor(IMAGENET_MEAN_BGR, dtype="float32")


def vgg19_features(layer: str = "block5_conv4", weights: str | os.PathLike | None = "imagenet", *,
                   scale: float = SRGAN_FEATURE_SCALE, url: str = VGG19_URL, md5: str = VGG19_MD5,
                   cache_dir=None, timeout: float = 20) -> keras.Model:
    """A frozen VGG19 feature extractor for RGB images in [0, 1].

    Parameters
    ----------
    layer : str
        VGG19 layer whose activations are the features: ``"block5_conv4"`` is
        SRGAN's VGG54 (4th convolution before the 5th pooling), ``"block2_conv2"``
        its VGG22 (low-level features).
    weights : "imagenet", None or path
        "imagenet": download the ImageNet weights (once, cached, md5-verified)
        from ``url``; a path: load that weights file; None: random
        initialisation (for tests: the wiring without the download).
    scale : float
        Multiplies the features (SRGAN: 1/12.75).
    url, md5 : str
        Where the ImageNet weights come from and their checksum.
    cache_dir : path, optional
        Download folder; default Keras' own (``~/.keras/models``), so weights
        Keras fetched before are reused.
    timeout : float
        Seconds to wait for the server.

    Returns
    -------
    keras.Model
        Input ``B×H×W×3`` float in [0, 1] (H, W any size); output the layer's
        activations times ``scale``, ``B×(H/2^k)×(W/2^k)×C`` (block5_conv4: k = 4,
        C = 512). Not trainable.

    Raises
    ------
    srkit.download.DownloadError
        If the weights cannot be fetched (offline machine): the message says
        where to put a copy obtained by hand.
    ValueError
        If ``layer`` is not a VGG19 layer.
    """
    if isinstance(weights, str) and weights == "imagenet":
        folder = Path(cache_dir) if cache_dir is not None else keras_cache_dir()
        weights = download.download(url, md5=md5, cache_dir=folder, progress=False, timeout=timeout)
    base = keras.applications.VGG19(include_top=False, weights=None if weights is None else str(weights),
                                    input_shape=(None, None, 3))
    names = [lay.name for lay in base.layers]
    if layer not in names:
        raise ValueError(f"VGG19 has no layer {layer!r}; choose one of {', '.join(names[1:])}")
    trunk = keras.Model(base.input, base.get_layer(layer).output, name=f"vgg19_to_{layer}")
    trunk.trainable = False
    inputs = keras.Input((None, None, 3), name="rgb_0_1")
    features = trunk(ImageNetPreprocess(name="imagenet_preprocess")(inputs))
    if scale != 1:
        features = keras.layers.Rescaling(float(scale), name="feature_scale")(features)
    model = keras.Model(inputs, features, name=f"vgg19_{layer}")
    model.trainable = False
    return model


def feature_extractor(layer: str = "block5_conv4", *, fallback=None, fallback_name: str = "",
                      **vgg_kwargs):
    """VGG19 features if the ImageNet weights can be had, else ``fallback`` — announced.

    Parameters
    ----------
    layer : str
        VGG19 layer (see :func:`vgg19_features`).
    fallback : keras.Model or callable returning one, optional
        Features to use when the weights cannot be fetched (offline machines,
        CI). Without one, the download error is raised.
    fallback_name : str
        What the fallback is, for the announcement and the returned description.
    **vgg_kwargs
        Passed to :func:`vgg19_features` (``url``, ``cache_dir``, ``timeout``...).

    Returns
    -------
    model : keras.Model
        Frozen feature extractor, input RGB in [0, 1].
    description : str
        Which features these are, to print next to the results.
    """
    try:
        model = vgg19_features(layer, "imagenet", **vgg_kwargs)
        description = f"VGG19 ({layer}) with ImageNet weights"
        print(f"perceptual features: {description}")
        return model, description
    except (download.DownloadError, download.ChecksumError, OSError) as exc:
        if fallback is None:
            raise
        reason = str(exc).splitlines()[0]
        model = fallback() if callable(fallback) and not isinstance(fallback, keras.Model) else fallback
        if not isinstance(model, keras.Model):
            raise TypeError("fallback must be a keras.Model or a function returning one") from exc
        model.trainable = False
        description = fallback_name or model.name
        print("NOTE: the VGG19 ImageNet weights are not available on this machine\n"
              f"  ({reason})\n"
              f"  The perceptual loss uses {description} instead. This is NOT SRGAN's VGG loss;\n"
              "  run with internet (e.g. on Colab) to use VGG19, or copy the weights file to\n"
              f"  {_home_as_tilde(keras_cache_dir() / Path(VGG19_URL).name)}")
        return model, description


def _image_batch(array, name: str) -> np.ndarray:
    """``array`` as a float32 batch B×h×w×C in [0, 1], or a clear error (0–255 data, NaN, shape)."""
    batch = np.asarray(array)
    if batch.ndim != 4:
        raise ValueError(f"{name} must be a batch B×h×w×C, got shape {batch.shape}")
    if batch.dtype == bool or not np.issubdtype(batch.dtype, np.floating):
        raise TypeError(f"{name} must be float images in [0, 1], got dtype {batch.dtype}"
                        + ("; use batch / 255.0" if np.issubdtype(batch.dtype, np.integer) else ""))
    if not np.all(np.isfinite(batch)):
        raise ValueError(f"{name} contains NaN or inf values")
    lo, hi = float(batch.min()), float(batch.max())
    if lo < 0.0 or hi > 1.0:
        raise ValueError(f"{name} has values in [{lo:.4g}, {hi:.4g}], outside [0, 1]: the "
                         "checks would compare the wrong scales; divide 0–255 data by 255")
    return batch.astype(np.float32)


class CollapseGuard(keras.callbacks.Callback):
    """Keras callback: stop a GAN with a clear message when training goes wrong.

    Three failures, each common and each silent without a check:

    1. **NaN or inf losses** (checked after every batch): an exploding loss;
       lower the learning rate.
    2. **Collapsed output** (checked after every epoch on a fixed ``probe``
       batch of inputs): the generator's images are nearly black (mean below
       ``black_level`` while the probe is not dark) or nearly constant (their
       standard deviation below ``min_std_ratio`` × that of the probe). This is
       how "the outputs turned black after 20–50 epochs" starts.
    3. **The discriminator wins completely** (checked after every epoch): its
       accuracy on real *and* fake images at least ``d_win_accuracy`` for
       ``patience`` epochs in a row. Its gradients then no longer guide the
       generator.

    On a trip it prints what happened and what to try, sets
    ``model.stop_training`` and keeps the message in :attr:`reason` (None while
    all is well); with ``raise_error=True`` it raises ``RuntimeError`` instead.
    :attr:`history` holds the probe statistics of every epoch.

    Parameters
    ----------
    probe : ndarray, B×h×w×C float in [0, 1]
        Fixed generator inputs to inspect.
    generator : keras.Model, optional
        The network to watch; default ``model.generator`` of the trained model.
    real_accuracy_key, fake_accuracy_key : str
        Names of the discriminator's accuracies in the training logs.
    """

    def __init__(self, probe, *, generator=None, black_level: float = 0.05,
                 min_std_ratio: float = 0.2, d_win_accuracy: float = 0.99, patience: int = 3,
                 real_accuracy_key: str = "d_real_acc", fake_accuracy_key: str = "d_fake_acc",
                 raise_error: bool = False):
        super().__init__()
        self.probe = _image_batch(probe, "probe")
        self.generator = generator
        self.black_level, self.min_std_ratio = float(black_level), float(min_std_ratio)
        self.d_win_accuracy, self.patience = float(d_win_accuracy), int(patience)
        self.keys = (real_accuracy_key, fake_accuracy_key)
        self.raise_error = raise_error
        self.probe_mean = float(self.probe.mean())
        self.probe_std = float(np.median(self.probe.std(axis=(1, 2, 3))))
        self.reason: str | None = None
        self.history: list[dict] = []
        self._wins = 0

    def _trip(self, epoch: int, what: str, advice: str) -> None:
        self.reason = f"epoch {epoch}: {what}"
        message = f"CollapseGuard stopped training at {self.reason}.\n  What to try: {advice}"
        if self.raise_error:
            raise RuntimeError(message)
        print(message, flush=True)
        self.model.stop_training = True

    def on_train_begin(self, logs=None):
        self.reason, self._wins, self._epoch = None, 0, 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch + 1

    def on_train_batch_end(self, batch, logs=None):
        if self.reason is None:
            self._check_finite(logs, f"{self._epoch} (batch {batch + 1})")

    def _check_finite(self, logs, where) -> bool:
        bad = {k: v for k, v in (logs or {}).items() if not math.isfinite(float(v))}
        if bad:
            self._trip(where, f"non-finite losses {bad}",
                       "a lower learning rate (both optimizers), or clip the gradients")
        return not bad

    def on_epoch_end(self, epoch, logs=None):
        if self.reason is not None or not self._check_finite(logs, epoch + 1):
            return
        generator = self.generator if self.generator is not None else self.model.generator
        out = np.asarray(generator(self.probe, training=False), dtype=np.float64)
        stats = {"epoch": epoch + 1, "mean": float(np.mean(out)),
                 "std": float(np.median(out.reshape(len(out), -1).std(axis=1)))}
        self.history.append(stats)
        if not np.all(np.isfinite(out)):
            return self._trip(epoch + 1, "the generator outputs NaN or inf",
                              "a lower learning rate; check the inputs for NaN")
        if stats["mean"] < self.black_level <= self.probe_mean / 2:
            return self._trip(epoch + 1, f"the generated images are black (mean {stats['mean']:.3f} "
                              f"vs {self.probe_mean:.3f} for the inputs)",
                              "resume from the last checkpoint with a smaller adversarial weight "
                              "or learning rate; make sure the output range matches the "
                              "images' range ([0, 1] here)")
        if stats["std"] < self.min_std_ratio * self.probe_std:
            return self._trip(epoch + 1, f"the generated images are near-constant (std "
                              f"{stats['std']:.4f} vs {self.probe_std:.4f} for the inputs)",
                              "resume from the last checkpoint with a smaller adversarial weight; "
                              "pretrain the generator longer with the pixel loss")
        real, fake = (logs or {}).get(self.keys[0]), (logs or {}).get(self.keys[1])
        if real is not None and fake is not None and min(float(real), float(fake)) >= self.d_win_accuracy:
            self._wins += 1
        else:
            self._wins = 0
        if self._wins >= self.patience:
            self._trip(epoch + 1, f"the discriminator has won completely for {self._wins} epochs "
                       f"(accuracy {float(real):.3f} on real, {float(fake):.3f} on fake images)",
                       "a lower discriminator learning rate, label smoothing, or fewer "
                       "discriminator updates per generator update")


class SampleGrid(keras.callbacks.Callback):
    """Keras callback: after every epoch, save one image of generated samples.

    Each row is one probe image: ``columns`` shows it as ``input`` (resized to the
    output size with nearest neighbours, so its pixels stay visible), the
    generator's output and, if given, the ``target``. Files go to
    ``folder/epoch_001.png``, ...; :attr:`paths` lists them.

    Parameters
    ----------
    probe : ndarray, B×h×w×C float in [0, 1]
        Generator inputs.
    folder : path
        Where the PNG files are written (created).
    target : ndarray, B×H×W×C, optional
        Ground truth for the probe, shown in the last column.
    generator : keras.Model, optional
        Default ``model.generator``.
    """

    def __init__(self, probe, folder, *, target=None, generator=None):
        super().__init__()
        self.probe = _image_batch(probe, "probe")
        self.target = None if target is None else _image_batch(target, "target")
        if self.target is not None and len(self.target) != len(self.probe):
            raise ValueError(f"target has {len(self.target)} images, probe {len(self.probe)}: "
                             "give one ground truth per probe image")
        self.folder = Path(folder)
        self.generator = generator
        self.paths: list[Path] = []

    def grid(self, generator) -> np.ndarray:
        """The grid image (float32 in [0, 1], H×W×C) for the current generator."""
        out = np.clip(np.asarray(generator(self.probe, training=False)), 0, 1)
        if self.target is not None and self.target.shape != out.shape:
            what = ("sizes" if self.target.shape[1:3] != out.shape[1:3] else "channel counts")
            raise ValueError(f"target has shape {self.target.shape}, the generator's output "
                             f"{out.shape}: their {what} differ; give the ground truth of the probe")
        factor = out.shape[1] // self.probe.shape[1]
        inputs = self.probe.repeat(factor, axis=1).repeat(factor, axis=2)
        columns = [inputs, out] + ([self.target] if self.target is not None else [])
        rows = [np.concatenate([c[i] for c in columns], axis=1) for i in range(len(out))]
        return np.concatenate(rows, axis=0).astype(np.float32)

    def on_epoch_end(self, epoch, logs=None):
        generator = self.generator if self.generator is not None else self.model.generator
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"epoch_{epoch + 1:03d}.png"
        io.save_image(path, self.grid(generator))
        self.paths.append(path)
