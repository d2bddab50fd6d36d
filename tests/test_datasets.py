"""The standard sets shipped with srkit, the measurement routes and the benchmark call.

Independent references: MATLAB's own bicubic LR files of Set5 (shipped beside the HR
images) and the SRCNN paper's published bicubic tables.
"""

import hashlib
import shutil

import numpy as np
import pandas as pd
import pytest

from srkit import data, degrade, evaluate, metrics, published
from srkit._validate import to_uint8

# The SRCNN paper's bicubic rows (Dong et al., TPAMI 2016, Table 3): PSNR / SSIM on Y, border s
SRCNN_BICUBIC = {
    ("set5", 2): (33.66, 0.9299), ("set5", 3): (30.39, 0.8682), ("set5", 4): (28.42, 0.8104),
    ("set14", 2): (30.23, 0.8687), ("set14", 3): (27.54, 0.7736), ("set14", 4): (26.00, 0.7019),
}
# Set14 bicubic as later tables print it (VDSR, EDSR, RCAN)
LATER_SET14 = {2: 30.24, 3: 27.55, 4: 26.00}


@pytest.fixture(scope="module")
def set5():
    return data.load_dataset("set5")


def test_every_shipped_file_matches_its_checksum():
    sums = data._shipped_checksums()
    # T91, Set5 HR + MATLAB LR, Set14; the domain sets (faces, brain MRI, two .npz files)
    assert len(sums) == 91 + 5 + 15 + 14 + 204 + 144 + 2
    for rel, digest in sums.items():
        assert hashlib.sha256((data.DATASETS_DIR / rel).read_bytes()).hexdigest() == digest, rel
    data.verify_shipped()  # the library's own check agrees


def test_an_altered_file_is_refused(tmp_path, monkeypatch):
    copy = tmp_path / "datasets"
    shutil.copytree(data.DATASETS_DIR, copy)
    monkeypatch.setattr(data, "DATASETS_DIR", copy)
    assert len(data.load_dataset("set5")) == 5
    target = copy / "Set5" / "HR" / "bird.png"
    target.write_bytes(target.read_bytes() + b"\0")
    with pytest.raises(data.DatasetChecksumError, match="bird.png.*altered.*[Rr]einstall"):
        data.load_dataset("set5")
    (copy / "Set14" / "HR" / "zebra.png").unlink()
    with pytest.raises(data.DatasetChecksumError, match="expected 14"):
        data.load_dataset("set14")


@pytest.mark.parametrize("name, count", [("t91", 91), ("set5", 5), ("set14", 14)])
def test_load_dataset_shapes_and_ranges(name, count):
    images = data.load_dataset(name)
    assert len(images) == count
    names = [n for n, _ in images]
    assert names == sorted(names) and len(set(names)) == count
    for image_name, image in images:
        assert image.dtype == np.float32 and 0.0 <= image.min() and image.max() <= 1.0
        # Set14's bridge is the one single-channel file; everything else is RGB
        assert image.ndim == (2 if image_name == "bridge" else 3)


def test_set14_gray_images_as_stored():
    images = dict(data.load_dataset("set14"))
    assert images["bridge"].shape == (512, 512)
    man = images["man"]
    assert man.ndim == 3 and np.array_equal(man[..., 0], man[..., 1])  # gray stored as RGB
    assert dict(data.load_dataset("set14", mode="rgb"))["bridge"].shape == (512, 512, 3)


def test_bundled_splits_are_datasets_too():
    assert [n for n, _ in data.load_dataset("bundled_test")] == data.names("test")
    assert set(data.dataset_names(shipped_only=True)) == {
        "t91", "set5", "set14", "faces", "brain_mri", "fashion_mnist", "mnist",
        "bundled_train", "bundled_val", "bundled_test"}
    with pytest.raises(ValueError, match="unknown dataset 'set15'.*set14"):
        data.load_dataset("set15")
    with pytest.raises(ValueError, match="mode"):
        data.load_dataset("set5", mode="ycbcr")


def test_test_sets_share_nothing_with_t91():
    t91 = data.load_dataset("t91", mode="rgb")
    data.assert_disjoint(t91, data.load_dataset("set5"))
    data.assert_disjoint(t91, data.load_dataset("set14", mode="rgb"))


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_make_lr_equals_matlabs_set5_lr_bit_for_bit(set5, scale):
    matlab = dict(data.load_matlab_lr("set5", scale))
    assert sorted(matlab) == sorted(n for n, _ in set5)
    for name, hr in set5:
        lr, _ = degrade.make_lr(hr, scale)
        np.testing.assert_array_equal(to_uint8(lr), to_uint8(matlab[name]), err_msg=name)


def test_load_matlab_lr_refuses_what_it_does_not_have():
    with pytest.raises(ValueError, match="set5"):
        data.load_matlab_lr("set14", 3)
    with pytest.raises(ValueError, match="scales"):
        data.load_matlab_lr("set5", 8)


def test_srcnn_route_reproduces_the_srcnn_tables():
    table = evaluate.benchmark(sets=["set5", "set14"], scales=[2, 3, 4])
    assert len(table) == 6
    for row in table.itertuples():
        paper_psnr, paper_ssim = SRCNN_BICUBIC[(row.dataset, row.scale)]
        assert row.psnr == pytest.approx(paper_psnr, abs=0.01), (row.dataset, row.scale)
        assert row.ssim == pytest.approx(paper_ssim, abs=0.0005), (row.dataset, row.scale)
        assert row.paper_psnr == paper_psnr and row.paper_ssim == paper_ssim
        assert abs(row.diff_psnr) <= 0.01 and "SRCNN" in row.paper
    assert set(table["images"]) == {5, 14}


def test_vdsr_route_reproduces_the_later_set14_row():
    table = evaluate.benchmark(sets=["set14"], scales=[2, 3, 4], route="vdsr")
    for row in table.itertuples():
        assert row.psnr == pytest.approx(LATER_SET14[row.scale], abs=0.01)
        assert row.paper_psnr == LATER_SET14[row.scale]


def test_routes_differ_as_documented(set5):
    """The RGB route (the kit's old one) reads 0.01 dB above the SRCNN table on Set5."""
    rgb = evaluate.benchmark(sets=["set5"], scales=[2, 3, 4], route="rgb")
    assert list(rgb["psnr"].round(2)) == [33.67, 30.40, 28.43]
    # and it is what measuring stored 8-bit results with metrics.psnr gives
    hr = set5[0][1]
    lr, ref = evaluate.route_pair(hr, 3, "rgb")
    sr = evaluate.bicubic(lr, 3)
    psnr, _ = evaluate.route_measure(ref, sr, 3, "rgb")
    up, crop = degrade.make_lr(hr, 3, upsample=True)
    assert psnr == pytest.approx(metrics.psnr(crop, up, crop_border=3, y_channel=True), abs=1e-6)


def test_srcnn_route_by_hand_on_one_image(set5):
    """The route spelled out step by step (MATLAB's SRCNN demo) gives the same number."""
    name, hr = set5[1]
    y8 = np.floor(16 + hr.astype(np.float64) @ np.array([65.481, 128.553, 24.966]) + 0.5)
    y8 = degrade.modcrop(y8.astype(np.uint8), 3)
    lr, ref = evaluate.route_pair(hr, 3)
    np.testing.assert_array_equal(ref, y8)
    up = evaluate.bicubic(lr, 3)
    up8 = np.clip(np.floor(up * 255 + 0.5), 0, 255)
    diff = (y8.astype(np.float64) - up8)[3:-3, 3:-3]
    expected = 10 * np.log10(255.0 ** 2 / np.mean(diff ** 2))
    assert evaluate.route_measure(ref, up, 3)[0] == pytest.approx(expected, abs=1e-9)


def test_gray_file_is_measured_on_its_own_values():
    """bridge (single channel) keeps 0–255; mapping it to studio range reads higher."""
    bridge = dict(data.load_dataset("set14"))["bridge"]
    own = evaluate.benchmark(sets=[("one", [("bridge", bridge)])], scales=[3])["psnr"].item()
    as_rgb = np.repeat(bridge[..., None], 3, axis=2)
    studio = evaluate.benchmark(sets=[("one", [("bridge", as_rgb)])], scales=[3])["psnr"].item()
    assert studio > own + 0.5  # 219/255 of the contrast: about 1.3 dB on one image
    np.testing.assert_array_equal(metrics.rgb_to_y8(to_uint8(bridge)), to_uint8(bridge))


def test_benchmark_with_a_custom_method_user_set_and_per_image(set5):
    def nearest(lr, scale):
        return np.repeat(np.repeat(np.clip(lr, 0, 1), scale, axis=0), scale, axis=1)

    mine = [("mine", set5[:2])]
    table = evaluate.benchmark(nearest, sets=mine, scales=[2], name="nearest")
    assert table.loc[0, "dataset"] == "mine" and table.loc[0, "images"] == 2
    assert np.isnan(table.loc[0, "paper_psnr"]) and table.loc[0, "paper"] == ""
    bic = evaluate.benchmark(sets=mine, scales=[2])
    assert table.loc[0, "psnr"] < bic.loc[0, "psnr"] - 1  # nearest is far worse
    long = evaluate.benchmark(nearest, sets=mine, scales=[2, 3], name="nearest", per_image=True)
    assert list(long.columns) == ["dataset", "scale", "method", "route", "image", "psnr", "ssim"]
    assert len(long) == 4
    assert long["psnr"].groupby(long["scale"]).mean()[2] == pytest.approx(table.loc[0, "psnr"])


def test_benchmark_refuses_bad_results_and_routes(set5):
    with pytest.raises(ValueError, match="returned 10×10.*expected"):
        evaluate.benchmark(lambda lr, s: np.zeros((10, 10)), sets=[("a", set5[:1])], scales=[3],
                           name="broken")
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        evaluate.benchmark(lambda lr, s: evaluate.bicubic(lr, s) * 255, sets=[("a", set5[:1])],
                           scales=[3], name="x255")
    with pytest.raises(ValueError, match="unknown route 'matlab'.*srcnn"):
        evaluate.benchmark(sets=["set5"], route="matlab")


def test_compare_with_a_published_method(set5):
    table = evaluate.benchmark(sets=["set5"], scales=[3, 4], name="mine",
                               compare_with="SRCNN 9-1-5 (91 images)")
    assert table.loc[0, "paper_psnr"] == 32.39 and np.isnan(table.loc[0, "paper_ssim"])
    assert np.isnan(table.loc[1, "paper_psnr"])  # the paper gives ×3 only


def test_published_lookup():
    assert published.lookup("bicubic", "set14", 2)["psnr"] == 30.23
    assert published.lookup("bicubic", "set14", 2, route="vdsr")["psnr"] == 30.24
    assert published.lookup("bicubic", "b100", 3)["psnr"] == 27.21  # any route
    assert published.lookup("SRResNet", "Set5", 4) == pytest.approx(
        {"psnr": 32.05, "ssim": 0.9019, "source": published.lookup("srresnet", "set5", 4)["source"],
         "route": None})
    assert published.lookup("SRGAN", "set5", 3) is None
    assert not published.PUBLISHED.duplicated(["method", "dataset", "scale", "route"]).any()


def test_keras_method_with_an_identity_model_equals_bicubic(set5):
    """A 1-channel model that returns its input: the pre-upsampling wrapper gives bicubic."""
    keras = pytest.importorskip("keras")
    inputs = keras.Input((None, None, 1))
    outputs = keras.layers.Conv2D(1, 3, padding="same", use_bias=False,
                                  kernel_initializer=keras.initializers.Constant(
                                      np.pad([[1.0]], 1)[..., None, None]))(inputs)
    model = keras.Model(inputs, outputs)
    method = evaluate.keras_method(model, tile=64)
    sets = [("two", set5[1:3])]
    ours = evaluate.benchmark(method, sets=sets, scales=[3], name="identity")
    bic = evaluate.benchmark(sets=sets, scales=[3])
    # the LR overshoot is clipped before the model: at most a few pixels differ by one level
    assert ours.loc[0, "psnr"] == pytest.approx(bic.loc[0, "psnr"], abs=0.02)
    rgb = evaluate.benchmark(method, sets=sets, scales=[3], name="identity", route="rgb")
    rgb_bic = evaluate.benchmark(sets=sets, scales=[3], route="rgb")
    assert rgb.loc[0, "psnr"] == pytest.approx(rgb_bic.loc[0, "psnr"], abs=0.05)


def test_keras_method_rgb_model_on_a_gray_image_of_the_rgb_route():
    """A 3-channel post-upsampling model on Set14's single-channel `bridge` (rgb route): it gets
    the gray LR as three equal channels; an identity-plus-bicubic model then scores as bicubic."""
    keras = pytest.importorskip("keras")
    import tensorflow as tf

    bridge = [item for item in data.load_dataset("set14") if item[0] == "bridge"]
    assert bridge and bridge[0][1].ndim == 2
    inputs = keras.Input((None, None, 3))
    up = keras.layers.Lambda(lambda x: tf.image.resize(x, tf.shape(x)[1:3] * 3, method="bicubic"))(inputs)
    model = keras.Model(inputs, up)
    method = evaluate.keras_method(model, upsample=False, tile=64)
    sets = [("bridge", bridge)]
    ours = evaluate.benchmark(method, sets=sets, scales=[3], name="tf bicubic", route="rgb")
    bic = evaluate.benchmark(sets=sets, scales=[3], route="rgb")
    assert abs(ours.loc[0, "psnr"] - bic.loc[0, "psnr"]) < 0.3  # TensorFlow's bicubic vs MATLAB's
    with pytest.raises(ValueError, match="route='rgb'"):
        evaluate.benchmark(method, sets=sets, scales=[3], name="tf bicubic", route="srcnn")


def test_benchmark_takes_a_mapping_of_loaded_sets(set5, tmp_path):
    """The notebooks pass {label: images}: loaded images are measured, a user's set included."""
    sets = {"set5": set5[:2], "MyPhotos": [("bird", set5[1][1])]}
    table = evaluate.benchmark(sets=sets, scales=[3])
    assert list(table["dataset"]) == ["set5", "MyPhotos"]
    by_name = evaluate.benchmark(sets=[("set5", set5[:2])], scales=[3])
    assert table.loc[0, "psnr"] == pytest.approx(by_name.loc[0, "psnr"])
    assert table.loc[0, "paper_psnr"] == pytest.approx(by_name.loc[0, "paper_psnr"], nan_ok=True)


def test_user_dataset_from_the_environment(tmp_path, monkeypatch, set5):
    from srkit.io import save_image

    folder = tmp_path / "MyPhotos"
    folder.mkdir()
    save_image(folder / "bird.png", set5[1][1])
    monkeypatch.delenv(data.EVAL_DIR_ENV, raising=False)
    assert data.user_dataset() is None
    monkeypatch.setenv(data.EVAL_DIR_ENV, str(folder))
    label, images = data.user_dataset()
    assert label == "MyPhotos" and [n for n, _ in images] == ["bird"]
    table = evaluate.benchmark(sets=["set5", data.user_dataset()], scales=[3])
    assert list(table["dataset"]) == ["set5", "MyPhotos"]
    assert table.loc[1, "psnr"] == pytest.approx(
        evaluate.benchmark(sets=[("b", set5[1:2])], scales=[3]).loc[0, "psnr"])
    assert isinstance(table, pd.DataFrame)
