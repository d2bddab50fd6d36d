"""Convert published PyTorch weights (RLFN, CARN-M) into srkit's Keras ports, without PyTorch.

    python tools/convert_published_weights.py FOLDER [--measure]

FOLDER holds the authors' files under their own names (``rlfn_x2.pth``, ``rlfn_x4.pth``,
``carn_m.pth``; where to get them: :data:`SOURCES`). For each model this script

1. checks the file's SHA-256 against the one recorded below (the file converted for srkit);
2. reads its tensors with ``tools/torch_weights.py`` (a restricted unpickler: NumPy arrays
   only, no PyTorch, no arbitrary objects);
3. builds the Keras port (:mod:`srkit.ports`) and sets every layer from the tensors of the
   PyTorch module of the same name — convolution kernels ``out×in×kh×kw`` transposed to
   Keras' ``kh×kw×in×out``, biases as they are (the ports' pixel shuffle keeps PyTorch's
   channel order, so nothing is reordered) — and checks that every tensor of the file is used once with its shape (CARN-M: those of the
   other scales' upsamplers are left out, and said so);
4. checks the result against :func:`numpy_reference`, a NumPy evaluation of the first block
   written from the reference code with the PyTorch tensors as they are (max difference
   printed; it must stay below 1e-4 of the block's range);
5. saves ``srkit/weights/<name>.keras`` loadable by Keras 3.10+ (``portable`` from
   ``tools/make_reference_weights.py``), and with ``--measure`` measures it on Set5 and
   Set14 (the authors' route: RGB in, PSNR/SSIM on Y, border = scale, whole images) and
   writes its record into ``MODELS.json`` and its checksum into ``SHA256SUMS``.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def _tool(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


torch_weights = _tool("torch_weights")

_RLFN = {"repo": "bytedance/RLFN", "commit": "bccfde91bf8b2de80789ec033a029e6f2a932330",
         "licence": "Apache-2.0 (Copyright 2022 ByteDance)",
         "paper": "Kong et al., Residual Local Feature Network for Efficient Super-Resolution, "
                  "CVPR Workshops (NTIRE) 2022, arXiv:2205.07514, Table 2"}
_CARN = {"repo": "nmhkahn/CARN-pytorch", "commit": "40d3514f81cccd680d846cd5ab07af35f2c8e0e2",
         "licence": "MIT (Copyright (c) 2018 Namhyuk Ahn)",
         "paper": "Ahn et al., Fast, Accurate, and Lightweight Super-Resolution with Cascading "
                  "Residual Network, ECCV 2018, arXiv:1803.08664, Table 2"}

CARN_M_SHA256 = "d48a759a84509351facb6b7c6d5bd6edec98b98519b8c464ee4ab44d2ba964ff"

SOURCES = {
    "rlfn_x2": {"family": "rlfn", "scale": 2, "title": "RLFN", "file": "rlfn_x2.pth",
                "path": "model_zoo/rlfn_x2.pth",
                "source_sha256": "eafe5d5feeb122022453595c06d79160facdc157ae88deb02a44c50f5eba2d41",
                **_RLFN,
                "published": {"set5": [38.07, 0.9607], "set14": [33.72, 0.9187],
                              "b100": [32.22, 0.9000], "urban100": [32.33, 0.9299]}},
    "rlfn_x4": {"family": "rlfn", "scale": 4, "title": "RLFN", "file": "rlfn_x4.pth",
                "path": "model_zoo/rlfn_x4.pth",
                "source_sha256": "8c7edb57dfc89048bafba29d591d4c27d4099964b4a9e22df23d6dc257a637c0", **_RLFN,
                "published": {"set5": [32.24, 0.8952], "set14": [28.62, 0.7813],
                              "b100": [27.60, 0.7364], "urban100": [26.17, 0.7877]}},
    "carn_m_x2": {"family": "carn_m", "scale": 2, "title": "CARN-M", "file": "carn_m.pth",
                  "path": "checkpoint/carn_m.pth", "source_sha256": CARN_M_SHA256, **_CARN,
                  "published": {"set5": [37.53, 0.9583], "set14": [33.26, 0.9141],
                                "b100": [31.92, 0.8960], "urban100": [31.23, 0.9193]}},
    "carn_m_x3": {"family": "carn_m", "scale": 3, "title": "CARN-M", "file": "carn_m.pth",
                  "path": "checkpoint/carn_m.pth", "source_sha256": CARN_M_SHA256, **_CARN,
                  "published": {"set5": [33.99, 0.9236], "set14": [30.08, 0.8367],
                                "b100": [28.91, 0.8000], "urban100": [27.55, 0.8385]}},
    "carn_m_x4": {"family": "carn_m", "scale": 4, "title": "CARN-M", "file": "carn_m.pth",
                  "path": "checkpoint/carn_m.pth", "source_sha256": CARN_M_SHA256, **_CARN,
                  "published": {"set5": [31.92, 0.8903], "set14": [28.42, 0.7762],
                                "b100": [27.44, 0.7304], "urban100": [25.62, 0.7694]}},
}
"""What srkit converts: the authors' file (repository, commit, path, SHA-256), licence, paper,
and the numbers the paper publishes (PSNR dB / SSIM on Y, border = scale)."""


# --------------------------------------------------------------------------- conversion

def keras_kernel(weight: np.ndarray) -> np.ndarray:
    """A PyTorch conv kernel ``out×(in/groups)×kh×kw`` as Keras' ``kh×kw×(in/groups)×out``
    (grouped convolutions split their output channels into the same contiguous groups)."""
    return np.transpose(weight, (2, 3, 1, 0))


def set_weights(model, state: dict) -> list[str]:
    """Set every weighted layer of ``model`` from the tensors named like it; return unused keys.

    Raises
    ------
    ValueError
        If a layer has no tensor of its name or a shape differs.
    """
    import keras

    used = set()
    for layer in model.layers:
        if not layer.weights:
            continue
        if not isinstance(layer, keras.layers.Conv2D):
            raise ValueError(f"layer {layer.name} is not a convolution; no rule to convert it")
        weight, bias = f"{layer.name}.weight", f"{layer.name}.bias"
        if weight not in state or bias not in state:
            raise ValueError(f"the file has no tensors {weight} / {bias}")
        kernel, b = keras_kernel(state[weight]), state[bias]
        expected = [tuple(v.shape) for v in layer.weights]
        if [kernel.shape, b.shape] != expected:
            raise ValueError(f"{layer.name}: Keras wants {expected}, the file gives "
                             f"{[state[weight].shape, state[bias].shape]}")
        layer.set_weights([kernel, b])
        used |= {weight, bias}
    return [key for key in state if key not in used]


# --------------------------------------------------------------------------- numpy reference

def np_conv(x, weight, bias, stride=1, padding=0, groups=1):
    """PyTorch's ``F.conv2d`` in NumPy: x ``C×H×W``, weight ``O×(C/g)×kh×kw``."""
    x = np.pad(x, ((0, 0), (padding, padding), (padding, padding)))
    c, h, w = x.shape
    o, cg, kh, kw = weight.shape
    ho, wo = (h - kh) // stride + 1, (w - kw) // stride + 1
    out = np.empty((o, ho, wo), np.float64)
    per = o // groups
    for g in range(groups):
        xs = x[g * cg:(g + 1) * cg]
        ws = weight[g * per:(g + 1) * per].astype(np.float64)
        acc = np.zeros((per, ho, wo))
        for i in range(kh):
            for j in range(kw):
                patch = xs[:, i:i + stride * ho:stride, j:j + stride * wo:stride]
                acc += np.einsum("oc,chw->ohw", ws[:, :, i, j], patch)
        out[g * per:(g + 1) * per] = acc
    return out + bias.astype(np.float64)[:, None, None]


def np_bilinear(x, size):
    """``F.interpolate(x, size, mode="bilinear", align_corners=False)`` in NumPy (C×h×w)."""
    def axis(n_in, n_out):
        pos = np.maximum((np.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0)
        lo = np.minimum(np.floor(pos).astype(int), n_in - 1)
        hi = np.minimum(lo + 1, n_in - 1)
        return lo, hi, pos - lo
    (r0, r1, fr), (c0, c1, fc) = axis(x.shape[1], size[0]), axis(x.shape[2], size[1])
    rows = x[:, r0] * (1 - fr)[None, :, None] + x[:, r1] * fr[None, :, None]
    return rows[:, :, c0] * (1 - fc) + rows[:, :, c1] * fc


def np_maxpool(x, k, s):
    c, h, w = x.shape
    ho, wo = (h - k) // s + 1, (w - k) // s + 1
    out = np.full((c, ho, wo), -np.inf)
    for i in range(k):
        for j in range(k):
            out = np.maximum(out, x[:, i:i + s * ho:s, j:j + s * wo:s])
    return out


def numpy_reference(family: str, state: dict, image: np.ndarray) -> np.ndarray:
    """The output of the first block, computed from the PyTorch tensors as they are.

    ``image``: RGB ``h×w×3`` in [0, 1]. Returns ``h×w×C`` (channels last, as Keras): RLFN's
    ``block_1``; CARN-M's first cascading block ``b1``.
    """
    x = np.transpose(image.astype(np.float64), (2, 0, 1))
    t = state
    if family == "rlfn":
        x = np_conv(x * 255.0, t["conv_1.weight"], t["conv_1.bias"], padding=1)
        out = x
        lrelu = lambda v: np.where(v > 0, v, 0.05 * v)  # noqa: E731
        for i in (1, 2, 3):
            out = lrelu(np_conv(out, t[f"block_1.c{i}_r.weight"], t[f"block_1.c{i}_r.bias"], padding=1))
        out = np_conv(out + x, t["block_1.c5.weight"], t["block_1.c5.bias"])
        e = "block_1.esa."
        c1_ = np_conv(out, t[e + "conv1.weight"], t[e + "conv1.bias"])
        c1 = np_conv(c1_, t[e + "conv2.weight"], t[e + "conv2.bias"], stride=2)
        c3 = np_conv(np_maxpool(c1, 7, 3), t[e + "conv3.weight"], t[e + "conv3.bias"], padding=1)
        c3 = np_bilinear(c3, out.shape[1:])
        cf = np_conv(c1_, t[e + "conv_f.weight"], t[e + "conv_f.bias"])
        m = 1 / (1 + np.exp(-np_conv(c3 + cf, t[e + "conv4.weight"], t[e + "conv4.bias"])))
        return np.transpose(out * m, (1, 2, 0))
    if family == "carn_m":
        relu = lambda v: np.maximum(v, 0)  # noqa: E731
        x = np_conv(x, t["sub_mean.shifter.weight"], t["sub_mean.shifter.bias"])
        x = np_conv(x, t["entry.weight"], t["entry.bias"], padding=1)
        c = o = x
        for i in (1, 2, 3):
            r = relu(np_conv(o, t["b1.b1.body.0.weight"], t["b1.b1.body.0.bias"], padding=1, groups=4))
            r = relu(np_conv(r, t["b1.b1.body.2.weight"], t["b1.b1.body.2.bias"], padding=1, groups=4))
            r = relu(np_conv(r, t["b1.b1.body.4.weight"], t["b1.b1.body.4.bias"]) + o)
            c = np.concatenate([c, r])
            o = relu(np_conv(c, t[f"b1.c{i}.body.0.weight"], t[f"b1.c{i}.body.0.bias"]))
        return np.transpose(o, (1, 2, 0))
    raise ValueError(f"no reference for {family!r}")


FIRST_BLOCK = {"rlfn": "block_1.esa.mul", "carn_m": "b1.c3.body.1"}
"""The Keras layer whose output :func:`numpy_reference` computes."""


def check_first_block(model, family: str, state: dict, image: np.ndarray) -> float:
    """Largest difference between the port's first block and :func:`numpy_reference`,
    relative to the block's range. Raises ``AssertionError`` above 1e-4."""
    import keras

    probe = keras.Model(model.input, model.get_layer(FIRST_BLOCK[family]).output)
    ours = np.asarray(probe(image[None].astype(np.float32)))[0]
    ref = numpy_reference(family, state, image)
    rel = float(np.abs(ours - ref).max() / (np.abs(ref).max() + 1e-12))
    assert rel < 1e-4, f"{family}: first block differs from the NumPy reference by {rel:.2e}"
    return rel


# --------------------------------------------------------------------------- main

def sha256(file: Path) -> str:
    return hashlib.sha256(file.read_bytes()).hexdigest()


def convert(name: str, folder: Path, out_dir: Path):
    """Convert one model; return ``(keras model, saved file, notes)``."""
    from srkit import data, ports

    spec = SOURCES[name]
    source = folder / spec["file"]
    if not source.is_file():
        raise FileNotFoundError(f"no {spec['file']} in '{folder}': get it from "
                                f"https://github.com/{spec['repo']}/blob/{spec['commit']}/{spec['path']}")
    digest = sha256(source)
    if spec["source_sha256"] and digest != spec["source_sha256"]:
        raise ValueError(f"{source} is not the file srkit converted (SHA-256 {digest})")
    state = torch_weights.load_state_dict(source)
    model = ports.BUILDERS[spec["family"]](scale=spec["scale"])
    unused = set_weights(model, state)
    expected_unused = [k for k in state if k.startswith("upsample.up") and
                       not k.startswith(f"upsample.up{spec['scale']}.")]
    if sorted(unused) != sorted(expected_unused):
        raise ValueError(f"{name}: tensors not used: {sorted(set(unused) - set(expected_unused))}")
    image = data.load_dataset("set5")[2][1][:48, :48]  # butterfly, a corner
    image = image[::2, ::2] if image.shape[0] > 40 else image
    rel = check_first_block(model, spec["family"], state, np.asarray(image, np.float64))
    out = out_dir / f"{name}.keras"
    model.save(out)
    _tool("make_reference_weights").portable(out)
    notes = {"source_sha256": digest, "tensors": len(state), "tensors_unused": len(unused),
             "first_block_max_rel_diff": rel}
    return model, out, notes


def record(name: str, file: Path, model, notes: dict, measured: dict | None) -> dict:
    spec = SOURCES[name]
    return {
        "title": spec["title"], "file": file.name, "sha256": sha256(file), "scale": spec["scale"],
        # strips of the command line (--tile lowers the memory; CARN-M peaked at 4.5 GiB
        # for a 12-MP result at x4 with 256, benchmarks/bench_published.py)
        "input": "rgb", "upsample": False, "multiple": 1, "tile": 256, "radius": 48,
        "whole_image": True, "route": "rgb", "parameters": int(model.count_params()),
        "outputs_file": None, "family": spec["family"],
        "source": {"repo": spec["repo"], "commit": spec["commit"], "path": spec["path"],
                   "url": f"https://github.com/{spec['repo']}/blob/{spec['commit']}/{spec['path']}",
                   "sha256": notes["source_sha256"], "licence": spec["licence"],
                   "paper": spec["paper"],
                   "converted_by": "tools/convert_published_weights.py",
                   "first_block_max_rel_diff": float(f"{notes['first_block_max_rel_diff']:.2e}")},
        "published": {d: {"psnr": p, "ssim": s} for d, (p, s) in spec["published"].items()},
        **({"measured": measured} if measured else {}),
    }


def measure(model, scale: int) -> dict:
    """Set5 and Set14 on the authors' route (RGB in, whole images, Y, border = scale; gray
    images read as RGB, :func:`srkit.evaluate.gray_as_rgb`), and Set14 with the SRCNN
    scripts' gray rule (``set14_gray_own``) for comparison with the course's rows."""
    from srkit import data, evaluate

    method = evaluate.keras_method(model, upsample=False, tile=None)
    set14 = data.load_dataset("set14")
    sets = {"set5": data.load_dataset("set5"), "set14": evaluate.gray_as_rgb(set14),
            "set14_gray_own": set14}
    table = evaluate.benchmark(method, sets, [scale], name="port", route="rgb")
    return {row.dataset: {"psnr": round(float(row.psnr), 4), "ssim": round(float(row.ssim), 4)}
            for row in table.itertuples()}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="folder holding the authors' .pth files")
    parser.add_argument("--names", nargs="*", default=list(SOURCES), choices=list(SOURCES))
    parser.add_argument("--measure", action="store_true",
                        help="measure on Set5/Set14 and write MODELS.json and SHA256SUMS")
    args = parser.parse_args(argv)

    from srkit.notebook import setup

    setup(seed=0)
    from srkit import pretrained

    weights = pretrained.WEIGHTS_DIR
    records = json.loads((weights / "MODELS.json").read_text(encoding="utf-8"))
    for name in args.names:
        model, file, notes = convert(name, args.folder, weights)
        reloaded = pretrained.load_model(file)
        measured = measure(reloaded, SOURCES[name]["scale"]) if args.measure else None
        records[name] = record(name, file, reloaded, notes, measured)
        print(f"{name}: {file.stat().st_size / 1e6:.2f} MB, {records[name]['parameters']:,} "
              f"parameters, first block rel. diff {notes['first_block_max_rel_diff']:.1e}"
              + (", " + ", ".join(f"{d} {m['psnr']:.4f} / {m['ssim']:.4f}"
                                  for d, m in measured.items()) if measured else ""))
    if args.measure:
        (weights / "MODELS.json").write_text(json.dumps(records, indent=2, ensure_ascii=False) + "\n",
                                             encoding="utf-8")
        (weights / "SHA256SUMS").write_text(
            "".join(f"{r['sha256']}  {r['file']}\n" for r in records.values()))


if __name__ == "__main__":
    main()
