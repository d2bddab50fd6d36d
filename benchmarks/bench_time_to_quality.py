"""Time to quality: Set5 ×3 PSNR of notebook 02's SRCNN against minutes of training on this CPU.

Trains exactly what notebook 02's default profile trains (SRCNN 9-1-5, 64/32 filters, no
padding as in the paper, values shifted by -0.5 in and +0.5 out inside the model, T91
patches 33×33 at stride 14 on the SRCNN route, the eight flips/rotations, batch 64, Adam
with a cosine-decayed learning rate, MSE on the 21×21 centre) and, every ``--eval-every``
steps, pauses the clock and measures Set5 ×3 (Y, border 3, SRCNN route) and notebook 02's
validation photographs with the same weights in a padded copy of the model. The curves (PSNR
against training minutes, evaluation time left out) go to a JSON file with the machine and
the versions, and the Set5 curve to a PNG plot for the README: "the paper's number after N
minutes". Options vary the recipe for experiments (choose on the validation curve).

Run from the repository root, on an otherwise idle machine (see benchmarks/README.md)::

    python benchmarks/bench_time_to_quality.py            # the notebook's default run, 20-25 min
    python benchmarks/bench_time_to_quality.py --quick    # smoke run, under a minute
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
NAME = "time_to_quality"
SCALE, PATCH, STRIDE, BATCH = 3, 33, 14, 64
KERNELS, FILTERS = (9, 1, 5), (64, 32)
SHIFT = 0.5  # notebook 02's: inputs and outputs centred near zero inside the model
PAPER_SET5 = 32.39  # SRCNN 9-1-5 trained on the 91 images, Set5 ×3 (Dong et al., TPAMI 2016)
FULL = {"steps": 30000, "eval_every": 1000}
QUICK = {"steps": 200, "eval_every": 100}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description="Set5 x3 PSNR of notebook 02's SRCNN against "
                                            "training minutes on this machine.")
    p.add_argument("--steps", type=int, default=None,
                   help=f"training steps, the schedule's length (default {FULL['steps']}, "
                        f"notebook 02's default profile; {QUICK['steps']} with --quick)")
    p.add_argument("--eval-every", type=int, default=None,
                   help=f"steps between Set5 evaluations (default {FULL['eval_every']})")
    p.add_argument("--learning-rate", type=float, default=2e-3,
                   help="Adam's initial learning rate, cosine-decayed to 1 %% (default 2e-3)")
    p.add_argument("--seed", type=int, default=42, help="seed (default 42, the notebook's)")
    p.add_argument("--pairs", choices=("srcnn", "rgb8"), default="srcnn",
                   help="training pairs: 'srcnn' (default, notebook 02: the SRCNN route, 8-bit Y "
                        "resized in floating point) or 'rgb8' (RGB resized as 8-bit images by "
                        "degrade.make_lr, then Y; the kit's route before the SRCNN route existed)")
    p.add_argument("--sampling", choices=("grid", "random"), default="grid",
                   help="'grid' (default, the paper's: sub-images every 14 pixels) or 'random' "
                        "(uniformly random positions, every pixel offset)")
    p.add_argument("--min-std", type=float, default=0.0,
                   help="skip patches whose target's standard deviation is below this (default 0)")
    p.add_argument("--batch", type=int, default=BATCH, help=f"batch size (default {BATCH})")
    p.add_argument("--no-augment", dest="augment", action="store_false",
                   help="no flips/rotations (the paper had none)")
    p.add_argument("--shift", type=float, default=SHIFT,
                   help=f"subtracted from the input and added to the output inside the model "
                        f"(default {SHIFT}, notebook 02's; 0 trains on raw values)")
    p.add_argument("--x4", action="store_true",
                   help="train notebook 04's x4 stage-1 generator instead (its default recipe, "
                        "bench_x4_recipe.NOTEBOOK_04; Set5 x4 on the RGB route every --eval-every "
                        "steps, default 1000) and plot its curve beside SRCNN's")
    p.add_argument("--threads", type=int, default=0,
                   help="with --x4: TensorFlow threads (0: all cores; 1 when another run shares the CPU)")
    p.add_argument("--quick", action="store_true", help="smoke run: its numbers mean nothing")
    p.add_argument("--out", type=Path, default=None,
                   help=f"JSON file (default benchmarks/results/{NAME}.json; {NAME}_x4.json with "
                        f"--x4, _quick before .json with --quick); the plot goes beside it as .png")
    args = p.parse_args(argv)
    for key, value in (QUICK if args.quick else FULL).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.out is None:
        args.out = HERE / "results" / f"{NAME}{'_x4' if args.x4 else ''}{'_quick' if args.quick else ''}.json"
    if args.steps < 1 or not 1 <= args.eval_every <= args.steps:
        p.error("--steps must be ≥ 1 and --eval-every between 1 and --steps")
    return args


def build_srcnn(keras, padding, shift):
    """The paper's 9-1-5 SRCNN (64/32 filters, ReLU, linear output) as notebook 02 builds it:
    ``shift`` subtracted from the input and added to the output (fixed, no parameters)."""
    (f1, f2, f3), (n1, n2) = KERNELS, FILTERS
    return keras.Sequential([
        keras.Input((None, None, 1)),
        keras.layers.Rescaling(1.0, offset=-shift),
        keras.layers.Conv2D(n1, f1, padding=padding, activation="relu"),
        keras.layers.Conv2D(n2, f2, padding=padding, activation="relu"),
        keras.layers.Conv2D(1, f3, padding=padding),
        keras.layers.Rescaling(1.0, offset=shift),
    ])


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.x4:
        return main_x4(args)
    from srkit.notebook import cpu_name, import_tensorflow

    tf = import_tensorflow()
    import keras

    from srkit import data, evaluate, patches

    keras.utils.set_random_seed(args.seed)
    radius = sum(k // 2 for k in KERNELS)
    pairs = patches.make_pairs(data.load_dataset("t91"), SCALE, upsample=True, channels="y",
                               route="srcnn" if args.pairs == "srcnn" else None)
    ds = patches.patch_dataset(pairs, PATCH, stride=STRIDE if args.sampling == "grid" else None,
                               batch_size=args.batch, augment=args.augment,
                               min_std=args.min_std, seed=0)
    ds = ds.map(lambda x, y: (x, y[:, radius:-radius, radius:-radius]))  # the 21×21 centre
    model = build_srcnn(keras, "valid", args.shift)
    schedule = keras.optimizers.schedules.CosineDecay(args.learning_rate, args.steps, alpha=0.01)
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss="mse")
    padded = build_srcnn(keras, "same", args.shift)
    set5 = data.load_dataset("set5")
    validation = data.load_dataset("bundled_train") + data.load_dataset("bundled_val")
    bicubic = evaluate.benchmark(evaluate.bicubic, [("set5", set5)], [SCALE])["psnr"].item()
    val_bicubic = evaluate.benchmark(evaluate.bicubic, {"validation": validation},
                                     [SCALE])["psnr"].item()

    def measure():
        """Set5 x3 PSNR (the curve) and validation PSNR (notebook 02's ten photographs,
        what design choices are made on), the same SRCNN-route measure for both."""
        padded.set_weights(model.get_weights())
        table = evaluate.benchmark(evaluate.keras_method(padded),
                                   {"set5": set5, "validation": validation}, [SCALE], name="SRCNN")
        psnr = dict(zip(table["dataset"], table["psnr"]))
        return {"set5_psnr": psnr["set5"], "validation_psnr": psnr["validation"]}

    machine = {"cpu": cpu_name(), "cpu_count": os.cpu_count(),
               "gpus": [g.name for g in tf.config.list_physical_devices("GPU")],
               "tensorflow": tf.__version__, "keras": keras.__version__,
               "python": platform.python_version(), "numpy": np.__version__,
               "platform": platform.platform()}
    print(f"CPU: {machine['cpu']}, {machine['cpu_count']} cores; TensorFlow {tf.__version__}, "
          f"Keras {keras.__version__}; {args.steps} steps, Set5 x3 every {args.eval_every}")
    curve = [{"step": 0, "train_minutes": 0.0, **measure()}]
    trained = 0.0
    while curve[-1]["step"] < args.steps:
        steps = min(args.eval_every, args.steps - curve[-1]["step"])
        start = time.perf_counter()
        model.fit(ds, steps_per_epoch=steps, epochs=1, verbose=0, shuffle=False)
        trained += time.perf_counter() - start
        point = {"step": curve[-1]["step"] + steps, "train_minutes": trained / 60, **measure()}
        curve.append(point)
        print(f"step {point['step']:6d}  {point['train_minutes']:6.2f} min  "
              f"Set5 x3 {point['set5_psnr']:.2f} dB  validation {point['validation_psnr']:.2f} dB",
              flush=True)
    reached = next((p for p in curve if p["set5_psnr"] >= PAPER_SET5), None)
    summary = {"bicubic_set5_psnr": bicubic, "paper_set5_psnr": PAPER_SET5,
               "final_set5_psnr": curve[-1]["set5_psnr"],
               "bicubic_validation_psnr": val_bicubic,
               "final_validation_psnr": curve[-1]["validation_psnr"],
               "train_minutes": curve[-1]["train_minutes"],
               "patches_per_second": args.steps * args.batch / trained,
               "minutes_to_paper": reached["train_minutes"] if reached else None}
    print(f"final Set5 x3 {summary['final_set5_psnr']:.2f} dB after "
          f"{summary['train_minutes']:.1f} min ({summary['patches_per_second']:.0f} patches/s); "
          + (f"the paper's {PAPER_SET5} dB after {reached['train_minutes']:.1f} min"
             if reached else f"the paper's {PAPER_SET5} dB not reached"))
    report = {"benchmark": NAME, "quick": args.quick,
              "created": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
              "command": [Path(sys.argv[0]).name, *(sys.argv[1:] if argv is None else argv)],
              "machine": machine,
              "config": {"model": "SRCNN 9-1-5, 64/32 filters, no padding", "scale": SCALE,
                         "data": "T91, 33x33 patches, "
                                 + ("stride 14" if args.sampling == "grid" else "random positions")
                                 + (f", min_std {args.min_std}" if args.min_std else "")
                                 + (", 8 flips/rotations" if args.augment else ", no augmentation")
                                 + ", pairs: "
                                 + ("SRCNN route" if args.pairs == "srcnn" else
                                    "RGB resized as 8-bit images (make_lr), then Y"),
                         "batch": args.batch, "steps": args.steps, "eval_every": args.eval_every,
                         "optimizer": f"Adam, cosine decay from {args.learning_rate} to 1 %",
                         "loss": "MSE on the 21x21 centre", "seed": args.seed,
                         "shift": args.shift,
                         "evaluation": "Set5 x3, Y, border 3, SRCNN route, mean over images; "
                                       "evaluation time not counted"},
              "summary": summary, "curve": curve}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    plot(report, args.out.with_suffix(".png"))
    print(f"results written to {args.out} and {args.out.with_suffix('.png')}")
    return 0


def _x4_recipe():
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_x4_recipe", HERE / "bench_x4_recipe.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main_x4(args) -> int:
    """Notebook 04's stage 1 (x4) against training minutes; the plot gets a second panel."""
    recipe = _x4_recipe()
    out = args.out
    argv = list(recipe.NOTEBOOK_04) + ["--eval-every", str(args.eval_every), "--out", str(out),
                                       "--threads", str(args.threads)] + (["--quick"] if args.quick else [])
    recipe.run(recipe.parse_args(argv), argv)
    srcnn = HERE / "results" / f"{NAME}.json"
    if srcnn.exists() and not args.quick:  # a smoke run never redraws the README's figure
        plot(json.loads(srcnn.read_text()), srcnn.with_suffix(".png"),
             x4=json.loads(out.read_text()))
        print(f"plot with both curves: {srcnn.with_suffix('.png')}")
    return 0


SRRESNET_PAPER_SET5 = 32.05  # SRResNet, Set5 x4 (Ledig et al., CVPR 2017)


def plot(report, path: Path, x4=None) -> None:
    """PSNR against training minutes, with bicubic and the paper's number as lines.

    A second panel shows notebook 04's x4 curve: ``x4`` (a report of ``--x4``), or, when not
    given, ``time_to_quality_x4.json`` beside ``path`` if it exists.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if x4 is None:
        x4_path = path.with_name(f"{NAME}_x4.json")
        x4 = json.loads(x4_path.read_text()) if x4_path.exists() else None
    curve, summary = report["curve"], report["summary"]
    fig, axes = plt.subplots(1, 2 if x4 else 1, figsize=(11 if x4 else 6, 3.4), dpi=100,
                             squeeze=False)
    ax = axes[0, 0]
    ax.plot([p["train_minutes"] for p in curve], [p["set5_psnr"] for p in curve], "o-", ms=3,
            label="SRCNN 9-1-5 (srkit, notebook 02)")
    ax.axhline(summary["paper_set5_psnr"], color="C3", ls="--",
               label=f"paper, 9-1-5 on 91 images: {summary['paper_set5_psnr']:.2f} dB")
    ax.axhline(summary["bicubic_set5_psnr"], color="gray", ls=":",
               label=f"bicubic: {summary['bicubic_set5_psnr']:.2f} dB")
    ax.set(xlabel=f"training minutes ({report['machine']['cpu']}, "
                  f"{report['machine']['cpu_count']} cores, no GPU)",
           ylabel="Set5 ×3 PSNR (dB)", ylim=(summary["bicubic_set5_psnr"] - 0.3, None),
           title="SRCNN 9-1-5 on Set5 ×3 against training time")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    if x4:
        ax = axes[0, 1]
        c = x4["curve"]
        ax.plot([p["train_minutes"] for p in c], [p["set5_psnr"] for p in c], "o-", ms=3, color="C1",
                label="x4 generator (srkit, notebook 04's stage 1)")
        ax.axhline(SRRESNET_PAPER_SET5, color="C3", ls="--",
                   label=f"SRResNet paper (10^6 steps, ImageNet): {SRRESNET_PAPER_SET5:.2f} dB")
        ax.axhline(31.0, color="C2", ls="-.", lw=0.8, label="the course's target: 31.0 dB")
        ax.axhline(x4["bicubic"]["set5_psnr"], color="gray", ls=":",
                   label=f"bicubic: {x4['bicubic']['set5_psnr']:.2f} dB")
        threads = x4["machine"].get("threads")
        where = (f"one thread, beside another run" if threads == 1 else
                 f"{x4['machine']['cpu_count']} cores")
        ax.set(xlabel=f"training minutes ({x4['machine']['cpu']}, {where})",
               ylabel="Set5 ×4 PSNR (dB, RGB route)", ylim=(x4["bicubic"]["set5_psnr"] - 0.3, None),
               title="notebook 04's generator on Set5 ×4")
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
