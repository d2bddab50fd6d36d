"""The published models on a 12-megapixel result: ``python -m srkit upscale`` at ×4, time and memory.

One photo, made deterministically: Set14's ``monarch`` (768×512) mirrored to 1000×750 and
saved as an 8-bit PNG, the low-resolution input of a 4000×3000 (12-megapixel) ×4 result. Each
method runs as its own child process, timed from outside with its peak memory read from the
kernel (``os.wait4``, ``ru_maxrss``):

- ``bicubic``: :func:`srkit.upscale.bicubic_upscale` (MATLAB's bicubic, float32) and the
  8-bit PNG written — the baseline every model must beat;
- ``srcnn``, ``srresnet``, ``rlfn``, ``carn_m``: ``python -m srkit upscale photo.png --model M
  --scale 4 -o OUT --overwrite --verbose`` (the whole command: start-up, model load, strips
  of its default tile, PNG write); the command's own summary gives the upscale time alone.
  SRCNN was trained at ×3; given as its ``.keras`` file it runs at ×4, because it takes the
  bicubic-upscaled image (its quality there is not the point: its cost is).

Seconds per output megapixel = seconds / 12. The load average before and after each run is
recorded: the machine may be shared (two cores), and a loaded machine inflates the times.

    python benchmarks/bench_published.py            # a few minutes
    python benchmarks/bench_published.py --quick    # 200×150 smoke run; numbers mean nothing
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_tiled import gib
from bench_upscale import ROOT, SUMMARY, run_measured

HERE = Path(__file__).resolve().parent
SCALE = 4
MODELS = {"srcnn": str(ROOT / "srkit" / "weights" / "srcnn_x3.keras"),  # as a file: any scale
          "srresnet": "srresnet", "rlfn": "rlfn", "carn_m": "carn_m"}


def make_photo(path: Path, width: int, height: int) -> None:
    code = f"""
import numpy as np
from srkit import data, io
hr = dict(data.load_dataset("set14"))["monarch"]
big = np.pad(hr, ((0, max(0, {height} - hr.shape[0])), (0, max(0, {width} - hr.shape[1])), (0, 0)),
             mode="symmetric")[:{height}, :{width}]
io.save_image({str(path)!r}, big)
"""
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


BICUBIC = """
import sys, time, cv2, numpy as np
from srkit import io, upscale
t = time.perf_counter()
lr = io.load_image(sys.argv[1])
sr = upscale.bicubic_upscale(lr, {scale})
out = np.clip(np.floor(sr * 255 + 0.5), 0, 255).astype(np.uint8)
cv2.imwrite(sys.argv[2], out[..., ::-1])
print(f"upscale+write {{time.perf_counter() - t:.2f}} s")
"""


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="200x150 input, numbers mean nothing")
    p.add_argument("--out", type=Path, default=HERE / "results" / "published.json")
    args = p.parse_args(argv)
    width, height = (200, 150) if args.quick else (1000, 750)
    megapixels = width * height * SCALE * SCALE / 1e6
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        photo = tmp / "photo.png"
        make_photo(photo, width, height)
        run = run_measured([sys.executable, "-c", BICUBIC.format(scale=SCALE), str(photo),
                            str(tmp / "bicubic.png")], cwd=ROOT)
        results["bicubic"] = run
        for model, spec in MODELS.items():
            cmd = [sys.executable, "-m", "srkit", "upscale", str(photo), "--model", spec,
                   "--scale", str(SCALE), "-o", str(tmp / model), "--overwrite", "--verbose"]
            results[model] = run_measured(cmd, cwd=ROOT)
    rows = {}
    for method, run in results.items():
        if run["returncode"] != 0:
            raise SystemExit(f"{method} failed:\n{run['stderr'][-2000:]}")
        found = SUMMARY.search(run["stdout"])
        upscale_s = float(found["upscale"]) if found else None
        rows[method] = {"wall_s": round(run["wall_s"], 2),
                        "upscale_s": upscale_s,
                        "seconds_per_output_mp": round(run["wall_s"] / megapixels, 3),
                        "upscale_seconds_per_output_mp":
                            None if upscale_s is None else round(upscale_s / megapixels, 3),
                        "peak_rss_gib": round(gib(run["peak_rss_kib"]), 3),
                        "loadavg_before": [round(v, 2) for v in run["loadavg_before"]],
                        "loadavg_after": [round(v, 2) for v in run["loadavg_after"]]}
        print(f"{method:9s} {rows[method]['wall_s']:7.1f} s whole command, "
              f"{rows[method]['seconds_per_output_mp']:.2f} s/MP "
              + (f"(upscale alone {rows[method]['upscale_seconds_per_output_mp']:.2f} s/MP), "
                 if upscale_s is not None else "")
              + f"peak {rows[method]['peak_rss_gib']:.2f} GiB, load {rows[method]['loadavg_before'][0]}")
    info = subprocess.run([sys.executable, "-c", "from srkit.notebook import cpu_name; print(cpu_name())"],
                          capture_output=True, text=True, cwd=ROOT).stdout.strip()
    record = {"benchmark": "published", "quick": args.quick,
              "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
              "cpu": info, "input": f"{width}x{height} (Set14 monarch mirrored), x{SCALE}",
              "output_megapixels": megapixels, "results": rows,
              "note": "wall_s: the whole child process (start-up, model load, strips, PNG write); "
                      "upscale_s: the command's own upscale time; peak_rss: the child's maximum "
                      "resident memory. The machine was shared when loadavg > 2."}
    if not args.quick:
        args.out.write_text(json.dumps(record, indent=2) + "\n")
        print(f"written {args.out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
