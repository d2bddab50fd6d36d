"""The reference weights shipped in srkit/weights: checksums, records, and their Set5 numbers.

Independent references: the stored outputs of notebooks 02–04 (the tables their default
runs printed) and SHA-256 computed here with hashlib.
"""

import hashlib
import json
import re
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest

from notebook_code import NOTEBOOKS, definitions
from srkit import evaluate, layers, pretrained
from srkit.train import keras

NAMES = ["srcnn_x3", "autoencoder_x3", "srresnet_x4", "srgan_x4"]

# What the stored default runs printed (final result tables; 4 decimals): PSNR, SSIM.
# autoencoder_x3 comes from an earlier default run of notebook 03 (48×48 crops, 8-px loss
# border; commit f7880dc, its record's "made_by"): the stored notebook, run with a wider
# border, prints its own model's numbers and quotes the shipped model's in its markdown.
NOTEBOOK_TABLES = {
    "srcnn_x3": ("02_srcnn.ipynb", {"set5": (32.6141, 0.9074), "set14": (29.1564, 0.8181)}),
    "autoencoder_x3": ("03_autoencoder.ipynb", {"set5": (32.6532, 0.9082), "set14": (29.2279, 0.8196)},
                       "markdown"),
    "srresnet_x4": ("04_gan.ipynb", {"set5": (31.0397, 0.8771), "set14": (27.7579, 0.7610)}),
    "srgan_x4": ("04_gan.ipynb", {"set5": (29.4442, 0.8438), "set14": (26.7765, 0.7367)}),
}


def stored_text(notebook):
    """Every text/plain and stream output of a stored notebook, joined."""
    nb = json.loads((NOTEBOOKS / notebook).read_text())
    parts = []
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            parts.append("".join(out.get("text", "")))
            parts.append("".join(out.get("data", {}).get("text/plain", "")))
    return "\n".join(parts)


def stored_markdown(notebook):
    """Every markdown cell of a stored notebook, joined."""
    nb = json.loads((NOTEBOOKS / notebook).read_text())
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")


def test_the_four_models_are_shipped_with_matching_checksums():
    assert pretrained.names()[:4] == NAMES  # then the published ones (tests/test_ports.py)
    sums = dict(line.split()[::-1] for line in
                (pretrained.WEIGHTS_DIR / "SHA256SUMS").read_text().splitlines() if line.strip())
    for name in NAMES:
        file = pretrained.path(name)
        digest = hashlib.sha256(file.read_bytes()).hexdigest()
        assert sums[file.name] == digest == pretrained.info(name)["sha256"], name
        assert file.stat().st_size < 2_000_000, f"{file.name}: inference copies are small"
        with zipfile.ZipFile(file) as saved:  # loadable by the oldest Keras srkit admits (3.10)
            config = saved.read("config.json").decode()
        assert "input_axes" not in config and "renorm" not in config, file.name
    pretrained.verify()


def test_an_altered_or_missing_file_is_refused(tmp_path, monkeypatch):
    copy = tmp_path / "weights"
    shutil.copytree(pretrained.WEIGHTS_DIR, copy)
    monkeypatch.setattr(pretrained, "WEIGHTS_DIR", copy)
    with open(copy / "srcnn_x3.keras", "ab") as f:
        f.write(b"\0")
    with pytest.raises(pretrained.WeightsChecksumError, match=r"srcnn_x3\.keras \(altered\).*git checkout srkit/weights"):
        pretrained.load("srcnn")
    (copy / "srgan_x4.keras").unlink()
    with pytest.raises(pretrained.WeightsChecksumError, match=r"srgan_x4\.keras \(missing\)"):
        pretrained.verify("srgan_x4")
    pretrained.verify("srresnet_x4")  # the others are fine


@pytest.mark.parametrize("name", NAMES)
def test_each_record_says_how_the_model_was_made(name):
    record = pretrained.info(name)
    made = record["made_by"]
    assert (NOTEBOOKS.parent / made["notebook"]).is_file()
    assert re.fullmatch(r"[0-9a-f]{40}", made["commit"])
    assert made["profile"] == "default" and made["training_minutes"] > 0
    assert made["seeds"] and made["machine"] and made["versions"] and made["date"]
    assert record["outputs_file"].startswith(Path(made["notebook"]).name[:3])
    # the notebook saves exactly that file
    assert record["outputs_file"].split("_x")[0].split("_", 1)[1] in (NOTEBOOKS / Path(made["notebook"]).name).read_text()
    model = pretrained.load(name)
    assert model.count_params() == record["parameters"]
    with zipfile.ZipFile(pretrained.path(name)) as saved:  # an inference copy: no optimizer state
        assert b"optimizer" not in saved.read("model.weights.h5")


def test_aliases_and_unknown_names():
    assert pretrained.resolve("SRCNN") == "srcnn_x3" and pretrained.resolve("srgan") == "srgan_x4"
    assert [pretrained.alias(n) for n in NAMES] == ["srcnn", "autoencoder", "srresnet", "srgan"]
    with pytest.raises(ValueError, match="unknown reference model 'edsr'.*srcnn"):
        pretrained.info("edsr")


@pytest.mark.parametrize("name", NAMES)
def test_shipped_weights_reproduce_their_notebooks_numbers(name):
    """The issue's target: within 0.01 dB of the stored notebook run (here: Set5 for all four,
    Set14 for SRCNN), measured the way the notebook measures."""
    record = pretrained.info(name)
    notebook, table, *quoted = NOTEBOOK_TABLES[name]
    # an earlier run's model (quoted): the stored notebook quotes its numbers (2 decimals)
    printed = stored_markdown(notebook) if quoted else stored_text(notebook)
    sets = ["set5", "set14"] if name == "srcnn_x3" else ["set5"]  # Set14 of the others: ~30 s more
    got = evaluate.benchmark(pretrained.method(name), sets, [record["scale"]], name=name,
                             route=record["route"]).set_index("dataset")
    for dataset in sets:
        psnr, ssim = table[dataset]
        digits = 2 if quoted else 4
        assert f"{psnr:.{digits}f}" in printed, (notebook, dataset, psnr)
        assert quoted or f"{ssim:.4f}" in printed, (notebook, dataset, ssim)
        assert abs(got.loc[dataset, "psnr"] - psnr) < 0.01, (name, dataset, got.loc[dataset, "psnr"])
        assert abs(got.loc[dataset, "ssim"] - ssim) < 0.001, (name, dataset)
        assert record["measured"][dataset] == {"psnr": pytest.approx(psnr, abs=1e-4),
                                               "ssim": pytest.approx(ssim, abs=1e-4)}


def test_own_model_in_outputs_is_preferred_and_named(tmp_path):
    model, said = pretrained.own_or_shipped("srcnn", outputs=tmp_path)
    assert "srkit's reference weights" in said and "commit 441b97b" in said and "32.61 dB" in said
    assert model.count_params() == 8129
    own = tmp_path / "02_srcnn_x3.keras"
    mine = keras.Sequential([keras.Input((None, None, 1)), keras.layers.Conv2D(1, 3, padding="same")])
    mine.save(own)
    model, said = pretrained.own_or_shipped("srcnn_x3", outputs=tmp_path)
    assert said.startswith("SRCNN 9-1-5 ×3: your own model, outputs/02_srcnn_x3.keras")
    assert model.count_params() == 10


def test_load_model_errors_say_what_is_wrong(tmp_path):
    with pytest.raises(FileNotFoundError, match="no model file"):
        pretrained.load_model(tmp_path / "missing.keras")
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ValueError, match="not a .keras file"):
        pretrained.load_model(tmp_path / "notes.txt")
    (tmp_path / "broken.keras").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ValueError, match="is not a Keras model file .*zip archive"):
        pretrained.load_model(tmp_path / "broken.keras")
    with zipfile.ZipFile(tmp_path / "foreign.keras", "w") as archive:  # a zip, not a model
        archive.writestr("notes.txt", "hello")
    with pytest.raises(ValueError, match="could not be loaded as a Keras model"):
        pretrained.load_model(tmp_path / "foreign.keras")
    with pytest.raises(ValueError, match="is a folder"):
        pretrained.load_model(tmp_path)


NB04 = definitions("04_gan.ipynb")


def test_srkit_layers_compute_what_notebook_04_teaches():
    x = np.random.default_rng(0).uniform(size=(2, 5, 7, 12)).astype(np.float32)
    for r in (2,):
        np.testing.assert_array_equal(layers.PixelShuffle(r)(x).numpy(), NB04["PixelShuffle"](r)(x).numpy())
    for r in (2, 3, 4):
        np.testing.assert_array_equal(layers.BicubicUpsample(r)(x).numpy(),
                                      NB04["BicubicUpsample"](r)(x).numpy())
    assert layers.PixelShuffle(3).compute_output_shape((None, 4, None, 18)) == (None, 12, None, 2)
    with pytest.raises(ValueError, match="divisible by 4"):
        layers.PixelShuffle(2).compute_output_shape((1, 4, 4, 6))


@pytest.mark.parametrize("design, kwargs, shuffle, classes", [
    ("srresnet", {"blocks": 1}, "up1_shuffle", ("PixelShuffle", "ICNR")),
    # the shipped srresnet_x4 since issue 25: centring, ReLU blocks, one pixel shuffle at the end
    ("efficient", {"blocks": 2, "shift": 0.5}, "tail_shuffle", ("PixelShuffle", "BicubicUpsample")),
])
def test_a_model_saved_by_notebook_04_loads_outside_it(tmp_path, monkeypatch, design, kwargs, shuffle,
                                                        classes):
    """Notebook 04 saves its generator with its own classes (and, for the paper's design, the
    ICNR initializer); srkit loads it in a process that never ran the notebook."""
    generator = NB04["build_generator"](scale=4, filters=8, design=design, **kwargs)
    rng = np.random.default_rng(1)
    generator.set_weights([rng.normal(scale=0.1, size=w.shape).astype(np.float32)
                           for w in generator.get_weights()])
    generator.save(tmp_path / "04_srresnet_x4.keras")
    with zipfile.ZipFile(tmp_path / "04_srresnet_x4.keras") as saved:
        config = saved.read("config.json").decode()
    assert all(f"srkit_course>{name}" in config for name in classes)
    registry = keras.saving.get_custom_objects()  # as in a process that never ran notebook 04
    for name in ("PixelShuffle", "BicubicUpsample", "ICNR"):
        monkeypatch.delitem(registry, f"srkit_course>{name}", raising=False)
    loaded = pretrained.load_model(tmp_path / "04_srresnet_x4.keras")
    assert isinstance(loaded.get_layer(shuffle), layers.PixelShuffle)
    x = rng.uniform(size=(1, 6, 5, 3)).astype(np.float32)
    np.testing.assert_allclose(loaded(x).numpy(), generator(x).numpy(), atol=1e-6)
