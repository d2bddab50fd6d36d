"""Make srkit's reference weights from the models notebooks 02–04 saved in a default run.

    python tools/make_reference_weights.py [OUTPUTS_DIR] [--only NAME ...]

Reads ``02_srcnn_x3.keras``, ``03_autoencoder_x3.keras``, ``04_srresnet_x4.keras`` and
``04_srgan_x4.keras`` from OUTPUTS_DIR (default ``outputs/``), saves each as an
inference-only copy in ``srkit/weights/`` (same weights; no optimizer state; notebook 04's
layers as srkit's, its ICNR initializer replaced by Keras' default, which loading never
uses), measures it on Set5 and Set14 the way its notebook does, and writes
``MODELS.json`` (how each was made, what it measures) and ``SHA256SUMS``. ``--only`` remakes
the named models (e.g. ``srresnet_x4 srgan_x4`` after a new run of notebook 04) and keeps the
others' files and records as they are.

The records below describe the stored default runs the files came from: update them
when a notebook's default run is stored anew, and rerun this script.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MACHINE = "2-core AMD EPYC, no GPU (this project's CI-class machine)"
VERSIONS = "TensorFlow 2.21.0, Keras 3.15.1"

RECORDS = {
    "srcnn_x3": {
        "title": "SRCNN 9-1-5", "source_file": "02_srcnn_x3.keras", "scale": 3, "input": "y",
        "upsample": True, "multiple": 1, "tile": 256, "route": "srcnn",
        "made_by": {
            "notebook": "notebooks/02_srcnn.ipynb", "commit": "441b97b3381dcb432abb71f75854a4078e6e199d",
            "profile": "default",
            "training": "30,000 steps of 64 T91 sub-images (33×33, stride 14, 8 flips), "
                        "Adam 2e-3 cosine to 1 %, centred values (shift 0.5, folded into the biases)",
            "training_minutes": 12.4, "seeds": "setup(seed=42) for the weights; patch order seed 0",
            "date": "2026-11-30"}},
    "autoencoder_x3": {
        "title": "autoencoder with encoder–decoder skips", "source_file": "03_autoencoder_x3.keras",
        "scale": 3, "input": "y", "upsample": True, "multiple": 4, "tile": 256, "route": "srcnn",
        "made_by": {
            "notebook": "notebooks/03_autoencoder.ipynb", "commit": "f7880dcfe9825a00fa35de919d0f0e2d4b52c103",
            "profile": "default",
            "training": "5,000 steps of 16 random 48×48 T91 crops, Adam 1e-3 cosine to 1 %, "
                        "loss without an 8-pixel border",
            "training_minutes": 11.4, "seeds": "seed 1 (weights and crops)", "date": "2026-11-30"}},
    "srresnet_x4": {
        "title": "SRResNet, efficient design (6 blocks, 32 filters, no batch norm, one pixel shuffle)",
        "source_file": "04_srresnet_x4.keras", "scale": 4,
        "input": "rgb", "upsample": False, "multiple": 1, "tile": 128, "route": "rgb",
        "made_by": {
            "notebook": "notebooks/04_gan.ipynb", "commit": "c9dcb07ec7c2e78c8b1b3afee1dfa2b2bccd676f",
            "profile": "default",
            "training": "stage 1: 9,000 steps of 16 random 96×96 T91 RGB crops, L1 loss, Adam 5e-4 "
                        "cosine-decayed to 1 %, centred values (shift 0.5)",
            "training_minutes": 9.1, "seeds": "seed 1 (weights); crops seed 0", "date": "2026-12-03",
            "machine": "2-core Intel Xeon, no GPU (this project's CI-class machine)"}},
    "srgan_x4": {
        "title": "SRGAN (the SRResNet above, adversarially fine-tuned)", "source_file": "04_srgan_x4.keras",
        "scale": 4, "input": "rgb", "upsample": False, "multiple": 1, "tile": 128, "route": "rgb",
        "made_by": {
            "notebook": "notebooks/04_gan.ipynb", "commit": "74f7800ade7b80986556ab18b16b84312cc3e7df",
            "profile": "default",
            "training": "the SRResNet above, then 300 steps of content loss (the offline alternative "
                        "to VGG19: the frozen SRResNet's first nonlinear features) + 1e-3 × adversarial "
                        "loss, Adam 1e-4 for both networks",
            "training_minutes": 12.6, "seeds": "seed 1 (stage 1), seed 2 (stage 2)",
            "date": "2026-12-03",
            "machine": "2-core Intel Xeon, no GPU (this project's CI-class machine)"}},
}


def inference_copy(model):
    """The same model and weights, uncompiled, with no initializer srkit does not know."""
    import keras

    from srkit import layers

    def clone(layer):
        config = layer.get_config()
        if isinstance(getattr(layer, "kernel_initializer", None), layers._LoadedInitializer):
            config["kernel_initializer"] = "glorot_uniform"
        return layer.__class__.from_config(config)

    copy = keras.models.clone_model(model, clone_function=clone)
    copy.set_weights(model.get_weights())
    return copy


NEWER_BATCH_NORM_KEYS = ("renorm", "renorm_clipping", "renorm_momentum")


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def portable(file: Path) -> None:
    """Rewrite the file's ``config.json`` so that older Keras 3 releases load it too.

    Keras 3.15 writes configs with keys older releases refuse: initializers' ``input_axes``
    and ``output_axes``, batch normalisation's ``renorm*``; srkit admits Keras ≥ 3.10.
    Loading overwrites every weight, so each initializer is written as its plain name
    (``"glorot_uniform"``), which every Keras 3 reads; the ``renorm*`` keys are dropped
    when renormalisation is off (their defaults). The weights file inside is left as is.
    """
    def plain(node):
        if isinstance(node, dict):
            if node.get("module") == "keras.initializers" and node.get("class_name"):
                return _snake(node["class_name"])
            if node.get("class_name") == "BatchNormalization" and not node["config"].get("renorm"):
                for key in NEWER_BATCH_NORM_KEYS:  # renormalisation off: their defaults
                    node["config"].pop(key, None)
            return {key: plain(value) for key, value in node.items()}
        if isinstance(node, list):
            return [plain(value) for value in node]
        return node

    with zipfile.ZipFile(file) as source:
        entries = {info.filename: source.read(info.filename) for info in source.infolist()}
    config = plain(json.loads(entries["config.json"]))
    entries["config.json"] = json.dumps(config).encode()
    tmp = file.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for name, payload in entries.items():
            target.writestr(zipfile.ZipInfo(name, date_time=(2026, 11, 30, 0, 0, 0)), payload,
                            compress_type=zipfile.ZIP_DEFLATED)
    tmp.replace(file)


def main(outputs: Path, only=None) -> None:
    from srkit.notebook import setup

    setup(seed=0)
    from srkit import evaluate, pretrained

    weights_dir = pretrained.WEIGHTS_DIR
    weights_dir.mkdir(exist_ok=True)
    # the converted published models (tools/convert_published_weights.py) stay as they are
    records = json.loads((weights_dir / "MODELS.json").read_text(encoding="utf-8"))
    for name, spec in RECORDS.items():
        if only and name not in only:
            continue
        spec = dict(spec)
        source = outputs / spec.pop("source_file")
        model = inference_copy(pretrained.load_model(source))
        file = weights_dir / f"{name}.keras"
        model.save(file)
        portable(file)
        reloaded = pretrained.load_model(file)
        method = evaluate.keras_method(reloaded, upsample=spec["upsample"], tile=spec["tile"],
                                       multiple=spec["multiple"])
        table = evaluate.benchmark(method, ["set5", "set14"], [spec["scale"]], name=name,
                                   route=spec["route"])
        digest = hashlib.sha256(file.read_bytes()).hexdigest()
        records[name] = {
            "title": spec["title"], "file": file.name, "sha256": digest, "scale": spec["scale"],
            "input": spec["input"], "upsample": spec["upsample"], "multiple": spec["multiple"],
            "tile": spec["tile"], "route": spec["route"], "parameters": int(reloaded.count_params()),
            "outputs_file": source.name,
            "made_by": {"machine": MACHINE, "versions": VERSIONS, **spec["made_by"]},
            "measured": {row.dataset: {"psnr": round(float(row.psnr), 4), "ssim": round(float(row.ssim), 4)}
                         for row in table.itertuples()},
        }
        print(f"{name}: {file.stat().st_size / 1e6:.2f} MB, {records[name]['parameters']:,} parameters, "
              + ", ".join(f"{d} {m['psnr']:.4f} / {m['ssim']:.4f}" for d, m in records[name]["measured"].items()))
    (weights_dir / "MODELS.json").write_text(json.dumps(records, indent=2, ensure_ascii=False) + "\n",
                                             encoding="utf-8")
    (weights_dir / "SHA256SUMS").write_text("".join(f"{r['sha256']}  {r['file']}\n"
                                                    for r in records.values()))


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outputs", nargs="?", type=Path, default=ROOT / "outputs")
    parser.add_argument("--only", nargs="+", choices=sorted(RECORDS), default=None)
    args = parser.parse_args()
    main(args.outputs, args.only)
