"""srkit.trainset: training data from a name or a folder, refused with one clear line."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from srkit import data, degrade, evaluate, io, metrics, patches, trainset
from srkit.trainset import Degradation, TrainingDataError


def _photo(seed: int, size=(64, 80), gray: bool = False) -> np.ndarray:
    """A smooth random picture (uint8), distinct per seed."""
    rng = np.random.default_rng(seed)
    small = rng.random((size[0] // 8, size[1] // 8) + (() if gray else (3,)))
    return degrade.imresize((small * 255).astype(np.uint8), output_shape=size)


def _folder(tmp_path, n: int = 6, **kw):
    folder = tmp_path / "mine"
    folder.mkdir()
    for i in range(n):
        Image.fromarray(_photo(i, **kw)).save(folder / f"img{i:02d}.png")
    return folder


# --- refusals: one line that says what to do ---------------------------------------------

def test_missing_folder_is_refused_with_known_names(tmp_path):
    with pytest.raises(TrainingDataError, match=r"no training set or folder .*t91"):
        trainset.load(str(tmp_path / "nope"))


def test_empty_folder_is_refused(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("no images here")
    with pytest.raises(TrainingDataError, match="holds no images"):
        trainset.load(tmp_path / "empty")


def test_a_single_image_is_refused(tmp_path):
    folder = _folder(tmp_path, n=1)
    with pytest.raises(TrainingDataError, match="at least 2"):
        trainset.load(folder)


def test_unreadable_files_are_named(tmp_path):
    folder = _folder(tmp_path, n=3)
    (folder / "broken.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(TrainingDataError, match=r"cannot read 1 file\(s\).*broken\.jpg"):
        trainset.load(folder)


def test_images_smaller_than_the_crop_are_refused_or_left_out(tmp_path):
    folder = _folder(tmp_path, n=3, size=(40, 40))
    with pytest.raises(TrainingDataError, match=r"only 0 of the 3 .* 48×48 px, the training crop"):
        trainset.load(folder, min_side=48)
    Image.fromarray(_photo(10, size=(96, 96))).save(folder / "big1.png")
    Image.fromarray(_photo(11, size=(96, 96))).save(folder / "big2.png")
    training = trainset.load(folder, min_side=48)
    assert len(training.train) + len(training.val) == 2
    assert len(training.skipped) == 3
    assert "left out as smaller than the training crop: img00 (40×40), img01 (40×40), img02 (40×40)" \
        in training.summary()


def test_a_gray_and_colour_mix_needs_a_choice(tmp_path):
    folder = _folder(tmp_path, n=3)
    Image.fromarray(_photo(7, gray=True)).save(folder / "scan.png")
    training = trainset.load(folder)
    with pytest.raises(TrainingDataError, match=r"mixes 1 gray and 3 colour images; set CHANNELS = 'y'"):
        trainset.resolve_channels(training, "auto", colour="y")
    assert trainset.resolve_channels(training, "y") == "y"
    with pytest.raises(TrainingDataError, match="in colour"):
        trainset.resolve_channels(training, "gray")


def test_test_sets_are_refused_as_training_data():
    with pytest.raises(TrainingDataError, match="set5 is a test set"):
        trainset.load("Set5")


# --- the split -------------------------------------------------------------------------------

def test_folder_split_is_reproducible_disjoint_and_independent_of_listing(tmp_path):
    folder = _folder(tmp_path, n=10)
    a, b = trainset.load(folder, seed=3), trainset.load(folder, seed=3)
    assert [n for n, _ in a.train] == [n for n, _ in b.train]
    assert len(a.val) == 1 and len(a.train) == 9
    data.assert_disjoint(a.train, a.val)
    names = {n for n, _ in a.train} | {n for n, _ in a.val}
    assert names == {f"img{i:02d}" for i in range(10)}
    other = trainset.load(folder, seed=4, val_fraction=0.3)
    assert len(other.val) == 3


def test_subfolders_and_pixel_copies_stay_in_one_split(tmp_path):
    folder = tmp_path / "patients"
    for p in range(4):
        (folder / f"patient{p}").mkdir(parents=True)
        for s in range(3):
            Image.fromarray(_photo(10 * p + s, gray=True)).save(folder / f"patient{p}" / f"slice{s}.png")
    # the same pixels as patient0/slice0, under another patient's name: must follow patient0
    Image.fromarray(_photo(0, gray=True)).save(folder / "patient3" / "copy.png")
    for seed in range(6):
        training = trainset.load(folder, seed=seed, val_fraction=0.25)
        val_patients = {n.split("/")[0] for n, _ in training.val}
        train_patients = {n.split("/")[0] for n, _ in training.train}
        assert not val_patients & train_patients
        data.assert_disjoint(training.train, training.val)
    assert training.gray and trainset.resolve_channels(training) == "gray"


def test_train_and_val_subfolders_are_used_as_given(tmp_path):
    for split, seeds in (("train", (1, 2, 3)), ("val", (4,))):
        (tmp_path / split).mkdir()
        for s in seeds:
            Image.fromarray(_photo(s)).save(tmp_path / split / f"p{s}.png")
    training = trainset.load(tmp_path)
    assert [n for n, _ in training.train] == ["p1", "p2", "p3"]
    assert [n for n, _ in training.val] == ["p4"]


def test_16bit_gray_and_exif_orientation(tmp_path):
    folder = tmp_path / "scans"
    folder.mkdir()
    ramp = (np.arange(48 * 64, dtype=np.uint16).reshape(48, 64) * 21).astype(np.uint16)
    Image.fromarray(ramp).save(folder / "a16.png")  # 16-bit single channel
    Image.fromarray(ramp[::-1].copy()).save(folder / "b16.png")
    training = trainset.load(folder)
    images = dict(training.train + training.val)
    np.testing.assert_allclose(images["a16"], ramp / 65535.0, atol=1e-6)  # not cut to 8 bits
    assert training.gray
    # a photo stored sideways with EXIF orientation 6 (rotate 90° clockwise to view)
    colour = tmp_path / "phone"
    colour.mkdir()
    pic = _photo(5, size=(40, 64))
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(pic).save(colour / "side.jpg", exif=exif, quality=95)
    Image.fromarray(_photo(6, size=(64, 40))).save(colour / "up.png")
    phone = trainset.load(colour)
    loaded = dict(phone.train + phone.val)
    assert loaded["side"].shape[:2] == (64, 40)


def test_gray_stored_as_rgb_is_gray(tmp_path):
    folder = tmp_path / "jpgs"
    folder.mkdir()
    for s in range(3):
        g = _photo(s, gray=True)
        Image.fromarray(np.stack([g] * 3, axis=-1)).save(folder / f"s{s}.png")
    training = trainset.load(folder)
    assert training.gray and all(im.ndim == 2 for _, im in training.train)


def test_source_reads_the_environment(monkeypatch):
    monkeypatch.delenv(trainset.TRAIN_DIR_ENV, raising=False)
    assert trainset.source("t91") == "t91"
    monkeypatch.setenv(trainset.TRAIN_DIR_ENV, " /data/mine ")
    assert trainset.source("t91") == "/data/mine"


# --- pairs and degradations --------------------------------------------------------------------

def test_t91_keeps_the_papers_protocol_and_pairs():
    training = trainset.load("t91", min_side=33)
    assert len(training.train) == 91 and len(training.val) == 10
    assert trainset.resolve_channels(training) == "y"
    mine = trainset.make_pairs(training.train[:4], 3, upsample=True, channels="y", route="srcnn")
    theirs = patches.make_pairs(training.train[:4], 3, upsample=True, channels="y", route="srcnn")
    for (a, b), (c, d) in zip(mine, theirs):
        assert np.array_equal(a, c) and np.array_equal(b, d)
    rgb = trainset.make_pairs(training.train[:2], 4, upsample=False, channels="rgb", route="rgb")
    ref = patches.make_pairs(training.train[:2], 4, upsample=False, channels="rgb", route="rgb")
    assert all(np.array_equal(a, c) for (a, _), (c, _) in zip(rgb, ref))


def test_gray_pairs_keep_the_full_range():
    hr = _photo(3, size=(60, 60), gray=True)
    image = hr.astype(np.float32) / 255
    lr, target = trainset.make_pairs([("g", image)], 3, upsample=False, channels="gray")[0]
    assert lr.shape == (20, 20, 1) and target.shape == (60, 60, 1)
    np.testing.assert_array_equal(target[..., 0], (hr / 255.0).astype(np.float32))  # own values, not studio-range Y
    np.testing.assert_array_equal(lr[..., 0], (degrade.imresize(hr, 1 / 3) / 255.0).astype(np.float32))
    up, _ = trainset.make_pairs([("g", image)], 3, upsample=True, channels="gray")[0]
    assert up.shape == (60, 60, 1)
    with pytest.raises(TrainingDataError, match="colour image"):
        trainset.make_pairs([("c", _photo(1))], 3, upsample=False, channels="gray")


def test_degradations_follow_their_recipe():
    hr = _photo(8, size=(97, 122))  # modcrop to 96×120 at ×4 / ×3
    bilinear = Degradation("bilinear")
    lr, hr8 = bilinear.lr(hr, 4)
    np.testing.assert_array_equal(hr8, hr[:96, :120])
    np.testing.assert_array_equal(lr, degrade.imresize(hr[:96, :120], 1 / 4, method="bilinear"))
    nearest, _ = Degradation("nearest").lr(hr, 3)
    np.testing.assert_array_equal(nearest, degrade.imresize(hr[:96, :120], 1 / 3, method="nearest"))
    noisy = Degradation(noise_sigma=0.02, seed=1)
    a, _ = noisy.lr(hr, 4, index=0)
    b, _ = noisy.lr(hr, 4, index=0)
    c, _ = noisy.lr(hr, 4, index=1)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    blurred, _ = Degradation(blur_sigma=1.5).lr(hr, 4)
    plain, _ = Degradation().lr(hr, 4)
    assert np.abs(blurred.astype(int) - plain.astype(int)).mean() > 0.5
    pairs = trainset.make_pairs([("x", hr)], 4, upsample=False, channels="rgb", degradation=bilinear)
    np.testing.assert_array_equal(pairs[0][0], lr / np.float32(255))
    assert str(Degradation("bilinear", blur_sigma=1, noise_sigma=0.01)) == \
        "Gaussian blur σ=1 px, bilinear down, noise σ=0.01, 8-bit"
    with pytest.raises(ValueError, match="kernel must be one of bicubic, bilinear, nearest"):
        Degradation("lanczos3")


def test_benchmark_with_the_standard_degradation_is_the_rgb_route():
    set5 = data.load_dataset("set5")
    mine = trainset.benchmark(evaluate.bicubic, set5, 3, Degradation(), name="bicubic")
    route = evaluate.benchmark(evaluate.bicubic, {"set5": set5}, [3], route="rgb")
    assert mine["psnr"].iloc[0] == pytest.approx(route["psnr"].iloc[0], abs=1e-9)
    assert mine["ssim"].iloc[0] == pytest.approx(route["ssim"].iloc[0], abs=1e-9)
    worse = trainset.benchmark(evaluate.bicubic, set5, 3, Degradation("bilinear", blur_sigma=1),
                               name="bicubic")
    assert worse["psnr"].iloc[0] < mine["psnr"].iloc[0] - 0.5


def test_benchmark_measures_gray_images_on_their_own_values():
    image = _photo(2, size=(90, 90), gray=True)
    table = trainset.benchmark(evaluate.bicubic, [("g", image / 255.0)], 3, Degradation(), name="b")
    lr = degrade.imresize(image, 1 / 3)
    up = degrade.imresize(lr, output_shape=(90, 90))
    expected = metrics.psnr(image, up, crop_border=3, y_channel=False)
    assert table["psnr"].iloc[0] == pytest.approx(expected, abs=1e-9)


def test_loaded_folder_images_match_io(tmp_path):
    folder = _folder(tmp_path, n=3)
    training = trainset.load(folder)
    for name, image in training.train + training.val:
        np.testing.assert_array_equal(image, io.load_image(folder / f"{name}.png"))
