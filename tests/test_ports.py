"""Published models in Keras (srkit.ports) with their authors' converted weights.

Independent references: the papers' published Set5 numbers (in the records, checked against
srkit.published), a NumPy evaluation of the first block written from the reference code
(tools/convert_published_weights.py) and checkpoints written here in PyTorch's two formats.
"""

import hashlib
import importlib.util
import io as bytes_io
import pickle
import re
import struct
import sys
import types
import zipfile
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest

from srkit import data, evaluate, ports, pretrained, published, tiles, upscale

ROOT = Path(__file__).resolve().parents[1]
PUBLISHED = ["rlfn_x2", "rlfn_x4", "carn_m_x2", "carn_m_x3", "carn_m_x4"]


def _tool(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


torch_weights = _tool("torch_weights")
convert = _tool("convert_published_weights")


# --------------------------------------------------------------------------- the reader

@pytest.fixture
def fake_torch(monkeypatch):
    """Stand-ins for the few torch names a state dict pickles, so a checkpoint can be
    written here without PyTorch (the reader never imports them)."""
    torch = types.ModuleType("torch")
    utils = types.ModuleType("torch._utils")

    class FloatStorage:
        pass

    def _rebuild_tensor_v2(*args):
        raise AssertionError("never called when writing")

    FloatStorage.__module__, _rebuild_tensor_v2.__module__ = "torch", "torch._utils"
    FloatStorage.__qualname__, _rebuild_tensor_v2.__qualname__ = "FloatStorage", "_rebuild_tensor_v2"
    torch.FloatStorage, utils._rebuild_tensor_v2 = FloatStorage, _rebuild_tensor_v2
    torch._utils = utils
    monkeypatch.setitem(sys.modules, "torch", torch)
    monkeypatch.setitem(sys.modules, "torch._utils", utils)
    return torch


class _Storage:
    def __init__(self, array, key):
        self.array, self.key = array, key


class _Tensor:
    def __init__(self, array, key, offset=0, size=None, stride=None):
        self.storage = _Storage(array, key)
        self.offset, self.size = offset, size or array.shape
        self.stride = stride or tuple(int(s) // 4 for s in array.strides)

    def __reduce__(self):
        return (sys.modules["torch._utils"]._rebuild_tensor_v2,
                (self.storage, self.offset, tuple(self.size), tuple(self.stride), False, OrderedDict()))


def _pickle_state(state, protocol=2):
    buffer = bytes_io.BytesIO()

    class Pickler(pickle.Pickler):
        def persistent_id(self, obj):
            if isinstance(obj, _Storage):
                return ("storage", sys.modules["torch"].FloatStorage, obj.key, "cpu", obj.array.size)
            return None

    # a tensor is pickled through __reduce__, its storage as a persistent id (as torch.save)
    Pickler(buffer, protocol=protocol).dump(state)
    return buffer.getvalue()


def _write_zip(path, tensors, pickled=None):
    state = OrderedDict((name, _Tensor(array, str(i))) for i, (name, array) in enumerate(tensors.items()))
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", pickled or _pickle_state(state))
        archive.writestr("archive/byteorder", "little")
        for i, array in enumerate(tensors.values()):
            archive.writestr(f"archive/data/{i}", np.ascontiguousarray(array, "<f4").tobytes())


def test_reader_reads_zip_checkpoints_and_strided_views(tmp_path, fake_torch):
    rng = np.random.default_rng(0)
    tensors = {"conv.weight": rng.normal(size=(4, 3, 3, 3)).astype(np.float32),
               "conv.bias": rng.normal(size=4).astype(np.float32)}
    _write_zip(tmp_path / "m.pth", tensors)
    got = torch_weights.load_state_dict(tmp_path / "m.pth")
    assert list(got) == list(tensors)
    for name in tensors:
        np.testing.assert_array_equal(got[name], tensors[name])
    # a transposed view into a storage (PyTorch keeps strides): read as the view, not the storage
    base = np.arange(6, dtype=np.float32).reshape(2, 3)
    state = OrderedDict(t=_Tensor(base, "0", 0, (3, 2), (1, 3)))
    _write_zip(tmp_path / "v.pth", {"t": base}, _pickle_state(state))
    np.testing.assert_array_equal(torch_weights.load_state_dict(tmp_path / "v.pth")["t"], base.T)


def test_reader_reads_legacy_checkpoints(tmp_path, fake_torch):
    """The pre-1.6 format of carn_m.pth: five pickles, then each storage's count and bytes."""
    weight = np.arange(12, dtype=np.float32).reshape(3, 4)
    state = OrderedDict(w=_Tensor(weight, "140"))
    stream = bytes_io.BytesIO()
    for obj in (torch_weights.LEGACY_MAGIC, 1001, {"little_endian": True}):
        pickle.dump(obj, stream, protocol=2)
    stream.write(_pickle_state(state))
    pickle.dump(["140"], stream, protocol=2)
    stream.write(struct.pack("<q", weight.size) + weight.astype("<f4").tobytes())
    (tmp_path / "old.pth").write_bytes(stream.getvalue())
    np.testing.assert_array_equal(torch_weights.load_state_dict(tmp_path / "old.pth")["w"], weight)


def test_reader_refuses_any_other_global(tmp_path):
    """A checkpoint whose pickle names os.system (or anything else) is refused, not run."""
    class Evil:
        def __reduce__(self):
            import os
            return (os.system, ("echo pwned > " + str(tmp_path / "ran"),))

    with zipfile.ZipFile(tmp_path / "evil.pth", "w") as archive:
        archive.writestr("archive/data.pkl", pickle.dumps({"w": Evil()}, protocol=2))
    with pytest.raises(pickle.UnpicklingError, match=r"refusing to load the global (posix|os|nt)\.system"):
        torch_weights.load_state_dict(tmp_path / "evil.pth")
    assert not (tmp_path / "ran").exists()
    (tmp_path / "notes.pth").write_bytes(b"not a checkpoint")
    with pytest.raises((ValueError, pickle.UnpicklingError)):
        torch_weights.load_state_dict(tmp_path / "notes.pth")


# --------------------------------------------------------------------------- the ports

def _state_from_keras(model):
    """The shipped Keras weights back in PyTorch layout, named as in the authors' files."""
    state = {}
    for layer in model.layers:
        if layer.weights:
            kernel, bias = layer.get_weights()
            state[f"{layer.name}.weight"] = np.transpose(kernel, (3, 2, 0, 1))
            state[f"{layer.name}.bias"] = bias
    return state


@pytest.mark.parametrize("name", ["rlfn_x4", "carn_m_x4"])
def test_first_block_matches_the_numpy_reference(name):
    """The port's layers (ESA's strided conv, pooling and bilinear resize; CARN-M's grouped,
    shared convolutions) compute what the reference code computes, on a real image."""
    record = pretrained.info(name)
    model = pretrained.load(name)
    state = _state_from_keras(model)
    image = dict(data.load_dataset("set5"))["butterfly"][100:131, 60:97]  # odd sizes on purpose
    rel = convert.check_first_block(model, record["family"], state, image)
    assert rel < 1e-5
    # and the converter's layout rule is the inverse of the one used here
    kernel = model.get_layer("conv_1" if record["family"] == "rlfn" else "entry").get_weights()[0]
    np.testing.assert_array_equal(convert.keras_kernel(np.transpose(kernel, (3, 2, 0, 1))), kernel)


def test_torch_pixel_shuffle_uses_pytorchs_channel_order():
    """nn.PixelShuffle(2): output (c, 2h+i, 2w+j) = input (c·4 + 2i + j, h, w)."""
    x = np.arange(2 * 3 * 8, dtype=np.float32).reshape(1, 2, 3, 8)  # h=2, w=3, C·r² = 8
    y = np.asarray(ports.TorchPixelShuffle(2)(x))
    assert y.shape == (1, 4, 6, 2)
    for c in range(2):
        for i in range(2):
            for j in range(2):
                np.testing.assert_array_equal(y[0, i::2, j::2, c], x[0, :, :, c * 4 + 2 * i + j])


def test_layer_names_are_the_authors_module_names():
    """Every weighted layer takes the tensors '<layer name>.weight' / '.bias' of the authors' file."""
    rlfn = ports.rlfn(4)
    names = [layer.name for layer in rlfn.layers if layer.weights]
    assert names[:2] == ["conv_1", "block_1.c1_r"] and names[-1] == "upsampler.0"
    assert "block_6.esa.conv_f" in names and len(names) == 2 + 6 * 9 + 1
    assert rlfn.count_params() == 543_740  # the paper: 0.543 M
    carn = ports.carn_m(4)
    names = [layer.name for layer in carn.layers if layer.weights]
    assert names[0] == "sub_mean.shifter" and names[-1] == "add_mean.shifter"
    assert "upsample.up4.body.3" in names and "b3.b1.body.4" in names
    assert len(names) == len(set(names))  # shared layers appear once
    with pytest.raises(ValueError, match="scales 2, 3 and 4, not 8"):
        ports.carn_m(8)


# --------------------------------------------------------------------------- shipped files

@pytest.mark.parametrize("name", PUBLISHED)
def test_records_name_source_licence_and_checksums(name):
    record = pretrained.info(name)
    source = record["source"]
    assert re.fullmatch(r"[0-9a-f]{40}", source["commit"]) and re.fullmatch(r"[0-9a-f]{64}", source["sha256"])
    assert source["url"] == f"https://github.com/{source['repo']}/blob/{source['commit']}/{source['path']}"
    licence_file = {"rlfn": "LICENSE-RLFN.txt", "carn_m": "LICENSE-CARN-pytorch.txt"}[record["family"]]
    text = (pretrained.WEIGHTS_DIR / licence_file).read_text()
    assert ("Apache License" in text and "Version 2.0" in text) if record["family"] == "rlfn" \
        else ("MIT License" in text and "Namhyuk Ahn" in text)
    readme = (pretrained.WEIGHTS_DIR / "README.md").read_text()
    assert record["file"] in readme and licence_file in readme and source["commit"][:7] in readme
    file = pretrained.path(name)
    assert hashlib.sha256(file.read_bytes()).hexdigest() == record["sha256"]
    with zipfile.ZipFile(file) as saved:  # loadable by Keras 3.10 (.ci/lowest-versions)
        assert "input_axes" not in saved.read("config.json").decode()
    pretrained.verify(name)
    assert convert.SOURCES[name]["source_sha256"] == source["sha256"]
    for dataset, row in record["published"].items():  # the same numbers srkit.published cites
        found = published.lookup(record["title"], dataset, record["scale"], "rgb")
        assert (found["psnr"], found["ssim"]) == (row["psnr"], row["ssim"]), (name, dataset)


STRIP_GAP = 0.2  # dB, strips against the whole image (measured 0.02–0.15 on barbara; srkit/weights/README.md)
SET5_GAP = {"carn_m_x2": 0.148, "carn_m_x3": 0.068}  # the released file, above the paper (README)


@pytest.mark.parametrize("name", PUBLISHED)
def test_ported_models_reproduce_their_papers_on_set5(name):
    """The issue's target: within 0.05 dB of the published Set5 number on the authors' route
    (RGB, whole images, Y, border = scale). CARN-M's released checkpoint scores above its
    paper at ×2 and ×3: that gap is pinned to what was measured, not hidden."""
    record = pretrained.info(name)
    got = evaluate.benchmark(pretrained.method(name), ["set5"], [record["scale"]], name=name,
                             route="rgb").iloc[0]
    paper = record["published"]["set5"]
    assert got.psnr - paper["psnr"] == pytest.approx(SET5_GAP.get(name, 0.0), abs=0.05), (name, got.psnr)
    assert abs(got.ssim - paper["ssim"]) < 0.0015, (name, got.ssim)
    assert got.psnr == pytest.approx(record["measured"]["set5"]["psnr"], abs=2e-4)


def test_strips_of_the_command_line_stay_close_to_the_whole_image():
    """RLFN's attention sees the whole image, so upscaling strip by strip (the command line's
    bounded memory) is approximate. Measured on Set14's barbara (180×144 at ×4, windows of
    160 pixels with the records' 48-pixel overlap, so several strips and tiles): 0.10 dB
    above the whole image (the mirrored margins help at the borders); allowed: 0.2 dB."""
    name = "rlfn_x4"
    record, model = pretrained.info(name), pretrained.load(name)
    tiles.accept_approximate_tiles(model)
    hr = dict(data.load_dataset("set14"))["barbara"]
    lr, ref = evaluate.route_pair(hr, 4, "rgb")
    whole = evaluate.route_measure(ref, pretrained.method(name, model)(lr, 4), 4, "rgb")[0]
    strips = upscale.upscale_image(model, lr, 4, upsample=False, tile=160, multiple=1,
                                   radius=record["radius"])
    assert strips.shape == ref.shape
    assert abs(evaluate.route_measure(ref, strips, 4, "rgb")[0] - whole) < STRIP_GAP


def test_command_line_upscales_a_bundled_image_with_rlfn(tmp_path):
    """`srkit upscale --model rlfn --scale 4` on a bundled image: the ×4 size, 8-bit, and the
    whole-image result the papers measure up to the strips' small difference."""
    from srkit import cli, io, metrics

    hr = dict(data.load_dataset("set5"))["bird"]
    lr, _ = evaluate.route_pair(hr, 4, "rgb")
    io.save_image(tmp_path / "bird.png", lr)
    status = cli.main(["upscale", str(tmp_path / "bird.png"), "--model", "rlfn", "--scale", "4",
                       "-o", str(tmp_path / "out"), "--quiet"])
    assert status == 0
    out = io.load_image(tmp_path / "out" / "bird_x4_rlfn.png")
    assert out.shape == (lr.shape[0] * 4, lr.shape[1] * 4, 3)
    whole = np.clip(pretrained.method("rlfn_x4")(lr, 4), 0, 1)
    assert metrics.psnr(np.round(whole * 255) / 255, out, data_range=1.0) > 40
    assert cli.main(["upscale", str(tmp_path / "bird.png"), "--model", "rlfn", "--scale", "3",
                     "-o", str(tmp_path / "out")]) == cli.EXIT_USAGE
