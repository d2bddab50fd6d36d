"""The setup ritual every notebook runs first: profile, quiet TensorFlow, seeds, devices.

Nothing here is part of a lesson; it is written once so the notebooks can
show only what they teach.
"""

from __future__ import annotations

import contextlib
import os
import platform
import random
import sys
import time
from pathlib import Path

import numpy as np

QUICK_ENV = "SRKIT_QUICK"
OUTPUTS_ENV = "SRKIT_OUTPUTS"
# Only the log level: TF_ENABLE_ONEDNN_OPTS=0 would also silence the oneDNN notice, but it
# makes convolutions on the CPU about 5× slower (measured: SRCNN training, 4.9 vs 26.6
# steps/s on 2 cores). The notice is printed at import, where _silenced_stderr catches it.
_TF_QUIET = {"TF_CPP_MIN_LOG_LEVEL": "2"}
# Figures: 100 dpi (Jupyter's inline figures were 72 dpi, too small to judge a crop); tables:
# up to 4 decimals, trailing zeros dropped, so a rounded table shows its rounding and an
# integer column stays an integer.
FIGURE_DPI = 100
TABLE_PRECISION = 4


def is_quick() -> bool:
    """True when ``$SRKIT_QUICK`` asks for the quick (CI) profile: 1, true, yes or on."""
    return os.environ.get(QUICK_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def in_colab() -> bool:
    """True inside Google Colab."""
    return "google.colab" in sys.modules


@contextlib.contextmanager
def _silenced_stderr():
    """Send the process's file descriptor 2 to /dev/null (C++ logging included)."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def import_tensorflow():
    """Import TensorFlow without its start-up chatter on stderr; return the module.

    Sets ``TF_CPP_MIN_LOG_LEVEL=2`` (unless already set) and silences the C++
    messages printed at import before it takes effect ("Could not find cuda
    drivers" without a GPU, the oneDNN notice). oneDNN stays on: turning it
    off with ``TF_ENABLE_ONEDNN_OPTS=0`` slows CPU training about 5×.
    Real errors still raise as usual.
    """
    for key, value in _TF_QUIET.items():
        os.environ.setdefault(key, value)
    with _silenced_stderr():
        import tensorflow as tf

        tf.config.list_physical_devices()  # CUDA initialisation logs happen here
    return tf


def absorb_one_time_notices() -> None:
    """Trigger TensorFlow's known one-time C++ notices once, with stderr silenced.

    On CPUs without the full AVX-512 set, TensorFlow's oneDNN build logs
    "oneDNN supports DT_INT32 only on platforms with AVX-512. Falling back to
    the default Eigen-based implementation" (at ERROR level, so
    ``TF_CPP_MIN_LOG_LEVEL=2`` keeps it) the first time a graph trains a
    convolution followed by nearest-neighbour upsampling (``UpSampling2D``, as
    in the autoencoder of notebook 03). It is harmless and printed once per
    process: a one-step fit of a tiny such model here absorbs it, so it does
    not land in a notebook's training output. Real errors are not affected.
    """
    import keras

    with _silenced_stderr():
        inputs = keras.Input((None, None, 1))
        x = keras.layers.Conv2D(2, 3, padding="same")(inputs)
        tiny = keras.Model(inputs, keras.layers.UpSampling2D()(x))
        tiny.compile("sgd", "mse")
        tiny.fit(np.zeros((1, 4, 4, 1), np.float32), np.zeros((1, 8, 8, 2), np.float32), verbose=0)
        keras.backend.clear_session()


def seed_everything(seed: int) -> None:
    """Seed Python's ``random``, NumPy and (if imported) Keras/TensorFlow."""
    random.seed(seed)
    np.random.seed(seed)
    if "keras" in sys.modules or "tensorflow" in sys.modules:
        import keras

        keras.utils.set_random_seed(seed)


def cpu_name() -> str:
    """Processor model as the OS reports it (``/proc/cpuinfo`` on Linux)."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def display_defaults(dpi: int = FIGURE_DPI, precision: int = TABLE_PRECISION) -> None:
    """Readable figures and tables: matplotlib at ``dpi``, pandas with ``precision`` decimals.

    pandas' ``display.precision`` is a maximum: a column rounded to 2 decimals shows 2, and
    integer columns show no decimals (a global ``float_format`` would print ``1600.0000``).
    """
    import matplotlib.pyplot as plt  # first, so Jupyter's inline backend does not reset these
    import pandas as pd

    plt.rcParams.update({"figure.dpi": dpi, "savefig.dpi": dpi})
    pd.set_option("display.precision", precision)


def setup(seed: int = 42, *, tensorflow: bool = True, dpi: int = FIGURE_DPI) -> dict:
    """Seed everything, set readable display defaults and print what this notebook runs on.

    Parameters
    ----------
    seed : int
        Seed for Python, NumPy and Keras.
    tensorflow : bool
        Import TensorFlow (quietly) and report its GPUs.
    dpi : int
        Resolution of the notebook's figures (:func:`display_defaults`).

    Returns
    -------
    dict
        ``profile`` ("quick" or "default"), ``cpu``, ``cores``, ``gpus`` (list of
        names) and the versions printed.
    """
    import srkit

    info = {"profile": "quick" if is_quick() else "default", "cpu": cpu_name(),
            "cores": os.cpu_count(), "gpus": [], "python": platform.python_version(),
            "numpy": np.__version__, "srkit": srkit.__version__}
    if tensorflow:
        tf = import_tensorflow()
        import keras

        info["tensorflow"], info["keras"] = tf.__version__, keras.__version__
        gpus = tf.config.list_physical_devices("GPU")
        for gpu in gpus:  # take GPU memory as needed, not all at once
            with contextlib.suppress(RuntimeError):
                tf.config.experimental.set_memory_growth(gpu, True)
        absorb_one_time_notices()
        info["gpus"] = [tf.config.experimental.get_device_details(g).get("device_name", g.name)
                        for g in gpus]
    seed_everything(seed)
    display_defaults(dpi)
    versions = ", ".join(f"{k} {info[k]}" for k in ("python", "numpy", "tensorflow", "keras", "srkit")
                         if k in info)
    print(f"profile: {info['profile']}" + ("" if info["profile"] == "quick"
                                            else f" (set {QUICK_ENV}=1 for the quick one)"))
    print(f"CPU: {info['cpu']}, {info['cores']} cores")
    if tensorflow:
        print(f"GPU: {', '.join(info['gpus']) if info['gpus'] else 'none, training runs on the CPU'}")
    print(versions)
    return info


def outputs_dir() -> Path:
    """Folder for results (CSV tables, models): ``$SRKIT_OUTPUTS`` or ``outputs/``.

    ``outputs/`` is placed at the root of the kit's checkout (the folder with
    ``pyproject.toml`` above the working directory), else in the working
    directory. Created if missing.
    """
    folder = os.environ.get(OUTPUTS_ENV, "").strip()
    if folder:
        path = Path(folder)
    else:
        cwd = Path.cwd().resolve()
        root = next((p for p in (cwd, *cwd.parents) if (p / "pyproject.toml").exists()), cwd)
        path = root / "outputs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def best_time(fn, *args, repeats: int = 3, **kwargs) -> float:
    """Best wall time in seconds of ``repeats`` calls of ``fn(*args, **kwargs)``."""
    best = float("inf")
    for _ in range(max(1, int(repeats))):
        start = time.perf_counter()
        fn(*args, **kwargs)
        best = min(best, time.perf_counter() - start)
    return best
