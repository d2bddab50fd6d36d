"""Published PSNR/SSIM numbers the kit's results stand beside.

Every value is PSNR (dB) / SSIM on the luma Y (BT.601), border = scale, the mean over
the images of the set, as printed in the paper named in ``source``. ``route`` names the
measurement route (:data:`srkit.evaluate.ROUTES`) that reproduces a row when it matters:
the bicubic rows of Set5 and Set14 come out exactly from the SRCNN code's route, while
later papers (VDSR, EDSR, RCAN) list Set14 bicubic from another route.

>>> from srkit import published
>>> published.lookup("bicubic", "set5", 3)
{'psnr': 30.39, 'ssim': 0.8682, 'source': 'Dong et al., SRCNN (TPAMI 2016)', 'route': 'srcnn'}
"""

from __future__ import annotations

import pandas as pd

_SRCNN = "Dong et al., SRCNN (TPAMI 2016)"
_SRCNN_91 = "Dong et al., SRCNN (TPAMI 2016), Sec. 4.1, 9-1-5 trained on 91 images"
_VDSR = "Kim et al., VDSR (CVPR 2016)"
_SRGAN = "Ledig et al., SRGAN (CVPR 2017)"

# (method, dataset, scale, psnr, ssim, route, source); route None: any route
_ROWS = [
    *[("bicubic", "set5", s, p, q, "srcnn", _SRCNN)
      for s, p, q in ((2, 33.66, 0.9299), (3, 30.39, 0.8682), (4, 28.42, 0.8104))],
    *[("bicubic", "set14", s, p, q, "srcnn", _SRCNN)
      for s, p, q in ((2, 30.23, 0.8687), (3, 27.54, 0.7736), (4, 26.00, 0.7019))],
    # later tables copy Set5 unchanged and list Set14 from a float-Y route
    *[("bicubic", "set5", s, p, q, "vdsr", _VDSR)
      for s, p, q in ((2, 33.66, 0.9299), (3, 30.39, 0.8682), (4, 28.42, 0.8104))],
    *[("bicubic", "set14", s, p, q, "vdsr", _VDSR)
      for s, p, q in ((2, 30.24, 0.8688), (3, 27.55, 0.7742), (4, 26.00, 0.7027))],
    *[("bicubic", "b100", s, p, q, None, _VDSR)
      for s, p, q in ((2, 29.56, 0.8431), (3, 27.21, 0.7385), (4, 25.96, 0.6675))],
    *[("bicubic", "urban100", s, p, q, None, _VDSR)
      for s, p, q in ((2, 26.88, 0.8403), (3, 24.46, 0.7349), (4, 23.14, 0.6577))],
    ("SRCNN 9-1-5 (91 images)", "set5", 3, 32.39, None, None, _SRCNN_91),
    *[("SRCNN 9-5-5 (ImageNet)", d, s, p, q, None, _VDSR) for d, s, p, q in (
        ("set5", 2, 36.66, 0.9542), ("set5", 3, 32.75, 0.9090), ("set5", 4, 30.48, 0.8628),
        ("set14", 2, 32.42, 0.9063), ("set14", 3, 29.28, 0.8209), ("set14", 4, 27.49, 0.7503),
        ("b100", 2, 31.36, 0.8879), ("b100", 3, 28.41, 0.7863), ("b100", 4, 26.90, 0.7101))],
    *[("SRResNet", d, 4, p, q, None, _SRGAN)
      for d, p, q in (("set5", 32.05, 0.9019), ("set14", 28.49, 0.8184), ("b100", 27.58, 0.7620))],
    *[("SRGAN", d, 4, p, q, None, _SRGAN)
      for d, p, q in (("set5", 29.40, 0.8472), ("set14", 26.02, 0.7397), ("b100", 25.16, 0.6688))],
]

PUBLISHED = pd.DataFrame(_ROWS, columns=["method", "dataset", "scale", "psnr", "ssim", "route",
                                         "source"])
"""All published rows the kit knows, one per (method, dataset, scale, route)."""

METHODS = tuple(dict.fromkeys(PUBLISHED["method"]))
"""Method names as they appear in :data:`PUBLISHED`."""


def lookup(method: str, dataset: str, scale: int, route: str = "srcnn") -> dict | None:
    """The published PSNR/SSIM of ``method`` on ``dataset`` at ``scale``, or ``None``.

    Parameters
    ----------
    method : str
        One of :data:`METHODS` (case-insensitive).
    dataset : str
        ``"set5"``, ``"set14"``, ``"b100"``, ``"urban100"`` (case-insensitive).
    scale : int
        2, 3 or 4.
    route : str
        The measurement route; a row recorded for this route is preferred, then
        one that holds for any route.

    Returns
    -------
    dict or None
        ``{"psnr", "ssim" (None where the paper gives none), "source", "route"}``;
        None when the kit knows no published number.
    """
    rows = PUBLISHED[(PUBLISHED["method"].str.lower() == str(method).lower())
                     & (PUBLISHED["dataset"] == str(dataset).lower())
                     & (PUBLISHED["scale"] == int(scale))]
    if rows.empty:
        return None
    exact = rows[rows["route"] == route]
    anyroute = rows[rows["route"].isna()]
    row = (exact if not exact.empty else anyroute if not anyroute.empty else rows).iloc[0]
    ssim = None if pd.isna(row["ssim"]) else float(row["ssim"])
    return {"psnr": float(row["psnr"]), "ssim": ssim, "source": row["source"],
            "route": None if pd.isna(row["route"]) else row["route"]}
