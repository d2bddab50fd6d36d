"""Training speed of SRCNN fed by the srkit patch pipeline versus batches already in memory.

Both variants train notebook 02's SRCNN 9-1-5 (no padding, as the paper: a 33×33 Y
patch gives a 21×21 output; Adam 1e-3, MSE on the centre, batch 64, T91 patches at ×3
on the SRCNN route) with the same ``model.fit(ds, steps_per_epoch=S, epochs=1,
verbose=0, shuffle=False)`` call; only ``ds`` differs:

- ``pipeline``: ``srkit.patches.patch_dataset(pairs, 33, stride=..., batch_size=64,
  augment=True, seed=0)`` and the target crop to the centre, as in notebook 02 —
  patches gathered, augmented and batched on the fly;
- ``memory``: K batches taken from that same pipeline once, up front, stacked
  into one ``K×64×33×33×1`` array and replayed with
  ``tf.data.Dataset.from_tensor_slices((inputs, targets)).repeat()`` — a data
  source that costs next to nothing.

The difference in steps per second is the pipeline's overhead:
``(1 - pipeline / memory) × 100`` %, target under 10 %. Measured for the
random-crop mode (``stride=None``) and the grid mode (``stride=14``).

Run from the repository root (see benchmarks/README.md)::

    .venv/bin/python benchmarks/bench_pipeline.py            # full run
    .venv/bin/python benchmarks/bench_pipeline.py --quick    # smoke run, seconds
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
NAME = "pipeline"
SCALE, PATCH, BATCH, GRID_STRIDE = 3, 33, 64, 14
TARGET_OVERHEAD = 10.0  # percent
MODES = {"random": None, "grid": GRID_STRIDE}  # mode name -> stride
FULL = {"steps": 300, "repeats": 3, "warmup": 30, "skip": 10, "memory_batches": 50}
QUICK = {"steps": 6, "repeats": 2, "warmup": 2, "skip": 2, "memory_batches": 4}


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description="Steps/s of SRCNN training fed by srkit.patches.patch_dataset "
                    "versus the same batches replayed from memory.")
    p.add_argument("--steps", type=int, default=None,
                   help="training steps per timed fit (default 300; 6 with --quick)")
    p.add_argument("--repeats", type=int, default=None,
                   help="timed fits per variant and mode, variants alternating (default 3; 2 with --quick)")
    p.add_argument("--warmup", type=int, default=None,
                   help="steps of the untimed warm-up fit per variant (default 30; 2 with --quick)")
    p.add_argument("--skip", type=int, default=None,
                   help="first steps of each timed fit left out of the steady-state rate "
                        "(iterator start, shuffle-buffer fill) (default 10; 2 with --quick)")
    p.add_argument("--memory-batches", type=int, default=None,
                   help="batches precomputed for the in-memory variant (default 50; 4 with --quick)")
    p.add_argument("--modes", nargs="+", choices=list(MODES), default=list(MODES),
                   help="patch modes to measure (default: random grid)")
    p.add_argument("--seed", type=int, default=0, help="seed of the model and the pipeline (default 0)")
    p.add_argument("--quick", action="store_true",
                   help="tiny smoke run: smaller defaults (6 steps × 2 repeats, 2 warm-up steps, "
                        "4 memory batches); checks that the script works, its numbers mean nothing")
    p.add_argument("--out", type=Path, default=None,
                   help=f"JSON result file (default benchmarks/results/{NAME}.json, "
                        f"or {NAME}_quick.json with --quick)")
    args = p.parse_args(argv)
    defaults = QUICK if args.quick else FULL
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.out is None:
        args.out = HERE / "results" / (f"{NAME}_quick.json" if args.quick else f"{NAME}.json")
    if args.steps < 2 or args.repeats < 1 or args.warmup < 1 or args.memory_batches < 1:
        p.error("--steps must be ≥ 2; --repeats, --warmup and --memory-batches ≥ 1")
    if not 1 <= args.skip < args.steps:
        p.error("--skip must be ≥ 1 and smaller than --steps")
    return args


def machine_info(tf, keras) -> dict:
    """CPU, cores, GPUs and versions (GPU memory growth switched on)."""
    from srkit.notebook import cpu_name

    gpus = tf.config.list_physical_devices("GPU")
    for gpu in gpus:
        try:
            tf.config.experimental.set_memory_growth(gpu, True)
        except RuntimeError:
            pass
    return {"cpu": cpu_name(), "cpu_count": os.cpu_count(),
            "gpus": [tf.config.experimental.get_device_details(g).get("device_name", g.name)
                     for g in gpus],
            "tensorflow": tf.__version__, "keras": keras.__version__,
            "python": platform.python_version(), "numpy": np.__version__,
            "platform": platform.platform(),
            "env": {k: os.environ.get(k) for k in ("TF_ENABLE_ONEDNN_OPTS", "TF_CPP_MIN_LOG_LEVEL",
                                                   "OMP_NUM_THREADS", "CUDA_VISIBLE_DEVICES")}}


RADIUS = 6  # 9-1-5 without padding: 33 -> 21


def srcnn(keras, channels=1):
    return keras.Sequential([keras.Input((None, None, channels)),
        keras.layers.Conv2D(64, 9, padding="valid", activation="relu"),
        keras.layers.Conv2D(32, 1, padding="valid", activation="relu"),
        keras.layers.Conv2D(channels, 5, padding="valid")])


def make_clock(keras):
    class StepClock(keras.callbacks.Callback):
        """Timestamps of the ends of the training steps of one ``fit``.

        Not ``async_safe``: Keras then calls it right after each step (on a
        GPU that waits for the step, the same for both variants).
        """

        def __init__(self, skip):
            super().__init__()
            self.skip = skip

        def on_train_begin(self, logs=None):
            self.start, self.first, self.mark, self.last, self.steps = time.perf_counter(), None, None, None, 0

        def on_train_batch_end(self, batch, logs=None):
            now = time.perf_counter()
            self.steps += 1
            if self.steps == 1:
                self.first = now
            if self.steps == self.skip:
                self.mark = now
            self.last = now

    return StepClock


def timed_fit(model, ds, steps, clock) -> dict:
    start = time.perf_counter()
    model.fit(ds, steps_per_epoch=steps, epochs=1, verbose=0, shuffle=False, callbacks=[clock])
    wall = time.perf_counter() - start
    if clock.steps != steps:
        raise RuntimeError(f"fit ran {clock.steps} steps, expected {steps}")
    return {"steps_per_s": (steps - clock.skip) / (clock.last - clock.mark),  # steady state
            "wall_steps_per_s": steps / wall,  # whole fit call, start-up included
            "startup_s": clock.first - start,  # fit call to the end of the first step
            "wall_s": wall}


def summarize(runs: list[dict]) -> dict:
    rates = [r["steps_per_s"] for r in runs]
    walls = [r["wall_steps_per_s"] for r in runs]
    return {"best_steps_per_s": max(rates), "median_steps_per_s": statistics.median(rates),
            "best_wall_steps_per_s": max(walls), "median_wall_steps_per_s": statistics.median(walls),
            "median_startup_s": statistics.median(r["startup_s"] for r in runs), "runs": runs}


def overhead(pipe: float, mem: float) -> float:
    return (1.0 - pipe / mem) * 100.0


def bench_mode(mode, stride, pairs, args, tf, keras) -> dict:
    import srkit.patches

    def pipeline():
        ds = srkit.patches.patch_dataset(pairs, PATCH, stride=stride, batch_size=BATCH,
                                         augment=True, seed=args.seed)
        return ds.map(lambda x, y: (x, y[:, RADIUS:-RADIUS, RADIUS:-RADIUS]))

    # the in-memory source: K batches of the same pipeline, taken once
    t0 = time.perf_counter()
    batches = list(pipeline().take(args.memory_batches).as_numpy_iterator())
    inputs = np.stack([b[0] for b in batches])
    targets = np.stack([b[1] for b in batches])
    take_s = time.perf_counter() - t0
    sources = {
        "pipeline": pipeline(),
        "memory": tf.data.Dataset.from_tensor_slices((inputs, targets)).repeat()
                    .prefetch(tf.data.AUTOTUNE),
    }
    models = {}
    for variant in sources:  # a fresh model per variant, same seed, same weights
        keras.utils.set_random_seed(args.seed)
        model = srcnn(keras)
        model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
        model.fit(sources[variant], steps_per_epoch=args.warmup, epochs=1, verbose=0, shuffle=False)
        models[variant] = model
    clock = make_clock(keras)(args.skip)
    runs = {variant: [] for variant in sources}
    for rep in range(args.repeats):
        order = list(sources) if rep % 2 == 0 else list(sources)[::-1]
        for variant in order:
            run = timed_fit(models[variant], sources[variant], args.steps, clock)
            runs[variant].append(run)
            print(f"  {mode:6s} rep {rep + 1}/{args.repeats} {variant:8s} "
                  f"{run['steps_per_s']:8.1f} steps/s steady, {run['wall_steps_per_s']:8.1f} "
                  f"with start-up ({run['startup_s']:.2f} s to the first step)", flush=True)
    result = {"stride": stride, "memory_batches_shape": list(inputs.shape),
              "memory_batches_take_s": take_s,
              "pipeline": summarize(runs["pipeline"]), "memory": summarize(runs["memory"]),
              "jit_compile": bool(getattr(models["pipeline"], "jit_compile", False))}
    if stride is not None:
        result["grid_patches"] = int(len(srkit.patches.grid_patches(pairs, PATCH, stride)[0]))
    p, m = result["pipeline"], result["memory"]
    result["overhead_percent_best"] = overhead(p["best_steps_per_s"], m["best_steps_per_s"])
    result["overhead_percent_median"] = overhead(p["median_steps_per_s"], m["median_steps_per_s"])
    result["overhead_percent_median_wall"] = overhead(p["median_wall_steps_per_s"],
                                                      m["median_wall_steps_per_s"])
    result["meets_target"] = result["overhead_percent_median"] < TARGET_OVERHEAD
    return result


def main(argv=None) -> int:
    args = parse_args(argv)
    from srkit.notebook import import_tensorflow

    tf = import_tensorflow()
    import keras

    import srkit.data
    import srkit.patches

    machine = machine_info(tf, keras)
    print(f"CPU: {machine['cpu']}, {machine['cpu_count']} cores; "
          f"GPU: {', '.join(machine['gpus']) or 'none'}; "
          f"TensorFlow {machine['tensorflow']}, Keras {machine['keras']}")
    print(f"SRCNN 9-1-5 (no padding), Adam 1e-3, MSE on the centre, batch {BATCH}, {PATCH}×{PATCH} T91 Y patches at ×{SCALE}; "
          f"{args.repeats} × {args.steps} steps per variant after {args.warmup} warm-up steps"
          + (" [quick]" if args.quick else ""))
    t0 = time.perf_counter()
    pairs = srkit.patches.make_pairs(srkit.data.load_dataset("t91"), SCALE, upsample=True,
                                     channels="y", route="srcnn")
    pairs_s = time.perf_counter() - t0
    print(f"{len(pairs)} training pairs made in {pairs_s:.1f} s")

    results = {}
    for mode in args.modes:
        results[mode] = bench_mode(mode, MODES[mode], pairs, args, tf, keras)

    print(f"\nsteady-state steps/s (first {args.skip} steps of each fit left out); "
          f"overhead = (1 - pipeline / memory) × 100, target under {TARGET_OVERHEAD:g} %")
    print(f"{'mode':20s} {'pipeline best/median':>22s} {'memory best/median':>20s} "
          f"{'overhead best/median':>22s}  target")
    for mode, r in results.items():
        p, m = r["pipeline"], r["memory"]
        label = f"{mode} (stride={r['stride']})"
        print(f"{label:20s} {p['best_steps_per_s']:10.1f} /{p['median_steps_per_s']:8.1f}  "
              f"{m['best_steps_per_s']:9.1f} /{m['median_steps_per_s']:8.1f}  "
              f"{r['overhead_percent_best']:9.1f} % /{r['overhead_percent_median']:6.1f} %  "
              f"{'met' if r['meets_target'] else 'NOT met'}")
        print(f"{'':20s} with start-up: overhead (median) {r['overhead_percent_median_wall']:.1f} %, "
              f"first step after {p['median_startup_s']:.2f} s (pipeline) / "
              f"{m['median_startup_s']:.2f} s (memory)")

    report = {"benchmark": NAME, "quick": args.quick,
              "created": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
              "command": [Path(sys.argv[0]).name, *(sys.argv[1:] if argv is None else argv)],
              "machine": machine,
              "config": {"model": "SRCNN 9-1-5, no padding (33 -> 21)", "optimizer": "Adam(1e-3)",
                         "loss": "mse on the 21x21 centre", "data": "T91, SRCNN route",
                         "scale": SCALE, "patch": PATCH, "batch": BATCH, "channels": "y",
                         "augment": True, "steps": args.steps, "repeats": args.repeats,
                         "warmup_steps": args.warmup, "skip_steps": args.skip,
                         "memory_batches": args.memory_batches, "seed": args.seed,
                         "train_pairs": len(pairs), "make_pairs_s": pairs_s},
              "target_overhead_percent": TARGET_OVERHEAD,
              "definitions": {
                  "steps_per_s": "steady state: (steps - skip) / time from the end of step `skip` "
                                 "to the end of the last step of one fit",
                  "wall_steps_per_s": "steps / wall time of the whole fit call",
                  "overhead_percent": "(1 - pipeline / memory) * 100",
                  "meets_target": "overhead_percent_median < target_overhead_percent"},
              "results": results}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nresults written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
