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
_VDSR_T = "Kim et al., VDSR (CVPR 2016), Table 3"
_EDSR_B = ("Lim et al., EDSR (CVPRW 2017), the baseline model (16 blocks, 64 filters) of the "
           "EDSR code, as tabled by Zhang et al., ELAN (ECCV 2022), Table 1")
_IMDN = "Hui et al., IMDN (ACM MM 2019), Table 3"
_CARN_M = ("Ahn et al., CARN (ECCV 2018), Table 2, CARN-M; weights: github.com/nmhkahn/"
           "CARN-pytorch checkpoint/carn_m.pth (srkit ships them converted)")
_RLFN = ("Kong et al., RLFN (CVPRW 2022, arXiv:2205.07514), Table 2; weights: github.com/"
         "bytedance/RLFN model_zoo/rlfn_x{s}.pth (srkit ships them converted)")
_SWINIR = "Liang et al., SwinIR (ICCVW 2021), Table 3, lightweight SR (SwinIR-light)"
_ESRGAN = ("Wang et al., ESRGAN (ECCVW 2018): RRDB, its PSNR-oriented generator trained on "
           "DF2K, as tabled in the authors' repository README (github.com/xinntao/ESRGAN)")


def _grid(method, source, table):
    """Rows from ``{scale: {dataset: (psnr, ssim)}}``."""
    return [(method, d, s, p, q, None, source.format(s=s))
            for s, sets in table.items() for d, (p, q) in sets.items()]


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
    # the field after 2016: efficient PSNR-oriented models (RGB models; the papers read gray
    # images as RGB, see srkit.evaluate.gray_as_rgb)
    *_grid("VDSR", _VDSR_T, {
        2: {"set5": (37.53, 0.9587), "set14": (33.03, 0.9124), "b100": (31.90, 0.8960),
            "urban100": (30.76, 0.9140)},
        3: {"set5": (33.66, 0.9213), "set14": (29.77, 0.8314), "b100": (28.82, 0.7976),
            "urban100": (27.14, 0.8279)},
        4: {"set5": (31.35, 0.8838), "set14": (28.01, 0.7674), "b100": (27.29, 0.7251),
            "urban100": (25.18, 0.7524)}}),
    *_grid("EDSR-baseline", _EDSR_B, {
        2: {"set5": (37.99, 0.9604), "set14": (33.57, 0.9175), "b100": (32.16, 0.8994),
            "urban100": (31.98, 0.9272)},
        3: {"set5": (34.37, 0.9270), "set14": (30.28, 0.8417), "b100": (29.09, 0.8052),
            "urban100": (28.15, 0.8527)},
        4: {"set5": (32.09, 0.8938), "set14": (28.58, 0.7813), "b100": (27.57, 0.7357),
            "urban100": (26.04, 0.7849)}}),
    *_grid("CARN-M", _CARN_M, {
        2: {"set5": (37.53, 0.9583), "set14": (33.26, 0.9141), "b100": (31.92, 0.8960),
            "urban100": (31.23, 0.9193)},
        3: {"set5": (33.99, 0.9236), "set14": (30.08, 0.8367), "b100": (28.91, 0.8000),
            "urban100": (27.55, 0.8385)},
        4: {"set5": (31.92, 0.8903), "set14": (28.42, 0.7762), "b100": (27.44, 0.7304),
            "urban100": (25.62, 0.7694)}}),
    *_grid("IMDN", _IMDN, {
        2: {"set5": (38.00, 0.9605), "set14": (33.63, 0.9177), "b100": (32.19, 0.8996),
            "urban100": (32.17, 0.9283)},
        3: {"set5": (34.36, 0.9270), "set14": (30.32, 0.8417), "b100": (29.09, 0.8046),
            "urban100": (28.17, 0.8519)},
        4: {"set5": (32.21, 0.8948), "set14": (28.58, 0.7811), "b100": (27.56, 0.7353),
            "urban100": (26.04, 0.7838)}}),
    *_grid("RLFN", _RLFN, {
        2: {"set5": (38.07, 0.9607), "set14": (33.72, 0.9187), "b100": (32.22, 0.9000),
            "urban100": (32.33, 0.9299)},
        4: {"set5": (32.24, 0.8952), "set14": (28.62, 0.7813), "b100": (27.60, 0.7364),
            "urban100": (26.17, 0.7877)}}),
    *_grid("SwinIR-light", _SWINIR, {
        2: {"set5": (38.14, 0.9611), "set14": (33.86, 0.9206), "b100": (32.31, 0.9012),
            "urban100": (32.76, 0.9340)},
        3: {"set5": (34.62, 0.9289), "set14": (30.54, 0.8463), "b100": (29.20, 0.8082),
            "urban100": (28.66, 0.8624)},
        4: {"set5": (32.44, 0.8976), "set14": (28.77, 0.7858), "b100": (27.69, 0.7406),
            "urban100": (26.47, 0.7980)}}),
    *_grid("ESRGAN (RRDB, PSNR-oriented)", _ESRGAN, {
        4: {"set5": (32.73, 0.9011), "set14": (28.99, 0.7917), "b100": (27.85, 0.7455),
            "urban100": (27.03, 0.8153)}}),
]

PARAMETERS = {"VDSR": 665_000, "EDSR-baseline": 1_370_000, "CARN-M": 412_000, "IMDN": 715_000,
              "RLFN": 543_000, "SwinIR-light": 897_000, "ESRGAN (RRDB, PSNR-oriented)": 16_700_000,
              "SRResNet": 1_550_000, "SRCNN 9-5-5 (ImageNet)": 57_000}
"""Parameters of the published models (×4 where they differ by scale), as their papers or the
tables above state them; CARN-M's 412 K count its three upsamplers."""

PERCEPTUAL = {
    "SRGAN": "Ledig et al. 2017: PSNR 29.40 dB on Set5 ×4 (above); mean opinion score "
             "on Set5 (Table 2) 3.58 against 3.37 for SRResNet and 4.32 for the HR images; "
             "the adversarial loss trades PSNR for realism.",
    "ESRGAN": "Wang et al. 2018: the GAN generator (RRDB_ESRGAN_x4.pth), judged by perceptual "
              "index and user studies, not PSNR; the PIRM 2018 challenge's region-3 winner.",
    "Real-ESRGAN": "Wang et al. 2021 (ICCVW): ESRGAN trained on synthetic real-world "
                   "degradations (blur, noise, JPEG, twice); made for photos, not for the "
                   "bicubic benchmark; no Set5 PSNR in its paper.",
}
"""Perceptual state-of-the-art models: what their papers report instead of a PSNR table."""

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
