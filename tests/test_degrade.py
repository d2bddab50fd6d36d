"""Tests for srkit.degrade: MATLAB imresize conformance, LR/HR pairs, blur, noise, JPEG.

The expected numbers come from outside the code under test: the cubic kernel's
definition worked out by hand, an independent re-implementation of MATLAB's
two-pass uint8 recipe, TensorFlow, Pillow, OpenCV and SciPy.
"""

import math
from functools import partial

import cv2
import numpy as np
import pytest
from PIL import Image
from scipy import ndimage
from scipy.signal.windows import gaussian as gaussian_window
from skimage import data as skdata

from srkit import data, metrics
from srkit.degrade import (
    METHODS,
    add_gaussian_noise,
    bilateral_blur,
    box_blur,
    box_kernel,
    compose,
    convolve,
    cubic,
    gaussian_blur,
    gaussian_kernel,
    imresize,
    jpeg_compress,
    make_lr,
    median_blur,
    modcrop,
    motion_blur,
    motion_kernel,
    resize_weights,
    upscale,
)

# ---------------------------------------------------------------------------
# fixtures and independent helpers
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def photo_u8():
    """96×96 uint8 RGB crop of a real photograph (cat fur: lots of detail)."""
    return np.ascontiguousarray(skdata.chelsea()[50:146, 100:196])


@pytest.fixture(scope="module")
def photo(photo_u8):
    return photo_u8.astype(np.float32) / np.float32(255.0)


@pytest.fixture(scope="module")
def gray_photo():
    """96×96 float32 grayscale crop (camera man)."""
    return skdata.camera()[150:246, 200:296].astype(np.float32) / np.float32(255.0)


@pytest.fixture(scope="module")
def tf():
    from srkit.notebook import import_tensorflow

    return import_tensorflow()


@pytest.fixture(scope="module")
def test_split_u8():
    """The bundled test split as uint8 RGB arrays."""
    return [(name, np.rint(im * 255).astype(np.uint8)) for name, im in data.load_split("test")]


def keys(x, a=-0.5):
    """Keys (1981) cubic convolution kernel, written out from its piecewise definition."""
    x = abs(float(x))
    if x <= 1:
        return (a + 2) * x**3 - (a + 3) * x**2 + 1
    if x < 2:
        return a * x**3 - 5 * a * x**2 + 8 * a * x - 4 * a
    return 0.0


def dense(weights, indices, n_in):
    """Turn (weights, indices) into the dense out×in resampling matrix."""
    mat = np.zeros((weights.shape[0], n_in))
    rows = np.repeat(np.arange(weights.shape[0])[:, None], weights.shape[1], axis=1)
    np.add.at(mat, (rows, indices), weights)
    return mat


def round_half_away(x):
    return np.where(x >= 0, np.floor(x + 0.5), -np.floor(-x + 0.5))


def matlab_pass_u8(array, axis, out_len, scale):
    """One MATLAB imresize pass on uint8 data: 1-D weights, round half away, clip."""
    w, idx = resize_weights(array.shape[axis], out_len, scale)
    src = np.moveaxis(array.astype(np.float64), axis, 0)
    out = np.einsum("op,op...->o...", w, src[idx])
    out = np.clip(round_half_away(out), 0, 255)
    return np.moveaxis(out, 0, axis).astype(np.uint8)


def pil_resize_float(image, size_wh):
    """Pillow BICUBIC on each channel as a 32-bit float ('F' mode) image."""
    chans = []
    for c in range(image.shape[2]):
        im = Image.fromarray(np.ascontiguousarray(image[..., c], dtype=np.float32))
        assert im.mode == "F"
        chans.append(np.asarray(im.resize(size_wh, Image.BICUBIC), dtype=np.float64))
    return np.stack(chans, axis=-1)


def psnr_db(a, b):
    """PSNR of two float arrays in [0, 1], straight from the definition."""
    diff = np.asarray(a, np.float64) - np.asarray(b, np.float64)
    return 10 * np.log10(1.0 / np.mean(diff**2))


# ---------------------------------------------------------------------------
# the cubic kernel
# ---------------------------------------------------------------------------


def test_cubic_kernel_hand_values():
    # interpolating: 1 at 0, 0 at the other integers
    np.testing.assert_array_equal(cubic(np.array([0.0, 1.0, -1.0, 2.0, -2.0, 2.5, -3.0])),
                                  [1, 0, 0, 0, 0, 0, 0])
    # a = -0.5: 1.5·0.125 − 2.5·0.25 + 1 = 0.5625
    assert cubic(0.5) == pytest.approx(0.5625, abs=1e-15)
    assert cubic(-0.5) == pytest.approx(0.5625, abs=1e-15)
    # a = -0.75 (OpenCV): 1.25·0.125 − 2.25·0.25 + 1 = 0.59375
    assert cubic(0.5, a=-0.75) == pytest.approx(0.59375, abs=1e-15)
    # outer lobe, a = -0.5: −0.5·3.375 + 2.5·2.25 − 4·1.5 + 2 = −0.0625
    assert cubic(1.5) == pytest.approx(-0.0625, abs=1e-15)
    xs = np.linspace(-2.5, 2.5, 101)
    np.testing.assert_allclose(cubic(xs), [keys(x) for x in xs], atol=1e-14)
    np.testing.assert_allclose(cubic(xs, a=-0.75), [keys(x, -0.75) for x in xs], atol=1e-14)


# ---------------------------------------------------------------------------
# resize_weights: MATLAB's contributions()
# ---------------------------------------------------------------------------


def test_resize_weights_matlab_half_scale_first_row():
    w, idx = resize_weights(8, 4, 0.5)
    expected = [-0.01171875, -0.03515625, 0.11328125, 0.43359375,
                0.43359375, 0.11328125, -0.03515625, -0.01171875]
    np.testing.assert_allclose(w[0], expected, atol=1e-12)
    # symmetric border: ..., 3, 2, 1, [1, 2, ...] (1-based), so the edge pixel repeats
    np.testing.assert_array_equal(idx[0], [2, 1, 0, 0, 1, 2, 3, 4])
    # and the same numbers from the stretched kernel: 0.5·cubic(0.5·d), d = 3.5 … −3.5
    by_hand = np.array([0.5 * keys(0.5 * d) for d in np.arange(3.5, -4, -1)])
    np.testing.assert_allclose(w[0], by_hand / by_hand.sum(), atol=1e-12)
    # the last row mirrors the first (symmetry of the coordinate map)
    np.testing.assert_allclose(w[-1], expected, atol=1e-12)
    np.testing.assert_array_equal(idx[-1], [3, 4, 5, 6, 7, 7, 6, 5])


@pytest.mark.parametrize("scale", [1 / 2, 1 / 3, 1 / 4, 2, 3, 4])
def test_resize_weights_rows_sum_to_one(scale):
    n_in = 36
    n_out = int(round(n_in * scale))
    w, idx = resize_weights(n_in, n_out, scale)
    assert w.shape[0] == n_out and idx.shape == w.shape
    np.testing.assert_allclose(w.sum(axis=1), 1.0, atol=1e-12)
    assert idx.min() >= 0 and idx.max() <= n_in - 1
    # kernel support: 4 input pixels when upscaling, stretched to 4/scale when downscaling
    assert w.shape[1] <= (4 if scale > 1 else int(round(4 / scale)))
    assert np.all(np.any(w != 0, axis=0))  # no all-zero tap columns are kept


def test_resize_weights_upscale_x2_are_cubic_at_quarter_offsets():
    n_in, scale = 10, 2
    w, idx = resize_weights(n_in, n_in * scale, scale)
    # cubic(±0.25), cubic(±0.75), cubic(±1.25), cubic(±1.75) for a = -0.5, worked by hand
    c025, c075, c125, c175 = 111 / 128, 29 / 128, -9 / 128, -3 / 128
    by_formula = (keys(0.25), keys(0.75), keys(1.25), keys(1.75))
    assert by_formula == pytest.approx((c025, c075, c125, c175))
    assert c025 + c075 + c125 + c175 == pytest.approx(1.0)

    def mirror(k):  # 1-based symmetric extension: 0 -> 1, -1 -> 2, n+1 -> n
        if k < 1:
            return 1 - k
        if k > n_in:
            return 2 * n_in + 1 - k
        return k

    expected = np.zeros((n_in * scale, n_in))
    for x in range(1, n_in * scale + 1):  # 1-based output index
        u = x / scale + 0.5 * (1 - 1 / scale)  # MATLAB's source coordinate
        for k in range(math.floor(u) - 1, math.floor(u) + 3):
            expected[x - 1, mirror(k) - 1] += keys(u - k)
    got = dense(w, idx, n_in)
    np.testing.assert_allclose(got, expected, atol=1e-12)
    # interior rows are exactly the four hand values, in alternating order
    # output 6 (1-based) sits at u = 3.25: distances 1.25, 0.25, -0.75, -1.75 to inputs 2..5
    np.testing.assert_allclose(got[5, 1:5], [c125, c025, c075, c175], atol=1e-12)
    # output 7 sits at u = 3.75: distances 1.75, 0.75, -0.25, -1.25 to inputs 2..5
    np.testing.assert_allclose(got[6, 1:5], [c175, c075, c025, c125], atol=1e-12)
    # border row: u = 0.75 uses input pixels 1, 0, 0, 1 (0-based)
    np.testing.assert_array_equal(idx[0], [1, 0, 0, 1])


# ---------------------------------------------------------------------------
# imresize: sizes, values, symmetry
# ---------------------------------------------------------------------------


def test_output_size_is_ceil_and_exact_for_thirds():
    assert imresize(np.zeros((255, 255), np.uint8), 1 / 3).shape == (85, 85)
    for n in range(3, 1200, 3):  # 1/3 is not exact in floating point; no off-by-one allowed
        assert imresize(np.zeros((n, 3), np.uint8), 1 / 3).shape == (n // 3, 1), n
    for n in range(4, 400, 4):
        assert imresize(np.zeros((n, 4), np.uint8), 1 / 4).shape == (n // 4, 1), n
    # ceil for sizes that do not divide
    assert imresize(np.zeros((100, 7), np.uint8), 1 / 3).shape == (34, 3)
    assert imresize(np.zeros((7, 9, 3), np.float32), 0.5).shape == (4, 5, 3)
    assert imresize(np.zeros((5, 6), np.float32), 3).shape == (15, 18)


def test_output_shape_argument(photo):
    out = imresize(photo, output_shape=(50, 70))
    assert out.shape == (50, 70, 3) and out.dtype == np.float32
    # an output_shape equal to the scaled size gives the same result as the scale
    np.testing.assert_allclose(imresize(photo, output_shape=(32, 32)), imresize(photo, 1 / 3),
                               atol=1e-7)


@pytest.mark.parametrize("scale", [1 / 2, 1 / 3, 1 / 4, 2, 3])
def test_constant_image_stays_constant(scale):
    u8 = np.full((24, 36, 3), 77, np.uint8)
    out = imresize(u8, scale)
    assert out.dtype == np.uint8 and np.all(out == 77)
    f = np.full((24, 36), 0.3, np.float32)
    np.testing.assert_allclose(imresize(f, scale), 0.3, atol=1e-6)


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_upscaling_reproduces_a_linear_ramp_in_the_interior(scale):
    n = 20
    r = np.arange(1, n + 1)[:, None]  # 1-based row and column coordinates
    c = np.arange(1, n + 1)[None, :]
    image = (0.01 * r + 0.03 * c) / 1.0  # values in [0.04, 0.8]
    out = imresize(image.astype(np.float64), scale, clip=False)
    x = np.arange(1, n * scale + 1)
    u = x / scale + 0.5 * (1 - 1 / scale)  # MATLAB's source coordinate of each output sample
    expected = 0.01 * u[:, None] + 0.03 * u[None, :]
    m = 2 * scale  # skip the border, where the symmetric padding bends the ramp
    np.testing.assert_allclose(out[m:-m, m:-m], expected[m:-m, m:-m], atol=2e-6)


@pytest.mark.parametrize("scale", [1 / 2, 1 / 3, 1 / 4, 2, 3])
def test_flipping_the_input_flips_the_output(photo, scale):
    out = imresize(photo, scale)
    np.testing.assert_allclose(imresize(photo[::-1], scale), out[::-1], atol=2e-6)
    np.testing.assert_allclose(imresize(photo[:, ::-1], scale), out[:, ::-1], atol=2e-6)


@pytest.mark.parametrize("s", [2, 3, 4])
def test_uint8_is_rows_first_with_rounding_after_each_pass(photo_u8, s):
    h, w = photo_u8.shape[0] // s, photo_u8.shape[1] // s
    reference = matlab_pass_u8(matlab_pass_u8(photo_u8, 0, h, 1 / s), 1, w, 1 / s)
    out = imresize(photo_u8, 1 / s)
    assert out.dtype == np.uint8 and out.shape == (h, w, 3)
    np.testing.assert_array_equal(out, reference)
    # the order is pinned: resizing columns first gives other pixels
    columns_first = matlab_pass_u8(matlab_pass_u8(photo_u8, 1, w, 1 / s), 0, h, 1 / s)
    assert np.mean(columns_first != reference) > 0.05
    # and so is the rounding between the passes
    wr, ir = resize_weights(photo_u8.shape[0], h, 1 / s)
    wc, ic = resize_weights(photo_u8.shape[1], w, 1 / s)
    rows = np.einsum("op,op...->o...", wr, photo_u8.astype(np.float64)[ir])
    both = np.einsum("op,hop...->ho...", wc, rows[:, ic])
    no_mid_round = np.clip(round_half_away(both), 0, 255).astype(np.uint8)
    assert np.mean(no_mid_round != reference) > 0.02


def test_unequal_scales_resize_the_smaller_scale_first_like_matlab(photo_u8):
    # MATLAB's imresize.m, dimensionOrder(): "perform the resize first along the dimension
    # with the smallest scale factor" ([~, order] = sort(scale); stable, so rows first on ties).
    # output_shape (48, 32) on 96×96 gives scales 1/2 for rows and 1/3 for columns.
    matlab_order = matlab_pass_u8(matlab_pass_u8(photo_u8, 1, 32, 1 / 3), 0, 48, 1 / 2)
    rows_first = matlab_pass_u8(matlab_pass_u8(photo_u8, 0, 48, 1 / 2), 1, 32, 1 / 3)
    assert np.mean(matlab_order != rows_first) > 0.05  # the order shows in the pixels
    out = imresize(photo_u8, output_shape=(48, 32))
    np.testing.assert_array_equal(out, matlab_order)


def test_other_matlab_kernels_by_hand():
    # nearest ×2 repeats every pixel; bilinear ×1/2 (antialiased) averages with 1/8, 3/8, 3/8, 1/8
    x = np.arange(1, 9, dtype=np.float64)[None, :] / 10
    np.testing.assert_allclose(imresize(x, 2, method="nearest"),
                               np.repeat(np.repeat(x, 2, 0), 2, 1), atol=1e-7)
    w, idx = resize_weights(8, 4, 0.5, "bilinear")
    np.testing.assert_allclose(w[1], [1 / 8, 3 / 8, 3 / 8, 1 / 8], atol=1e-12)
    np.testing.assert_array_equal(idx[1], [1, 2, 3, 4])
    w, idx = resize_weights(8, 4, 0.5, "bilinear", antialias=False)
    np.testing.assert_allclose(w[1], [0.5, 0.5], atol=1e-12)  # plain interpolation
    np.testing.assert_array_equal(idx[1], [2, 3])


def test_dtypes_and_clipping():
    step = np.zeros((12, 12), np.float32)
    step[:, 6:] = 1.0
    up = imresize(step, 3)
    assert up.dtype == np.float32 and up.min() == 0.0 and up.max() == 1.0
    raw = imresize(step, 3, clip=False)
    assert raw.dtype == np.float32
    assert raw.max() > 1.01 and raw.min() < -0.01  # the cubic kernel overshoots at edges
    np.testing.assert_allclose(np.clip(raw, 0, 1), up, atol=1e-7)
    assert imresize(step.astype(np.float64), 1 / 2).dtype == np.float32
    u8 = (step * 255).astype(np.uint8)
    out = imresize(u8, 3)
    assert out.dtype == np.uint8 and out.max() == 255 and out.min() == 0  # saturated, not wrapped
    # uint8 and float agree up to the per-pass rounding
    assert np.abs(out / 255.0 - up).max() <= 2 / 255


# ---------------------------------------------------------------------------
# independent implementations: TensorFlow, Pillow, OpenCV
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("s", [2, 3, 4])
def test_float_downscale_matches_tensorflow_antialiased_bicubic(tf, photo, s):
    h, w = photo.shape[0] // s, photo.shape[1] // s
    ours = imresize(photo, 1 / s, clip=False).astype(np.float64)
    theirs = tf.image.resize(photo[None].astype(np.float64), (h, w), method="bicubic",
                             antialias=True).numpy()[0]
    c = 4
    np.testing.assert_allclose(ours[c:-c, c:-c], theirs[c:-c, c:-c], atol=1e-4)


@pytest.mark.parametrize("s", [2, 3, 4])
def test_float_downscale_matches_pillow_bicubic(photo, s):
    h, w = photo.shape[0] // s, photo.shape[1] // s
    ours = imresize(photo, 1 / s, clip=False).astype(np.float64)
    theirs = pil_resize_float(photo, (w, h))
    c = 4
    np.testing.assert_allclose(ours[c:-c, c:-c], theirs[c:-c, c:-c], atol=1e-4)


@pytest.mark.parametrize("s", [2, 3])
def test_float_upscale_matches_pillow_bicubic(photo, s):
    small = photo[:32, :40]
    ours = imresize(small, s, clip=False).astype(np.float64)
    theirs = pil_resize_float(small, (40 * s, 32 * s))
    c = 2 * s
    np.testing.assert_allclose(ours[c:-c, c:-c], theirs[c:-c, c:-c], atol=1e-4)


def _baseline_psnr(images, s, route):
    values = []
    for _, u8 in images:
        hr = modcrop(u8, s)
        h, w = hr.shape[:2]
        if route == "srkit":
            up, hr_f = make_lr(u8, s, upsample=True)
            up = np.rint(up * 255).astype(np.uint8)
            np.testing.assert_array_equal(np.rint(hr_f * 255), hr)
        elif route == "pil":
            pil = Image.fromarray(hr)
            lr = pil.resize((w // s, h // s), Image.BICUBIC)
            up = np.asarray(lr.resize((w, h), Image.BICUBIC))
        else:
            lr = imresize(hr, 1 / s, method="cv2_cubic")
            up = imresize(lr, output_shape=(h, w), method="cv2_cubic")
        values.append(metrics.psnr(hr, up, crop_border=s, y_channel=True))
    return float(np.mean(values))


def test_bicubic_baseline_agrees_with_pillow_and_not_with_opencv(test_split_u8):
    ours = {s: _baseline_psnr(test_split_u8, s, "srkit") for s in (2, 3, 4)}
    pil = {s: _baseline_psnr(test_split_u8, s, "pil") for s in (2, 3, 4)}
    cv = {s: _baseline_psnr(test_split_u8, s, "cv2") for s in (2, 3, 4)}
    for s in (2, 3, 4):
        assert abs(ours[s] - pil[s]) < 0.02, (s, ours[s], pil[s])
        assert 20 < ours[s] < 45
    # OpenCV INTER_CUBIC (a = -0.75, no antialiasing) is not the papers' bicubic; as on Set5
    # (CONVENTIONS: 34.45/29.64/27.69 vs MATLAB 33.66/30.39/28.42) it reads higher at ×2 and
    # clearly lower at ×3 and ×4
    assert ours[3] - cv[3] > 0.1 and ours[4] - cv[4] > 0.1, (ours, cv)
    assert cv[2] > ours[2], (ours, cv)


# ---------------------------------------------------------------------------
# modcrop, make_lr, upscale
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("s, shape", [(2, (300, 450)), (3, (300, 450)), (4, (300, 448))])
def test_modcrop_shapes(s, shape):
    image = np.random.default_rng(0).random((301, 451, 3)).astype(np.float32)
    out = modcrop(image, s)
    assert out.shape == shape + (3,)
    np.testing.assert_array_equal(out, image[: shape[0], : shape[1]])  # bottom/right removed
    assert modcrop(image[:, :, 0], s).shape == shape


@pytest.mark.parametrize("bad", [1, 0, 2.5, "3", True, -2])
def test_modcrop_rejects_bad_scales(bad):
    with pytest.raises(ValueError, match="integer ≥ 2"):
        modcrop(np.zeros((12, 12), np.float32), bad)


def test_modcrop_image_smaller_than_scale():
    with pytest.raises(ValueError, match="2×10"):
        modcrop(np.zeros((2, 10), np.float32), 3)


@pytest.mark.parametrize("s", [2, 3, 4])
def test_make_lr_shapes_and_values(photo_u8, s):
    hr_u8 = photo_u8[:95, :94]  # not multiples of 2, 3 or 4 everywhere
    lr, hr = make_lr(hr_u8, s)
    h, w = 95 - 95 % s, 94 - 94 % s
    assert hr.shape == (h, w, 3) and lr.shape == (h // s, w // s, 3)
    assert lr.dtype == np.float32 and hr.dtype == np.float32
    np.testing.assert_array_equal(np.rint(hr * 255), hr_u8[:h, :w])
    # the literature's LR: MATLAB imresize of the uint8 modcropped HR
    np.testing.assert_array_equal(np.rint(lr * 255), imresize(hr_u8[:h, :w], 1 / s))
    # quantized: exact multiples of 1/255
    np.testing.assert_allclose(lr * 255, np.rint(lr * 255), atol=1e-4)
    up, hr2 = make_lr(hr_u8, s, upsample=True)
    assert up.shape == hr.shape and up.dtype == np.float32
    np.testing.assert_array_equal(hr2, hr)
    np.testing.assert_allclose(up * 255, np.rint(up * 255), atol=1e-4)
    # a float image gives the same pair as its uint8 version
    lr_f, hr_f = make_lr(hr_u8.astype(np.float32) / np.float32(255), s, upsample=True)
    np.testing.assert_array_equal(lr_f, up)
    np.testing.assert_array_equal(hr_f, hr)


def test_make_lr_without_quantize_is_not_on_the_8bit_grid(photo):
    lr, _ = make_lr(photo, 3, quantize=False)
    assert np.abs(lr * 255 - np.rint(lr * 255)).max() > 0.1
    np.testing.assert_allclose(lr, imresize(photo, 1 / 3), atol=1e-7)


@pytest.mark.parametrize("method", METHODS)
def test_upscale_all_methods(method):
    lr = np.zeros((10, 12, 3), np.float32)
    lr[:, 6:] = 1.0  # a hard edge makes cubic and Lanczos kernels overshoot
    lr[3:5, 2:4] = 0.5
    for quantize in (True, False):
        out = upscale(lr, (23, 31), method=method, quantize=quantize)
        assert out.shape == (23, 31, 3) and out.dtype == np.float32
        assert out.min() >= 0.0 and out.max() <= 1.0
        assert out[:, -1].min() > 0.9 and out[:, 0].max() < 0.1  # an interpolation, not noise
    gray = upscale(lr[..., 0], (20, 24), method=method)
    assert gray.shape == (20, 24)


# ---------------------------------------------------------------------------
# imresize errors
# ---------------------------------------------------------------------------


def test_imresize_errors(photo):
    with pytest.raises(ValueError, match="bicubic.*cv2_cubic"):
        imresize(photo, 0.5, method="cubic")
    with pytest.raises(ValueError, match="exactly one"):
        imresize(photo, 0.5, output_shape=(10, 10))
    with pytest.raises(ValueError, match="exactly one"):
        imresize(photo)
    with pytest.raises(ValueError, match="positive"):
        imresize(photo, -0.5)
    with pytest.raises(ValueError, match="positive"):
        imresize(photo, 0)
    bad = photo.copy()
    bad[3, 3, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        imresize(bad, 0.5)
    with pytest.raises(ValueError, match=r"(?s)Clip.*divide by 255"):
        imresize(photo * 255, 0.5)
    with pytest.raises(ValueError, match="shape"):
        imresize(photo[None], 0.5)


# ---------------------------------------------------------------------------
# blur kernels and filters
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("sigma", [0.5, 1.0, 1.5, 2.2])
def test_gaussian_kernel(sigma):
    k = gaussian_kernel(sigma)
    size = 2 * math.ceil(3 * sigma) + 1
    assert k.shape == (size, size)
    assert k.sum() == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(k, k.T, atol=1e-15)
    np.testing.assert_allclose(k, k[::-1, ::-1], atol=1e-15)
    g = gaussian_window(size, std=sigma)  # SciPy's 1-D Gaussian window
    np.testing.assert_allclose(k, np.outer(g, g) / np.outer(g, g).sum(), atol=1e-12)
    r = np.arange(size) - size // 2  # and the 2-D density directly
    d = np.exp(-(r[:, None] ** 2 + r[None, :] ** 2) / (2 * sigma**2))
    np.testing.assert_allclose(k, d / d.sum(), atol=1e-12)
    assert np.argmax(k) == k.size // 2
    assert gaussian_kernel(1.0, size=3).shape == (3, 3)


@pytest.mark.parametrize("sigma", [1.0, 1.5, 2.0])
def test_gaussian_blur_matches_scipy_and_opencv(photo, sigma):
    out = gaussian_blur(photo, sigma)
    assert out.shape == photo.shape and out.dtype == np.float32
    radius = math.ceil(3 * sigma)
    sp = ndimage.gaussian_filter(photo.astype(np.float64), sigma=(sigma, sigma, 0),
                                 radius=(radius, radius, 0))
    cv = cv2.GaussianBlur(photo, (2 * radius + 1, 2 * radius + 1), sigma)
    c = radius
    np.testing.assert_allclose(out[c:-c, c:-c], sp[c:-c, c:-c], atol=1e-5)
    np.testing.assert_allclose(out[c:-c, c:-c], cv[c:-c, c:-c], atol=1e-5)


@pytest.mark.parametrize("size", [3, 5])
def test_box_blur_matches_opencv(photo, size):
    out = box_blur(photo, size)
    np.testing.assert_allclose(box_kernel(size), np.ones((size, size)) / size**2)
    c = size // 2
    np.testing.assert_allclose(out[c:-c, c:-c], cv2.blur(photo, (size, size))[c:-c, c:-c],
                               atol=1e-6)


def test_motion_kernels():
    k0 = motion_kernel(9, 0)
    expected = np.zeros((9, 9))
    expected[4, :] = 1 / 9
    np.testing.assert_allclose(k0, expected, atol=1e-15)
    np.testing.assert_allclose(motion_kernel(9, 90), expected.T, atol=1e-15)
    k45 = motion_kernel(9, 45)
    assert k45.sum() == pytest.approx(1.0)
    rr, cc = np.nonzero(k45)  # counter-clockwise: a line from bottom-left to top-right
    assert np.all(rr + cc == 8) and k45[2, 6] > 0 and k45[6, 2] > 0
    # horizontal motion leaves a horizontal edge alone and smears a vertical one
    img = np.zeros((30, 30), np.float32)
    img[15:, :] = 1.0
    np.testing.assert_allclose(motion_blur(img, 9, 0), img, atol=1e-6)
    assert not np.allclose(motion_blur(img, 9, 90), img, atol=1e-3)


def test_convolve_is_true_convolution():
    kernel = np.arange(1, 16, dtype=np.float64).reshape(3, 5) / 200.0  # asymmetric, odd sizes
    impulse = np.zeros((21, 23), np.float32)
    impulse[10, 11] = 1.0
    out = convolve(impulse, kernel)
    # an impulse reproduces the kernel itself, not its mirror image (that would be correlation)
    np.testing.assert_allclose(out[9:12, 9:14], kernel, atol=1e-7)
    out[9:12, 9:14] = 0
    assert np.abs(out).max() == 0


def test_convolve_matches_scipy_with_symmetric_borders(gray_photo):
    rng = np.random.default_rng(1)
    kernel = rng.random((5, 3))
    kernel /= kernel.sum()
    out = convolve(gray_photo, kernel)
    # scipy's "reflect" is the symmetric extension (edge pixel repeated), as the docstring says
    expected = ndimage.convolve(gray_photo.astype(np.float64), kernel, mode="reflect")
    np.testing.assert_allclose(out, expected, atol=1e-6)


def test_median_blur_matches_scipy_and_removes_salt(photo):
    out = median_blur(photo, 3)
    np.testing.assert_array_equal(out, ndimage.median_filter(photo, size=(3, 3, 1), mode="reflect"))
    flat = np.full((40, 40), 0.5, np.float32)
    salty = flat.copy()
    rng = np.random.default_rng(0)
    rows, cols = rng.choice(np.arange(2, 38, 4), 9), rng.choice(np.arange(2, 38, 4), 9)
    salty[rows, cols] = 1.0  # isolated salt pixels
    np.testing.assert_array_equal(median_blur(salty, 3), flat)
    assert not np.array_equal(gaussian_blur(salty, 1.0), flat)  # a linear filter only spreads it


def test_bilateral_keeps_edges_sharper_than_gaussian():
    rng = np.random.default_rng(0)
    step = np.full((64, 64), 0.2, np.float32)
    step[:, 32:] = 0.8
    noisy = np.clip(step + rng.normal(0, 0.02, step.shape).astype(np.float32), 0, 1)
    bil = bilateral_blur(noisy, 9, 0.1, 3.0)
    gau = gaussian_blur(noisy, 1.5)
    flat_bil, flat_gau = bil[:, 5:25].std(), gau[:, 5:25].std()
    assert flat_bil < 0.5 * noisy[:, 5:25].std() and flat_gau < 0.5 * noisy[:, 5:25].std()
    assert flat_bil < 1.5 * flat_gau  # comparable smoothing of the flat noise ...
    edge_bil = np.abs(np.diff(bil[10:54], axis=1)).max(axis=1).mean()
    edge_gau = np.abs(np.diff(gau[10:54], axis=1)).max(axis=1).mean()
    assert edge_bil > 0.5 and edge_bil > 3 * edge_gau  # ... but a far sharper edge
    with pytest.raises(ValueError, match="> 0"):
        bilateral_blur(noisy, 9, 0.0, 3.0)


# ---------------------------------------------------------------------------
# noise, JPEG, compose
# ---------------------------------------------------------------------------


def test_gaussian_noise():
    grey = np.full((128, 128), 0.5, np.float32)
    a = add_gaussian_noise(grey, 0.05, seed=7)
    np.testing.assert_array_equal(a, add_gaussian_noise(grey, 0.05, seed=7))
    assert not np.array_equal(a, add_gaussian_noise(grey, 0.05, seed=8))
    assert a.dtype == np.float32 and a.shape == grey.shape
    assert np.std(a - grey) == pytest.approx(0.05, rel=0.03)
    assert np.mean(a) == pytest.approx(0.5, abs=0.003)
    heavy = add_gaussian_noise(grey, 0.5, seed=0)
    assert heavy.min() == 0.0 and heavy.max() == 1.0  # clipped, both ends reached
    np.testing.assert_array_equal(add_gaussian_noise(grey, 0.0, seed=0), grey)
    with pytest.raises(ValueError, match="sigma"):
        add_gaussian_noise(grey, -0.1)


def test_jpeg_quality_orders_psnr(photo):
    q95, q10 = jpeg_compress(photo, 95), jpeg_compress(photo, 10)
    assert q95.shape == photo.shape and q95.dtype == np.float32
    p95, p10 = psnr_db(photo, q95), psnr_db(photo, q10)
    assert np.isfinite(p95) and p95 > p10 + 5
    assert jpeg_compress(photo[..., 0], 50).shape == photo.shape[:2]
    for bad in (0, 101):
        with pytest.raises(ValueError, match="1..100"):
            jpeg_compress(photo, bad)


def test_compose_applies_left_to_right(photo):
    blur = partial(gaussian_blur, sigma=1.5)
    noise = partial(add_gaussian_noise, sigma=0.05, seed=3)
    noise_then_blur = compose(noise, blur)(photo)
    blur_then_noise = compose(blur, noise)(photo)
    np.testing.assert_array_equal(noise_then_blur, blur(noise(photo)))
    np.testing.assert_array_equal(blur_then_noise, noise(blur(photo)))
    assert np.abs(noise_then_blur - blur_then_noise).mean() > 0.01
    # blurring last removes most of the noise: smoother than noise added last
    roughness = [np.abs(np.diff(x, axis=1)).mean() for x in (noise_then_blur, blur_then_noise)]
    assert roughness[0] < roughness[1]


def test_bad_blur_inputs(photo):
    for call in (lambda: box_blur(photo, 4), lambda: gaussian_kernel(1.0, size=4),
                 lambda: motion_kernel(8), lambda: median_blur(photo, 2),
                 lambda: box_kernel(0)):
        with pytest.raises(ValueError, match="odd"):
            call()
    with pytest.raises(ValueError, match="odd sizes"):
        convolve(photo, np.ones((2, 2)) / 4)
    for sigma in (0, -1.0):
        with pytest.raises(ValueError, match="sigma"):
            gaussian_kernel(sigma)
        with pytest.raises(ValueError, match="sigma"):
            gaussian_blur(photo, sigma)
    with pytest.raises(ValueError, match="callable"):
        compose()
    with pytest.raises(ValueError, match="callable"):
        compose(gaussian_blur, "not a function")


def test_string_scale_is_rejected_with_a_clear_message(photo_u8):
    with pytest.raises(ValueError, match="scale must be a positive number"):
        imresize(photo_u8, "2")
