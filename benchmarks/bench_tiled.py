"""Tiled versus whole-image SRCNN inference on a 4000×3000 photo: time and peak memory.

The input stands for the bicubic-upscaled Y channel that a ×3 SRCNN gets:
the bundled ``astronaut`` photo resized to 4000×3000 (width × height) with
MATLAB bicubic (``srkit.degrade.imresize``), converted to Y
(``srkit.metrics.rgb_to_y``), float32. The SRCNN 9-1-5 has seeded, untrained
weights: the time and memory of a forward pass do not depend on the values.

Every measurement runs in its own child process (this script started again
with a hidden ``--mode``), so one mode's allocations cannot raise the other's
peak: ``whole`` (``srkit.tiles.predict_whole``) and ``tiled`` for each
``--tile`` (``srkit.tiles.predict_tiled``). A ``prepare`` child builds the
image once (saved as .npy for the others), records the machine and checks on
a 1000×1000 crop that tiled and whole outputs agree within 1e-5. The parent
imports neither TensorFlow nor NumPy and stays small: on Linux a child's
``ru_maxrss`` starts at the parent's peak (it is inherited across exec).

Run from the repository root (see benchmarks/README.md)::

    .venv/bin/python benchmarks/bench_tiled.py --tile 256 512 1024   # full run
    .venv/bin/python benchmarks/bench_tiled.py --quick               # 800×600 smoke run
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
NAME = "tiled"
SCALE = 3
PHOTO = "astronaut"
TARGET_SLOWDOWN = 15.0  # percent
TOLERANCE = 1e-5
GIB_PER_KIB = 1.0 / 2**20


def parse_size(text: str) -> tuple[int, int]:
    """'4000x3000' -> (width, height)."""
    try:
        w, h = (int(v) for v in text.lower().replace("×", "x").split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must be WIDTHxHEIGHT, e.g. 4000x3000, got {text!r}")
    if w < 1 or h < 1:
        raise argparse.ArgumentTypeError(f"size must be positive, got {text!r}")
    return w, h


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description="Time and peak memory of tiled (srkit.tiles.predict_tiled) versus whole-image "
                    "(predict_whole) SRCNN inference on a 4000×3000 ×3 input; each mode in its "
                    "own child process.")
    p.add_argument("--size", type=parse_size, default=None,
                   help="input WIDTHxHEIGHT (default 4000x3000; 800x600 with --quick)")
    p.add_argument("--tile", type=int, nargs="+", default=[512],
                   help="tile size(s) in pixels, overlap included, one child each (default 512)")
    p.add_argument("--batch-size", type=int, default=1, help="tiles per model call (default 1)")
    p.add_argument("--overlap", type=int, default=None,
                   help="overlap in pixels (default: measured receptive radius, 6 for SRCNN 9-1-5)")
    p.add_argument("--repeats", type=int, default=None,
                   help="timed full-size calls per mode, best reported (default 2; 1 with --quick)")
    p.add_argument("--check-size", type=int, default=1000,
                   help="side of the top-left crop on which tiled and whole outputs are "
                        "compared (default 1000)")
    p.add_argument("--no-whole", action="store_true",
                   help="skip the whole-image child (e.g. when it cannot fit in memory)")
    p.add_argument("--seed", type=int, default=0, help="seed of the untrained weights (default 0)")
    p.add_argument("--quick", action="store_true",
                   help="smoke run: an 800x600 image and 1 repeat unless given")
    p.add_argument("--out", type=Path, default=None,
                   help=f"JSON result file (default benchmarks/results/{NAME}.json, "
                        f"or {NAME}_quick.json with --quick)")
    # the child processes' side of the protocol
    p.add_argument("--mode", choices=["prepare", "whole", "tiled"], help=argparse.SUPPRESS)
    p.add_argument("--image", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--child-out", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.size is None:
        args.size = (800, 600) if args.quick else (4000, 3000)
    if args.repeats is None:
        args.repeats = 1 if args.quick else 2
    if args.out is None:
        args.out = HERE / "results" / (f"{NAME}_quick.json" if args.quick else f"{NAME}.json")
    if args.repeats < 1 or args.batch_size < 1 or min(args.tile) < 1 or args.check_size < 1:
        p.error("--repeats, --batch-size, --tile and --check-size must be ≥ 1")
    if args.mode and (args.image is None or args.child_out is None):
        p.error("--mode needs --image and --child-out")
    return args


# --------------------------------------------------------------------------- memory readings

def maxrss_kib() -> int:
    """``ru_maxrss`` of this process in KiB (Linux reports KiB, macOS bytes)."""
    value = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return value // 1024 if sys.platform == "darwin" else value


def proc_status_kib(key: str) -> int | None:
    """``VmRSS``/``VmHWM`` from /proc/self/status in KiB, None where there is none."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def reset_peak() -> bool:
    """Reset this process's peak RSS to its current RSS (Linux ≥ 4.0); True if done."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


# --------------------------------------------------------------------------- children

def child_setup(args):
    from srkit.notebook import import_tensorflow

    tf = import_tensorflow()
    import keras

    gpus = tf.config.list_physical_devices("GPU")
    for gpu in gpus:
        try:
            tf.config.experimental.set_memory_growth(gpu, True)
        except RuntimeError:
            pass
    keras.utils.set_random_seed(args.seed)
    model = keras.Sequential([keras.Input((None, None, 1)),
        keras.layers.Conv2D(64, 9, padding="same", activation="relu"),
        keras.layers.Conv2D(32, 1, padding="same", activation="relu"),
        keras.layers.Conv2D(1, 5, padding="same")])
    return tf, keras, gpus, model


def machine_info(tf, keras, gpus) -> dict:
    import numpy as np

    from srkit.notebook import cpu_name

    return {"cpu": cpu_name(), "cpu_count": os.cpu_count(),
            "gpus": [tf.config.experimental.get_device_details(g).get("device_name", g.name)
                     for g in gpus],
            "tensorflow": tf.__version__, "keras": keras.__version__,
            "python": platform.python_version(), "numpy": np.__version__,
            "platform": platform.platform(),
            "env": {k: os.environ.get(k) for k in ("TF_ENABLE_ONEDNN_OPTS", "TF_CPP_MIN_LOG_LEVEL",
                                                   "OMP_NUM_THREADS", "CUDA_VISIBLE_DEVICES")}}


def windows(length: int, tile: int, overlap: int) -> int:
    """Number of windows predict_tiled places along one axis (see srkit.tiles)."""
    tile = min(tile, length)
    if tile >= length:
        return 1
    return len(range(0, length - tile, tile - 2 * overlap)) + 1


def child_prepare(args) -> dict:
    """Build and save the input image, record the machine, check tiled == whole on a crop."""
    import numpy as np

    import srkit.data
    import srkit.degrade
    import srkit.metrics

    width, height = args.size
    t0 = time.perf_counter()
    photo = srkit.data.load_bundled(PHOTO)
    big = srkit.degrade.imresize(photo, output_shape=(height, width))
    image = srkit.metrics.rgb_to_y(big).astype(np.float32)
    del big
    np.save(args.image, image)
    make_s = time.perf_counter() - t0

    tf, keras, gpus, model = child_setup(args)
    import srkit.tiles

    radius = srkit.tiles.receptive_radius(model, 1)
    overlap = radius if args.overlap is None else args.overlap
    crop = image[:args.check_size, :args.check_size]
    whole = srkit.tiles.predict_whole(model, crop)
    checks = []
    for tile in args.tile:
        tiled = srkit.tiles.predict_tiled(model, crop, tile=tile, overlap=args.overlap,
                                          batch_size=args.batch_size)
        diff = float(np.max(np.abs(tiled - whole)))
        checks.append({"tile": tile, "crop": list(crop.shape), "max_abs_diff": diff,
                       "windows": windows(crop.shape[0], tile, overlap)
                                  * windows(crop.shape[1], tile, overlap),
                       "equal_within_tolerance": diff <= TOLERANCE})
    return {"machine": machine_info(tf, keras, gpus), "image_shape": list(image.shape),
            "image_make_s": make_s, "receptive_radius": radius, "overlap": overlap,
            "checks": checks}


def child_measure(args) -> dict:
    """Time one mode on the full image and read its memory (in a fresh process)."""
    import gc

    import numpy as np

    image = np.load(args.image)
    tf, keras, gpus, model = child_setup(args)
    import srkit.tiles

    tile = args.tile[0]
    if args.mode == "whole":
        def infer(x):
            return srkit.tiles.predict_whole(model, x)
        warm = image[:256, :256]
    else:
        def infer(x):
            return srkit.tiles.predict_tiled(model, x, tile=tile, overlap=args.overlap,
                                             batch_size=args.batch_size)
        warm = image[:2 * tile, :2 * tile]  # full-size windows, same shapes as the real run
    infer(warm)  # warm-up: first-call set-up, kernels, tracing
    gc.collect()

    before = {"rss_kib": proc_status_kib("VmRSS"), "hwm_kib": proc_status_kib("VmHWM"),
              "maxrss_kib": maxrss_kib()}
    reset = reset_peak()
    gpu_peak = None
    if gpus:
        tf.config.experimental.reset_memory_stats("GPU:0")
    times = []
    shape = None
    for _ in range(args.repeats):
        start = time.perf_counter()
        out = infer(image)
        times.append(time.perf_counter() - start)
        shape = list(out.shape)
        del out
    if gpus:
        gpu_peak = tf.config.experimental.get_memory_info("GPU:0")["peak"]
    after = {"rss_kib": proc_status_kib("VmRSS"), "hwm_kib": proc_status_kib("VmHWM"),
             "maxrss_kib": maxrss_kib()}
    # with the reset, ru_maxrss after = peak during the timed calls; else the process peak
    inference_peak = after["maxrss_kib"]
    result = {"mode": args.mode, "times_s": times, "best_s": min(times), "output_shape": shape,
              "before": before, "after": after, "peak_reset": reset,
              "peak_rss_kib": max(before["maxrss_kib"], after["maxrss_kib"]),
              "inference_peak_rss_kib": inference_peak,
              "increase_kib": inference_peak - before["rss_kib"] if before["rss_kib"] else None,
              "gpu_peak_bytes": gpu_peak}
    if args.mode == "tiled":
        overlap = srkit.tiles.receptive_radius(model, 1) if args.overlap is None else args.overlap
        result.update(tile=tile, batch_size=args.batch_size, overlap=overlap,
                      windows=windows(image.shape[0], tile, overlap)
                              * windows(image.shape[1], tile, overlap))
    return result


def run_child(args, mode: str, image: Path, workdir: Path, tile: int | None = None) -> dict:
    out = workdir / f"{mode}{'' if tile is None else f'_{tile}'}.json"
    cmd = [sys.executable, str(Path(__file__).resolve()), "--mode", mode, "--image", str(image),
           "--child-out", str(out), "--size", f"{args.size[0]}x{args.size[1]}",
           "--batch-size", str(args.batch_size), "--repeats", str(args.repeats),
           "--check-size", str(args.check_size), "--seed", str(args.seed),
           "--tile", *(str(t) for t in ([tile] if tile is not None else args.tile))]
    if args.overlap is not None:
        cmd += ["--overlap", str(args.overlap)]
    start = time.perf_counter()
    proc = subprocess.run(cmd)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0 or not out.exists():
        why = "killed (out of memory?)" if proc.returncode in (-9, 137) else "failed"
        print(f"  {mode} child {why}: exit status {proc.returncode}", flush=True)
        return {"mode": mode, "error": f"child {why}, exit status {proc.returncode}",
                "returncode": proc.returncode, "tile": tile}
    result = json.loads(out.read_text())
    result["child_wall_s"] = elapsed
    return result


def gib(kib):
    return None if kib is None else kib * GIB_PER_KIB


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.mode:  # child process
        result = child_prepare(args) if args.mode == "prepare" else child_measure(args)
        args.child_out.write_text(json.dumps(result))
        return 0

    width, height = args.size
    print(f"SRCNN 9-1-5 (untrained, seed {args.seed}) on a {width}×{height} Y image "
          f"({PHOTO} bicubic-resized, standing for a ×{SCALE} input); tiles {args.tile}, "
          f"batch {args.batch_size}, best of {args.repeats}" + (" [quick]" if args.quick else ""),
          flush=True)
    with tempfile.TemporaryDirectory(prefix="bench_tiled_") as tmp:
        workdir = Path(tmp)
        image = workdir / "image.npy"
        print("preparing the image and checking tiled == whole ...", flush=True)
        prep = run_child(args, "prepare", image, workdir)
        if "error" in prep:
            print("the prepare step failed; nothing measured", file=sys.stderr)
            return 1
        machine = prep["machine"]
        print(f"CPU: {machine['cpu']}, {machine['cpu_count']} cores; "
              f"GPU: {', '.join(machine['gpus']) or 'none'}; "
              f"TensorFlow {machine['tensorflow']}, Keras {machine['keras']}")
        print(f"image {prep['image_shape'][1]}×{prep['image_shape'][0]} made in "
              f"{prep['image_make_s']:.1f} s; receptive radius {prep['receptive_radius']}, "
              f"overlap {prep['overlap']}")
        for c in prep["checks"]:
            print(f"  tile {c['tile']:5d}: max |tiled - whole| = {c['max_abs_diff']:.2e} on a "
                  f"{c['crop'][1]}×{c['crop'][0]} crop ({c['windows']} windows) -> "
                  f"{'equal' if c['equal_within_tolerance'] else 'NOT equal'} within {TOLERANCE:g}")

        runs = []
        if not args.no_whole:
            print("measuring whole ...", flush=True)
            runs.append(run_child(args, "whole", image, workdir))
        for tile in args.tile:
            print(f"measuring tiled {tile} ...", flush=True)
            runs.append(run_child(args, "tiled", image, workdir, tile))

    whole = next((r for r in runs if r["mode"] == "whole" and "error" not in r), None)
    for r in runs:
        if r["mode"] == "tiled" and "error" not in r and whole:
            r["slowdown_percent"] = (r["best_s"] / whole["best_s"] - 1.0) * 100.0
            r["meets_target"] = r["slowdown_percent"] < TARGET_SLOWDOWN

    gpu = any(r.get("gpu_peak_bytes") is not None for r in runs)
    print(f"\n{'mode':22s} {'seconds':>8s} {'peak RSS':>9s} {'+ inference':>12s}"
          + (f" {'GPU peak':>9s}" if gpu else "") + "  slowdown vs whole")
    for r in runs:
        label = "whole" if r["mode"] == "whole" else \
            f"tiled {r['tile']} (batch {args.batch_size})"
        if "error" in r:
            print(f"{label:22s} {r['error']}")
            continue
        inc = gib(r["increase_kib"])
        line = (f"{label:22s} {r['best_s']:8.2f} {gib(r['peak_rss_kib']):7.2f} GiB "
                f"{'' if inc is None else f'{inc:+8.2f} GiB':>12s}")
        if gpu:
            line += f" {r['gpu_peak_bytes'] / 2**30:5.2f} GiB"
        if "slowdown_percent" in r:
            line += (f"  {r['slowdown_percent']:+.1f} % (target under {TARGET_SLOWDOWN:g} %: "
                     f"{'met' if r['meets_target'] else 'NOT met'})")
        print(line)
    print("peak RSS: ru_maxrss of the mode's process; + inference: peak during the timed calls "
          "minus the RSS just before them (TensorFlow, model and input loaded)")

    report = {"benchmark": NAME, "quick": args.quick,
              "created": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
              "command": [Path(sys.argv[0]).name, *(sys.argv[1:] if argv is None else argv)],
              "machine": machine,
              "config": {"model": "SRCNN 9-1-5, untrained (seeded)", "seed": args.seed,
                         "scale": SCALE, "photo": PHOTO, "width": width, "height": height,
                         "tiles": args.tile, "batch_size": args.batch_size,
                         "overlap": args.overlap, "repeats": args.repeats,
                         "check_size": args.check_size},
              "parent_maxrss_kib": maxrss_kib(),
              "target_slowdown_percent": TARGET_SLOWDOWN, "tolerance": TOLERANCE,
              "definitions": {
                  "best_s": "fastest of `repeats` full-size calls, after a warm-up call on a crop",
                  "peak_rss_kib": "max ru_maxrss of the child process (KiB), whole lifetime",
                  "inference_peak_rss_kib": "ru_maxrss after the timed calls, the peak having "
                                            "been reset to the current RSS just before them "
                                            "(/proc/self/clear_refs) when peak_reset is true",
                  "increase_kib": "inference_peak_rss_kib - RSS (VmRSS) just before the timed calls",
                  "slowdown_percent": "(tiled best_s / whole best_s - 1) * 100",
                  "gpu_peak_bytes": "TensorFlow's peak GPU:0 allocation during the timed calls"},
              "receptive_radius": prep["receptive_radius"], "overlap": prep["overlap"],
              "image_make_s": prep["image_make_s"], "checks": prep["checks"], "runs": runs}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nresults written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
