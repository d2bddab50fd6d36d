"""srkit: the helper package of the super-resolution course kit.

Modules (each one concern, short enough to read in one sitting):

- :mod:`srkit.io` — load and save images (float32 in [0, 1], H×W×C RGB).
- :mod:`srkit.degrade` — modcrop, MATLAB-exact bicubic ``imresize``, LR/HR pairs,
  blur, noise and JPEG degradations.
- :mod:`srkit.metrics` — ``rgb_to_y``, PSNR and SSIM as the papers compute them.
- :mod:`srkit.evaluate` — per-image result tables, and ``benchmark`` on the standard sets
  measured the papers' way (the SRCNN, VDSR and RGB routes).
- :mod:`srkit.published` — the published PSNR/SSIM numbers results stand beside.
- :mod:`srkit.data` — the standard sets shipped with srkit (T91, Set5, Set14), the
  bundled train/val/test photographs, downloaded sets and user folders.
- :mod:`srkit.download` — cached, checksum-verified downloads (DIV2K, BSDS500, …).
- :mod:`srkit.color` — BT.601 YCbCr (MATLAB's), to restore Y and keep the colour.
- :mod:`srkit.trainset` — training data from a set name or your folder, split and checked;
  the degradation of the training pairs (bicubic, bilinear, nearest, blur, noise).
- :mod:`srkit.patches` — aligned LR/HR training patches as a ``tf.data`` pipeline.
- :mod:`srkit.tiles` — tiled inference, identical to whole-image inference.
- :mod:`srkit.train` — ``tf.distribute`` strategy, PSNR metric, resumable ``fit``.
- :mod:`srkit.restoration` — blur kinds, Wiener/Richardson–Lucy/unsharp baselines, error %.
- :mod:`srkit.gan` — perceptual (VGG19) features, a collapse guard, sample grids.
- :mod:`srkit.pretrained` — the reference weights of notebooks 02–04, checksum-verified.
- :mod:`srkit.layers` — notebook 04's pixel shuffle and bicubic layers, so its models load.
- :mod:`srkit.upscale` — upscale a whole photo with a course model, strip by strip.
- :mod:`srkit.cli` — ``python -m srkit upscale | evaluate | models``.
- :mod:`srkit.plots` — side-by-side comparisons with zoomed crops (dB in the titles).
- :mod:`srkit.seeds` — the seed-to-seed spread of an experiment and a verdict beside it.
- :mod:`srkit.notebook` — the setup ritual every notebook runs first.

Conventions: images are ``float32`` arrays with values in [0, 1], shaped H×W×C
(RGB) or H×W (gray), unless a function says otherwise.
"""

__version__ = "0.1.0"

_SUBMODULES = ("cli", "color", "data", "degrade", "download", "evaluate", "gan", "io", "layers",
               "metrics", "notebook", "patches", "plots", "pretrained", "project", "published",
               "restoration", "seeds", "tiles", "train", "trainset", "upscale")
__all__ = list(_SUBMODULES) + ["__version__"]


def __getattr__(name):
    """Import submodules on first use, so ``import srkit`` stays fast."""
    if name in _SUBMODULES:
        import importlib

        return importlib.import_module(f"srkit.{name}")
    raise AttributeError(f"module 'srkit' has no attribute {name!r}")
