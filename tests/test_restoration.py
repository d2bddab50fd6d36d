"""srkit.restoration: blur registry, observation model, classical baselines, error %, tuning.

References come from outside the code under test: SciPy's own convolutions and Gaussian
filter, Richardson–Lucy and unsharp masking written out here from their definitions,
hand-computed error percentages, and the bundled photographs.
"""

import cv2
import numpy as np
import pytest
from scipy import ndimage
from skimage import restoration as skrestoration

from srkit import data, degrade, metrics, patches, restoration
from srkit.restoration import (
    BLUR_KINDS,
    blurs,
    degradation,
    error_percentage,
    make_blur,
    measure,
    richardson_lucy,
    tune,
    unsharp,
    wiener,
)

# ---------------------------------------------------------------------------
# fixtures and independent helpers
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def camera():
    """The bundled ``camera`` test photograph as BT.601 luma, float32 512×512."""
    return metrics.rgb_to_y(data.load_bundled("camera")).astype(np.float32)


@pytest.fixture(scope="module")
def crop(camera):
    """A 96×96 detailed crop (the cameraman's coat and tripod)."""
    return np.ascontiguousarray(camera[180:276, 200:296])


def symmetric_blur(image, kernel):
    """True convolution with symmetric borders (edge pixel repeated), by SciPy."""
    return ndimage.convolve(image.astype(np.float64), kernel[::-1, ::-1], mode="reflect")


def rl_by_definition(y, kernel, iterations):
    """Richardson–Lucy from its update x ← x · (k̃ * (y / (k * x))), symmetric borders."""
    x = np.full(y.shape, 0.5)
    flipped = kernel[::-1, ::-1]
    for _ in range(iterations):
        x = x * symmetric_blur(y / (symmetric_blur(x, kernel) + 1e-12), flipped)
    return x


def border_psnr(reference, test, width=12):
    """PSNR of the band of ``width`` pixels along the four borders only."""
    mask = np.ones(reference.shape, bool)
    mask[width:-width, width:-width] = False
    mse = np.mean((reference[mask].astype(np.float64) - test[mask]) ** 2)
    return 10 * np.log10(1 / mse)


# ---------------------------------------------------------------------------
# the blur registry
# ---------------------------------------------------------------------------


def test_registry_has_the_five_kinds_in_order_with_their_defaults():
    assert BLUR_KINDS == ("gaussian", "box", "median", "bilateral", "motion")
    registry = blurs()
    assert list(registry) == list(BLUR_KINDS)
    assert registry["gaussian"].params == {"sigma": 2.0}
    assert registry["box"].params == {"size": 7}
    assert registry["median"].params == {"size": 5}
    assert registry["bilateral"].params == {"diameter": 9, "sigma_color": 0.1, "sigma_space": 3.0}
    assert registry["motion"].params == {"length": 9, "angle": 30.0}
    assert [b.linear for b in registry.values()] == [True, True, False, False, True]
    assert registry["gaussian"].label == "Gaussian, σ = 2 px"
    assert registry["motion"].label == "motion, 9 px at 30°"


def test_kernels_are_the_degrade_kernels_and_sum_to_one():
    registry = blurs()
    np.testing.assert_array_equal(registry["gaussian"].kernel, degrade.gaussian_kernel(2.0))
    np.testing.assert_array_equal(registry["box"].kernel, np.full((7, 7), 1 / 49))
    np.testing.assert_array_equal(registry["motion"].kernel, degrade.motion_kernel(9, 30.0))
    assert registry["median"].kernel is None and registry["bilateral"].kernel is None
    for blur in registry.values():
        if blur.linear:
            assert blur.kernel.sum() == pytest.approx(1.0, abs=1e-12)


def test_box_of_seven_has_the_spread_of_the_gaussian_of_two():
    # discrete variance of a box of n pixels: (n² - 1) / 12 = 4 = σ² of the Gaussian
    r = np.arange(7) - 3
    assert (blurs()["box"].kernel.sum(axis=0) * r**2).sum() == pytest.approx(4.0)


@pytest.mark.parametrize("kind", BLUR_KINDS)
def test_a_blur_is_its_degrade_function_and_keeps_the_shape(crop, kind):
    blur = make_blur(kind)
    functions = {"gaussian": degrade.gaussian_blur, "box": degrade.box_blur,
                 "median": degrade.median_blur, "bilateral": degrade.bilateral_blur,
                 "motion": degrade.motion_blur}
    np.testing.assert_array_equal(blur(crop), functions[kind](crop, **blur.params))
    out = blur(crop[..., None])
    assert out.shape == (96, 96, 1) and out.dtype == np.float32
    np.testing.assert_allclose(out[..., 0], blur(crop), atol=1e-6)


@pytest.mark.parametrize("kind", ["gaussian", "box", "motion"])
def test_linear_blurs_are_scipy_convolutions_with_symmetric_borders(crop, kind):
    blur = make_blur(kind)
    np.testing.assert_allclose(blur(crop), symmetric_blur(crop, blur.kernel), atol=2e-6)


def test_linear_flag_agrees_with_additivity():
    rng = np.random.default_rng(1)
    a, b = rng.uniform(0, 0.5, (2, 40, 40)).astype(np.float32)
    for blur in blurs().values():
        gap = np.abs(blur(a + b) - blur(a) - blur(b)).max()
        assert (gap < 1e-5) == blur.linear, (blur.kind, gap)


def test_median_erases_a_thin_line_that_a_convolution_only_attenuates():
    image = np.full((31, 31), 0.3, np.float32)
    image[15, :] = 0.8
    registry = blurs()
    assert registry["median"](image)[15, 15] == pytest.approx(0.3)
    assert registry["gaussian"](image)[15, 15] > 0.3 + 0.05
    assert registry["bilateral"](image)[15, 15] == pytest.approx(0.8, abs=0.01)  # strong edge kept


def test_overrides_change_only_the_named_parameters():
    registry = blurs(gaussian={"sigma": 1.5}, motion={"length": 15})
    assert registry["gaussian"].params == {"sigma": 1.5}
    assert registry["motion"].params == {"length": 15, "angle": 30.0}
    assert registry["gaussian"].kernel.shape == (11, 11)


def test_unknown_kind_is_refused_with_the_list():
    with pytest.raises(ValueError, match="unknown blur kind 'defocus'; choose one of gaussian, box"):
        make_blur("defocus")
    with pytest.raises(ValueError, match="unknown blur kind 'motoin'"):
        blurs(motoin={"length": 5})


def test_unknown_parameter_is_refused_with_the_valid_names():
    with pytest.raises(ValueError, match="gaussian blur has no parameter 'radius'; its parameters are sigma, size"):
        make_blur("gaussian", radius=5)
    with pytest.raises(ValueError, match="box blur has no parameter 'sigma'; its parameters are size"):
        make_blur("box", sigma=1.0)


def test_the_thesis_settings_a_gaussian_of_given_kernel_size_and_a_three_by_three_box():
    # OpenCV's rule for sigmaX=0: σ = 0.3·((5 − 1)/2 − 1) + 0.8 = 1.1; its kernel for that σ
    registry = blurs(gaussian={"sigma": 1.1, "size": 5}, box={"size": 3})
    gaussian, box = registry["gaussian"], registry["box"]
    assert gaussian.params == {"sigma": 1.1, "size": 5} and box.params == {"size": 3}
    assert gaussian.label == "Gaussian, σ = 1.1 px, 5×5 kernel"
    assert box.label == "average (box), 3×3 px"
    np.testing.assert_allclose(gaussian.kernel, cv2.getGaussianKernel(5, 1.1) @ cv2.getGaussianKernel(5, 1.1).T,
                               atol=1e-7)
    np.testing.assert_array_equal(box.kernel, np.full((3, 3), 1 / 9))
    image = np.zeros((9, 9), np.float32)
    image[4, 4] = 1.0
    np.testing.assert_allclose(box(image)[3:6, 3:6], np.full((3, 3), 1 / 9), atol=1e-7)
    assert make_blur("gaussian").params == {"sigma": 2.0}  # the default kernel size is unchanged
    with pytest.raises(ValueError, match="odd integer"):
        make_blur("gaussian", sigma=1.1, size=4)


def test_bad_parameter_values_fail_when_the_blur_is_made():
    with pytest.raises(ValueError, match="sigma must be > 0"):
        make_blur("gaussian", sigma=-1)
    with pytest.raises(ValueError, match="odd integer"):
        make_blur("box", size=4)


# ---------------------------------------------------------------------------
# the observation model
# ---------------------------------------------------------------------------


def test_degradation_rounds_to_8_bits_and_is_the_blur_otherwise(crop):
    blur = make_blur("gaussian")
    y = degradation(blur)(crop)
    np.testing.assert_allclose(y * 255, np.round(y * 255), atol=1e-4)
    assert np.abs(y - blur(crop)).max() <= 0.5 / 255 + 1e-6
    np.testing.assert_array_equal(degradation(blur, quantize=False)(crop), blur(crop))


def test_noise_has_the_requested_sigma_and_is_reproducible():
    flat = np.full((200, 200), 0.5, np.float32)
    blur = make_blur("box", size=3)
    make = degradation(blur, noise=0.02, seed=5, quantize=False)
    first, second = make(flat), make(flat)
    assert np.std(first - 0.5) == pytest.approx(0.02, rel=0.03)
    assert not np.array_equal(first, second)  # fresh noise per call
    again = degradation(blur, noise=0.02, seed=5, quantize=False)
    np.testing.assert_array_equal(again(flat), first)
    np.testing.assert_array_equal(again(flat), second)


def test_degradation_refuses_bad_arguments():
    with pytest.raises(ValueError, match="noise must be a standard deviation ≥ 0"):
        degradation(make_blur("box"), noise=-0.1)
    with pytest.raises(ValueError, match="blur must be callable"):
        degradation("gaussian")


# ---------------------------------------------------------------------------
# Wiener
# ---------------------------------------------------------------------------


def test_wiener_inverts_a_noiseless_gaussian_blur_almost_exactly(crop):
    kernel = degrade.gaussian_kernel(1.0)
    blurred = np.clip(symmetric_blur(crop, kernel), 0, 1).astype(np.float32)
    restored = wiener(blurred, kernel, 1e-7)
    assert metrics.psnr(crop, blurred) < 32
    assert metrics.psnr(crop, restored) > 50  # measured 52.8: mirrored borders, no ringing


def test_wiener_improves_a_real_photo_by_about_three_db(camera):
    blur = make_blur("gaussian")  # σ = 2, 8-bit rounding
    blurred = degradation(blur)(camera)
    before = metrics.psnr(camera, blurred, crop_border=8)
    after = metrics.psnr(camera, wiener(blurred, blur.kernel, 1e-4), crop_border=8)
    assert 2.5 < after - before < 4.5, (before, after)  # measured: 27.15 → 30.88 dB


def test_mirrored_borders_do_not_ring_where_plain_skimage_does(crop):
    kernel = degrade.box_kernel(5)
    blurred = np.clip(symmetric_blur(crop, kernel), 0, 1).astype(np.float32)
    ours = wiener(blurred, kernel, 1e-3)
    plain = np.clip(skrestoration.wiener(blurred.astype(np.float64), kernel, 1e-3), 0, 1)
    assert border_psnr(crop, ours) > border_psnr(crop, plain) + 10  # measured: 33 vs 16 dB


def test_wiener_with_a_delta_kernel_returns_the_input(crop):
    np.testing.assert_allclose(wiener(crop, np.ones((1, 1)), 1e-9), crop, atol=1e-5)


def test_wiener_keeps_the_shape_and_clips(crop):
    out = wiener(crop[..., None], degrade.gaussian_kernel(2.0), 1e-5)
    assert out.shape == (96, 96, 1) and out.dtype == np.float32
    assert out.min() >= 0 and out.max() <= 1


@pytest.mark.parametrize("kernel, message", [
    (None, "nonlinear blurs .* have no kernel"),
    (np.ones((4, 4)) / 16, "odd sides"),
    (np.ones(5) / 5, "odd sides"),
    (np.ones((3, 3)), "kernel must sum to 1, got 9"),
    (np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]]), "non-negative"),
])
def test_bad_kernels_are_refused(crop, kernel, message):
    with pytest.raises(ValueError, match=message):
        wiener(crop, kernel, 0.01)


@pytest.mark.parametrize("balance", [0, -1, True, "0.01"])
def test_bad_balance_is_refused(crop, balance):
    with pytest.raises(ValueError, match="balance must be a number > 0"):
        wiener(crop, degrade.box_kernel(3), balance)


def test_colour_and_out_of_range_images_are_refused(crop):
    with pytest.raises(ValueError, match="one channel .* got shape \\(96, 96, 3\\)"):
        wiener(np.repeat(crop[..., None], 3, axis=2), degrade.box_kernel(3), 0.01)
    with pytest.raises(ValueError, match="outside \\[0, 1\\]"):
        richardson_lucy(crop * 255, degrade.box_kernel(3), 5)


# ---------------------------------------------------------------------------
# Richardson–Lucy and unsharp masking
# ---------------------------------------------------------------------------


def test_richardson_lucy_follows_its_update_rule_in_the_interior(crop):
    kernel = degrade.box_kernel(5)
    blurred = symmetric_blur(crop, kernel).astype(np.float32)
    ours = richardson_lucy(blurred, kernel, 5)
    reference = rl_by_definition(blurred.astype(np.float64), kernel, 5)
    np.testing.assert_allclose(ours[20:-20, 20:-20], reference[20:-20, 20:-20], atol=1e-5)


def test_richardson_lucy_sharpens_motion_blur_on_a_real_photo(camera):
    blur = make_blur("motion")
    blurred = degradation(blur)(camera)
    before = metrics.psnr(camera, blurred, crop_border=8)
    after = metrics.psnr(camera, richardson_lucy(blurred, blur.kernel, 30), crop_border=8)
    assert after - before > 2.5, (before, after)  # measured: 27.69 → 31.48 dB


def test_richardson_lucy_padding_protects_the_borders(crop):
    kernel = degrade.gaussian_kernel(1.5)
    blurred = symmetric_blur(crop, kernel).astype(np.float32)
    padded = richardson_lucy(blurred, kernel, 20)
    zero_borders = richardson_lucy(blurred, kernel, 20, pad=0)
    assert border_psnr(crop, padded) > border_psnr(crop, zero_borders) + 8  # measured: 29 vs 17 dB


@pytest.mark.parametrize("iterations", [0, -3, 2.5, True])
def test_bad_iterations_are_refused(crop, iterations):
    with pytest.raises(ValueError, match="iterations must be an integer ≥ 1"):
        richardson_lucy(crop, degrade.box_kernel(3), iterations)


def test_negative_padding_is_refused(crop):
    with pytest.raises(ValueError, match="pad must be ≥ 0"):
        richardson_lucy(crop, degrade.box_kernel(3), 3, pad=-1)


@pytest.mark.parametrize("radius, amount", [(1.0, 1.0), (2.0, 0.5), (3.0, 2.0)])
def test_unsharp_is_the_input_plus_amount_times_its_detail(crop, radius, amount):
    smooth = ndimage.gaussian_filter(crop.astype(np.float64), radius, mode="reflect", truncate=4.0)
    expected = np.clip(crop + amount * (crop - smooth), 0, 1)
    np.testing.assert_allclose(unsharp(crop, radius, amount), expected, atol=1e-6)


def test_unsharp_with_no_amount_is_the_identity(crop):
    np.testing.assert_allclose(unsharp(crop, 2.0, 0.0), crop, atol=1e-7)


@pytest.mark.parametrize("radius, amount, message", [
    (0, 1, "radius must be a number > 0"), (-2, 1, "radius must be a number > 0"),
    (1, -0.5, "amount must be a number ≥ 0"), (1, "lots", "amount must be a number ≥ 0"),
])
def test_bad_unsharp_arguments_are_refused(crop, radius, amount, message):
    with pytest.raises(ValueError, match=message):
        unsharp(crop, radius, amount)


# ---------------------------------------------------------------------------
# error percentage, measure, tune
# ---------------------------------------------------------------------------


def test_error_percentage_by_hand():
    assert error_percentage(np.zeros((4, 4)), np.full((4, 4), 0.02)) == pytest.approx(2.0)
    reference = np.array([[0.0, 1.0], [0.5, 0.25]])
    result = np.array([[0.1, 0.9], [0.5, 0.5]])
    # |diff| = 0.1, 0.1, 0, 0.25 → mean 0.1125 → 11.25 %
    assert error_percentage(reference, result) == pytest.approx(11.25)
    assert error_percentage(np.zeros((3, 3), np.uint8), np.full((3, 3), 51, np.uint8)) == pytest.approx(20.0)
    assert error_percentage(reference, reference) == 0.0


def test_error_percentage_crops_the_border():
    reference = np.zeros((6, 6))
    result = np.zeros((6, 6))
    result[0, :] = 1.0  # only the top row is wrong
    assert error_percentage(reference, result) == pytest.approx(100 / 6)
    assert error_percentage(reference, result, crop_border=1) == 0.0


def test_error_percentage_refuses_to_mix_uint8_and_float():
    with pytest.raises(TypeError, match="reference is float64 and result is uint8: convert both"):
        error_percentage(np.zeros((4, 4)), np.zeros((4, 4), np.uint8))


@pytest.mark.parametrize("kwargs, message", [
    ({"result": np.zeros((4, 5))}, "same shape, got \\(4, 4\\) and \\(4, 5\\)"),
    ({"crop_border": 2}, "crop_border=2 leaves nothing of a 4×4 image"),
    ({"crop_border": -1}, "crop_border must be an integer ≥ 0"),
    ({"result": np.full((4, 4), 2.0)}, "outside \\[0, 1\\]"),
])
def test_error_percentage_bad_inputs(kwargs, message):
    args = {"reference": np.zeros((4, 4)), "result": np.zeros((4, 4)), **kwargs}
    with pytest.raises(ValueError, match=message):
        error_percentage(args.pop("reference"), args.pop("result"), **args)


def test_measure_agrees_with_the_metrics_and_keeps_labels(crop):
    blurred = degradation(make_blur("box"))(crop)
    table = measure([("cam", crop, blurred)], crop_border=4, method="blurred", blur="box")
    assert list(table.columns) == ["method", "blur", "image", "psnr", "ssim", "error_pct"]
    assert len(table) == 1  # no mean row
    row = table.iloc[0]
    assert row["psnr"] == pytest.approx(metrics.psnr(crop, blurred, crop_border=4))
    assert row["ssim"] == pytest.approx(metrics.ssim(crop, blurred, crop_border=4))
    assert row["error_pct"] == pytest.approx(100 * np.abs(crop - blurred)[4:-4, 4:-4].mean(), rel=1e-6)


def test_tune_picks_the_highest_mean_psnr_and_keeps_integer_types(crop):
    blur = make_blur("motion")
    pairs = [(crop, degradation(blur)(crop))]
    best, table = tune(lambda y, **p: richardson_lucy(y, blur.kernel, **p), {"iterations": [1, 10, 30]},
                       pairs, crop_border=8)
    assert list(table.columns) == ["iterations", "psnr"] and len(table) == 3
    assert best["iterations"] == table.loc[table["psnr"].idxmax(), "iterations"]
    assert isinstance(best["iterations"], int)
    best, table = tune(unsharp, {"radius": [1, 2], "amount": [0.5, 50]}, pairs)
    assert len(table) == 4 and best["amount"] == 0.5  # amount 50 is absurd


def test_tune_refuses_empty_inputs(crop):
    with pytest.raises(ValueError, match="no \\(sharp, blurred\\) pairs"):
        tune(unsharp, {"radius": [1]}, [])
    with pytest.raises(ValueError, match="non-empty lists of values"):
        tune(unsharp, {"radius": []}, [(crop, crop)])


# ---------------------------------------------------------------------------
# restoration pairs for training
# ---------------------------------------------------------------------------


def test_restoration_pairs_blur_the_luma_and_stay_aligned():
    photo = data.load_bundled("motorcycle_left")[100:196, 200:328]
    blur = make_blur("gaussian")
    (blurred, sharp), = patches.make_restoration_pairs([("m", photo)], degradation(blur))
    y = metrics.rgb_to_y(photo).astype(np.float32)
    assert blurred.shape == sharp.shape == (96, 128, 1) and blurred.dtype == np.float32
    np.testing.assert_allclose(sharp[..., 0], y, atol=1e-6)
    np.testing.assert_allclose(blurred[..., 0], degradation(blur)(y), atol=1e-6)
    assert patches.pair_factor([(blurred, sharp)]) == 1
    inputs, targets = patches.grid_patches([(blurred, sharp)], 32, 32)
    np.testing.assert_array_equal(inputs[6], blurred[32:64, 64:96])  # 4 patches per row
    np.testing.assert_array_equal(targets[6], sharp[32:64, 64:96])


def test_restoration_pairs_in_rgb_and_the_dataset_accepts_them():
    photo = data.load_bundled("brick")[:80, :80]  # gray: replicated to RGB
    pairs = patches.make_restoration_pairs([photo], make_blur("box", size=3), channels="rgb")
    assert pairs[0][0].shape == pairs[0][1].shape == (80, 80, 3)
    ds = patches.patch_dataset(pairs, 32, batch_size=4, seed=0)
    x, t = next(iter(ds))
    assert tuple(x.shape) == tuple(t.shape) == (4, 32, 32, 3)


@pytest.mark.parametrize("degrade_fn, channels, message", [
    (lambda x: x[:-1], "y", "changed the size from \\(20, 24\\) to \\(19, 24\\)"),
    (lambda x: x * 2 + 1, "y", "degrade_fn's output is a float image with values in"),
    (lambda x: x[..., 0], "rgb", "returned shape \\(20, 24\\) for a \\(20, 24, 3\\) input"),
    ("blur", "y", "degrade_fn must be a function"),
    (lambda x: x, "gray", "channels must be one of"),
])
def test_restoration_pairs_bad_inputs(degrade_fn, channels, message):
    image = np.full((20, 24, 3), 0.5, np.float32)
    with pytest.raises(ValueError, match=message):
        patches.make_restoration_pairs([image], degrade_fn, channels=channels)


def test_restoration_pairs_need_images():
    with pytest.raises(ValueError, match="got no images"):
        patches.make_restoration_pairs([], lambda x: x)


# ---------------------------------------------------------------------------
# Fashion-MNIST, full=True (Keras' loader replaced: no internet in the tests);
# the shipped subset (the default) is tested in test_domain_datasets.py
# ---------------------------------------------------------------------------


@pytest.fixture
def fake_fashion_mnist(monkeypatch):
    import keras

    rng = np.random.default_rng(0)
    x_train = rng.integers(0, 256, (60, 28, 28), dtype=np.uint8)
    x_test = rng.integers(0, 256, (12, 28, 28), dtype=np.uint8)
    x_test[3] = x_train[1]  # a duplicate of a training image
    labels = lambda n: np.zeros(n, np.uint8)  # noqa: E731
    monkeypatch.setattr(keras.datasets.fashion_mnist, "load_data",
                        lambda: ((x_train, labels(60)), (x_test, labels(12))))
    return x_train, x_test


def test_fashion_mnist_splits_are_disjoint_float_images(fake_fashion_mnist):
    import keras

    x_train, x_test = fake_fashion_mnist
    train, val, test = restoration.fashion_mnist_splits(10, 5, 6, full=True)
    assert [n for n, _ in train][:2] == ["train_00000", "train_00001"] and len(train) == 10
    assert [n for n, _ in val] == [f"val_{i:05d}" for i in range(55, 60)]  # the end of the 60 fakes
    assert [n for n, _ in test] == ["test_00000", "test_00001", "test_00002", "test_00004", "test_00005"]
    name, image = train[1]
    assert image.dtype == np.float32 and image.shape == (28, 28)
    np.testing.assert_allclose(image * 255, x_train[1], atol=1e-4)
    data.assert_disjoint(train + val, test)
    assert keras.datasets.fashion_mnist.load_data()[0][0] is x_train


def test_fashion_mnist_without_internet_says_so(monkeypatch):
    import keras

    def offline():
        raise OSError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(keras.datasets.fashion_mnist, "load_data", offline)
    with pytest.raises(RuntimeError, match="downloads the data from the internet .* OSError"):
        restoration.fashion_mnist_splits(10, 5, 5, full=True)


@pytest.mark.parametrize("kwargs, message", [
    ({"n_train": 0}, "n_train must be an integer ≥ 1"),
    ({"n_val": 2.5}, "n_val must be an integer ≥ 1"),
    ({"n_train": 59500, "n_val": 1000}, "Fashion-MNIST has 60,000 training and 10,000 test images"),
    ({"n_test": 20000}, "10,000 test images"),
])
def test_fashion_mnist_bad_counts(kwargs, message):
    with pytest.raises(ValueError, match=message):
        restoration.fashion_mnist_splits(**kwargs)
