"""×4 on a CPU: notebook 04's stage-1 generator, recipe by recipe, against minutes of training.

Trains one ×4 generator on T91 exactly as notebook 04's stage 1 feeds it (RGB route pairs:
modcrop, MATLAB bicubic down as 8-bit images; random 96×96 HR crops, flips/rotations, flat
crops skipped) and every ``--eval-every`` steps pauses the clock to measure, on the RGB
route (Y, border 4, mean over images):

- the ten bundled photographs (notebook 04's validation images): **the curve every design
  choice is made on**;
- Set5 (and Set14 at the end): reported, never used to choose.

The options are the levers of issue 25, one at a time or together: the network (``srresnet``:
notebook 04's SRResNet with batch normalisation, upsampling ×2 twice and a 9×9 tail conv at
HR size; ``edsr``: no batch normalisation, ReLU residual blocks, one 3×3 conv to 3·s²
channels and pixel shuffle at the end, as EDSR-baseline, RLFN and CARN do), the loss (MSE or
L1), the schedule (constant or cosine-decayed), centring (values shifted by ``--shift``
inside the model), and sizes. Each run writes a JSON file with its curve, config, machine
and versions; ``--summary`` prints a table of runs written before.

Run from the repository root on an otherwise idle machine (benchmarks/README.md)::

    python benchmarks/bench_x4_recipe.py --arch edsr --loss l1 --schedule cosine --seed 1
    python benchmarks/bench_x4_recipe.py --quick            # smoke run, its numbers mean nothing
    python benchmarks/bench_x4_recipe.py --summary benchmarks/results/x4_recipe/*.json
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SCALE, HR_PATCH, MIN_STD = 4, 96, 0.03
OUT_DIR = HERE / "results" / "x4_recipe"


def parse_args(argv=None):
    p = argparse.ArgumentParser(description="Train notebook 04's x4 generator with one recipe; "
                                            "validation and Set5 PSNR against training minutes.")
    p.add_argument("--arch", choices=("srresnet", "edsr"), default="srresnet")
    p.add_argument("--filters", type=int, default=32)
    p.add_argument("--blocks", type=int, default=6)
    p.add_argument("--loss", choices=("mse", "l1"), default="mse")
    p.add_argument("--schedule", choices=("constant", "cosine"), default="constant")
    p.add_argument("--learning-rate", type=float, default=2e-4)
    p.add_argument("--shift", type=float, default=0.0,
                   help="subtracted from the input and added to the output inside the model")
    p.add_argument("--image-skip", choices=("bicubic", "none"), default="bicubic")
    p.add_argument("--patch", type=int, default=HR_PATCH, help="HR crop side (multiple of 4)")
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--steps", type=int, default=2500)
    p.add_argument("--eval-every", type=int, default=500)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=0,
                   help="TensorFlow intra-op threads (0: all cores); 1 lets two runs share 2 cores")
    p.add_argument("--from-memory", action="store_true",
                   help="profile: train on one fixed batch held in memory (no input pipeline)")
    p.add_argument("--quick", action="store_true", help="smoke run: its numbers mean nothing")
    p.add_argument("--tag", default=None, help="name of the JSON file (default: from the options)")
    p.add_argument("--out", type=Path, default=None,
                   help="JSON file to write (default benchmarks/results/x4_recipe/TAG.json)")
    p.add_argument("--summary", nargs="+", type=Path, default=None,
                   help="print a table of earlier runs' JSON files and exit")
    args = p.parse_args(argv)
    if args.quick:
        args.steps, args.eval_every = 20, 10
    return args


def build_generator(keras, args):
    """The ×4 generator of one recipe: LR B×h×w×3 in [0, 1] → SR B×4h×4w×3."""
    from srkit.layers import BicubicUpsample, PixelShuffle

    layers, f = keras.layers, args.filters
    lr = keras.Input((None, None, 3), name="lr")
    x0 = layers.Rescaling(1.0, offset=-args.shift, name="centre")(lr) if args.shift else lr
    if args.arch == "srresnet":
        x = layers.Conv2D(f, 9, padding="same", name="head_conv")(x0)
        x = head = layers.PReLU(shared_axes=[1, 2], name="head_prelu")(x)
        for b in range(args.blocks):
            y = layers.Conv2D(f, 3, padding="same", name=f"block{b + 1}_conv1")(x)
            y = layers.BatchNormalization(momentum=0.9, name=f"block{b + 1}_bn1")(y)
            y = layers.PReLU(shared_axes=[1, 2], name=f"block{b + 1}_prelu")(y)
            y = layers.Conv2D(f, 3, padding="same", name=f"block{b + 1}_conv2")(y)
            y = layers.BatchNormalization(momentum=0.9, name=f"block{b + 1}_bn2")(y)
            x = layers.Add(name=f"block{b + 1}_add")([x, y])
        x = layers.Conv2D(f, 3, padding="same", name="trunk_conv")(x)
        x = layers.BatchNormalization(momentum=0.9, name="trunk_bn")(x)
        x = layers.Add(name="global_skip")([head, x])
        for i in range(2):
            x = layers.Conv2D(f * 4, 3, padding="same", name=f"up{i + 1}_conv")(x)
            x = PixelShuffle(2, name=f"up{i + 1}_shuffle")(x)
            x = layers.PReLU(shared_axes=[1, 2], name=f"up{i + 1}_prelu")(x)
        detail = layers.Conv2D(3, 9, padding="same", name="tail_conv",
                               kernel_initializer="zeros" if args.image_skip == "bicubic"
                               else "glorot_uniform")(x)
    else:  # EDSR-baseline style: no BN, ReLU blocks, pixel shuffle at the end only
        x = head = layers.Conv2D(f, 3, padding="same", name="head_conv")(x0)
        for b in range(args.blocks):
            y = layers.Conv2D(f, 3, padding="same", activation="relu", name=f"block{b + 1}_conv1")(x)
            y = layers.Conv2D(f, 3, padding="same", name=f"block{b + 1}_conv2")(y)
            x = layers.Add(name=f"block{b + 1}_add")([x, y])
        x = layers.Conv2D(f, 3, padding="same", name="trunk_conv")(x)
        x = layers.Add(name="global_skip")([head, x])
        x = layers.Conv2D(3 * SCALE * SCALE, 3, padding="same", name="tail_conv",
                          kernel_initializer="zeros" if args.image_skip == "bicubic"
                          else "glorot_uniform")(x)
        detail = PixelShuffle(SCALE, name="tail_shuffle")(x)
    if args.image_skip == "bicubic":
        sr = layers.Add(name="image_skip")([BicubicUpsample(SCALE, name="bicubic")(x0), detail])
    else:
        sr = detail
    if args.shift:
        sr = layers.Rescaling(1.0, offset=args.shift, name="uncentre")(sr)
    return keras.Model(lr, sr, name=f"{args.arch}_x4")


def schedule(keras, args):
    if args.schedule == "constant":
        return args.learning_rate
    return keras.optimizers.schedules.CosineDecay(
        args.learning_rate, args.steps, alpha=0.01)


def tag_of(args) -> str:
    if args.tag:
        return args.tag
    parts = [args.arch, f"f{args.filters}b{args.blocks}", args.loss, args.schedule,
             f"lr{args.learning_rate:g}", f"shift{args.shift:g}", f"p{args.patch}",
             f"bs{args.batch}", f"s{args.steps}", f"seed{args.seed}"]
    if args.image_skip != "bicubic":
        parts.append("noskip")
    return "_".join(parts) + ("_quick" if args.quick else "")


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.summary:
        return summary(args.summary)
    run(args, argv)
    return 0


def run(args, argv=None) -> dict:
    """Train and measure one recipe; write and return its report."""
    from srkit.notebook import cpu_name, import_tensorflow

    tf = import_tensorflow()
    if args.threads:
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    import keras

    from srkit import cost, data, evaluate, patches, train

    keras.utils.set_random_seed(args.seed)
    train_images = [x for _, x in data.load_dataset("t91") if min(x.shape[:2]) >= args.patch]
    pairs = patches.make_pairs(train_images, SCALE, upsample=False, channels="rgb", route="rgb")
    ds = patches.patch_dataset(pairs, args.patch, batch_size=args.batch, min_std=MIN_STD,
                               seed=args.seed)
    if args.from_memory:
        lr_b, hr_b = next(iter(ds))
        ds = tf.data.Dataset.from_tensors((lr_b, hr_b)).repeat()
    validation = data.load_dataset("bundled_train") + data.load_dataset("bundled_val")
    set5, set14 = data.load_dataset("set5"), data.load_dataset("set14")
    model = build_generator(keras, args)
    loss = "mse" if args.loss == "mse" else "mean_absolute_error"
    model.compile(optimizer=keras.optimizers.Adam(schedule(keras, args)), loss=loss)

    def measure(sets):
        method = evaluate.keras_method(model, upsample=False, tile=None)
        table = evaluate.benchmark(method, sets, [SCALE], name="x4", route="rgb")
        return {f"{k}_psnr": float(v) for k, v in zip(table["dataset"], table["psnr"])} | \
               {f"{k}_ssim": float(v) for k, v in zip(table["dataset"], table["ssim"])}

    bic = evaluate.benchmark(evaluate.bicubic, {"validation": validation, "set5": set5,
                                                "set14": set14}, [SCALE], route="rgb")
    bicubic = {f"{k}_psnr": float(v) for k, v in zip(bic["dataset"], bic["psnr"])}
    machine = {"cpu": cpu_name(), "cpu_count": os.cpu_count(), "threads": args.threads or None,
               "tensorflow": tf.__version__, "keras": keras.__version__,
               "python": platform.python_version(), "numpy": np.__version__}
    params = model.count_params()
    macs = cost.multiply_adds(model)
    print(f"{tag_of(args)}: {params:,} parameters, {macs:,.0f} multiply-adds per HR pixel; "
          f"CPU {machine['cpu']}, threads {args.threads or 'all'}", flush=True)
    curve = [{"step": 0, "train_minutes": 0.0, **measure({"validation": validation, "set5": set5})}]
    trained = 0.0
    while curve[-1]["step"] < args.steps:
        steps = min(args.eval_every, args.steps - curve[-1]["step"])
        start = time.perf_counter()
        model.fit(ds, steps_per_epoch=steps, epochs=1, verbose=0, shuffle=False)
        trained += time.perf_counter() - start
        point = {"step": curve[-1]["step"] + steps, "train_minutes": trained / 60,
                 **measure({"validation": validation, "set5": set5})}
        curve.append(point)
        print(f"step {point['step']:6d}  {point['train_minutes']:6.2f} min  "
              f"validation {point['validation_psnr']:.3f} dB "
              f"(+{point['validation_psnr'] - bicubic['validation_psnr']:.3f})  "
              f"Set5 {point['set5_psnr']:.2f} dB", flush=True)
        if not math.isfinite(point["validation_psnr"]):
            break
    final = measure({"validation": validation, "set5": set5, "set14": set14})
    report = {"benchmark": "x4_recipe", "tag": tag_of(args), "quick": args.quick,
              "created": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
              "command": [Path(sys.argv[0]).name, *(sys.argv[1:] if argv is None else argv)],
              "machine": machine, "config": {k: (str(v) if isinstance(v, Path) else v)
                                             for k, v in vars(args).items() if k != "summary"},
              "parameters": params, "multiply_adds_per_pixel": macs,
              "steps_per_second": curve[-1]["step"] / trained,
              "bicubic": bicubic, "final": final, "curve": curve}
    out = args.out or OUT_DIR / f"{tag_of(args)}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1) + "\n")
    print(f"final after {trained / 60:.1f} min ({report['steps_per_second']:.2f} steps/s): "
          f"validation {final['validation_psnr']:.3f} (+{final['validation_psnr'] - bicubic['validation_psnr']:.3f}), "
          f"Set5 {final['set5_psnr']:.2f}, Set14 {final['set14_psnr']:.2f}; written to {out}")
    return report


def summary(paths) -> int:
    """One row per run: validation gain over bicubic (what choices are made on), Set5/Set14."""
    rows = []
    for path in paths:
        r = json.loads(Path(path).read_text())
        rows.append((r["tag"], r["parameters"], r["steps_per_second"], r["curve"][-1]["train_minutes"],
                     r["final"]["validation_psnr"] - r["bicubic"]["validation_psnr"],
                     r["final"]["set5_psnr"], r["final"]["set14_psnr"]))
    print(f"{'run':70s} {'params':>8s} {'steps/s':>7s} {'min':>5s} {'val gain':>8s} "
          f"{'Set5':>6s} {'Set14':>6s}")
    for row in sorted(rows):
        print(f"{row[0]:70s} {row[1]:8,d} {row[2]:7.2f} {row[3]:5.1f} {row[4]:8.3f} "
              f"{row[5]:6.2f} {row[6]:6.2f}")
    groups = {}
    for row in rows:
        groups.setdefault(row[0].rsplit("_seed", 1)[0], []).append(row[4])
    for key, gains in sorted(groups.items()):
        if len(gains) > 1:
            print(f"{key}: validation gain {statistics.mean(gains):.3f} ± "
                  f"{statistics.stdev(gains):.3f} dB over {len(gains)} seeds")
    return 0


# notebook 04's stage-1 recipe (its default profile): what bench_time_to_quality.py --x4 trains
NOTEBOOK_04 = ["--arch", "edsr", "--filters", "32", "--blocks", "6", "--loss", "l1",
               "--schedule", "cosine", "--learning-rate", "5e-4", "--shift", "0.5",
               "--patch", "96", "--batch", "16", "--steps", "9000", "--seed", "1"]


if __name__ == "__main__":
    sys.exit(main())
