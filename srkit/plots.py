"""Figures: image grids and side-by-side comparisons with zoomed crops."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

from srkit._validate import check_image, to_float


def _show(ax, image, title=None):
    image = to_float(check_image(image))
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[..., 0]
    ax.imshow(image, cmap="gray" if image.ndim == 2 else None, vmin=0, vmax=1,
              interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=9)


def show_images(images, ncols: int = 5, size: float = 2.6):
    """Show ``(title, image)`` pairs (or a dict) in a grid; returns the figure."""
    items = list(images.items()) if isinstance(images, dict) else list(images)
    nrows = -(-len(items) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows), squeeze=False)
    for ax in axes.flat:
        ax.set_axis_off()
    for ax, (title, image) in zip(axes.flat, items):
        _show(ax, image, title)
    fig.tight_layout()
    return fig


def detail_box(image, size: int = 64) -> tuple[int, int, int, int]:
    """The ``size × size`` window with the most edge energy: ``(top, left, height, width)``.

    A good default place for a zoomed crop, where interpolation methods differ most.
    """
    gray = to_float(check_image(image))
    gray = gray.mean(axis=2) if gray.ndim == 3 else gray
    size = int(min(size, *gray.shape[:2]))
    gy, gx = np.gradient(gray.astype(np.float64))
    energy = np.pad((gx**2 + gy**2).cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    sums = (energy[size:, size:] - energy[:-size, size:] - energy[size:, :-size]
            + energy[:-size, :-size])
    top, left = np.unravel_index(np.argmax(sums), sums.shape)
    return int(top), int(left), size, size


def difference_box(a, b, size: int = 64) -> tuple[int, int, int, int]:
    """The ``size × size`` window where images ``a`` and ``b`` differ most (sum of |a − b|).

    For zoomed crops that show a difference rather than hide it. Same shapes,
    float in [0, 1] or uint8; returns ``(top, left, height, width)``.
    """
    a, b = to_float(check_image(a, "a")), to_float(check_image(b, "b"))
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {a.shape} and {b.shape}")
    diff = np.abs(a.astype(np.float64) - b)
    diff = diff.sum(axis=2) if diff.ndim == 3 else diff
    size = int(min(size, *diff.shape[:2]))
    total = np.pad(diff.cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    sums = total[size:, size:] - total[:-size, size:] - total[size:, :-size] + total[:-size, :-size]
    top, left = np.unravel_index(np.argmax(sums), sums.shape)
    return int(top), int(left), size, size


def compare(images, box=None, *, size: float = 2.6, crop_size: int = 64):
    """Side-by-side comparison: full images on top, the same zoomed crop below.

    Parameters
    ----------
    images : dict[str, ndarray] or list of (str, ndarray)
        Titles and images of equal height and width (e.g. HR, bicubic, model).
    box : (top, left, height, width), optional
        Region to zoom; default :func:`detail_box` of the first image.
    """
    items = list(images.items()) if isinstance(images, dict) else list(images)
    shapes = {np.asarray(im).shape[:2] for _, im in items}
    if len(shapes) != 1:
        raise ValueError(f"images must share height and width to compare, got {sorted(shapes)}")
    top, left, h, w = box if box is not None else detail_box(items[0][1], crop_size)
    fig, axes = plt.subplots(2, len(items), figsize=(size * len(items), size * 2), squeeze=False)
    for col, (title, image) in enumerate(items):
        _show(axes[0, col], image, title)
        axes[0, col].add_patch(Rectangle((left - 0.5, top - 0.5), w, h, fill=False,
                                         edgecolor="red", linewidth=1.2))
        _show(axes[1, col], np.asarray(image)[top:top + h, left:left + w])
    fig.tight_layout()
    return fig


def compare_methods(reference, results, scale: int, route: str = "srcnn", *, title: str | None = None,
                    crop_size: int = 64, size: float = 2.6, box=None):
    """Compare methods' outputs for one test image, with PSNR (dB) in each title.

    The reference comes first ("HR"); each result's title is its label and its PSNR against
    the reference, measured by :func:`srkit.evaluate.route_measure` (border = ``scale``; Y
    for colour images on the ``"rgb"`` route; results rounded to 8 bits, as the papers
    save them). Below each image, the same zoomed crop (:func:`compare`).

    Parameters
    ----------
    reference : ndarray
        The HR image of :func:`srkit.evaluate.route_pair`: uint8, or float in [0, 1]
        (rounded to 8 bits), H×W (gray or a Y channel) or H×W×3.
    results : dict[str, ndarray]
        Label → that method's output for the route's LR image, in [0, 1] (or uint8), the
        reference's height and width.
    scale : int
        Upscaling factor (the measurement's border).
    route : str
        ``"srcnn"``, ``"vdsr"`` or ``"rgb"`` (see :func:`srkit.evaluate.route_pair`).
    title : str, optional
        Figure title, e.g. ``"set5/butterfly, ×3"``.
    crop_size, size, box
        As in :func:`compare`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from srkit import evaluate  # plots stays importable without the evaluation stack

    ref = np.asarray(reference)
    ref8 = ref if ref.dtype == np.uint8 else np.round(np.clip(ref, 0, 1) * 255).astype(np.uint8)
    shown = {"HR": ref8.astype(np.float32) / 255}
    for label, sr in results.items():
        psnr, _ = evaluate.route_measure(ref8, sr, scale, route)
        sr = np.asarray(sr)
        shown[f"{label}\n{psnr:.2f} dB"] = (sr.astype(np.float32) / 255 if sr.dtype == np.uint8
                                            else np.clip(sr, 0, 1))
    fig = compare(shown, box, size=size, crop_size=crop_size)
    if title:
        fig.suptitle(title, y=1.0)
        fig.tight_layout()
    return fig
