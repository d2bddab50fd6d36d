"""Tests for srkit.data, srkit.evaluate, srkit.notebook helpers and srkit.plots."""

import dataclasses
import hashlib
import math
import warnings

import matplotlib

matplotlib.use("Agg")  # before pyplot is imported (srkit.plots imports it)

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from srkit import data, notebook, plots  # noqa: E402
from srkit import evaluate as evaluate_module  # noqa: E402
from srkit.evaluate import evaluate, improved_share, summarize  # noqa: E402
from srkit.io import save_image  # noqa: E402


@pytest.fixture(scope="module")
def bundled():
    """Every bundled image, loaded once: {name: float32 array}. Fails on a checksum warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return {b.name: data.load_bundled(b.name) for b in data.BUNDLED}


def thumbnail(image, size=32):
    """32×32 grayscale thumbnail with Pillow's box filter, as a flat float64 vector."""
    gray = np.rint(image.mean(axis=2) * 255).astype(np.uint8)
    small = Image.fromarray(gray).resize((size, size), Image.BOX)
    return np.asarray(small, dtype=np.float64).ravel()


def correlation(a, b):
    return float(np.corrcoef(a, b)[0, 1])


# ---------------------------------------------------------------------------
# the bundled data and its split
# ---------------------------------------------------------------------------


def test_every_split_is_non_empty_and_covers_the_catalog():
    per_split = {s: data.names(s) for s in data.SPLITS}
    assert all(per_split.values())
    assert sorted(n for names in per_split.values() for n in names) == sorted(
        b.name for b in data.BUNDLED)
    assert len(per_split["test"]) >= 5


def test_splits_never_overlap_by_name_or_group():
    by_split = {s: [b for b in data.BUNDLED if b.split == s] for s in data.SPLITS}
    names = [b.name for b in data.BUNDLED]
    assert len(names) == len(set(names))
    for i, a in enumerate(data.SPLITS):
        for b in data.SPLITS[i + 1:]:
            assert not {x.name for x in by_split[a]} & {x.name for x in by_split[b]}
            assert not {x.group for x in by_split[a]} & {x.group for x in by_split[b]}, (a, b)
    files = [(b.package, b.filename) for b in data.BUNDLED]
    assert len(files) == len(set(files))  # no file under two names


def test_splits_never_overlap_by_pixel_content(bundled):
    split_of = {b.name: b.split for b in data.BUNDLED}
    digests = {}
    for name, image in bundled.items():
        digest = hashlib.sha256(np.rint(image * 255).astype(np.uint8).tobytes()).hexdigest()
        assert digest not in digests, (name, digests.get(digest))  # no identical image anywhere
        digests[digest] = name
    thumbs = {name: thumbnail(image) for name, image in bundled.items()}
    held_out = [n for n in thumbs if split_of[n] in ("test", "val")]
    train = [n for n in thumbs if split_of[n] == "train"]
    for t in held_out:
        for r in train:
            assert correlation(thumbs[t], thumbs[r]) < 0.99, (t, r)
    for t in data.names("test"):
        for v in data.names("val"):
            assert correlation(thumbs[t], thumbs[v]) < 0.99, (t, v)


def test_near_duplicate_detector_works(bundled):
    # the thumbnail check above would catch a cropped, halved, brightened, re-encoded copy
    from srkit.degrade import imresize, jpeg_compress

    original = bundled["chelsea"]
    copy = jpeg_compress(np.clip(imresize(original[1:-1, 2:-1], 0.5) * 0.9 + 0.05, 0, 1), 60)
    assert correlation(thumbnail(original), thumbnail(copy)) > 0.99
    assert correlation(thumbnail(original), thumbnail(bundled["coffee"])) < 0.99


@pytest.mark.parametrize("item", data.BUNDLED, ids=lambda b: b.name)
def test_bundled_file_exists_with_registered_checksum(item, bundled):
    assert item.path.is_file(), item.path
    assert hashlib.sha256(item.path.read_bytes()).hexdigest() == item.sha256
    image = bundled[item.name]
    assert image.dtype == np.float32 and image.ndim == 3 and image.shape[2] == 3
    assert image.shape[0] >= 256 and image.shape[1] >= 256
    assert 0.0 <= image.min() and image.max() <= 1.0 and image.max() > image.min()


def test_changed_file_is_noticed(monkeypatch):
    item = data._BY_NAME["camera"]
    monkeypatch.setitem(data._BY_NAME, "camera", dataclasses.replace(item, sha256="0" * 64))
    with pytest.warns(UserWarning, match="differs"):
        data.load_bundled("camera")


def test_catalog_has_source_and_licence():
    table = data.catalog()
    assert len(table) == len(data.BUNDLED)
    assert {"name", "split", "group", "source", "licence", "file"} <= set(table.columns)
    for column in ("source", "licence", "file"):
        assert table[column].map(lambda v: isinstance(v, str) and v.strip() != "").all(), column
    test_table = data.catalog("test")
    assert list(test_table["name"]) == data.names("test")
    assert set(test_table["split"]) == {"test"}


def test_unknown_split_or_name_lists_choices():
    with pytest.raises(ValueError, match="train, val, test"):
        data.names("validation")
    with pytest.raises(ValueError, match="train, val, test"):
        data.catalog("Test")
    with pytest.raises(ValueError, match="train, val, test"):
        data.load_split("dev")
    with pytest.raises(ValueError, match="astronaut.*camera"):
        data.load_bundled("lena")


# ---------------------------------------------------------------------------
# eval_images
# ---------------------------------------------------------------------------


def test_eval_images_default_is_test_split(monkeypatch, bundled):
    monkeypatch.delenv(data.EVAL_DIR_ENV, raising=False)
    images, source = data.eval_images()
    assert [n for n, _ in images] == data.names("test")
    assert "test" in source
    for name, image in images:
        np.testing.assert_array_equal(image, bundled[name])


def test_eval_images_reads_user_folder(monkeypatch, tmp_path):
    rng = np.random.default_rng(0)
    first = rng.integers(0, 256, (20, 24, 3), dtype=np.uint8)
    second = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
    save_image(tmp_path / "b_second.png", second)
    save_image(tmp_path / "a_first.png", first)
    monkeypatch.setenv(data.EVAL_DIR_ENV, str(tmp_path))
    images, source = data.eval_images()
    assert [n for n, _ in images] == ["a_first", "b_second"]
    np.testing.assert_array_equal(np.rint(images[0][1] * 255), first)
    np.testing.assert_array_equal(np.rint(images[1][1] * 255), second)
    assert str(tmp_path) in source


def test_eval_images_empty_folder(monkeypatch, tmp_path):
    monkeypatch.setenv(data.EVAL_DIR_ENV, str(tmp_path))
    with pytest.raises(ValueError, match="no images"):
        data.eval_images()


# ---------------------------------------------------------------------------
# evaluate, summarize, improved_share
# ---------------------------------------------------------------------------


def _pair(offset):
    ref = np.full((16, 16), 128, np.uint8)
    return ref, (ref + np.uint8(offset)).astype(np.uint8)


def test_evaluate_columns_and_mean_of_per_image_values():
    (r1, t1), (r2, t2) = _pair(1), _pair(10)  # MSE 1 and 100 on the 0–255 scale
    table = evaluate([("small", r1, t1), ("large", r2, t2)], y_channel=False,
                     method="bicubic", scale=3)
    assert list(table.columns) == ["method", "scale", "image", "psnr", "ssim"]
    assert list(table["image"]) == ["small", "large", "mean"]
    p1, p2 = 10 * math.log10(255**2 / 1), 10 * math.log10(255**2 / 100)
    assert table["psnr"].iloc[:2].tolist() == pytest.approx([p1, p2], abs=1e-10)
    mean = table.iloc[-1]
    assert mean["method"] == "bicubic" and mean["scale"] == 3
    assert mean["psnr"] == pytest.approx((p1 + p2) / 2, abs=1e-10)  # 38.13 dB
    pooled = 10 * math.log10(255**2 / ((1 + 100) / 2))  # 31.10 dB: not the papers' number
    assert abs(mean["psnr"] - pooled) > 5
    assert mean["ssim"] == pytest.approx(table["ssim"].iloc[:2].mean(), abs=1e-12)
    no_mean = evaluate([("small", r1, t1)], y_channel=False, mean_row=False)
    assert list(no_mean["image"]) == ["small"]
    assert list(no_mean.columns) == ["image", "psnr", "ssim"]


def test_evaluate_uses_crop_border_and_y(bundled):
    hr = bundled["coffee"][:64, :64]
    test = hr.copy()
    test[:2] = 1.0 - test[:2]  # error only in the top two rows
    table = evaluate([("coffee", hr, test)], crop_border=2)
    assert table["psnr"].iloc[0] == math.inf
    assert table["ssim"].iloc[0] == pytest.approx(1.0)
    table = evaluate([("coffee", hr, test)])
    assert math.isfinite(table["psnr"].iloc[0])


def test_evaluate_errors():
    r, t = _pair(1)
    with pytest.raises(ValueError, match="unique.*'a'"):
        evaluate([("a", r, t), ("a", r, t)])
    with pytest.raises(ValueError, match="no images"):
        evaluate([])
    with pytest.raises(ValueError, match="no images"):
        evaluate(iter(()))


def test_summarize_groups_ignores_mean_rows_and_counts():
    r, t1 = _pair(1)
    _, t10 = _pair(10)
    a = evaluate([("x", r, t1), ("y", r, t10)], y_channel=False, method="bicubic", scale=2)
    b = evaluate([("x", r, t10), ("y", r, t10), ("z", r, t10)], y_channel=False,
                 method="srcnn", scale=2)
    table = pd.concat([a, b], ignore_index=True)
    table.loc[table["image"] == "mean", "psnr"] = 999.0  # would show if mean rows were used
    out = summarize(table)
    assert list(out.index) == [("bicubic", 2), ("srcnn", 2)]
    assert out.loc[("bicubic", 2), "images"] == 2 and out.loc[("srcnn", 2), "images"] == 3
    p1, p10 = 10 * math.log10(255**2), 10 * math.log10(255**2 / 100)
    assert out.loc[("bicubic", 2), "psnr"] == pytest.approx((p1 + p10) / 2, abs=1e-10)
    assert out.loc[("srcnn", 2), "psnr"] == pytest.approx(p10, abs=1e-10)
    by_method = summarize(table, by="method")
    assert list(by_method.index) == ["bicubic", "srcnn"]


def test_improved_share_on_constructed_table():
    rows = []
    for image, base, model in [("a", 30.0, 31.0), ("b", 28.0, 27.0), ("c", 25.0, 26.5),
                               ("d", 33.0, 33.0), ("e", 20.0, 22.0)]:
        rows += [{"method": "bicubic", "image": image, "psnr": base, "ssim": 0.8},
                 {"method": "srcnn", "image": image, "psnr": model, "ssim": 0.7}]
    rows.append({"method": "srcnn", "image": "mean", "psnr": 0.0, "ssim": 0.0})
    table = pd.DataFrame(rows)
    assert improved_share(table, "bicubic", "srcnn") == pytest.approx(3 / 5)  # a tie is no gain
    assert improved_share(table, "srcnn", "bicubic") == pytest.approx(1 / 5)
    assert improved_share(table, "bicubic", "srcnn", metric="ssim") == 0.0
    with pytest.raises(ValueError, match="'edsr'"):
        improved_share(table, "bicubic", "edsr")
    doubled = pd.concat([table, table], ignore_index=True)
    with pytest.raises(ValueError, match="several rows"):
        improved_share(doubled, "bicubic", "srcnn")


# ---------------------------------------------------------------------------
# notebook helpers
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("value, quick", [("1", True), ("true", True), ("yes", True),
                                          ("0", False), ("", False), ("no", False)])
def test_is_quick(monkeypatch, value, quick):
    monkeypatch.setenv(notebook.QUICK_ENV, value)
    assert notebook.is_quick() is quick


def test_is_quick_unset(monkeypatch):
    monkeypatch.delenv(notebook.QUICK_ENV, raising=False)
    assert notebook.is_quick() is False


def test_outputs_dir(monkeypatch, tmp_path):
    target = tmp_path / "results" / "run1"
    monkeypatch.setenv(notebook.OUTPUTS_ENV, str(target))
    assert notebook.outputs_dir() == target and target.is_dir()
    # unset: outputs/ at the checkout root (the folder holding pyproject.toml)
    monkeypatch.delenv(notebook.OUTPUTS_ENV)
    (tmp_path / "kit").mkdir()
    (tmp_path / "kit" / "pyproject.toml").write_text("")
    (tmp_path / "kit" / "notebooks").mkdir()
    monkeypatch.chdir(tmp_path / "kit" / "notebooks")
    assert notebook.outputs_dir() == (tmp_path / "kit" / "outputs").resolve()
    assert (tmp_path / "kit" / "outputs").is_dir()


def test_best_time():
    calls = []
    t = notebook.best_time(lambda n: calls.append(sum(range(n))), 20000, repeats=4)
    assert isinstance(t, float) and 0 < t < 1
    assert len(calls) == 4


# ---------------------------------------------------------------------------
# plots
# ---------------------------------------------------------------------------


def test_detail_box_finds_planted_square():
    image = np.full((120, 160, 3), 0.5, np.float32)
    image[70:86, 100:116] = 1.0
    image[74:82, 104:112] = 0.0
    top, left, h, w = plots.detail_box(image, 32)
    assert (h, w) == (32, 32)
    assert top <= 70 and top + h >= 86 and left <= 100 and left + w >= 116
    # the size is limited by the image
    assert plots.detail_box(image[:20], 64)[2:] == (20, 20)


def test_compare_makes_two_rows_and_checks_sizes():
    rng = np.random.default_rng(0)
    a = rng.random((48, 64, 3)).astype(np.float32)
    b = rng.random((48, 64)).astype(np.float32)
    fig = plots.compare({"HR": a, "bicubic": b, "model": a}, crop_size=16)
    try:
        assert fig.axes[0].get_subplotspec().get_gridspec().get_geometry() == (2, 3)
        assert len(fig.axes) == 6
        assert [ax.get_title() for ax in fig.axes[:3]] == ["HR", "bicubic", "model"]
        crop = fig.axes[3].images[0].get_array()
        assert crop.shape[:2] == (16, 16)
    finally:
        plt.close(fig)
    with pytest.raises(ValueError, match="height and width"):
        plots.compare([("HR", a), ("small", a[:40])])
    assert not plt.get_fignums()


def test_per_image_table_has_gains_and_a_mean_of_per_image_values():
    table = pd.DataFrame({"method": ["bicubic", "net", "bicubic", "net"],
                          "image": ["a", "a", "b", "b"],
                          "psnr": [30.0, 31.5, 28.0, 27.5], "ssim": [0.8, 0.85, 0.7, 0.72]})
    wide = evaluate_module.per_image(table, baseline="bicubic")
    assert list(wide.index) == ["a", "b", "mean"]
    assert wide.loc["a", ("psnr gain", "net")] == pytest.approx(1.5)
    assert wide.loc["b", ("psnr gain", "net")] == pytest.approx(-0.5)
    assert wide.loc["mean", ("psnr", "net")] == pytest.approx(29.5)
    assert wide.loc["mean", ("ssim", "bicubic")] == pytest.approx(0.75)
    with pytest.raises(ValueError, match="baseline 'lanczos'"):
        evaluate_module.per_image(table, baseline="lanczos")
    with pytest.raises(ValueError, match="one scale"):
        evaluate_module.per_image(pd.concat([table, table]))
