"""BT.601 YCbCr conversions agree with MATLAB's constants and with metrics.rgb_to_y."""

import numpy as np
import pytest

from srkit import color, data, metrics


def test_matlab_reference_values():
    # rgb2ycbcr(uint8([255 0 0; 0 0 0; 255 255 255])) in MATLAB
    rgb = np.array([[[255, 0, 0], [0, 0, 0], [255, 255, 255]]], np.uint8)
    expected = np.array([[[81.481, 90.203, 240.0], [16, 128, 128], [235, 128, 128]]]) / 255
    np.testing.assert_allclose(color.rgb_to_ycbcr(rgb), expected, atol=1e-9)


def test_luma_is_metrics_rgb_to_y_and_round_trips_on_a_photo():
    photo = data.load_bundled("coffee")
    ycc = color.rgb_to_ycbcr(photo)
    np.testing.assert_allclose(ycc[..., 0], metrics.rgb_to_y(photo), atol=1e-12)
    np.testing.assert_allclose(color.ycbcr_to_rgb(ycc), photo, atol=1e-6)


def test_replace_luma_keeps_colour_and_sets_y():
    photo = data.load_bundled("chelsea")
    y = metrics.rgb_to_y(photo)
    brighter = np.clip(y + 0.02, 0, 1)
    out = color.replace_luma(photo, brighter)
    assert out.dtype == np.float32 and out.shape == photo.shape
    inside = (out > 0.001).all(axis=2) & (out < 0.999).all(axis=2)  # not clipped
    np.testing.assert_allclose(metrics.rgb_to_y(out)[inside], brighter[inside], atol=1e-6)
    np.testing.assert_allclose(color.rgb_to_ycbcr(out)[..., 1:][inside],
                               color.rgb_to_ycbcr(photo)[..., 1:][inside], atol=1e-6)


def test_gray_input_is_refused_with_a_hint():
    with pytest.raises(ValueError, match="H×W×3"):
        color.rgb_to_ycbcr(np.zeros((4, 4), np.float32))
