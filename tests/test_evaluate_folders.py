"""evaluate_folders pairs results with ground truths by name, on real images written to disk."""

import numpy as np
import pytest

from srkit import data, degrade, evaluate, io, metrics


def test_evaluate_folders_matches_in_memory_evaluation(tmp_path):
    hr_dir, sr_dir = tmp_path / "hr", tmp_path / "sr"
    expected = []
    for name in ("chelsea", "coffee"):
        hr = data.load_bundled(name)[:101, :151]  # not a multiple of 3: modcrop needed
        up, hr_c = degrade.make_lr(hr, 3, upsample=True)
        io.save_image(hr_dir / f"{name}.png", hr)
        io.save_image(sr_dir / f"{name}.png", up)
        expected.append(metrics.psnr(hr_c, up, crop_border=3, y_channel=True))
    table = evaluate.evaluate_folders(hr_dir, sr_dir, crop_border=3, method="bicubic")
    assert list(table["image"]) == ["chelsea", "coffee", "mean"]
    np.testing.assert_allclose(table["psnr"][:2], expected, atol=1e-9)
    assert table["method"].eq("bicubic").all()


def test_evaluate_folders_needs_a_ground_truth_for_each_result(tmp_path):
    image = data.load_bundled("camera")[:64, :64]
    io.save_image(tmp_path / "hr" / "camera.png", image)
    io.save_image(tmp_path / "sr" / "other.png", image)
    with pytest.raises(ValueError, match="'other' has no ground truth"):
        evaluate.evaluate_folders(tmp_path / "hr", tmp_path / "sr")


def test_evaluate_folders_rejects_sizes_that_are_not_a_modcrop(tmp_path):
    image = data.load_bundled("camera")
    io.save_image(tmp_path / "hr" / "camera.png", image[:96, :96])
    io.save_image(tmp_path / "sr" / "camera.png", image[:80, :80])
    with pytest.raises(ValueError, match=r"\(96, 96, 3\) and \(80, 80, 3\)"):
        evaluate.evaluate_folders(tmp_path / "hr", tmp_path / "sr", crop_border=3)
