"""Tests for srkit.io, on real photographs bundled with scikit-image."""

import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image
from skimage import data as skdata

from srkit.io import (IMAGE_EXTENSIONS, image_info, list_images, load_folder, load_image,
                      save_image)


@pytest.fixture(scope="module")
def astronaut():
    return skdata.astronaut()[100:228, 150:310]  # 128×160×3 uint8, non-square


@pytest.fixture(scope="module")
def camera():
    return skdata.camera()[200:296, 100:220]  # 96×120 uint8


@pytest.fixture(scope="module")
def chelsea():
    return skdata.chelsea()[50:170, 100:260]  # 120×160×3 uint8


def bt601(rgb_uint8):
    r, g, b = (rgb_uint8[..., i].astype(np.float64) / 255.0 for i in range(3))
    return 0.299 * r + 0.587 * g + 0.114 * b


# --- load_image: formats --------------------------------------------------------

@pytest.mark.parametrize("ext", [".png", ".bmp", ".tif", ".tiff", ".PNG"])
def test_lossless_formats_round_trip_exactly(tmp_path, astronaut, ext):
    path = tmp_path / f"astronaut{ext}"
    Image.fromarray(astronaut).save(path)
    img = load_image(path)
    assert img.dtype == np.float32 and img.shape == astronaut.shape
    assert 0.0 <= img.min() and img.max() <= 1.0
    np.testing.assert_array_equal(np.rint(img * 255).astype(np.uint8), astronaut)


def test_save_then_load_png_is_exact_and_accepts_str(tmp_path, chelsea):
    out = save_image(str(tmp_path / "chelsea.png"), chelsea)
    assert out == tmp_path / "chelsea.png" and isinstance(out, Path)
    np.testing.assert_array_equal(np.rint(load_image(str(out)) * 255), chelsea)


@pytest.mark.parametrize("ext", [".jpg", ".jpeg"])
def test_jpeg_round_trip_is_close(tmp_path, chelsea, ext):
    path = save_image(tmp_path / f"chelsea{ext}", chelsea)
    img = load_image(path)
    err = np.abs(img.astype(np.float64) - chelsea / 255.0)
    assert img.shape == chelsea.shape
    assert 0 < err.mean() < 0.01  # lossy, but quality 95


def test_gray_file_in_rgb_mode_has_three_equal_channels(tmp_path, camera):
    cv2.imwrite(str(tmp_path / "camera.png"), camera)
    img = load_image(tmp_path / "camera.png", mode="rgb")
    assert img.shape == camera.shape + (3,)
    for c in range(3):
        np.testing.assert_allclose(img[..., c], camera / 255.0, atol=1e-7)


def test_gray_file_in_gray_mode(tmp_path, camera):
    Image.fromarray(camera).save(tmp_path / "camera.bmp")
    img = load_image(tmp_path / "camera.bmp", mode="gray")
    assert img.shape == camera.shape and img.dtype == np.float32
    np.testing.assert_allclose(img, camera / 255.0, atol=1e-7)


def test_rgb_file_in_gray_mode_uses_bt601_luma_without_rounding(tmp_path, astronaut):
    Image.fromarray(astronaut).save(tmp_path / "a.png")
    img = load_image(tmp_path / "a.png", mode="gray")
    assert img.shape == astronaut.shape[:2] and img.dtype == np.float32
    # 1e-6 is far below the 0.5/255 error of an 8-bit conversion (e.g. PIL's "L").
    np.testing.assert_allclose(img, bt601(astronaut), atol=1e-6)


def test_16bit_gray_png_keeps_full_precision(tmp_path, camera):
    raw = camera.astype(np.uint16) * 257
    raw[0, 0], raw[0, 1], raw[0, 2] = 65535, 1000, 0  # 1000 is not k * 257
    cv2.imwrite(str(tmp_path / "g16.png"), raw)
    img = load_image(tmp_path / "g16.png", mode="gray")
    assert img.dtype == np.float32 and img.shape == raw.shape
    assert img[0, 0] == 1.0 and img[0, 2] == 0.0
    assert img[0, 1] == pytest.approx(1000 / 65535, abs=1e-8)
    np.testing.assert_array_equal(np.rint(img.astype(np.float64) * 65535), raw)
    np.testing.assert_allclose(load_image(tmp_path / "g16.png")[..., 1], img)


@pytest.mark.parametrize("ext", [".png", ".tif"])
def test_16bit_rgb_file_keeps_full_precision_and_channel_order(tmp_path, astronaut, ext):
    low_bits = np.random.default_rng(0).integers(0, 256, astronaut.shape)
    raw = (astronaut.astype(np.uint16) * 256 + low_bits).astype(np.uint16)
    cv2.imwrite(str(tmp_path / f"c16{ext}"), cv2.cvtColor(raw, cv2.COLOR_RGB2BGR))
    img = load_image(tmp_path / f"c16{ext}")
    assert img.dtype == np.float32 and img.shape == raw.shape
    np.testing.assert_array_equal(np.rint(img.astype(np.float64) * 65535), raw)
    gray = load_image(tmp_path / f"c16{ext}", mode="gray")
    expected = raw.astype(np.float64) / 65535 @ np.array([0.299, 0.587, 0.114])
    np.testing.assert_allclose(gray, expected, atol=1e-6)


def test_rgba_alpha_is_discarded_not_composited(tmp_path, astronaut):
    alpha = np.linspace(0, 255, astronaut.shape[1]).astype(np.uint8)
    rgba = np.dstack([astronaut, np.broadcast_to(alpha, astronaut.shape[:2])])
    Image.fromarray(rgba, mode="RGBA").save(tmp_path / "rgba.png")
    img = load_image(tmp_path / "rgba.png")
    assert img.shape == astronaut.shape
    np.testing.assert_array_equal(np.rint(img * 255), astronaut)


def test_gray_alpha_file_drops_alpha(tmp_path, camera):
    la = np.dstack([camera, np.full_like(camera, 7)])
    Image.fromarray(la, mode="LA").save(tmp_path / "la.png")
    img = load_image(tmp_path / "la.png", "gray")
    np.testing.assert_allclose(img, camera / 255.0, atol=1e-7)


def test_palette_image_decodes_to_palette_colours(tmp_path, chelsea):
    pal = Image.fromarray(chelsea).quantize(colors=16)
    assert pal.mode == "P"
    pal.save(tmp_path / "pal.png")
    lut = np.array(pal.getpalette(), dtype=np.uint8).reshape(-1, 3)
    expected = lut[np.asarray(pal)]
    np.testing.assert_array_equal(np.rint(load_image(tmp_path / "pal.png") * 255), expected)


def test_one_bit_image_loads_as_zero_and_one(tmp_path, camera):
    mask = camera > 128
    Image.fromarray(mask).save(tmp_path / "mask.png")
    assert Image.open(tmp_path / "mask.png").mode == "1"
    img = load_image(tmp_path / "mask.png", "gray")
    np.testing.assert_array_equal(img, mask.astype(np.float32))


@pytest.mark.parametrize("orientation, k", [(6, -1), (8, 1)])
def test_exif_orientation_is_applied(tmp_path, astronaut, orientation, k):
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(astronaut).save(tmp_path / "o.jpg", quality=95, exif=exif)
    img = load_image(tmp_path / "o.jpg")
    h, w = astronaut.shape[:2]
    assert img.shape == (w, h, 3)
    right = np.abs(img - np.rot90(astronaut, k) / 255.0).mean()
    wrong = np.abs(img - np.rot90(astronaut, -k) / 255.0).mean()
    assert right < 0.01 < wrong


def png_with_exif(path, orientation):
    """Insert an eXIf chunk (EXIF orientation tag) after the IHDR of the PNG at ``path``,
    as cameras and editors store it: the TIFF-style block without the "Exif\\0\\0" header."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    body = exif.tobytes()
    body = body[6:] if body.startswith(b"Exif\x00\x00") else body
    chunk = struct.pack(">I", len(body)) + b"eXIf" + body
    chunk += struct.pack(">I", zlib.crc32(b"eXIf" + body))
    data = Path(path).read_bytes()
    Path(path).write_bytes(data[:33] + chunk + data[33:])  # 8-byte signature + 25-byte IHDR


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_of_16bit_color_png_is_applied_like_8bit(tmp_path, astronaut,
                                                                  orientation):
    # OpenCV reads 16-bit colour files as stored; load_image must turn them upright as
    # Pillow's exif_transpose turns the same picture stored with 8 bits
    low_bits = np.random.default_rng(1).integers(0, 256, astronaut.shape)
    raw = (astronaut.astype(np.uint16) * 256 + low_bits).astype(np.uint16)
    cv2.imwrite(str(tmp_path / "c16.png"), cv2.cvtColor(raw, cv2.COLOR_RGB2BGR))
    png_with_exif(tmp_path / "c16.png", orientation)
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(astronaut).save(tmp_path / "c8.png", exif=exif)
    deep, flat = load_image(tmp_path / "c16.png"), load_image(tmp_path / "c8.png")
    assert deep.shape == flat.shape
    high_byte = np.floor(np.rint(deep.astype(np.float64) * 65535) / 256)
    np.testing.assert_array_equal(high_byte, np.rint(flat * 255))
    info = image_info(tmp_path / "c16.png")
    assert (info["height"], info["width"]) == deep.shape[:2]
    assert info["orientation"] == orientation and info["bits"] == 16


def test_image_info_reads_sizes_channels_and_depth(tmp_path, astronaut, camera):
    Image.fromarray(astronaut).save(tmp_path / "rgb.png")
    cv2.imwrite(str(tmp_path / "gray16.png"), camera.astype(np.uint16) * 257)
    Image.fromarray(camera).save(tmp_path / "gray.jpg", quality=95)
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(astronaut).save(tmp_path / "turned.jpg", quality=95, exif=exif)
    h, w = astronaut.shape[:2]
    expected = {"rgb.png": (w, h, 3, 8, "PNG", 1),
                "gray16.png": (camera.shape[1], camera.shape[0], 1, 16, "PNG", 1),
                "gray.jpg": (camera.shape[1], camera.shape[0], 1, 8, "JPEG", 1),
                "turned.jpg": (h, w, 3, 8, "JPEG", 6)}  # upright: width and height swapped
    for name, values in expected.items():
        info = image_info(tmp_path / name)
        got = tuple(info[k] for k in ("width", "height", "channels", "bits", "format",
                                      "orientation"))
        assert got == values, name
        image = load_image(tmp_path / name, "gray" if info["channels"] == 1 else "rgb")
        assert image.shape[:2] == (info["height"], info["width"])


def test_image_info_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.png"):
        image_info(tmp_path / "missing.png")
    with pytest.raises(IsADirectoryError):
        image_info(tmp_path)
    (tmp_path / "notes.png").write_text("this is not an image\n")
    with pytest.raises(ValueError, match=r"notes\.png.*could not be decoded as an image"):
        image_info(tmp_path / "notes.png")


# --- load_image: errors ---------------------------------------------------------

def test_missing_file_names_the_path(tmp_path):
    path = tmp_path / "nope" / "missing.png"
    with pytest.raises(FileNotFoundError, match="missing.png"):
        load_image(path)


def test_text_file_with_png_extension_is_reported(tmp_path):
    (tmp_path / "notes.png").write_text("this is not an image\n")
    with pytest.raises(ValueError, match=r"notes\.png.*could not be decoded as an image"):
        load_image(tmp_path / "notes.png")


def test_truncated_png_is_reported(tmp_path, astronaut):
    Image.fromarray(astronaut).save(tmp_path / "full.png")
    data = (tmp_path / "full.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"cut\.png.*could not be decoded"):
        load_image(tmp_path / "cut.png")


def test_folder_given_to_load_image(tmp_path):
    with pytest.raises(IsADirectoryError, match="load_folder"):
        load_image(tmp_path)


def test_bad_mode_lists_valid_modes(tmp_path, camera):
    Image.fromarray(camera).save(tmp_path / "c.png")
    with pytest.raises(ValueError, match=r"'rgb', 'gray'.*'RGB'"):
        load_image(tmp_path / "c.png", mode="RGB")


# --- save_image -------------------------------------------------------------------

def test_save_rounds_instead_of_truncating(tmp_path):
    values = np.array([[0.0, 0.6 / 255, 0.5, 0.502, 0.9999, 1.0]])
    save_image(tmp_path / "r.png", values)
    saved = np.asarray(Image.open(tmp_path / "r.png"))
    np.testing.assert_array_equal(saved, [[0, 1, 128, 128, 255, 255]])


def test_save_creates_parent_folders_and_squeezes_one_channel(tmp_path, camera):
    out = save_image(tmp_path / "a" / "b" / "cam.tif", camera[..., None] / 255.0)
    with Image.open(out) as img:
        assert img.mode == "L"
        np.testing.assert_array_equal(np.asarray(img), camera)


def test_save_bmp_and_jpeg_of_gray_image(tmp_path, camera):
    bmp = load_image(save_image(tmp_path / "c.BMP", camera), "gray")
    np.testing.assert_array_equal(np.rint(bmp * 255), camera)
    jpg = load_image(save_image(tmp_path / "c.jpg", camera), "gray")
    assert np.abs(jpg - camera / 255.0).mean() < 0.01


def test_save_nan_image_is_refused(tmp_path, astronaut):
    img = astronaut / 255.0
    img[3, 4, 1] = np.nan
    with pytest.raises(ValueError, match="NaN or inf"):
        save_image(tmp_path / "nan.png", img)
    assert not (tmp_path / "nan.png").exists()


def test_save_float_out_of_range_is_refused(tmp_path, astronaut):
    with pytest.raises(ValueError, match=r"outside \[0, 1\].*np\.clip"):
        save_image(tmp_path / "big.png", astronaut.astype(np.float32))


def test_save_unknown_extension_lists_supported(tmp_path, camera):
    with pytest.raises(ValueError, match=r"'\.webp'.*\.png, \.jpg, \.jpeg, \.bmp, \.tif, \.tiff"):
        save_image(tmp_path / "c.webp", camera)


def test_save_rgba_is_refused(tmp_path, astronaut):
    rgba = np.dstack([astronaut, astronaut[..., :1]])
    with pytest.raises(ValueError, match=r"image\[\.\.\., :3\]"):
        save_image(tmp_path / "rgba.png", rgba)


# --- load_folder / list_images -------------------------------------------------

@pytest.fixture
def folder(tmp_path, astronaut, camera, chelsea):
    root = tmp_path / "set"
    save_image(root / "b_camera.png", camera)
    save_image(root / "a_chelsea.JPG", chelsea)
    save_image(root / "c_astronaut.bmp", astronaut)
    save_image(root / ".hidden.png", camera)
    save_image(root / "sub" / "d_cam.tif", camera)
    save_image(root / ".git" / "e.png", camera)
    (root / "README.txt").write_text("not an image")
    (root / "scores.csv").write_text("1,2,3")
    return root


def test_load_folder_sorted_skips_hidden_and_non_images(folder, chelsea, camera):
    items = load_folder(folder)
    assert [name for name, _ in items] == ["a_chelsea", "b_camera", "c_astronaut"]
    assert items[0][1].shape == chelsea.shape  # JPEG, uppercase extension
    assert items[1][1].shape == camera.shape + (3,)
    assert all(img.dtype == np.float32 for _, img in items)


def test_load_folder_recursive_uses_relative_names_and_gray_mode(folder, camera):
    items = load_folder(str(folder), mode="gray", recursive=True)
    assert [name for name, _ in items] == ["a_chelsea", "b_camera", "c_astronaut", "sub/d_cam"]
    assert all(img.ndim == 2 for _, img in items)
    np.testing.assert_allclose(items[3][1], camera / 255.0, atol=1e-7)


def test_list_images_returns_sorted_paths(folder):
    paths = list_images(folder, recursive=True)
    assert paths[-1] == folder / "sub" / "d_cam.tif"
    assert all(p.suffix.lower() in IMAGE_EXTENSIONS for p in paths) and len(paths) == 4


def test_load_folder_empty_folder_lists_extensions(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    expected = r"contains no images with extensions \.png, \.jpg.*\.tiff"
    with pytest.raises(ValueError, match=expected):
        load_folder(tmp_path)


def test_load_folder_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="no_such_dir"):
        load_folder(tmp_path / "no_such_dir")


def test_load_folder_given_a_file(tmp_path, camera):
    path = save_image(tmp_path / "c.png", camera)
    with pytest.raises(NotADirectoryError, match=r"c\.png.*load_image"):
        load_folder(path)


def test_load_folder_bad_mode(folder):
    with pytest.raises(ValueError, match="mode must be one of"):
        load_folder(folder, mode="grey")


def test_load_folder_reports_the_undecodable_file(folder):
    (folder / "broken.png").write_bytes(b"\x89PNG garbage")
    with pytest.raises(ValueError, match=r"broken\.png.*could not be decoded"):
        load_folder(folder)


def test_load_folder_refuses_duplicate_names(folder, camera):
    save_image(folder / "b_camera.jpg", camera)
    with pytest.raises(ValueError, match="share the name 'b_camera'"):
        load_folder(folder)
