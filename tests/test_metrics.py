"""Tests for srkit.metrics: BT.601 luma, PSNR and SSIM as the papers compute them.

Reference values come from hand computation and from scikit-image called with
the parameters of Wang et al.'s MATLAB code.
"""

import math

import numpy as np
import pytest
from skimage import data as skdata
from skimage.color import rgb2ycbcr
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from srkit import degrade
from srkit.metrics import mse, psnr, rgb_to_y, ssim


@pytest.fixture(scope="module")
def photo_u8():
    return np.ascontiguousarray(skdata.astronaut()[100:196, 150:246])  # 96×96×3 uint8


@pytest.fixture(scope="module")
def photo(photo_u8):
    return photo_u8.astype(np.float64) / 255.0


@pytest.fixture(scope="module")
def bicubic_x3():
    """A real photo crop and its bicubic ×3 reconstruction (the papers' baseline)."""
    hr = skdata.chelsea()[60:156, 150:246]
    up, hr = degrade.make_lr(hr, 3, upsample=True)
    return hr, up


# ---------------------------------------------------------------------------
# rgb_to_y
# ---------------------------------------------------------------------------


def test_rgb_to_y_hand_values():
    pixels = np.array([[[0, 0, 0], [1, 1, 1], [1, 0, 0]],
                       [[0, 1, 0], [0, 0, 1], [0.5, 0.5, 0.5]]], dtype=np.float64)
    y = rgb_to_y(pixels)
    assert y.shape == (2, 3) and y.dtype == np.float64
    expected = np.array([[16, 16 + 65.481 + 128.553 + 24.966, 16 + 65.481],
                         [16 + 128.553, 16 + 24.966, 16 + 0.5 * 219]]) / 255
    np.testing.assert_allclose(y, expected, atol=1e-12)
    assert y[0, 0] == pytest.approx(16 / 255, abs=1e-12)  # black
    assert y[0, 1] == pytest.approx(235 / 255, abs=1e-12)  # white: 16 + 219
    assert y[0, 2] == pytest.approx((16 + 65.481) / 255, abs=1e-12)  # pure red


def test_rgb_to_y_input_kinds(photo_u8, photo):
    y = rgb_to_y(photo)
    np.testing.assert_allclose(rgb_to_y(photo_u8), y, atol=1e-12)  # uint8 == float / 255
    np.testing.assert_allclose(rgb_to_y(photo.astype(np.float32)), y, atol=1e-6)
    # a single-channel image keeps its own values (the MATLAB scripts call rgb2ycbcr only
    # on 3-channel images); the same gray stored as RGB goes to studio range like colour
    gray = photo[..., 1]
    replicated = np.repeat(gray[..., None], 3, axis=2)
    np.testing.assert_array_equal(rgb_to_y(gray), gray.astype(np.float64))
    np.testing.assert_array_equal(rgb_to_y(gray[..., None]), gray.astype(np.float64))
    np.testing.assert_allclose(rgb_to_y(replicated), 16 / 255 + gray * 219 / 255, atol=1e-12)
    assert 16 / 255 - 1e-12 <= y.min() and y.max() <= 235 / 255 + 1e-12


def test_rgb_to_y_matches_skimage(photo):
    np.testing.assert_allclose(rgb_to_y(photo), rgb2ycbcr(photo)[..., 0] / 255, atol=1e-6)


def test_rgb_to_y_rejects_alpha(photo):
    rgba = np.concatenate([photo, np.ones_like(photo[..., :1])], axis=2)
    with pytest.raises(ValueError, match="alpha"):
        rgb_to_y(rgba)


# ---------------------------------------------------------------------------
# PSNR
# ---------------------------------------------------------------------------


def test_psnr_hand_computed():
    ref = np.full((4, 4), 100, np.uint8)
    test = ref.copy()
    test[0, :] = 110  # 4 of 16 pixels off by 10: MSE = 4·100/16 = 25 (0–255 scale)
    expected = 10 * math.log10(255**2 / 25)  # = 20·log10(51) = 34.1514 dB
    assert psnr(ref, test) == pytest.approx(expected, abs=1e-12)
    assert psnr(ref, test) == pytest.approx(34.15140352195873, abs=1e-9)
    assert mse(ref, test) == pytest.approx(25 / 255**2, abs=1e-15)
    # float, [0, 1] scale: MSE = 0.5·0.1² = 0.005 -> 10·log10(200)
    a = np.zeros((4, 4))
    b = a.copy()
    b[:2] = 0.1
    assert psnr(a, b) == pytest.approx(10 * math.log10(200), abs=1e-10)


def test_psnr_identical_is_inf(photo, photo_u8):
    assert psnr(photo, photo) == math.inf
    assert psnr(photo_u8, photo_u8.copy()) == math.inf


def test_psnr_uint8_equals_float(photo_u8, photo):
    noisy = degrade.add_gaussian_noise(photo_u8, 0.03, seed=0)
    noisy_u8 = np.rint(noisy * 255).astype(np.uint8)
    p = psnr(photo_u8, noisy_u8)
    assert p == pytest.approx(psnr(photo, noisy_u8 / 255.0), abs=1e-10)
    assert p == pytest.approx(psnr(photo.astype(np.float32), (noisy_u8 / 255.0).astype(np.float32)),
                              abs=1e-4)
    assert 20 < p < 40


def test_psnr_does_not_subtract_uint8(photo_u8):
    darker = (photo_u8 // 2).astype(np.uint8)
    naive = 10 * np.log10(255**2 / np.mean((photo_u8 - darker) ** 2))  # wraps around in uint8
    right = 10 * np.log10(255**2 / np.mean((photo_u8.astype(np.float64) - darker) ** 2))
    assert psnr(photo_u8, darker) == pytest.approx(right, abs=1e-10)
    assert abs(naive - right) > 1.0  # the pitfall is real on this image
    # the other order, where uint8 subtraction wraps below zero
    assert psnr(darker, photo_u8) == pytest.approx(right, abs=1e-10)


def test_psnr_matches_skimage_on_rgb(photo):
    other = degrade.gaussian_blur(photo, 1.0).astype(np.float64)
    assert psnr(photo, other) == pytest.approx(
        peak_signal_noise_ratio(photo, other, data_range=1), abs=1e-9)


@pytest.mark.parametrize("border", [2, 3, 4])
def test_crop_border_removes_exactly_that_many_pixels(photo, border):
    test = photo.copy()
    ring = np.ones(photo.shape[:2], bool)
    ring[border:-border, border:-border] = False
    test[ring] = 1.0 - test[ring]  # every error lies in the border
    assert psnr(photo, test) < 30
    assert psnr(photo, test, crop_border=border) == math.inf
    assert psnr(photo, test, crop_border=border, y_channel=True) == math.inf
    # one pixel further in is measured
    inner = photo.copy()
    inner[border, border + 10] = 1.0 - inner[border, border + 10]
    assert math.isfinite(psnr(photo, inner, crop_border=border))
    assert psnr(photo, inner, crop_border=border + 1) == math.inf


def test_psnr_y_channel_equals_psnr_of_luma(bicubic_x3):
    hr, up = bicubic_x3
    assert psnr(hr, up, y_channel=True, crop_border=3) == pytest.approx(
        psnr(rgb_to_y(hr), rgb_to_y(up), crop_border=3), abs=1e-10)
    ys = rgb_to_y(hr)[3:-3, 3:-3], rgb_to_y(up)[3:-3, 3:-3]
    assert psnr(hr, up, y_channel=True, crop_border=3) == pytest.approx(
        10 * np.log10(1 / np.mean((ys[0] - ys[1]) ** 2)), abs=1e-10)
    # Y and RGB are not the same measurement
    assert abs(psnr(hr, up, y_channel=True) - psnr(hr, up)) > 0.1


def test_psnr_higher_means_closer(photo):
    clean = psnr(photo, photo)
    mild, strong = (psnr(photo, degrade.gaussian_blur(photo, s)) for s in (0.8, 2.0))
    low_noise, high_noise = (psnr(photo, degrade.add_gaussian_noise(photo, s, seed=1))
                             for s in (0.01, 0.05))
    assert clean > mild > strong
    assert clean > low_noise > high_noise
    assert 20 < strong < mild and 20 < high_noise < low_noise < 45


# ---------------------------------------------------------------------------
# SSIM
# ---------------------------------------------------------------------------


def test_ssim_matches_reference_parameters_on_0_255(bicubic_x3):
    hr, up = bicubic_x3
    y_hr = rgb_to_y(hr)[3:-3, 3:-3] * 255
    y_up = rgb_to_y(up)[3:-3, 3:-3] * 255
    reference = structural_similarity(y_hr, y_up, gaussian_weights=True, sigma=1.5,
                                      use_sample_covariance=False, data_range=255)
    value = ssim(hr, up, crop_border=3, y_channel=True)
    assert value == pytest.approx(reference, abs=1e-9)
    assert 0.5 < value < 0.99
    # uint8 input reads the same (up to the float32 rounding of k / 255)
    hr_u8, up_u8 = (np.rint(a * 255).astype(np.uint8) for a in (hr, up))
    assert ssim(hr_u8, up_u8, crop_border=3, y_channel=True) == pytest.approx(value, abs=1e-6)


def test_ssim_identical_is_one(photo):
    assert ssim(photo, photo) == pytest.approx(1.0, abs=1e-12)
    assert ssim(photo, photo, y_channel=True, crop_border=4) == pytest.approx(1.0, abs=1e-12)


def test_skimage_default_ssim_overestimates(bicubic_x3):
    hr, up = bicubic_x3
    y_hr = rgb_to_y(hr)[3:-3, 3:-3] * 255
    y_up = rgb_to_y(up)[3:-3, 3:-3] * 255
    default = structural_similarity(y_hr, y_up, data_range=255)  # 7×7 uniform, sample covariance
    value = ssim(hr, up, crop_border=3, y_channel=True)
    assert default - value > 0.005  # CONVENTIONS: defaults overestimate by 0.007–0.018


def test_ssim_color_is_mean_over_channels(photo):
    other = degrade.gaussian_blur(photo, 1.2)
    per_channel = [ssim(photo[..., c], other[..., c]) for c in range(3)]
    assert ssim(photo, other) == pytest.approx(np.mean(per_channel), abs=1e-12)


# ---------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------


def test_shape_mismatch_names_both_shapes(photo):
    with pytest.raises(ValueError, match=r"\(96, 96, 3\).*\(95, 96, 3\)"):
        psnr(photo, photo[:95])
    with pytest.raises(ValueError, match=r"\(96, 96\).*\(96, 96, 3\)"):
        ssim(photo[..., 0], photo)


def test_mixed_dtypes_are_rejected(photo_u8, photo):
    with pytest.raises(TypeError, match="uint8"):
        psnr(photo_u8, photo)
    with pytest.raises(TypeError, match="uint8"):
        ssim(photo, photo_u8)


def test_float_out_of_range_and_nan(photo):
    with pytest.raises(ValueError, match=r"outside \[0, 1\]"):
        psnr(photo * 255, photo)
    with pytest.raises(ValueError, match=r"outside \[0, 1\]"):
        psnr(photo, photo - 0.5)
    bad = photo.copy()
    bad[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        psnr(photo, bad)
    with pytest.raises(ValueError, match="NaN"):
        ssim(bad, photo)


def test_crop_border_errors(photo):
    with pytest.raises(ValueError, match="leaves nothing"):
        psnr(photo, photo, crop_border=48)
    with pytest.raises(ValueError, match="crop_border"):
        psnr(photo, photo, crop_border=-1)
    with pytest.raises(ValueError, match="crop_border"):
        psnr(photo, photo, crop_border=2.5)


def test_data_range_255_on_unit_floats_is_refused(photo):
    other = degrade.gaussian_blur(photo, 1.0)
    with pytest.raises(ValueError, match="inflat"):
        psnr(photo, other, data_range=255)
    # a genuine 0–255 float image is fine with data_range=255
    other = other.astype(np.float64)
    assert psnr(photo * 255, other * 255, data_range=255) == pytest.approx(psnr(photo, other),
                                                                           abs=1e-9)


def test_ssim_needs_11x11_after_crop(photo):
    small = photo[:16, :16]
    assert ssim(small, small, crop_border=2) == pytest.approx(1.0)  # 12×12 is enough
    with pytest.raises(ValueError, match="11×11"):
        ssim(small, small, crop_border=3)  # 10×10 is not
    with pytest.raises(ValueError, match="11×11"):
        ssim(photo[:10, :40], photo[:10, :40])
