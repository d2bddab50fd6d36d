"""Result tables: per-image PSNR/SSIM with a mean row, as pandas DataFrames."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from srkit import metrics


def evaluate(items: Iterable, *, crop_border: int = 0, y_channel: bool = True,
             mean_row: bool = True, **labels) -> pd.DataFrame:
    """Measure PSNR and SSIM for ``(name, reference, result)`` triples.

    Parameters
    ----------
    items : iterable of (str, ndarray, ndarray)
        Image name, ground truth and restored image (same shape; float in
        [0, 1] or uint8).
    crop_border : int
        Border cropped before measuring (the papers: the scale factor).
    y_channel : bool
        Measure on BT.601 luma as the papers do (default) or on RGB.
    mean_row : bool
        Append a row named ``"mean"``: the mean of the per-image values (the
        papers' convention, not the PSNR of the pooled MSE).
    **labels
        Constant columns put first, e.g. ``method="bicubic", scale=3``.

    Returns
    -------
    pandas.DataFrame
        Columns ``[*labels, "image", "psnr", "ssim"]``; one row per image
        (plus the mean row). PSNR is ``inf`` for an image restored exactly.

    Raises
    ------
    ValueError
        If ``items`` is empty or two images share a name.
    """
    rows = []
    for name, reference, result in items:
        kw = dict(crop_border=crop_border, y_channel=y_channel)
        rows.append({**labels, "image": str(name),
                     "psnr": metrics.psnr(reference, result, **kw),
                     "ssim": metrics.ssim(reference, result, **kw)})
    if not rows:
        raise ValueError("evaluate() got no images; check the folder or split you loaded")
    table = pd.DataFrame(rows)
    duplicated = table["image"][table["image"].duplicated()].tolist()
    if duplicated:
        raise ValueError(f"image names must be unique, repeated: {duplicated}")
    if mean_row:
        mean = {**labels, "image": "mean", "psnr": table["psnr"].mean(),
                "ssim": table["ssim"].mean()}
        table = pd.concat([table, pd.DataFrame([mean])], ignore_index=True)
    return table


def summarize(table: pd.DataFrame, by=("method", "scale")) -> pd.DataFrame:
    """Mean PSNR/SSIM per group of a per-image table (``"mean"`` rows are ignored).

    Returns a DataFrame indexed by ``by`` with columns ``psnr``, ``ssim`` and
    ``images`` (how many images each mean covers).
    """
    by = [by] if isinstance(by, str) else list(by)
    per_image = table[table["image"] != "mean"]
    grouped = per_image.groupby(by, sort=False)
    out = grouped[["psnr", "ssim"]].mean()
    out["images"] = grouped.size()
    return out


def per_image(table: pd.DataFrame, baseline: str | None = None, by: str = "method",
              values: tuple = ("psnr", "ssim")) -> pd.DataFrame:
    """One row per image, one column per method and metric, gains over ``baseline``, a mean row.

    Parameters
    ----------
    table : pandas.DataFrame
        Long table as returned by :func:`evaluate` (columns ``by``, ``image``,
        ``psnr``, ``ssim``), for one scale; ``"mean"`` rows are ignored.
    baseline : str, optional
        Method to subtract: adds columns ``("psnr gain", method)`` with each other
        method's PSNR minus the baseline's, image by image.
    by : str
        Column naming the methods.
    values : tuple of str
        The measurement columns to spread out (e.g. add ``"blur"``).

    Returns
    -------
    pandas.DataFrame
        Index ``image`` (in the table's order) plus ``"mean"``, the mean of the
        per-image values; columns ``(metric, method)`` with methods in the
        table's order.
    """
    rows = table[table["image"] != "mean"]
    if rows.duplicated(["image", by]).any():
        raise ValueError("several rows per image and method: filter the table to one scale first")
    methods = list(dict.fromkeys(rows[by]))
    images = list(dict.fromkeys(rows["image"]))
    wide = rows.pivot(index="image", columns=by, values=list(values))
    wide = wide.reindex(index=images, columns=pd.MultiIndex.from_product([list(values), methods]))
    if baseline is not None:
        if baseline not in methods:
            raise ValueError(f"baseline {baseline!r} not among the methods {methods}")
        for method in methods:
            if method != baseline:
                wide[("psnr gain", method)] = wide[("psnr", method)] - wide[("psnr", baseline)]
    wide.loc["mean"] = wide.mean()
    wide.columns.names = ["", by]
    return wide


def improved_share(table: pd.DataFrame, baseline: str, method: str, metric: str = "psnr",
                   by: str = "method") -> float:
    """Share of images (0–1) on which ``method`` scores higher than ``baseline``."""
    per_image = table[table["image"] != "mean"]
    base = per_image[per_image[by] == baseline].set_index("image")[metric]
    other = per_image[per_image[by] == method].set_index("image")[metric]
    if base.empty or other.empty:
        raise ValueError(f"no rows for {baseline!r} or {method!r} in column {by!r}")
    if base.index.has_duplicates or other.index.has_duplicates:
        raise ValueError("several rows per image: filter the table to one scale first")
    common = base.index.intersection(other.index)
    return float(np.mean(other[common] > base[common]))


def evaluate_folders(reference_dir, result_dir, *, crop_border: int = 0, y_channel: bool = True,
                     **labels) -> pd.DataFrame:
    """Evaluate a folder of results against a folder of ground truths, matched by file name.

    Images are paired by stem (``baby.png`` ↔ ``baby.png`` or ``baby.jpg``). A ground
    truth up to ``crop_border - 1`` pixels larger than its result (an HR that was not
    a multiple of the scale) is modcropped to the result's size, top-left aligned.

    Returns
    -------
    pandas.DataFrame
        As :func:`evaluate`, with a mean row.

    Raises
    ------
    ValueError
        If a result has no ground truth of the same name, or shapes differ beyond
        such a crop.
    """
    from srkit import io

    references = dict(io.load_folder(reference_dir))
    items = []
    for name, result in io.load_folder(result_dir):
        if name not in references:
            raise ValueError(f"result {name!r} has no ground truth of that name in {reference_dir}")
        ref = references[name]
        h, w = result.shape[:2]
        if 0 <= ref.shape[0] - h < crop_border and 0 <= ref.shape[1] - w < crop_border:
            ref = ref[:h, :w]  # modcrop
        items.append((name, ref, result))
    return evaluate(items, crop_border=crop_border, y_channel=y_channel, **labels)


# ---------------------------------------------------------------------------
# Benchmarks on the standard sets, measured the papers' way
# ---------------------------------------------------------------------------

ROUTES = {
    "srcnn": "8-bit Y of the RGB image (rgb2ycbcr, rounded); Y resized down and up in floating "
             "point (MATLAB bicubic); result rounded to 8 bits; measured on Y. The SRCNN code's "
             "route: reproduces the SRCNN paper's bicubic rows on Set5 and Set14 exactly.",
    "vdsr": "Y of the RGB image in floating point (not rounded); resized down and up in "
            "floating point; result not rounded. The VDSR code's route: reproduces the PSNR of "
            "the later papers' bicubic rows on Set14 (30.24 / 27.55 / 26.00).",
    "rgb": "RGB resized down as an 8-bit image (what a stored LR PNG holds); result rounded to "
           "8 bits; measured on its Y. The route of models that see colour (SRResNet, SRGAN, "
           "EDSR) and of evaluate_folders; Set5 bicubic reads about 0.01 dB above the SRCNN table.",
}
"""Measurement routes of :func:`benchmark`: how LR images are made and results measured.

All of them modcrop the HR image to a multiple of the scale, use MATLAB's bicubic
(:func:`srkit.degrade.imresize`), crop ``scale`` pixels from every border and average
per-image PSNR/SSIM. A single-channel (gray) file is measured on its own values; a
colour image through BT.601 luma (:func:`srkit.metrics.rgb_to_y`).
"""


def _matlab_resize_float(image, output_shape, method: str = "bicubic"):
    """MATLAB ``imresize`` of a float64 array, unclipped (as MATLAB on doubles), rows first."""
    from srkit import degrade

    out = np.asarray(image, dtype=np.float64)
    for axis in (0, 1):
        scale = output_shape[axis] / out.shape[axis]
        out = degrade._resize_axis(out, axis, output_shape[axis], scale, method, None, False)
    return out


def _round8(image) -> np.ndarray:
    """Float [0, 1] values to uint8 as MATLAB's ``uint8(x * 255)``: saturate, round half up."""
    return np.floor(np.clip(np.asarray(image, dtype=np.float64), 0.0, 1.0) * 255.0 + 0.5
                    ).astype(np.uint8)


def route_pair(hr, scale: int, route: str = "srcnn"):
    """The LR input and the reference a ``route`` measures against (see :data:`ROUTES`).

    Parameters
    ----------
    hr : ndarray, H×W×3 or H×W, float in [0, 1] or uint8
        Ground truth as stored (a gray file 2-D, as :func:`srkit.data.load_dataset`).
    scale : int
    route : {"srcnn", "vdsr", "rgb"}

    Returns
    -------
    lr : ndarray
        ``"srcnn"``/``"vdsr"``: float64 Y, (H//s)×(W//s), in [0, 1] units but **not
        clipped** (bicubic overshoots by a few percent, as in MATLAB).
        ``"rgb"``: uint8, (H//s)×(W//s)[×3], MATLAB's 8-bit bicubic.
    reference : ndarray
        The modcropped ground truth as measured: uint8 Y (``"srcnn"``), float64 Y
        in [0, 1] (``"vdsr"``) or the uint8 image itself (``"rgb"``).
    """
    from srkit import degrade
    from srkit._validate import check_scale, to_uint8

    if route not in ROUTES:
        raise ValueError(f"unknown route {route!r}; choose one of {', '.join(ROUTES)}")
    scale = check_scale(scale)
    hr = degrade.modcrop(hr, scale)
    h, w = hr.shape[:2]
    if route == "rgb":
        ref = to_uint8(hr)
        return degrade.imresize(ref, 1 / scale), ref
    ref = metrics.rgb_to_y8(hr) if route == "srcnn" else metrics.rgb_to_y(hr)
    y = ref / 255.0 if route == "srcnn" else ref
    return _matlab_resize_float(y, (h // scale, w // scale)), ref


def route_measure(reference, sr, scale: int, route: str = "srcnn") -> tuple[float, float]:
    """PSNR (dB) and SSIM of a result ``sr`` against a :func:`route_pair` reference.

    ``sr`` is what a method returned for the route's LR: for ``"srcnn"`` and
    ``"rgb"`` it is rounded to 8 bits first (values clipped to [0, 1]), for
    ``"vdsr"`` clipped only. Border ``scale``; Y for colour images of the
    ``"rgb"`` route.
    """
    sr = np.asarray(sr)
    if sr.dtype != np.uint8:
        sr = np.asarray(sr, dtype=np.float64)
        if not np.all(np.isfinite(sr)):
            raise ValueError("the method returned NaN or inf values")
        if sr.size and (sr.min() < -0.5 or sr.max() > 1.5):
            raise ValueError(
                f"the method returned values in [{sr.min():.3g}, {sr.max():.3g}]; methods must "
                "return images in [0, 1] (or uint8), like their input")
        sr = np.clip(sr, 0.0, 1.0) if route == "vdsr" else _round8(sr)
    elif route == "vdsr":
        sr = sr / 255.0
    if sr.ndim == 3 and sr.shape[2] == 1 and np.asarray(reference).ndim == 2:
        sr = sr[..., 0]
    kw = dict(crop_border=scale, y_channel=route == "rgb")
    return metrics.psnr(reference, sr, **kw), metrics.ssim(reference, sr, **kw)


def gray_as_rgb(images):
    """A set's ``[(name, hr), …]`` with every single-channel image as three equal channels.

    How the EDSR and BasicSR code read test images (every file as RGB), and so how the
    papers built on them (RLFN, CARN, IMDN, SwinIR, …) measure Set14's gray ``bridge``: its
    Y is then BT.601 studio-range luma like a colour image's, not its own gray values
    (the SRCNN scripts' rule, :data:`ROUTES`). On Set14 this reads about 0.09 dB higher;
    Set5 has no gray image. Use it with the ``"rgb"`` route::

        benchmark(method, {"set14": gray_as_rgb(data.load_dataset("set14"))}, [4], route="rgb")
    """
    return [(name, np.repeat(np.asarray(hr)[..., None], 3, axis=-1) if np.asarray(hr).ndim == 2
             else hr) for name, hr in images]


def interpolator(method: str = "bicubic"):
    """An interpolation baseline as a :func:`benchmark` method ``(lr, scale) → sr``.

    Parameters
    ----------
    method : str
        A :data:`srkit.degrade.METHODS` name: MATLAB's ``"bicubic"``, ``"bilinear"``,
        ``"nearest"``, ``"lanczos2"``, ``"lanczos3"``, or an OpenCV one (``"area"``,
        ``"cv2_cubic"``, …).

    Returns
    -------
    callable
        uint8 input (the ``"rgb"`` route) is resized as MATLAB resizes uint8 images
        (rounded after each pass); float input (the Y routes) in floating point and,
        for MATLAB's kernels, unclipped as MATLAB does for doubles (OpenCV's kernels
        get the input clipped to [0, 1]).
    """
    from srkit import degrade

    if method not in degrade.METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(degrade.METHODS)}")

    def upscale(lr, scale):
        lr = np.asarray(lr)
        shape = (lr.shape[0] * scale, lr.shape[1] * scale)
        if lr.dtype == np.uint8:
            return degrade.imresize(lr, output_shape=shape, method=method)
        if method.startswith(("cv2_", "area")):
            return degrade.imresize(np.clip(lr, 0.0, 1.0).astype(np.float32), output_shape=shape,
                                    method=method, clip=False)
        return _matlab_resize_float(lr, shape, method)

    upscale.__name__ = method
    return upscale


bicubic = interpolator("bicubic")
"""The bicubic baseline as a :func:`benchmark` method (see :func:`interpolator`)."""


def keras_method(model, *, upsample: bool = True, tile: int | None = 256, multiple: int = 1):
    """Wrap a fully convolutional Keras model as a :func:`benchmark` method ``(lr, scale) → sr``.

    Parameters
    ----------
    model : keras.Model
        1-channel models work on Y (SRCNN, the autoencoder): on an RGB input (the
        ``"rgb"`` route) they restore the Y channel and Cb/Cr are upscaled bicubically
        (:func:`srkit.color.replace_luma`). 3-channel models need the ``"rgb"`` route;
        a single-channel image there (Set14's ``bridge``, an 8-bit H×W LR) is given
        to them as three equal channels and their output averaged back to one, so
        it is measured on its own gray values like the reference scripts do.
    upsample : bool
        Pre-upsampling model (SRCNN): its input is the bicubic-upscaled LR. False for
        models that upscale themselves (SRResNet).
    tile, multiple : int
        Passed to :func:`srkit.tiles.predict_image` (whole-image output, mirrored borders).
        ``tile=None`` runs the model once on the whole image as it is, without padding
        (:func:`srkit.tiles.predict_whole`): how the authors of published models measure
        them, and the only exact way for a model whose output depends on the image's size
        (RLFN's attention, :mod:`srkit.ports`).

    Returns
    -------
    callable
        ``method(lr, scale)`` returning float32 in [0, 1] (not rounded; the route rounds).
    """
    from srkit import color, tiles

    channels = int(model.input_shape[-1])

    def run(x):
        x = np.clip(x, 0.0, 1.0).astype(np.float32)
        if tile is None:  # traced once for every image size
            out = tiles._infer_function(model, x.shape[-1] if x.ndim == 3 else 1)(
                x[None] if x.ndim == 3 else x[None, ..., None])
            out = np.asarray(out)[0]
            return np.clip(out if x.ndim == 3 else out[..., 0], 0.0, 1.0)
        return tiles.predict_image(model, x, tile=tile, multiple=multiple, quantize=False)

    def method(lr, scale):
        lr = np.asarray(lr)
        gray8 = lr.dtype == np.uint8 and (lr.ndim == 2 or lr.shape[2] == 1)  # gray, "rgb" route
        lr = lr.astype(np.float64) / 255.0 if lr.dtype == np.uint8 else lr.astype(np.float64)
        if lr.ndim == 3 and lr.shape[2] == 1:
            lr = lr[..., 0]
        colour = lr.ndim == 3 and lr.shape[2] == 3
        # the bicubic upscale: the input of pre-upsampling models, the colour of Y models
        up = bicubic(lr, scale) if upsample or (channels == 1 and colour) else None
        if channels == 1:
            if not colour:
                return run(up if upsample else lr)
            ycc_up = color.rgb_to_ycbcr(np.clip(up, 0.0, 1.0))
            y_in = ycc_up[..., 0] if upsample else color.rgb_to_ycbcr(np.clip(lr, 0, 1))[..., 0]
            return color.replace_luma(np.clip(up, 0.0, 1.0), run(y_in))
        if channels == 3 and not colour:
            if not gray8:
                raise ValueError("this model takes RGB input, but the route gives it Y: benchmark it "
                                 "with route='rgb'")
            three = np.repeat((up if upsample else lr)[..., None], 3, axis=-1)
            return run(three).mean(axis=-1)
        return run(up if upsample else lr)

    return method


def _dataset_items(sets):
    from srkit import data

    if isinstance(sets, Mapping):
        sets = list(sets.items())
    for entry in ([sets] if isinstance(sets, str) else sets):
        if isinstance(entry, str):
            yield entry.lower(), data.load_dataset(entry)
        else:
            label, images = entry
            yield str(label), list(images)


def benchmark(method=bicubic, sets=("set5", "set14"), scales=(2, 3, 4), *, name: str = "bicubic",
              route: str = "srcnn", compare_with: str | None = None,
              per_image: bool = False) -> pd.DataFrame:
    """Measure a method on named sets and scales, beside the published numbers.

    Parameters
    ----------
    method : callable ``(lr, scale) → sr``
        Super-resolves one LR image as the route gives it (see :func:`route_pair`:
        float Y, or uint8 RGB for ``"rgb"``) to ``scale`` times its size, float in
        [0, 1] or uint8. :func:`bicubic` (default) and :func:`keras_method` are such
        methods; any Python function is too.
    sets : str, sequence or mapping
        Dataset names of :func:`srkit.data.load_dataset` (``"set5"``, ``"set14"``,
        ``"b100"``, ``"bundled_test"``, …) and/or ``(label, [(name, hr), …])`` pairs
        (e.g. :func:`srkit.data.user_dataset`); or a mapping ``{label: [(name, hr), …]}``
        of images already loaded (the ``test_sets`` dict of the notebooks).
    scales : sequence of int
    name : str
        The method's name in the table.
    route : {"srcnn", "vdsr", "rgb"}
        How LR images are made and results measured (:data:`ROUTES`); default the
        SRCNN code's, which reproduces the SRCNN paper's bicubic tables exactly.
    compare_with : str, optional
        Published method to put beside (:data:`srkit.published.METHODS`); default
        ``name`` when the kit knows it.
    per_image : bool
        Return the per-image long table instead of the summary.

    Returns
    -------
    pandas.DataFrame
        One row per dataset and scale: ``dataset, scale, method, route, images, psnr,
        ssim, paper_psnr, paper_ssim, diff_psnr, diff_ssim, paper`` (paper columns
        NaN where no published number exists). With ``per_image``: ``dataset, scale,
        method, route, image, psnr, ssim``.

    Raises
    ------
    ValueError
        For an unknown route or dataset, or a result of the wrong shape.

    Examples
    --------
    >>> benchmark(sets=["set5"], scales=[3])            # doctest: +SKIP
      dataset  scale   method  route  images   psnr    ssim  paper_psnr ...
    0    set5      3  bicubic  srcnn       5  30.392  0.8682       30.39 ...
    """
    from srkit import published

    if route not in ROUTES:
        raise ValueError(f"unknown route {route!r}; choose one of {', '.join(ROUTES)}")
    rows = []
    for dataset, images in _dataset_items(sets):
        for scale in scales:
            for image_name, hr in images:
                lr, ref = route_pair(hr, scale, route)
                sr = np.asarray(method(lr, scale))
                expected = np.asarray(ref).shape[:2]
                if sr.shape[:2] != expected:
                    raise ValueError(
                        f"{name} returned {sr.shape[0]}×{sr.shape[1]} for {dataset}/{image_name} "
                        f"at ×{scale}; expected {expected[0]}×{expected[1]} (the LR size × scale)")
                p, s = route_measure(ref, sr, scale, route)
                rows.append({"dataset": dataset, "scale": int(scale), "method": name,
                             "route": route, "image": image_name, "psnr": p, "ssim": s})
    table = pd.DataFrame(rows)
    if per_image:
        return table
    keys = ["dataset", "scale", "method", "route"]
    summary = table.groupby(keys, sort=False).agg(
        images=("image", "size"), psnr=("psnr", "mean"), ssim=("ssim", "mean")).reset_index()
    paper = compare_with or name
    found = [published.lookup(paper, d, s, route) for d, s in zip(summary["dataset"],
                                                                   summary["scale"])]
    summary["paper_psnr"] = [f["psnr"] if f else np.nan for f in found]
    summary["paper_ssim"] = [f["ssim"] if f and f["ssim"] is not None else np.nan for f in found]
    summary["diff_psnr"] = summary["psnr"] - summary["paper_psnr"]
    summary["diff_ssim"] = summary["ssim"] - summary["paper_ssim"]
    summary["paper"] = [f"{paper}: {f['source']}" if f else "" for f in found]
    return summary
