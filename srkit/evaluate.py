"""Result tables: per-image PSNR/SSIM with a mean row, as pandas DataFrames."""

from __future__ import annotations

from collections.abc import Iterable

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
