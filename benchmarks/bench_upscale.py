"""``python -m srkit upscale`` on a 4000×3000 photo at ×3 with SRCNN: time and peak memory.

Target (the issue): peak memory under 1.5 GiB, and time within 15 % of
``srkit.tiles.predict_image`` on the same image — the model's own work, on the
bicubic-upscaled Y channel the command feeds it (12000×9000, float32).

The photo is made deterministically: Set14's ``monarch`` (768×512) mirrored
(``np.pad(mode="symmetric")``) to 4000×3000 and saved as an 8-bit PNG, so it keeps a
photo's detail (which matters for the PNG encoder) without depending on any download.

Every measurement runs in its own process; the parent imports neither NumPy nor
TensorFlow, and reads each child's peak RSS from the kernel when it ends
(``os.wait4``, ``ru_maxrss``):

1. ``prepare`` writes the photo and the model's input (the clipped bicubic ×3 RGB
   upscale's BT.601 Y, computed strip by strip with :mod:`srkit.upscale`, float32,
   saved as .npy) and records the machine;
2. ``cli`` is the command itself, ``python -m srkit upscale photo.png --model srcnn
   --scale 3 -o OUT --overwrite --verbose``: the whole process (Python and TensorFlow
   start-up, model load, read, upscale, PNG write) timed from outside, and its own
   per-file summary parsed for the breakdown (read, upscale, write; inside the upscale,
   the model's time and the worker thread's);
3. ``predict`` loads the .npy and the model, warms up on a 600×600 crop, and times
   ``tiles.predict_image(model, y)`` (defaults: tile 256, quantized to 8 bits).

Each repetition runs one ``predict`` and one ``cli`` child, alternating which goes
first. The load average is recorded before every run (the machine may be shared).

Run from the repository root::

    python benchmarks/bench_upscale.py               # full run, a few minutes
    python benchmarks/bench_upscale.py --quick       # 800×600 smoke run; numbers mean nothing
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_tiled import gib, machine_info, parse_size  # shared with the tiling benchmark

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
NAME = "upscale"
SCALE = 3
PHOTO = ("set14", "monarch")
TARGET_SLOWDOWN = 15.0  # percent
TARGET_PEAK_GIB = 1.5


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description="Time and peak memory of 'python -m srkit upscale' (SRCNN, ×3) on a "
                    "4000×3000 photo, against tiles.predict_image on the same model input; "
                    "every measurement in its own process.")
    p.add_argument("--size", type=parse_size, default=None,
                   help="photo WIDTHxHEIGHT (default 4000x3000; 800x600 with --quick)")
    p.add_argument("--repeats", type=int, default=None,
                   help="repetitions of each measurement, each a fresh process (default 2; "
                        "1 with --quick)")
    p.add_argument("--quick", action="store_true", help="smoke run: 800x600, 1 repeat")
    p.add_argument("--out", type=Path, default=None,
                   help=f"JSON result file (default benchmarks/results/{NAME}.json, or "
                        f"{NAME}_quick.json with --quick)")
    p.add_argument("--mode", choices=["prepare", "predict"], help=argparse.SUPPRESS)
    p.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.size is None:
        args.size = (800, 600) if args.quick else (4000, 3000)
    if args.repeats is None:
        args.repeats = 1 if args.quick else 2
    if args.out is None:
        args.out = HERE / "results" / (f"{NAME}_quick.json" if args.quick else f"{NAME}.json")
    if args.repeats < 1:
        p.error("--repeats must be ≥ 1")
    return args


# --------------------------------------------------------------------------- children

def child_prepare(args) -> dict:
    """Write photo.png and its model input y.npy into the work folder; describe the machine."""
    import cv2
    import numpy as np

    from srkit import data, upscale
    from srkit.notebook import import_tensorflow

    width, height = args.size
    t0 = time.perf_counter()
    photo = dict(data.load_dataset(PHOTO[0]))[PHOTO[1]]
    big = np.pad(photo, ((0, max(0, height - photo.shape[0])), (0, max(0, width - photo.shape[1])),
                         (0, 0)), mode="symmetric")[:height, :width]
    big8 = np.rint(big * 255).astype(np.uint8)
    cv2.imwrite(str(args.workdir / "photo.png"), big8[..., ::-1])
    lr = big8.astype(np.float32) / np.float32(255)  # what io.load_image gives for the PNG
    y = np.lib.format.open_memmap(args.workdir / "y.npy", mode="w+", dtype=np.float32,
                                  shape=(height * SCALE, width * SCALE))
    step = 600
    for r0 in range(0, height * SCALE, step):  # the Y of the clipped bicubic upscale, by strips
        r1 = min(r0 + step, height * SCALE)
        up = np.clip(upscale.bicubic_upscale(lr, SCALE, rows=(r0, r1)), 0.0, 1.0)
        y[r0:r1] = upscale._luma(up)
    y.flush()
    del y
    make_s = time.perf_counter() - t0
    tf = import_tensorflow()
    import keras

    machine = {**machine_info(tf, keras, tf.config.list_physical_devices("GPU")),
               "opencv": cv2.__version__}
    return {"machine": machine, "photo_bytes": (args.workdir / "photo.png").stat().st_size, "prepare_s": make_s}


def child_predict(args) -> dict:
    """Time tiles.predict_image on the saved model input (after a warm-up on a crop)."""
    import numpy as np

    from srkit import pretrained, tiles
    from srkit.notebook import import_tensorflow

    import_tensorflow()
    model = pretrained.load("srcnn_x3")
    y = np.load(args.workdir / "y.npy")
    tiles.predict_image(model, y[:600, :600])  # warm-up: tracing, kernels, probes
    start = time.perf_counter()
    out = tiles.predict_image(model, y)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "output_shape": list(out.shape)}


# --------------------------------------------------------------------------- the parent

def run_measured(cmd, cwd=None) -> dict:
    """Run ``cmd``; its wall time, exit status, output and peak RSS (KiB, from wait4)."""
    load = os.getloadavg()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    # read the pipes in threads so a chatty child cannot block, then reap it with wait4
    import threading

    streams = {}
    readers = [threading.Thread(target=lambda k=k, f=f: streams.__setitem__(k, f.read()))
               for k, f in (("stdout", proc.stdout), ("stderr", proc.stderr))]
    for r in readers:
        r.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    for r in readers:
        r.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    maxrss = usage.ru_maxrss // (1024 if sys.platform == "darwin" else 1)
    return {"cmd": [str(c) for c in cmd], "returncode": proc.returncode, "wall_s": wall,
            "peak_rss_kib": maxrss, "loadavg_before": load, "loadavg_after": os.getloadavg(),
            "stdout": streams.get("stdout", ""), "stderr": streams.get("stderr", "")}


SUMMARY = re.compile(r"in (?P<total>[\d.]+) s \(read (?P<read>[\d.]+), "
                     r"upscale (?P<upscale>[\d.]+), write (?P<write>[\d.]+)\)")
DETAIL = re.compile(r"model (?P<model>[\d.]+) s; .* \(bicubic, Y\) (?P<inputs>[\d.]+) s, "
                    r"outputs \(colour, rounding\) (?P<outputs>[\d.]+) s")


def run_cli(workdir: Path) -> dict:
    out = workdir / "out"
    shutil.rmtree(out, ignore_errors=True)
    result = run_measured([sys.executable, "-m", "srkit", "upscale", "photo.png",
                           "--model", "srcnn", "--scale", str(SCALE), "-o", "out",
                           "--overwrite", "--verbose"], cwd=workdir)
    summary, detail = SUMMARY.search(result["stdout"]), DETAIL.search(result["stdout"])
    if result["returncode"] != 0 or not summary or not detail:
        result["error"] = f"the command failed (exit status {result['returncode']})"
        print(result["stderr"][-2000:], file=sys.stderr)
        return result
    result["per_file"] = {k: float(v) for k, v in summary.groupdict().items()}
    result["upscale_detail"] = {k: float(v) for k, v in detail.groupdict().items()}
    written = out / f"photo_x{SCALE}_srcnn.png"
    result["output_bytes"] = written.stat().st_size
    shutil.rmtree(out)
    del result["stderr"]  # progress bars
    return result


def run_predict(workdir: Path) -> dict:
    result_file = workdir / "predict.json"
    result = run_measured([sys.executable, str(Path(__file__).resolve()), "--mode", "predict",
                           "--workdir", str(workdir), "--out", str(result_file)])
    if result["returncode"] != 0:
        result["error"] = f"the predict child failed (exit status {result['returncode']})"
        print(result["stderr"][-2000:], file=sys.stderr)
        return result
    result.update(json.loads(result_file.read_text()))
    del result["stdout"], result["stderr"]
    return result


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.mode:  # a child
        result = child_prepare(args) if args.mode == "prepare" else child_predict(args)
        args.out.write_text(json.dumps(result))
        return 0

    width, height = args.size
    print(f"python -m srkit upscale vs tiles.predict_image: SRCNN ×{SCALE} on a {width}×{height} "
          f"photo ({'/'.join(PHOTO)} mirrored), {args.repeats} repetition(s)"
          + (" [quick]" if args.quick else ""), flush=True)
    runs = []
    with tempfile.TemporaryDirectory(prefix="bench_upscale_") as tmp:
        workdir = Path(tmp)
        print("preparing the photo and the model input ...", flush=True)
        prep = run_measured([sys.executable, str(Path(__file__).resolve()), "--mode", "prepare",
                             "--workdir", str(workdir), "--size", f"{width}x{height}",
                             "--out", str(workdir / "prepare.json")])
        if prep["returncode"] != 0:
            print(prep["stderr"][-2000:], file=sys.stderr)
            print("the prepare step failed; nothing measured", file=sys.stderr)
            return 1
        prepared = json.loads((workdir / "prepare.json").read_text())
        machine = prepared["machine"]
        print(f"CPU: {machine['cpu']}, {machine['cpu_count']} cores; GPU: "
              f"{', '.join(machine['gpus']) or 'none'}; TensorFlow {machine['tensorflow']}, "
              f"Keras {machine['keras']}, OpenCV {machine['opencv']}")
        for rep in range(args.repeats):
            order = ("predict", "cli") if rep % 2 == 0 else ("cli", "predict")
            for kind in order:
                print(f"repetition {rep + 1}: {kind} (load average "
                      f"{os.getloadavg()[0]:.2f}) ...", flush=True)
                run = run_cli(workdir) if kind == "cli" else run_predict(workdir)
                run.update(kind=kind, repetition=rep + 1)
                runs.append(run)

    ok = [r for r in runs if "error" not in r]
    predict = [r for r in ok if r["kind"] == "predict"]
    cli = [r for r in ok if r["kind"] == "cli"]
    summary = {}
    if predict and cli:
        best_predict = min(r["seconds"] for r in predict)
        best_file = min(r["per_file"]["total"] for r in cli)
        best_process = min(r["wall_s"] for r in cli)
        peak = max(r["peak_rss_kib"] for r in cli)
        summary = {
            "predict_image_best_s": best_predict,
            "cli_per_file_best_s": best_file, "cli_process_best_s": best_process,
            "slowdown_per_file_percent": (best_file / best_predict - 1) * 100,
            "slowdown_process_percent": (best_process / best_predict - 1) * 100,
            "cli_peak_rss_gib": gib(peak),
            "predict_peak_rss_gib": max(gib(r["peak_rss_kib"]) for r in predict)}
        summary["meets_time_target"] = summary["slowdown_per_file_percent"] < TARGET_SLOWDOWN
        summary["meets_memory_target"] = summary["cli_peak_rss_gib"] < TARGET_PEAK_GIB
        # the two runs of one repetition ran back to back, under similar load
        summary["per_repetition_slowdown_percent"] = [
            (c["per_file"]["total"] / q["seconds"] - 1) * 100
            for c in cli for q in predict if q["repetition"] == c["repetition"]]

        print(f"\n{'run':22s} {'seconds':>8s} {'peak RSS':>9s}  load avg  details")
        for r in runs:
            label = f"{r['kind']} #{r['repetition']}"
            if "error" in r:
                print(f"{label:22s} {r['error']}")
                continue
            load = r["loadavg_before"][0]
            if r["kind"] == "predict":
                print(f"{label:22s} {r['seconds']:8.2f} {gib(r['peak_rss_kib']):6.2f} GiB  "
                      f"{load:7.2f}  predict_image call (process {r['wall_s']:.1f} s)")
            else:
                f, d = r["per_file"], r["upscale_detail"]
                print(f"{label:22s} {f['total']:8.2f} {gib(r['peak_rss_kib']):6.2f} GiB  "
                      f"{load:7.2f}  read {f['read']:.1f} + upscale {f['upscale']:.1f} (model "
                      f"{d['model']:.1f}; worker: inputs {d['inputs']:.1f}, outputs "
                      f"{d['outputs']:.1f}) + write "
                      f"{f['write']:.1f}; process {r['wall_s']:.1f} s; PNG "
                      f"{r['output_bytes'] / 1e6:.0f} MB")
        pairs = ", ".join(f"{v:+.1f} %" for v in summary["per_repetition_slowdown_percent"])
        print(f"\nper file, repetition by repetition: {pairs}")
        print(f"per file, best: {best_file:.2f} s vs predict_image {best_predict:.2f} s -> "
              f"{summary['slowdown_per_file_percent']:+.1f} % (target under {TARGET_SLOWDOWN:g} %: "
              f"{'met' if summary['meets_time_target'] else 'NOT met'}); whole process "
              f"{best_process:.2f} s ({summary['slowdown_process_percent']:+.1f} %, with Python "
              "and TensorFlow start-up and the model load)")
        met = "met" if summary["meets_memory_target"] else "NOT met"
        print(f"peak RSS of the command: {summary['cli_peak_rss_gib']:.2f} GiB (target under "
              f"{TARGET_PEAK_GIB:g} GiB: {met}); predict_image's process: "
              f"{summary['predict_peak_rss_gib']:.2f} GiB")

    report = {"benchmark": NAME, "quick": args.quick,
              "created": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
              "command": [Path(sys.argv[0]).name, *(sys.argv[1:] if argv is None else argv)],
              "machine": machine,
              "config": {"model": "srcnn_x3 (shipped reference weights)", "scale": SCALE,
                         "photo": "/".join(PHOTO) + " mirrored (np.pad symmetric)",
                         "width": width, "height": height, "repeats": args.repeats,
                         "photo_png_bytes": prepared["photo_bytes"]},
              "targets": {"slowdown_percent": TARGET_SLOWDOWN, "peak_rss_gib": TARGET_PEAK_GIB},
              "definitions": {
                  "predict.seconds": "one tiles.predict_image(model, y) call on the 12000×9000 "
                                     "float32 Y after a warm-up call on a 600×600 crop",
                  "cli.per_file": "the command's own summary line: read, upscale, write and "
                                  "their total for the file (no start-up)",
                  "cli.upscale_detail": "inside upscale: model = predict_tiled calls on the main "
                                        "thread; inputs/outputs = the worker thread's busy time "
                                        "(bicubic + Y; colour + rounding), overlapping the model",
                  "wall_s": "the whole process, from outside",
                  "peak_rss_kib": "ru_maxrss of the process (os.wait4), KiB",
                  "slowdown_per_file_percent": "(best cli per_file total / best predict seconds "
                                               "- 1) * 100",
                  "slowdown_process_percent": "(best cli wall_s / best predict seconds - 1) * 100",
                  "per_repetition_slowdown_percent": "cli per_file total / predict seconds - 1, "
                                                     "each repetition's pair (in %)",
                  "loadavg_before": "os.getloadavg() just before the run (1, 5, 15 min)"},
              "summary": summary, "runs": runs}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nresults written to {args.out}")
    return 0 if summary else 1


if __name__ == "__main__":
    sys.exit(main())
