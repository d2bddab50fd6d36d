"""``python -m srkit``: upscale photos with a course model, evaluate results, list the models.

Three commands::

    python -m srkit upscale photo.jpg holiday/ --model srcnn -o upscaled/
    python -m srkit evaluate HR/ SR/ --scale 3
    python -m srkit models

This module is argument handling, files and messages only; the image work is
:func:`srkit.upscale.upscale_image` and :func:`srkit.evaluate.evaluate_folders`.
TensorFlow is imported only when a model has to run, so ``--help``, ``models``,
``evaluate`` and every check of the arguments answer at once.

Every error the user can fix is one line on stderr, ``srkit: error: …``, and a
non-zero exit status (:data:`EXIT_ERROR`, :data:`EXIT_USAGE`). The arguments, the input
files' headers, the model and the output folder are all checked before the first image
is upscaled; damaged pixel data is found when that file is read.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

EXIT_OK = 0
EXIT_ERROR = 1  # a file or folder problem, or a failure during the work
EXIT_USAGE = 2  # the command line itself: unknown option or model, a scale the model cannot do
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT, as shells report it)

PROG = "python -m srkit"
FORMATS = ("png", "tif")

EXIT_STATUS_HELP = f"""exit status:
  {EXIT_OK}    done (outputs that already existed were skipped: see --overwrite)
  {EXIT_ERROR}    a file or folder problem (missing, damaged or not an image, a model file that
       is not a Keras model, an output folder that cannot be written, results that do
       not pair with ground truths) or a failure during the work
  {EXIT_USAGE}    the command line itself (unknown option or model name, a scale the model
       was not trained for)
  {EXIT_INTERRUPTED}  interrupted (Ctrl-C); no half-written file is left behind"""


class CommandError(Exception):
    """A problem the user can fix: shown as one line, ``srkit: error: <message>``."""

    def __init__(self, message: str, status: int = EXIT_ERROR):
        super().__init__(message)
        self.status = status


class _Parser(argparse.ArgumentParser):
    """argparse, with usage errors on one line like srkit's own (exit status 2)."""

    def error(self, message):
        self.exit(EXIT_USAGE, f"srkit: error: {message} (see '{self.prog} --help')\n")


def _one_line(error: BaseException) -> str:
    """An exception's message on one line."""
    return " ".join(str(error).split()) or type(error).__name__


# --------------------------------------------------------------------------- the parser

def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m srkit`` with its three commands."""
    parser = _Parser(
        prog=PROG, formatter_class=argparse.RawDescriptionHelpFormatter,
        description="srkit's command line: upscale photos with the course's super-resolution "
                    "models, measure results against ground truths, list the shipped models.",
        epilog=f"""examples:
  {PROG} upscale photo.jpg --model srcnn -o upscaled/
  {PROG} upscale holiday/ --model srresnet -o upscaled/ --quiet
  {PROG} upscale photo.jpg --model rlfn --scale 2 -o upscaled/
  {PROG} evaluate HR/ SR/ --scale 3
  {PROG} upscale --help            (every option of a command)

{EXIT_STATUS_HELP}""")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    up = commands.add_parser(
        "upscale", formatter_class=argparse.RawDescriptionHelpFormatter,
        help="upscale image files or folders with a course model",
        description="""\
Upscale photos with a course model, strip by strip: any image size runs in memory bounded
by --tile (plus the output image), and the result is that of srkit.pretrained.method, the
notebooks' way of applying a model to a whole image (up to float32 rounding: one grey
level at most, in about 2 of 100,000 values).

Models: 1-channel models (SRCNN, the autoencoder) restore the BT.601 luma Y and keep the
colour of the bicubic upscale; 3-channel models (SRResNet, SRGAN) work on RGB. A model
whose output is the size of its input takes the bicubic-upscaled image (SRCNN's design);
one whose output is s times its input upscales by s itself. For your own .keras file both
are read from the model.

Scale: a shipped model runs at the scale it was trained for (srcnn, autoencoder x3;
srresnet, srgan x4); the published models come at several (rlfn x2 or x4, carn_m x2, x3
or x4; x4 when --scale is left out); a model that upscales itself at its own factor;
--scale is checked against it. Published models run strip by strip with a 48-pixel
overlap; RLFN's attention looks at the whole image, so its strips differ a little from
the whole-image result the papers measure (on Set14's barbara: 0.02 to 0.15 dB, here
higher). A .keras model that takes the bicubic-upscaled image
runs at any --scale you give (it does best at the scale it was trained for).

Files: inputs are image files and folders (their images, not sub-folders). Each output is
OUTDIR/<name><suffix>.<format>, the suffix being _x<scale>_<model> unless --suffix says
otherwise. An 8-bit input gives an 8-bit output, a 16-bit input a 16-bit one; gray stays
gray; the EXIF orientation is applied (the output is upright, without EXIF). Outputs are
written to a temporary file and renamed, so an interruption never leaves half a file; an
output that exists is skipped (rerunning an interrupted batch continues it) unless
--overwrite; an output that would replace an input is refused.""",
        epilog=f"""examples:
  {PROG} upscale photo.jpg --model srcnn -o upscaled/
      -> upscaled/photo_x3_srcnn.png
  {PROG} upscale LR/ --model srresnet --scale 4 -o SR/ --suffix ""
      -> SR/<same names as in LR/>.png, ready for '{PROG} evaluate HR/ SR/ --scale 4'
  {PROG} upscale scan16.tif --model outputs/02_srcnn_x3.keras --scale 3 -o out/ --format tif
      -> out/scan16_x3_02_srcnn_x3.tif, 16-bit like its input

{EXIT_STATUS_HELP}""")
    up.add_argument("inputs", nargs="+", metavar="IN",
                    help="image files (PNG, JPEG, BMP, TIFF) and/or folders of images")
    up.add_argument("--model", "-m", required=True, metavar="MODEL",
                    help="a shipped model: srcnn, autoencoder, srresnet, srgan, rlfn (x2, x4), "
                         "carn_m (x2, x3, x4) (or their full names, see 'models'), or the path "
                         "of a .keras file")
    up.add_argument("--scale", "-s", type=int, metavar="S",
                    help="upscaling factor; default: the model's own (required for a .keras "
                         "model that takes the bicubic-upscaled image)")
    up.add_argument("--output", "-o", required=True, type=Path, metavar="OUTDIR",
                    help="folder for the results (created if missing)")
    up.add_argument("--tile", type=int, metavar="N",
                    help="window side in the model's input pixels; memory for the model grows "
                         "with N² (default: the shipped model's, else 256)")
    up.add_argument("--suffix", metavar="TEXT",
                    help="added to each input's name (default _x<S>_<model>; '' keeps the name)")
    up.add_argument("--format", choices=FORMATS, default="png",
                    help="output format (default png; both keep 16 bits)")
    up.add_argument("--overwrite", action="store_true",
                    help="replace outputs that exist (default: skip them)")
    up.add_argument("--quiet", "-q", action="store_true",
                    help="no progress bars, notes or summary lines (errors are still shown)")
    up.add_argument("--verbose", "-v", action="store_true",
                    help="also print where each file's upscaling time went")
    up.set_defaults(run=run_upscale)

    ev = commands.add_parser(
        "evaluate", formatter_class=argparse.RawDescriptionHelpFormatter,
        help="PSNR/SSIM of results against ground truths",
        description="""\
PSNR (dB) and SSIM of each result in SR_DIR against the ground truth of the same name in
HR_DIR (baby.png <-> baby.png or baby.jpg), and their mean, as the papers measure: on the
BT.601 luma Y (or on RGB with --rgb), with --scale pixels cropped from every border. A
ground truth up to S-1 pixels larger than its result (not a multiple of the scale) is
cropped to it. Computed by srkit.evaluate.evaluate_folders.""",
        epilog=f"""examples:
  {PROG} evaluate HR/ SR/ --scale 3
  {PROG} evaluate HR/ SR/ --scale 4 --rgb --csv results/x4.csv

{EXIT_STATUS_HELP}""")
    ev.add_argument("hr_dir", type=Path, metavar="HR_DIR", help="folder of ground truths")
    ev.add_argument("sr_dir", type=Path, metavar="SR_DIR", help="folder of results to measure")
    ev.add_argument("--scale", "-s", type=int, required=True, metavar="S",
                    help="the upscaling factor: S pixels are cropped from every border")
    ev.add_argument("--rgb", action="store_true", help="measure on RGB instead of Y")
    ev.add_argument("--csv", type=Path, metavar="FILE",
                    help="also write the table (full precision) to this CSV file")
    ev.set_defaults(run=run_evaluate)

    models = commands.add_parser(
        "models", help="list the reference models srkit ships",
        description="The reference models srkit ships (srkit/weights), one line each: what they "
                    "are, how they were made and what they measure.")
    models.set_defaults(run=run_models)
    return parser


def main(argv=None) -> int:
    """Run the command line; return the exit status (see :data:`EXIT_STATUS_HELP`)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_usage(sys.stderr)
        print(f"srkit: error: give a command: upscale, evaluate or models (see '{PROG} --help')",
              file=sys.stderr)
        return EXIT_USAGE
    try:
        return args.run(args)
    except CommandError as error:
        print(f"srkit: error: {_one_line(error)}", file=sys.stderr)
        return error.status
    except KeyboardInterrupt:
        print("\nsrkit: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader stopped early, e.g. `python -m srkit models | head -1`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return 0


# --------------------------------------------------------------------------- models

def run_models(args) -> int:
    """``models``: one line per shipped model and scale, then a table of the published ones."""
    from srkit import pretrained

    published = []
    for name in pretrained.names():
        if pretrained.is_published(name):
            published.append(name)
        else:
            print(f"{pretrained.alias(name):12s} {pretrained.describe(name)}")
    if published:
        print("\npublished models, their authors' weights converted (RGB in, whole images; "
              "PSNR dB on Y, border = scale, measured here / in the paper):")
        print(f"{'model':12s} {'scale':>5s} {'parameters':>10s} {'Set5':>15s} {'Set14':>15s}  "
              "licence, source")
        for name in published:
            record = pretrained.info(name)
            cells = [f"{record['measured'][d]['psnr']:.2f} / {record['published'][d]['psnr']:.2f}"
                     for d in ("set5", "set14")]
            source = record["source"]
            print(f"{pretrained.alias(name):12s} {'×' + str(record['scale']):>5s} "
                  f"{record['parameters']:>10,} {cells[0]:>15s} {cells[1]:>15s}  "
                  f"{source['licence'].split(' ')[0]}, {source['repo']}@{source['commit'][:7]}")
        print(f"use: {PROG} upscale photo.jpg --model rlfn --scale 2 -o upscaled/")
    return EXIT_OK


# --------------------------------------------------------------------------- evaluate

def run_evaluate(args) -> int:
    """``evaluate``: the per-image and mean table of evaluate_folders."""
    if args.scale < 1:
        raise CommandError(f"--scale must be a positive integer, got {args.scale}", EXIT_USAGE)
    for folder in (args.hr_dir, args.sr_dir):
        if not folder.is_dir():
            raise CommandError(f"'{folder}' is not a folder" if folder.exists()
                               else f"no such folder: '{folder}'")
    from srkit import evaluate

    try:
        table = evaluate.evaluate_folders(args.hr_dir, args.sr_dir, crop_border=args.scale,
                                          y_channel=not args.rgb)
    except ValueError as error:
        hint = (" (results are paired with ground truths by file name; 'upscale --suffix \"\"' "
                "keeps the input names)" if "no ground truth" in str(error) else "")
        raise CommandError(_one_line(error) + hint) from None
    channel = "RGB" if args.rgb else "Y (BT.601 luma)"
    print(f"{len(table) - 1} results in '{args.sr_dir}' against '{args.hr_dir}': PSNR (dB) and "
          f"SSIM on {channel}, {args.scale} border pixels cropped")
    print(table.to_string(index=False, formatters={"psnr": "{:.4f}".format,
                                                   "ssim": "{:.4f}".format}))
    if args.csv is not None:
        try:
            args.csv.parent.mkdir(parents=True, exist_ok=True)
            table.to_csv(args.csv, index=False)
        except OSError as error:
            raise CommandError(f"cannot write '{args.csv}': {_one_line(error)}") from None
        print(f"table written to {args.csv}")
    return EXIT_OK


# --------------------------------------------------------------------------- upscale

def _resolve_model(spec: str, scale: int | None = None) -> dict:
    """What ``--model`` names, checked without loading anything heavy.

    Returns ``{"name", "path", "record"}``: a reference model (``record`` from
    ``pretrained.info``; a family shipped at several scales, e.g. ``rlfn``, gives its
    model for ``scale``) or a ``.keras`` file (``record`` None).
    """
    from srkit import pretrained

    looks_like_file = spec.endswith(".keras") or os.sep in spec or "/" in spec \
        or Path(spec).is_file()
    if not looks_like_file:
        try:
            name = pretrained.resolve(spec, scale)
        except ValueError as error:
            raise CommandError(f"{_one_line(error)}, or the path of a .keras file",
                               EXIT_USAGE) from None
        return {"name": pretrained.alias(name), "path": None, "record": pretrained.info(name),
                "full": name}
    try:
        path = pretrained.check_model_file(spec)
    except (ValueError, FileNotFoundError) as error:
        raise CommandError(_one_line(error)) from None
    return {"name": path.stem, "path": path, "record": None, "full": str(path)}


def _check_scale(model: dict, scale: int | None) -> int | None:
    """The scale to run a reference model at: its record's; another one is refused."""
    if scale is not None and scale < 2:
        raise CommandError(f"--scale must be an integer ≥ 2, got {scale}", EXIT_USAGE)
    record = model["record"]
    if record is None:
        return scale  # a .keras file: checked once it is loaded
    if scale is not None and scale != record["scale"]:
        from srkit import pretrained

        others = list(dict.fromkeys(pretrained.alias(name) for name in pretrained.names()
                                    if pretrained.info(name)["scale"] == scale))
        hint = f"; for ×{scale} use {' or '.join(others)}" if others else ""
        shipped = pretrained.scales(model["full"])
        trained = (f"×{shipped[0]} only" if len(shipped) == 1
                   else "×" + ", ×".join(map(str, shipped)))
        use = (f"--scale {shipped[0]}" if len(shipped) == 1
               else "--scale " + " or ".join(map(str, shipped)))
        raise CommandError(f"{model['name']} is shipped for {trained}, not ×{scale}: use "
                           f"{use}{hint}", EXIT_USAGE)
    return record["scale"]


def _collect_inputs(inputs) -> list[Path]:
    """The image files named or held by the IN arguments, each once, in the order given."""
    from srkit import io

    files, seen = [], set()
    for given in inputs:
        path = Path(given)
        if path.is_dir():
            found = io.list_images(path)
            if not found:
                raise CommandError(f"folder '{path}' holds no images "
                                   f"({', '.join(io.IMAGE_EXTENSIONS)}; sub-folders are not read)")
        elif path.exists():
            found = [path]
        else:
            raise CommandError(f"no such file or folder: '{path}'")
        for file in found:
            key = file.resolve()
            if key not in seen:
                seen.add(key)
                files.append(file)
    return files


def _check_output_folder(folder: Path) -> None:
    """Create the output folder if needed and make sure a file can be written in it."""
    if folder.exists() and not folder.is_dir():
        raise CommandError(f"output folder '{folder}' is a file")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        blocker = next((p for p in folder.parents if p.exists() and not p.is_dir()), None)
        raise CommandError(f"cannot create the output folder '{folder}': "
                           f"'{blocker or folder.parent}' is a file, not a folder") from None
    except OSError as error:
        raise CommandError(f"cannot create the output folder '{folder}': "
                           f"{error.strerror or _one_line(error)}") from None
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".srkit-write-test-")
        os.close(fd)
        os.unlink(probe)
    except OSError as error:
        raise CommandError(f"cannot write in the output folder '{folder}': "
                           f"{error.strerror or _one_line(error)}") from None


def _plan(files, outdir: Path, suffix: str, fmt: str, overwrite: bool):
    """``(input, output)`` pairs to make, and the inputs skipped because their output exists.

    Refuses two inputs with one output name, and an output that would replace an input.
    """
    inputs = {f.resolve(): f for f in files}
    plan, skipped, taken = [], [], {}
    for file in files:
        out = outdir / f"{file.stem}{suffix}.{fmt}"
        key = out.resolve()
        if key in inputs:
            raise CommandError(f"the output '{out}' would replace the input '{inputs[key]}'; "
                               "choose another -o folder or --suffix")
        if key in taken:
            raise CommandError(f"'{taken[key]}' and '{file}' would both be written to '{out}'; "
                               "rename one, or upscale them into different folders")
        taken[key] = file
        if out.exists() and not overwrite:
            skipped.append((file, out))
        else:
            plan.append((file, out))
    return plan, skipped


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(path: Path, array, fmt: str) -> None:
    """Write ``array`` (OpenCV channel order, uint8 or uint16) to ``path`` all at once.

    OpenCV writes a temporary file next to ``path`` (PNG at its default, fast
    compression; TIFF compressed), which then replaces ``path`` in one step
    (``os.replace``): an interruption or an error leaves either no file or the
    complete one, never a part. The temporary file is removed on any failure.
    """
    import cv2

    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                   suffix=f".part.{fmt}")
        os.close(fd)
        try:
            written = cv2.imwrite(tmp, array)
        except cv2.error as error:
            raise CommandError(f"OpenCV could not write '{path}': {_one_line(error)}") from None
        if not written:
            raise CommandError(f"OpenCV could not write '{path}' (disk full, or a path OpenCV "
                               "cannot open?)")
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp's file is private; an image is not
        os.replace(tmp, path)
    except OSError as error:
        raise CommandError(f"cannot write '{path}': {error.strerror or _one_line(error)}"
                           ) from None
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)


def _load_model(model: dict, scale: int | None, tile: int | None, quiet: bool) -> dict:
    """Load the model and settle how it runs: ``model, scale, upsample, multiple, tile, radius``.

    A ``.keras`` file is inspected: its input channels (1: Y, 3: RGB) and its output size
    (the input's: it takes the bicubic upscale; s times it: it upscales by s itself).
    """
    from srkit import notebook, pretrained, tiles

    notebook.import_tensorflow()
    try:
        keras_model = (pretrained.load(model["full"]) if model["record"] is not None
                       else pretrained.load_model(model["path"]))
    except (ValueError, FileNotFoundError) as error:
        raise CommandError(_one_line(error)) from None
    record = model["record"]
    try:
        channels = int(keras_model.input_shape[-1])
    except (AttributeError, TypeError, ValueError):
        raise CommandError(f"cannot tell the input channels of '{model['full']}': save it as "
                           "a functional or Sequential model with an Input((None, None, C))"
                           ) from None
    if channels not in (1, 3):
        raise CommandError(f"'{model['full']}' takes {channels}-channel input; srkit upscales "
                           "with models on Y (1 channel) or RGB (3 channels)")
    # the probes run the model on small inputs; oneDNN may print a one-time notice
    with notebook._silenced_stderr():
        try:
            factor = tiles._output_scale(keras_model, channels)
            # a published model's record gives the overlap (RLFN's attention sees the
            # whole image, a probe would not end)
            if record and "radius" in record:
                radius = record["radius"]
                tiles.accept_approximate_tiles(keras_model)  # measured: tests/test_ports.py
            else:
                radius = tiles.receptive_radius(keras_model, channels)
            multiple = record["multiple"] if record else tiles.total_stride(
                keras_model, channels, radius=radius)
        except ValueError as error:
            raise CommandError(f"'{model['full']}' cannot be run tile by tile: "
                               f"{_one_line(error)}") from None
    if record is not None:
        upsample = record["upsample"]
    elif factor == 1:
        upsample = True
        if scale is None:
            raise CommandError(f"'{model['path']}' takes the bicubic-upscaled image (its output "
                               "is the size of its input), so it runs at any scale: say which "
                               "with --scale", EXIT_USAGE)
        if not quiet:
            print(f"note: '{model['path']}' takes the bicubic-upscaled image and runs at any "
                  f"scale; it does best at the one it was trained for", file=sys.stderr)
    else:
        upsample = False
        if scale is not None and scale != factor:
            raise CommandError(f"'{model['path']}' upscales by {factor} itself (its output is "
                               f"{factor}× its input), so it cannot give ×{scale}: use "
                               f"--scale {factor}", EXIT_USAGE)
        scale = factor
    if tile is None:
        tile = record["tile"] if record else 256
    return {"model": keras_model, "scale": scale, "upsample": upsample, "multiple": multiple,
            "tile": tile, "radius": radius}


def _upscale_file(src: Path, dst: Path, info: dict, run: dict, fmt: str, bar_factory) -> dict:
    """Upscale one file into ``dst``; return its sizes and seconds per step."""
    import cv2
    import numpy as np

    from srkit import io, upscale

    t0 = time.perf_counter()
    try:
        lr = io.load_image(src, mode="gray" if info["channels"] == 1 else "rgb")
    except (ValueError, OSError) as error:
        raise CommandError(_one_line(error)) from None
    if info["bits"] == 8:  # 8-bit values, exactly: a quarter of the memory while upscaling
        lr = cv2.convertScaleAbs(lr, alpha=255.0)
    t1 = time.perf_counter()
    s = run["scale"]
    h, w = lr.shape[:2]
    dtype = np.uint16 if info["bits"] == 16 else np.uint8
    # filled in OpenCV's channel order (BGR) through a reversed view, so nothing is copied
    # before writing
    try:
        result = np.empty((h * s, w * s) + lr.shape[2:], dtype)
    except MemoryError:
        size = h * s * w * s * (lr.shape[2] if lr.ndim == 3 else 1) * np.dtype(dtype).itemsize
        raise CommandError(f"not enough memory for the {w * s}×{h * s} result of '{src}' "
                           f"({size / 2**30:.1f} GiB)") from None
    target = result[..., ::-1] if lr.ndim == 3 else result
    with bar_factory(src.name) as bar:
        def progress(done, total):
            bar.total = total
            bar.update(done - bar.n)

        timings = {}
        upscale.upscale_image(run["model"], lr, s, upsample=run["upsample"], tile=run["tile"],
                              multiple=run["multiple"], radius=run["radius"], out=target,
                              progress=progress, timings=timings)
    del lr
    t2 = time.perf_counter()
    write_atomic(dst, result, fmt)
    t3 = time.perf_counter()
    return {"size_in": (w, h), "size_out": (w * s, h * s), "read": t1 - t0, "upscale": t2 - t1,
            "write": t3 - t2, "total": t3 - t0, **{f"upscale_{k}": v for k, v in timings.items()}}


def run_upscale(args) -> int:
    """``upscale``: check everything, then upscale the files one by one."""
    from srkit import io

    if args.tile is not None and args.tile < 16:
        raise CommandError(f"--tile must be at least 16 pixels, got {args.tile}", EXIT_USAGE)
    model = _resolve_model(args.model, args.scale)
    scale = _check_scale(model, args.scale)
    files = _collect_inputs(args.inputs)
    infos = {}
    for file in files:
        try:
            infos[file] = io.image_info(file)
        except (ValueError, OSError) as error:
            raise CommandError(_one_line(error)) from None
    _check_output_folder(args.output)
    run = None
    if model["record"] is None:  # a .keras file: its scale may come from the model itself
        run = _load_model(model, scale, args.tile, args.quiet)
        scale = run["scale"]
    suffix = args.suffix if args.suffix is not None else f"_x{scale}_{model['name']}"
    plan, skipped = _plan(files, args.output, suffix, args.format, args.overwrite)
    if not args.quiet:
        for src, dst in skipped:
            print(f"skipping '{src}': '{dst}' exists (--overwrite replaces it)", file=sys.stderr)
    if not plan:
        return EXIT_OK
    if run is None:
        run = _load_model(model, scale, args.tile, args.quiet)

    from tqdm import tqdm

    def bar_factory(name):
        return tqdm(total=None, desc=f"  {name}", unit="strip", leave=False,
                    disable=args.quiet, file=sys.stderr, dynamic_ncols=True)

    with tqdm(plan, desc="files", unit="file", disable=args.quiet, file=sys.stderr,
              dynamic_ncols=True) as bar:
        for src, dst in bar:
            done = _upscale_file(src, dst, infos[src], run, args.format, bar_factory)
            if args.quiet:
                continue
            (w, h), (wo, ho) = done["size_in"], done["size_out"]
            tqdm.write(f"{src}: {w}×{h} → {wo}×{ho} ({infos[src]['bits']}-bit) in "
                       f"{done['total']:.1f} s (read {done['read']:.1f}, upscale "
                       f"{done['upscale']:.1f}, write {done['write']:.1f}) → {dst}",
                       file=sys.stdout)
            if args.verbose:
                tqdm.write(f"  upscale: model {done['upscale_model']:.1f} s; beside it in a worker "
                           f"thread: model inputs (bicubic, Y) {done['upscale_input']:.1f} s, "
                           f"outputs (colour, rounding) {done['upscale_output']:.1f} s",
                           file=sys.stdout)
    return EXIT_OK
