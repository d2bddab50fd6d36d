"""The student works' domains shipped with srkit: faces, brain MRI, Fashion-MNIST, MNIST.

Everything here runs offline on the files in ``srkit/datasets`` (made by
``tools/make_domain_datasets.py``); an altered file must be refused.
"""

import fnmatch
import shutil
import tomllib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from srkit import data, restoration

ROOT = Path(__file__).resolve().parents[1]
DOMAIN = {  # name: (image shape in mode "native", train / val / test counts)
    "faces": ((144, 144, 3), (144, 20, 40)),
    "brain_mri": ((256, 256), (96, 24, 24)),
    "fashion_mnist": ((28, 28), (6000, 500, 1000)),
    "mnist": ((28, 28), (3000, 500, 1000)),
}


@pytest.fixture(scope="module")
def loaded():
    """Every domain set, split by split, loaded once for the module."""
    return {name: {split: data.load_dataset(name, split=split) for split in data.SPLITS}
            for name in DOMAIN}


@pytest.mark.parametrize("name", DOMAIN)
def test_each_set_loads_offline_with_its_splits(loaded, name):
    shape, counts = DOMAIN[name]
    info = data.STANDARD_SETS[name]
    assert info.shipped and data.is_available(name)
    assert data.dataset_splits(name) == ("train", "val", "test")
    assert dict(info.splits) == dict(zip(data.SPLITS, counts)) and info.images == sum(counts)
    for split, count in zip(data.SPLITS, counts):
        items = loaded[name][split]
        names = [n for n, _ in items]
        assert len(items) == count and names == sorted(names)
        assert all(n.startswith(f"{split}_") for n in names)
        for _, image in items[:: max(1, count // 50)]:
            assert image.shape == shape and image.dtype == np.float32
            assert 0.0 <= image.min() and image.max() <= 1.0 and image.max() > 0.2
    everything = data.load_dataset(name)
    assert [n for n, _ in everything] == sorted(n for s in data.SPLITS for n, _ in loaded[name][s])
    assert len({n for n, _ in everything}) == sum(counts)


@pytest.mark.parametrize("name", DOMAIN)
def test_splits_share_no_image(loaded, name):
    splits = loaded[name]
    data.assert_disjoint(splits["train"], splits["val"])
    data.assert_disjoint(splits["train"] + splits["val"], splits["test"])


def test_the_disjointness_check_would_catch_a_leak(loaded):
    train = loaded["brain_mri"]["train"]
    name, image = loaded["brain_mri"]["test"][0]
    with pytest.raises(ValueError, match="test images also in the training data"):
        data.assert_disjoint(train + [("copy", image)], [(name, image)])


def test_faces_are_split_by_person_with_both_expressions():
    persons = {}
    for split in data.SPLITS:
        names = [n.removeprefix(f"{split}_") for n, _ in data.load_dataset("faces", split=split)]
        ids = {n.split("_")[0] for n in names}
        assert names == sorted(f"{i}_{e}" for i in ids for e in ("neutral", "smiling"))
        persons[split] = ids
    assert [len(persons[s]) for s in data.SPLITS] == [72, 10, 20]  # 102 persons of the London Set
    assert not persons["train"] & persons["val"]
    assert not (persons["train"] | persons["val"]) & persons["test"]


def test_files_are_8_bit_pngs_of_the_stated_kind():
    face = Image.open(next((data.DATASETS_DIR / "Faces" / "test").glob("*.png")))
    mri = Image.open(next((data.DATASETS_DIR / "BrainMRI" / "test").glob("*.png")))
    assert (face.mode, face.size) == ("RGB", (144, 144)) and face.size[0] % 12 == 0
    assert (mri.mode, mri.size) == ("L", (256, 256))


def test_brain_mri_splits_are_blocks_of_slices_far_apart():
    """Figshare numbers slices patient by patient; blocks of different splits lie >= 243 apart."""
    index = {s: sorted(int(n.split("_")[1]) for n, _ in data.load_dataset("brain_mri", split=s))
             for s in data.SPLITS}
    for split, values in index.items():
        blocks = np.split(values, np.where(np.diff(values) > 1)[0] + 1)
        assert all(len(b) == 12 for b in blocks), split
    for a in data.SPLITS:
        for b in data.SPLITS:
            if a < b:
                gaps = np.abs(np.subtract.outer(index[a], index[b]))
                assert gaps.min() >= 243, (a, b)
    assert min(min(v) for v in index.values()) >= 1 and max(max(v) for v in index.values()) <= 3064


def test_modes_convert_as_for_the_other_sets(loaded):
    name, gray = loaded["brain_mri"]["val"][0]
    rgb = dict(data.load_dataset("brain_mri", split="val", mode="rgb"))[name]
    assert rgb.shape == (256, 256, 3) and np.array_equal(rgb[..., 0], gray)
    digit = dict(data.load_dataset("mnist", split="test", mode="rgb"))["test_00000"]
    assert digit.shape == (28, 28, 3)
    face = dict(data.load_dataset("faces", split="val", mode="gray"))
    assert next(iter(face.values())).shape == (144, 144)


def test_labels_match_the_official_files():
    """Known first labels: MNIST train 5, test 7; Fashion-MNIST train and test 9 (ankle boot)."""
    mnist = data.load_labels("mnist")
    fashion = data.load_labels("fashion_mnist")
    assert (mnist["train_00000"], mnist["test_00000"]) == (5, 7)
    assert (fashion["train_00000"], fashion["test_00000"]) == (9, 9)
    assert data.STANDARD_SETS["fashion_mnist"].classes[9] == "Ankle boot"
    val = data.load_labels("fashion_mnist", split="val")
    assert sorted(val) == [n for n, _ in data.load_dataset("fashion_mnist", split="val")]
    assert sorted(mnist) == [n for n, _ in data.load_dataset("mnist")]
    counts = np.bincount([v for k, v in fashion.items() if k.startswith("train")], minlength=10)
    assert counts.min() >= 500  # every class present, roughly balanced
    with pytest.raises(ValueError, match="class labels for fashion_mnist, mnist only, not 'faces'"):
        data.load_labels("faces")


@pytest.mark.parametrize("name, files", [
    ("faces", "Faces/val/*.png"),
    ("brain_mri", "BrainMRI/test/*.png"),
    ("fashion_mnist", "FashionMNIST/*.npz"),
    ("mnist", "MNIST/*.npz"),
])
def test_an_altered_file_is_refused(tmp_path, monkeypatch, name, files):
    folder = data.STANDARD_SETS[name].folder
    shutil.copytree(data.DATASETS_DIR / folder, tmp_path / folder)
    shutil.copy(data.DATASETS_DIR / "SHA256SUMS", tmp_path / "SHA256SUMS")
    monkeypatch.setattr(data, "DATASETS_DIR", tmp_path)
    split = "test" if "test" in files else "val"
    assert len(data.load_dataset(name, split=split)) > 0  # the copy loads
    victim = sorted(tmp_path.glob(files))[-1]
    raw = bytearray(victim.read_bytes())
    raw[-20] ^= 0xFF
    victim.write_bytes(bytes(raw))
    with pytest.raises(data.DatasetChecksumError, match=f"{victim.name} \\(altered\\).*Restore"):
        data.load_dataset(name, split=split)
    victim.unlink()
    with pytest.raises(data.DatasetChecksumError):
        data.load_dataset(name)


def test_split_keyword_errors():
    assert data.dataset_splits("set5") == () and data.dataset_splits("bundled_test") == ()
    assert data.dataset_splits("b100") == ()
    with pytest.raises(ValueError, match="'set5' has no fixed splits.*split=None.*faces, brain_mri"):
        data.load_dataset("set5", split="test")
    with pytest.raises(ValueError, match="load_dataset\\('bundled_val'\\)"):
        data.load_dataset("bundled_train", split="val")
    with pytest.raises(ValueError, match="'faces' has splits train, val, test, not 'valid'"):
        data.load_dataset("faces", split="valid")
    with pytest.raises(ValueError, match="unknown dataset 'celeba'"):
        data.dataset_splits("celeba")
    assert len(data.load_dataset("set5", split=None)) == 5


def test_every_shipped_file_is_package_data_and_checksummed():
    data.verify_shipped()  # all listed files intact
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"]["srkit"]
    listed = set(data._shipped_checksums())
    for path in sorted(data.DATASETS_DIR.rglob("*")):
        if path.is_file() and path.name not in ("README.md", "SHA256SUMS"):
            rel = path.relative_to(data.DATASETS_DIR).as_posix()
            assert rel in listed, f"{rel} not in SHA256SUMS"
            assert any(fnmatch.fnmatch(f"datasets/{rel}", p.replace("**/", "*")) for p in patterns), rel


def test_fashion_mnist_splits_read_the_shipped_subset_offline(monkeypatch):
    import keras

    def offline():
        raise AssertionError("the shipped subset must not call Keras")

    monkeypatch.setattr(keras.datasets.fashion_mnist, "load_data", offline)
    train, val, test = restoration.fashion_mnist_splits(6000, 200, 200)  # notebook 05's call
    assert (len(train), len(val), len(test)) == (6000, 200, 200)
    assert [train[0][0], train[-1][0], val[0][0], val[-1][0], test[0][0], test[-1][0]] == [
        "train_00000", "train_05999", "val_59800", "val_59999", "test_00000", "test_00199"]
    assert train[0][1].shape == (28, 28) and train[0][1].dtype == np.float32
    data.assert_disjoint(train + val, test)
    shipped = dict(data.load_dataset("fashion_mnist", split="val"))
    assert np.array_equal(val[0][1], shipped["val_59800"])


@pytest.mark.parametrize("kwargs, asked", [
    ({"n_train": 6001}, "n_train = 6001 \\(shipped: 6000\\)"),
    ({"n_val": 501, "n_test": 1001}, "n_val = 501 \\(shipped: 500\\), n_test = 1001"),
])
def test_fashion_mnist_splits_asking_too_many_says_how_to_get_the_full_set(kwargs, asked):
    with pytest.raises(ValueError, match=f"asked for {asked}.*full=True.*fetch_dataset"):
        restoration.fashion_mnist_splits(**kwargs)
