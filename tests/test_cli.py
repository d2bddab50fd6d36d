"""Tests for ``python -m srkit`` (srkit.cli) and the strip-by-strip upscaling it runs
(srkit.upscale).

The command line runs in a subprocess, as a user runs it, on crops of the shipped Set5 and
Set14 images (small, so a run costs little more than TensorFlow's start-up; runs that need
TensorFlow do several checks at once). Results are compared with the notebooks' way of
applying a model to a whole image, :func:`srkit.pretrained.method`, computed here in-process.
Errors the command line reports before loading TensorFlow cost a fraction of a second each.
"""

import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from srkit import cli, data, evaluate, io, upscale

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}


def srkit(*args, cwd=None, timeout=300):
    """Run ``python -m srkit ARGS`` in a fresh process; return the CompletedProcess."""
    return subprocess.run([sys.executable, "-m", "srkit", *map(str, args)], cwd=cwd, env=ENV,
                          capture_output=True, text=True, timeout=timeout)


def one_error_line(proc) -> str:
    """The run's stderr, checked to be exactly one ``srkit: error:`` line."""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("srkit: error: "), proc.stderr
    assert "Traceback" not in proc.stderr
    return lines[0]


def round_to(image, peak=255):
    """Float [0, 1] values as a saved file holds them (as srkit.io.save_image rounds)."""
    return np.rint(np.asarray(image, np.float64) * peak)


def read_png(path):
    """A written image as stored (RGB order, its own bit depth), independent of srkit.io."""
    array = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    return array[..., ::-1] if array.ndim == 3 else array


def assert_same_picture(got, expected, peak=255):
    """Equal up to one step of the file's precision, and almost everywhere exactly.

    srkit.upscale computes the bicubic and colour steps in float32 (the reference in
    float64): about 2 in 100,000 values round to another 8-bit step, a few in 1,000 to
    another 16-bit step (a float32 error of 1e-7 is 0.007 of a 16-bit step).
    """
    got, expected = np.asarray(got, np.float64), np.asarray(expected, np.float64)
    assert got.shape == expected.shape
    diff = np.abs(got - expected)
    assert diff.max() <= 1, f"max difference {diff.max()} steps of 1/{peak}"
    assert np.count_nonzero(diff) <= (1e-3 if peak == 255 else 1e-2) * diff.size


@pytest.fixture(scope="module")
def set5():
    return dict(data.load_dataset("set5"))


@pytest.fixture(scope="module")
def tf():
    from srkit.notebook import import_tensorflow

    return import_tensorflow()


@pytest.fixture(scope="module")
def srcnn(tf):
    from srkit import pretrained

    return pretrained.load("srcnn_x3")


# --------------------------------------------------------------------------- help and usage

def test_help_of_every_command_and_no_command():
    top = srkit("--help")
    assert top.returncode == 0 and top.stderr == ""
    for word in ("upscale", "evaluate", "models", "exit status"):
        assert word in top.stdout
    up = srkit("upscale", "--help")
    assert up.returncode == 0
    for option in ("--model", "--scale", "--tile", "--suffix", "--overwrite", "--quiet",
                   "--format", "_x<scale>_<model>", "examples:"):
        assert option in up.stdout
    ev = srkit("evaluate", "--help")
    assert ev.returncode == 0 and "--rgb" in ev.stdout and "--csv" in ev.stdout
    bare = srkit()
    assert bare.returncode == 2 and bare.stdout == ""
    assert "usage:" in bare.stderr and "give a command" in bare.stderr


def test_importing_the_cli_does_not_import_tensorflow():
    code = ("import sys, srkit.cli; srkit.cli.build_parser(); "
            "print(sorted(m for m in ('tensorflow', 'keras', 'numpy', 'cv2') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], env=ENV, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_models_lists_the_shipped_models():
    proc = srkit("models")
    assert proc.returncode == 0
    lines = proc.stdout.strip().splitlines()
    assert [line.split()[0] for line in lines[:4]] == ["srcnn", "autoencoder", "srresnet", "srgan"]
    assert "Set5 32.61 dB" in lines[0]
    # the published models: one row per scale, measured / paper Set5 and Set14, licence
    rows = {tuple(line.split()[:2]): line for line in lines if line.startswith(("rlfn", "carn_m"))}
    assert list(rows) == [("rlfn", "×2"), ("rlfn", "×4"), ("carn_m", "×2"), ("carn_m", "×3"),
                          ("carn_m", "×4")]
    assert "32.24 / 32.24" in rows[("rlfn", "×4")] and "Apache-2.0" in rows[("rlfn", "×4")]
    assert "31.88 / 31.92" in rows[("carn_m", "×4")] and "MIT" in rows[("carn_m", "×4")]


# --------------------------------------------------------------------------- bad input

@pytest.fixture(scope="module")
def small_inputs(tmp_path_factory, set5):
    """A folder with one small PNG, a text file posing as a PNG, a file, an empty folder."""
    root = tmp_path_factory.mktemp("bad")
    io.save_image(root / "in" / "baby.png", set5["baby"][:24, :24])
    (root / "notes.png").write_text("this is not an image\n")
    (root / "afile").write_text("a regular file\n")
    (root / "empty").mkdir()
    (root / "model.keras").write_text("not a model\n")
    return root


@pytest.mark.parametrize("args, status, message", [
    (["missing.png", "--model", "srcnn", "-o", "out"], 1, "no such file or folder: 'missing.png'"),
    (["notes.png", "--model", "srcnn", "-o", "out"], 1,
     "'notes.png' could not be decoded as an image"),
    (["empty", "--model", "srcnn", "-o", "out"], 1, "folder 'empty' holds no images"),
    (["in", "--model", "srcnn", "--scale", "4", "-o", "out"], 2,
     "srcnn is shipped for ×3 only, not ×4: use --scale 3; for ×4 use srresnet or srgan or rlfn "
     "or carn_m"),
    (["in", "--model", "rlfn", "--scale", "3", "-o", "out"], 2,
     "rlfn is shipped for ×2, ×4, not ×3: use --scale 2 or 4; for ×3 use srcnn or autoencoder "
     "or carn_m"),
    (["in", "--model", "edsr", "-o", "out"], 2,
     "unknown reference model 'edsr'; srkit ships srcnn, autoencoder, srresnet, srgan"),
    (["in", "--model", "srcnn", "-o", "afile/out"], 1,
     "cannot create the output folder 'afile/out': 'afile' is a file"),
    (["in", "--model", "srcnn", "-o", "afile"], 1, "output folder 'afile' is a file"),
    (["in", "--model", "model.keras", "--scale", "3", "-o", "out"], 1,
     "'model.keras' is not a Keras model file"),
    (["in", "--model", "nowhere/model.keras", "-o", "out"], 1,
     "no model file at 'nowhere/model.keras'"),
    (["in", "--model", "srcnn", "-o", "in", "--suffix", "", "--overwrite"], 1,
     "the output 'in/baby.png' would replace the input 'in/baby.png'"),
    (["in", "--model", "srcnn", "-o", "out", "--scale", "x3"], 2,
     "argument --scale/-s: invalid int"),
])
def test_bad_input_gives_one_line_and_a_status(small_inputs, args, status, message):
    proc = srkit("upscale", *args, cwd=small_inputs)
    assert proc.returncode == status, proc.stderr
    assert message in one_error_line(proc)
    assert proc.stdout == ""
    assert not (small_inputs / "out").exists() or not any((small_inputs / "out").iterdir())
    assert sorted(p.name for p in (small_inputs / "in").iterdir()) == ["baby.png"]


def test_two_inputs_with_one_output_name_are_refused(tmp_path, set5):
    io.save_image(tmp_path / "a" / "baby.png", set5["baby"][:24, :24])
    io.save_image(tmp_path / "b" / "baby.jpg", set5["baby"][:24, :24])
    proc = srkit("upscale", "a", "b", "--model", "srcnn", "-o", "out", cwd=tmp_path)
    assert proc.returncode == 1
    assert "would both be written to 'out/baby_x3_srcnn.png'" in one_error_line(proc)


# --------------------------------------------------------------------------- upscale

@pytest.fixture(scope="module")
def photos(tmp_path_factory, set5):
    """Input files of every kind: 8-bit RGB PNG, EXIF-rotated JPEG, 16-bit PNG, gray PNG."""
    root = tmp_path_factory.mktemp("photos")
    folder = root / "in"
    io.save_image(folder / "baby.png", set5["baby"][200:296, 180:276])  # 96×96
    # a JPEG stored sideways with EXIF orientation 6 ("turn 90° clockwise to view")
    stored = np.rint(set5["butterfly"][40:88, 100:164] * 255).astype(np.uint8)  # 48 rows × 64
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(stored).save(folder / "turned.jpg", quality=95, exif=exif)
    # 16 bits: the low byte carries detail an 8-bit pipeline would lose
    rng = np.random.default_rng(0)
    high = np.rint(set5["bird"][60:100, 80:124] * 255).astype(np.uint16)  # 40×44
    deep = (high * 256 + rng.integers(0, 256, high.shape)).astype(np.uint16)
    cv2.imwrite(str(folder / "deep.png"), deep[..., ::-1])
    gray = dict(data.load_dataset("set14"))["bridge"][100:150, 200:260]  # 50×60, a gray file
    io.save_image(folder / "gray.png", gray)
    return {"root": root, "folder": folder, "deep": deep,
            "turned_raw": np.asarray(Image.open(folder / "turned.jpg"))}  # decoded as stored


@pytest.fixture(scope="module")
def srcnn_run(photos):
    """One run over the folder: ``upscale in --model srcnn -o out`` (one TensorFlow start)."""
    proc = srkit("upscale", "in", "--model", "srcnn", "-o", "out", cwd=photos["root"])
    assert proc.returncode == 0, proc.stderr
    return proc


def test_upscale_writes_every_file_named_and_sized(photos, srcnn_run):
    out = photos["root"] / "out"
    assert sorted(p.name for p in out.iterdir()) == [  # no temporary files left, hidden or not
        "baby_x3_srcnn.png", "deep_x3_srcnn.png", "gray_x3_srcnn.png", "turned_x3_srcnn.png"]
    lines = srcnn_run.stdout.strip().splitlines()
    assert len(lines) == 4  # one summary per file
    assert any(line.startswith("in/baby.png: 96×96 → 288×288 (8-bit) in ") and
               line.endswith("→ out/baby_x3_srcnn.png") for line in lines), lines
    assert "error" not in srcnn_run.stderr.lower()
    baby = read_png(out / "baby_x3_srcnn.png")
    assert baby.shape == (288, 288, 3) and baby.dtype == np.uint8


def test_upscale_equals_the_whole_image_method(photos, srcnn_run, srcnn):
    from srkit import pretrained

    method = pretrained.method("srcnn_x3", srcnn)
    lr = io.load_image(photos["folder"] / "baby.png")
    assert_same_picture(read_png(photos["root"] / "out" / "baby_x3_srcnn.png"),
                        round_to(method(lr, 3)))
    gray = io.load_image(photos["folder"] / "gray.png", mode="gray")
    result = read_png(photos["root"] / "out" / "gray_x3_srcnn.png")
    assert result.shape == (150, 180)  # gray stays gray
    assert_same_picture(result, round_to(method(gray, 3)))


def test_exif_rotated_jpeg_comes_out_upright(photos, srcnn_run, srcnn):
    from srkit import pretrained

    upright = np.rot90(photos["turned_raw"], -1)  # orientation 6: turn clockwise
    result = read_png(photos["root"] / "out" / "turned_x3_srcnn.png")
    assert result.shape == (64 * 3, 48 * 3, 3)
    expected = pretrained.method("srcnn_x3", srcnn)(upright / np.float32(255), 3)
    assert_same_picture(result, round_to(expected))


def test_16bit_input_gives_16bit_output_at_full_precision(photos, srcnn_run, srcnn):
    from srkit import pretrained

    result = read_png(photos["root"] / "out" / "deep_x3_srcnn.png")
    assert result.dtype == np.uint16 and result.shape == (120, 132, 3)
    method = pretrained.method("srcnn_x3", srcnn)
    lr16 = photos["deep"].astype(np.float32) / np.float32(65535)
    assert_same_picture(result, round_to(method(lr16, 3), 65535), peak=65535)
    # an 8-bit pipeline would be off by up to 128 steps of 1/65535
    lr8 = np.rint(lr16 * 255) / np.float32(255)
    assert np.abs(round_to(method(lr8, 3), 65535) - result).max() > 64


def test_existing_outputs_are_skipped_then_replaced_with_overwrite(photos, srcnn_run, tmp_path):
    out = photos["root"] / "out"
    before = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in out.iterdir()}
    again = srkit("upscale", "in", "--model", "srcnn", "-o", "out", cwd=photos["root"])
    assert again.returncode == 0 and again.stdout == ""
    assert again.stderr.count("skipping") == 4
    assert "'out/baby_x3_srcnn.png' exists (--overwrite replaces it)" in again.stderr
    assert {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in out.iterdir()} == before

    # --overwrite, with the same SRCNN as a .keras file of one's own (a course model):
    # its settings are read from the model, the file is replaced by an equal one
    from srkit import pretrained

    own = tmp_path / "my_srcnn.keras"
    own.write_bytes(pretrained.path("srcnn_x3").read_bytes())
    mine = srkit("upscale", "in/baby.png", "--model", own, "--scale", "3", "-o", "out",
                 "--suffix", "_x3_srcnn", "--overwrite", "--quiet", cwd=photos["root"])
    assert mine.returncode == 0, mine.stderr
    assert mine.stdout == "" and mine.stderr == ""  # --quiet: no bars, notes or summaries
    baby = out / "baby_x3_srcnn.png"
    assert baby.stat().st_mtime_ns > before[baby.name][0]
    assert_same_picture(read_png(baby), cv2.imdecode(np.frombuffer(before[baby.name][1], np.uint8),
                                                     cv2.IMREAD_UNCHANGED)[..., ::-1])
    assert sorted(p.name for p in out.iterdir()) == sorted(before)


def test_srresnet_at_x4_beats_bicubic(tmp_path, set5):
    hr = set5["bird"][100:196, 100:196]  # 96×96
    lr = evaluate.route_pair(hr, 4, "rgb")[0]  # MATLAB bicubic down, 8-bit, 24×24
    io.save_image(tmp_path / "bird.png", lr)
    proc = srkit("upscale", "bird.png", "--model", "srresnet", "-o", "out", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    result = read_png(tmp_path / "out" / "bird_x4_srresnet.png")
    assert result.shape == (96, 96, 3) and result.dtype == np.uint8
    from srkit import metrics

    sr_psnr = metrics.psnr(np.rint(hr * 255).astype(np.uint8), result, crop_border=4)
    bicubic = evaluate.bicubic(lr, 4)
    assert sr_psnr > metrics.psnr(np.rint(hr * 255).astype(np.uint8), bicubic, crop_border=4) + 0.5


def test_a_keras_file_that_upscales_itself_has_its_own_scale(tmp_path, tf, capsys,
                                                             monkeypatch):
    # in-process (TensorFlow is loaded here already): cli.main as the subprocess runs it
    import keras

    model = keras.Sequential([keras.Input((None, None, 3)), keras.layers.UpSampling2D(2),
                              keras.layers.Conv2D(3, 3, padding="same")])
    model.save(tmp_path / "up2.keras")
    io.save_image(tmp_path / "in.png", np.full((8, 8, 3), 0.5, np.float32))
    monkeypatch.chdir(tmp_path)
    assert cli.main(["upscale", "in.png", "--model", "up2.keras", "--scale", "3", "-o", "out"]) == 2
    line = capsys.readouterr().err.strip()
    assert line == ("srkit: error: 'up2.keras' upscales by 2 itself (its output is 2× its input), "
                    "so it cannot give ×3: use --scale 2")
    assert cli.main(["upscale", "in.png", "--model", "up2.keras", "-o", "out", "-q"]) == 0
    assert read_png(tmp_path / "out" / "in_x2_up2.png").shape == (16, 16, 3)

    # a file whose header is fine but whose pixels are cut off is found when it is read:
    # one line, status 1, and nothing written for it
    io.save_image(tmp_path / "big.png", np.random.default_rng(0).random((64, 64, 3)))
    whole = (tmp_path / "big.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(whole[: len(whole) // 2])
    assert cli.main(["upscale", "cut.png", "--model", "up2.keras", "-o", "out"]) == 1
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert line.startswith("srkit: error: 'cut.png' could not be decoded as an image")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["in_x2_up2.png"]


# --------------------------------------------------------------------------- evaluate

def test_evaluate_prints_the_table_of_evaluate_folders(tmp_path, set5):
    for name in ("baby", "bird", "head"):
        hr = set5[name][:64, :62]  # 62 is not a multiple of 3: modcropped by evaluate_folders
        io.save_image(tmp_path / "HR" / f"{name}.png", hr)
        lr, _ = evaluate.route_pair(hr, 3, "rgb")
        io.save_image(tmp_path / "SR" / f"{name}.png", evaluate.bicubic(lr, 3))
    proc = srkit("evaluate", "HR", "SR", "--scale", "3", "--csv", "t/table.csv", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    expected = evaluate.evaluate_folders(tmp_path / "HR", tmp_path / "SR", crop_border=3)
    rows = [line.split() for line in proc.stdout.splitlines()]
    mean = next(r for r in rows if r and r[0] == "mean")
    assert float(mean[1]) == pytest.approx(expected["psnr"].iloc[-1], abs=5e-5)
    assert float(mean[2]) == pytest.approx(expected["ssim"].iloc[-1], abs=5e-5)
    names = ["baby", "bird", "head"]
    assert [r[0] for r in rows if r and r[0] in names] == names
    import pandas as pd

    table = pd.read_csv(tmp_path / "t" / "table.csv")
    np.testing.assert_allclose(table["psnr"], expected["psnr"], rtol=1e-12)

    rgb = srkit("evaluate", "HR", "SR", "--scale", "3", "--rgb", cwd=tmp_path)
    on_rgb = evaluate.evaluate_folders(tmp_path / "HR", tmp_path / "SR", crop_border=3,
                                       y_channel=False)
    mean = next(r for r in (line.split() for line in rgb.stdout.splitlines()) if r[:1] == ["mean"])
    assert float(mean[1]) == pytest.approx(on_rgb["psnr"].iloc[-1], abs=5e-5)


def test_evaluate_refuses_folders_that_do_not_pair(tmp_path, set5):
    io.save_image(tmp_path / "HR" / "baby.png", set5["baby"][:30, :30])
    io.save_image(tmp_path / "SR" / "baby_x3_srcnn.png", set5["baby"][:30, :30])
    proc = srkit("evaluate", "HR", "SR", "--scale", "3", cwd=tmp_path)
    assert proc.returncode == 1
    line = one_error_line(proc)
    assert "'baby_x3_srcnn' has no ground truth" in line and "--suffix" in line
    missing = srkit("evaluate", "HR", "nowhere", "--scale", "3", cwd=tmp_path)
    assert missing.returncode == 1
    assert "no such folder: 'nowhere'" in one_error_line(missing)


# --------------------------------------------------------------------------- atomic writes

def test_write_atomic_leaves_no_part_file_when_interrupted(tmp_path, monkeypatch):
    target = tmp_path / "x.png"
    target.write_bytes(b"the complete old file")

    def half_then_ctrl_c(path, array, *args):
        Path(path).write_bytes(b"\x89PNG half")
        raise KeyboardInterrupt

    monkeypatch.setattr(cv2, "imwrite", half_then_ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        cli.write_atomic(target, np.zeros((4, 4, 3), np.uint8), "png")
    assert [p.name for p in tmp_path.iterdir()] == ["x.png"]
    assert target.read_bytes() == b"the complete old file"

    monkeypatch.setattr(cv2, "imwrite", lambda path, array, *args: False)
    with pytest.raises(cli.CommandError, match="OpenCV could not write"):
        cli.write_atomic(target, np.zeros((4, 4, 3), np.uint8), "png")
    assert [p.name for p in tmp_path.iterdir()] == ["x.png"]


def test_write_atomic_writes_readable_files_with_normal_permissions(tmp_path):
    image = np.random.default_rng(0).integers(0, 65536, (5, 7, 3)).astype(np.uint16)
    cli.write_atomic(tmp_path / "a.tif", image, "tif")
    np.testing.assert_array_equal(cv2.imread(str(tmp_path / "a.tif"), cv2.IMREAD_UNCHANGED), image)
    mode = (tmp_path / "a.tif").stat().st_mode & 0o777
    assert mode == 0o666 & ~cli._umask()


# --------------------------------------------------------------------------- srkit.upscale

@pytest.mark.parametrize("shape", [(1, 1, 3), (2, 3), (7, 5, 3), (37, 23)])
@pytest.mark.parametrize("scale", [2, 3, 4])
def test_bicubic_upscale_equals_matlab_imresize(shape, scale):
    lr = np.random.default_rng(scale).random(shape).astype(np.float32)
    expected = evaluate.bicubic(lr, scale)  # srkit.degrade's MATLAB imresize, float64, unclipped
    np.testing.assert_allclose(upscale.bicubic_upscale(lr, scale), expected, atol=5e-7)
    height = shape[0] * scale
    for r0, r1 in [(0, 1), (height // 3, height // 2 + 1), (height - 1, height)]:
        np.testing.assert_allclose(upscale.bicubic_upscale(lr, scale, rows=(r0, r1)),
                                   expected[r0:r1], atol=5e-7)
    lr8 = np.rint(lr * 255).astype(np.uint8)  # 8-bit values, as a file holds them
    np.testing.assert_allclose(upscale.bicubic_upscale(lr8, scale),
                               evaluate.bicubic(lr8 / np.float32(255), scale), atol=5e-7)


def keys_cubic(x):
    """Keys' cubic convolution kernel with a = -0.5 (MATLAB's bicubic), written out."""
    x = abs(x)
    if x <= 1:
        return 1.5 * x**3 - 2.5 * x**2 + 1
    if x < 2:
        return -0.5 * x**3 + 2.5 * x**2 - 4 * x + 2
    return 0.0


def test_bicubic_phases_are_matlabs_weights():
    # upscaling x3, output pixel 3q + p lies at input position q - 1/3, q, q + 1/3 (p = 0, 1, 2)
    # and weighs input pixel q + j by cubic(offset - j), j = -2..2
    expected = np.array([[keys_cubic(d - j) for j in range(-2, 3)] for d in (-1 / 3, 0, 1 / 3)])
    np.testing.assert_allclose(upscale.bicubic_phases(3), expected, atol=1e-12)


def test_strips_equal_the_whole_image_for_every_kind_of_model(tf, srcnn, set5):
    """Many strips (small tiles) against keras_method with the same tiles, for SRCNN, the
    autoencoder (stride 4), and tiny self-upscaling models on RGB and on Y."""
    import keras

    from srkit import pretrained

    colour = set5["butterfly"][:61, :50]  # odd sizes, not multiples of the stride
    gray = dict(data.load_dataset("set14"))["bridge"][:45, :52]
    keras.utils.set_random_seed(0)
    rgb_x2 = keras.Sequential([keras.Input((None, None, 3)), keras.layers.UpSampling2D(2),
                               keras.layers.Conv2D(8, 3, padding="same", activation="relu"),
                               keras.layers.Conv2D(3, 3, padding="same", activation="sigmoid")])
    y_x2 = keras.Sequential([keras.Input((None, None, 1)), keras.layers.UpSampling2D(2),
                             keras.layers.Conv2D(1, 5, padding="same", activation="sigmoid")])
    cases = [(srcnn, True, 3, 1, 48), (pretrained.load("autoencoder_x3"), True, 3, 4, 64),
             (rgb_x2, False, 2, 1, 24), (y_x2, False, 2, 1, 24)]
    for model, upsample, scale, multiple, tile in cases:
        reference = evaluate.keras_method(model, upsample=upsample, tile=tile, multiple=multiple)
        for lr in (colour, gray):
            strips = []
            result = upscale.upscale_image(model, lr, scale, upsample=upsample, tile=tile,
                                           multiple=multiple,
                                           progress=lambda done, total: strips.append(total))
            # keras_method gives a 3-channel model a gray image as 8-bit (the "rgb" route)
            given = np.rint(lr * 255).astype(np.uint8) if lr.ndim == 2 and not upsample \
                and model.input_shape[-1] == 3 else lr
            expected = reference(given, scale)
            assert result.shape == expected.shape == (lr.shape[0] * scale, lr.shape[1] * scale) \
                + lr.shape[2:]
            assert strips and strips[0] > 1  # really cut into strips
            np.testing.assert_allclose(result, expected, atol=2e-6)
            out = np.zeros(result.shape, np.uint8)
            upscale.upscale_image(model, lr, scale, upsample=upsample, tile=tile,
                                  multiple=multiple, out=out)
            assert_same_picture(out, round_to(expected))
            # an 8-bit image given as uint8 (a quarter of the memory): the same result
            lr8 = np.rint(lr * 255).astype(np.uint8)
            np.testing.assert_array_equal(
                upscale.upscale_image(model, lr8, scale, upsample=upsample, tile=tile,
                                      multiple=multiple),
                upscale.upscale_image(model, lr8 / np.float32(255), scale, upsample=upsample,
                                      tile=tile, multiple=multiple))


def test_upscale_image_refuses_a_model_that_does_not_fit(srcnn):
    lr = np.zeros((10, 10, 3), np.float32)
    with pytest.raises(ValueError, match="takes the bicubic-upscaled image: pass upsample=True"):
        upscale.upscale_image(srcnn, lr, 3, upsample=False)
    with pytest.raises(ValueError, match=r"out must be a uint8, uint16 or float32 array of shape "
                                         r"\(30, 30, 3\)"):
        upscale.upscale_image(srcnn, lr, 3, out=np.zeros((30, 30), np.uint8))
    with pytest.raises(ValueError, match="H×W×3"):
        upscale.upscale_image(srcnn, np.zeros((10, 10, 4), np.float32), 3)
