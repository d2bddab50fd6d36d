"""The patch pipeline: aligned LR/HR patches, both geometries, augmentation, determinism."""

import numpy as np
import pytest

from srkit import data, degrade, metrics, patches


def _block_mean(hr: np.ndarray, f: int) -> np.ndarray:
    h, w, c = hr.shape
    return hr.reshape(h // f, f, w // f, f, c).mean(axis=(1, 3))


@pytest.fixture(scope="module")
def photo():
    """A real photograph of the training split, cropped small so searches are cheap."""
    return data.load_bundled("motorcycle_left")[100:196, 200:320]


def _batches(ds, n):
    return [(a.numpy(), b.numpy()) for a, b in ds.take(n)]


def test_make_pairs_uses_the_evaluation_degradation(photo):
    (lr, hr), = patches.make_pairs([("m", photo)], 3, upsample=True, channels="y")
    ref_lr, ref_hr = degrade.make_lr(photo, 3, upsample=True)
    assert lr.shape == hr.shape == (96, 120, 1) and lr.dtype == np.float32
    np.testing.assert_allclose(lr[..., 0], metrics.rgb_to_y(ref_lr), atol=1e-6)
    np.testing.assert_allclose(hr[..., 0], metrics.rgb_to_y(ref_hr), atol=1e-6)


def test_make_pairs_post_upsampling_rgb(photo):
    (lr, hr), = patches.make_pairs([photo], 4, upsample=False, channels="rgb")
    assert lr.shape == (24, 30, 3) and hr.shape == (96, 120, 3)
    assert patches.pair_factor([(lr, hr)]) == 4


def test_make_pairs_rejects_unknown_channels(photo):
    with pytest.raises(ValueError, match="channels"):
        patches.make_pairs([photo], 3, channels="ycbcr")


@pytest.mark.parametrize("upsample", [True, False])
def test_grid_patches_come_from_the_same_place(photo, upsample):
    pairs = patches.make_pairs([photo], 3, upsample=upsample, channels="rgb")
    inputs, targets = patches.grid_patches(pairs, 33, 15)
    lr, hr = pairs[0]
    f = 1 if upsample else 3
    assert inputs.shape[1] == 33 // f and targets.shape[1] == 33
    per_row = (lr.shape[1] - 33 // f) // (15 // f) + 1
    for k in (0, 1, per_row, len(inputs) - 1):
        i, j = (k // per_row) * 15, (k % per_row) * 15
        np.testing.assert_array_equal(targets[k], hr[i:i + 33, j:j + 33])
        np.testing.assert_array_equal(inputs[k], lr[i // f:(i + 33) // f, j // f:(j + 33) // f])


def test_grid_patches_reject_a_stride_off_the_lr_grid(photo):
    pairs = patches.make_pairs([photo], 3, upsample=False)
    with pytest.raises(ValueError, match="multiple of the scale"):
        patches.grid_patches(pairs, 33, 14)


@pytest.mark.parametrize("stride", [None, 12])
@pytest.mark.parametrize("factor", [1, 4])
def test_augmented_patches_stay_aligned(stride, factor):
    """Target = block mean of the input at any position, rotation and flip.

    The block mean commutes with the eight flips/rotations of a block-aligned
    patch, so any misalignment between input and target breaks the equality.
    """
    rng = np.random.default_rng(0)
    pairs = []
    for h, w in [(96, 64), (48, 120)]:
        hr = rng.uniform(0, 1, (h, w, 2)).astype(np.float32)
        lr = _block_mean(hr, factor) if factor > 1 else hr + 0.5
        pairs.append((lr.astype(np.float32), hr))
    ds = patches.patch_dataset(pairs, 24, stride=stride, batch_size=8, seed=3)
    seen_turns = set()
    for lr, hr in _batches(ds, 6):
        assert lr.shape == (8, 24 // factor, 24 // factor, 2) and hr.shape == (8, 24, 24, 2)
        expected = np.stack([_block_mean(p, factor) for p in hr]) if factor > 1 else hr + 0.5
        np.testing.assert_allclose(lr, expected, atol=1e-6)
        for p in hr:  # which of the eight transforms was applied, found by search
            for img_lr, img_hr in pairs:
                for k in range(4):
                    for flip in (False, True):
                        t = np.rot90(p, -k)
                        t = t[:, ::-1] if flip else t
                        if _contains(img_hr, t):
                            seen_turns.add((k, flip))
    assert len(seen_turns) >= 4  # augmentation really rotates and flips


def _contains(image, patch) -> bool:
    ph, pw = patch.shape[:2]
    if ph > image.shape[0] or pw > image.shape[1]:
        return False
    windows = np.lib.stride_tricks.sliding_window_view(image[..., 0], (ph, pw))
    return bool(np.any(np.all(np.abs(windows - patch[..., 0]) < 1e-7, axis=(2, 3))))


def test_random_patches_cover_positions_uniformly_and_exist_in_the_image(photo):
    pairs = patches.make_pairs([photo], 3, upsample=True, channels="y")
    lr_img, hr_img = pairs[0]
    ds = patches.patch_dataset(pairs, 33, batch_size=16, augment=False, seed=1)
    tops = []
    windows = np.lib.stride_tricks.sliding_window_view(hr_img[..., 0], (33, 33))
    for lr, hr in _batches(ds, 4):
        for a, b in zip(lr, hr):
            hits = np.argwhere(np.all(windows == b[..., 0], axis=(2, 3)))
            assert len(hits) >= 1
            i, j = hits[0]
            np.testing.assert_array_equal(a, lr_img[i:i + 33, j:j + 33])
            tops.append(i)
    assert np.ptp(tops) > 30  # positions spread over the image


def test_same_seed_same_stream_other_seed_other_stream(photo):
    pairs = patches.make_pairs([photo], 3)
    one = _batches(patches.patch_dataset(pairs, 33, batch_size=4, seed=5), 2)
    two = _batches(patches.patch_dataset(pairs, 33, batch_size=4, seed=5), 2)
    other = _batches(patches.patch_dataset(pairs, 33, batch_size=4, seed=6), 2)
    for (a, b), (c, d) in zip(one, two):
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(b, d)
    assert not np.array_equal(one[0][1], other[0][1])


def test_finite_grid_dataset_has_a_length(photo):
    pairs = patches.make_pairs([photo], 3)
    inputs, _ = patches.grid_patches(pairs, 33, 15)
    ds = patches.patch_dataset(pairs, 33, stride=15, batch_size=4, repeat=False)
    assert int(ds.cardinality()) == len(inputs) // 4


def test_images_smaller_than_a_patch_are_refused():
    tiny = np.zeros((20, 20, 3), np.float32)
    pairs = patches.make_pairs([tiny], 2)
    with pytest.raises(ValueError, match="at least 33 pixels"):
        patches.patch_dataset(pairs, 33)


def test_training_pairs_never_contain_test_pixels():
    """The bundled train and test splits share no image (checked by content)."""
    train = data.load_split("train")
    test = data.load_split("test")
    data.assert_disjoint(train, test)  # passes
    with pytest.raises(ValueError, match="camera"):
        data.assert_disjoint(train + [("renamed", test[1][1])], test)


def test_min_std_skips_flat_patches_in_both_modes():
    rng = np.random.default_rng(0)
    hr = np.zeros((64, 128, 1), np.float32)
    hr[:, 64:] = rng.uniform(0, 1, (64, 64, 1))  # left half flat, right half textured
    pairs = [(hr.copy(), hr)]
    _, targets = patches.grid_patches(pairs, 16, 16, min_std=0.05)
    assert len(targets) == 16 and all(t.std() >= 0.05 for t in targets)
    for lr, tgt in _batches(patches.patch_dataset(pairs, 16, batch_size=8, min_std=0.05), 3):
        assert all(t.std() >= 0.05 for t in tgt)


def test_grid_epochs_visit_every_patch_once_in_a_new_order():
    """One pass over a shuffled, repeated grid dataset is a permutation of the patches."""
    ids = np.arange(40, dtype=np.float32).reshape(40, 1, 1, 1) * np.ones((1, 4, 4, 1), np.float32)
    hr = np.concatenate(list(ids), axis=1)  # 4×160: patch k (stride 4) holds the value k
    pairs = [(np.ascontiguousarray(hr.reshape(4, 160, 1)), np.ascontiguousarray(hr.reshape(4, 160, 1)))]
    ds = patches.patch_dataset(pairs, 4, stride=4, batch_size=8, augment=False, seed=2)
    batches = [b.numpy()[:, 0, 0, 0] for _, b in ds.take(10)]  # 5 batches per epoch
    first, second = np.concatenate(batches[:5]), np.concatenate(batches[5:])
    assert sorted(first) == list(range(40)) and sorted(second) == list(range(40))
    assert not np.array_equal(first, second) and not np.array_equal(first, np.arange(40))


def test_all_eight_flips_and_rotations_equally_often():
    """The per-batch augmentation draws each dihedral transform with probability 1/8."""
    base = np.arange(9, dtype=np.float32).reshape(3, 3, 1)
    pairs = [(base.copy(), base.copy())]
    transforms = {}
    for k in range(4):
        for flip in (False, True):
            t = np.rot90(base, k)
            transforms[(np.fliplr(t) if flip else t).tobytes()] = (k, flip)
    ds = patches.patch_dataset(pairs, 3, stride=3, batch_size=1, seed=4)
    counts = {}
    for lr, hr in _batches(ds, 800):
        np.testing.assert_array_equal(lr, hr)  # input and target turned together
        key = transforms[np.ascontiguousarray(hr[0]).tobytes()]
        counts[key] = counts.get(key, 0) + 1
    assert len(counts) == 8 and min(counts.values()) > 60 and max(counts.values()) < 140


def test_make_pairs_on_the_srcnn_route_equals_the_benchmark_input(photo):
    from srkit import evaluate

    (x, y), = patches.make_pairs([photo], 3, upsample=True, channels="y", route="srcnn")
    lr, ref = evaluate.route_pair(photo, 3, "srcnn")
    np.testing.assert_allclose(x[..., 0], evaluate.bicubic(lr, 3), atol=1e-6)
    np.testing.assert_array_equal(y[..., 0], (ref / 255.0).astype(np.float32))
    small, _ = patches.make_pairs([photo], 3, upsample=False, route="srcnn")[0]
    assert small.shape == (32, 40, 1)
    with pytest.raises(ValueError, match="channels='y'"):
        patches.make_pairs([photo], 3, channels="rgb", route="srcnn")
    with pytest.raises(ValueError, match="unknown route"):
        patches.make_pairs([photo], 3, route="opencv")
