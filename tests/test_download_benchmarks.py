"""Tests of the benchmark test sets in srkit.download (B100, Urban100, Set5, Set14, DIV2K HR,
BSDS500, Manga109) and of ``hr_images``, against an HTTP server on 127.0.0.1 only.

Each set is served as a tiny synthetic archive with the real archive's internal layout;
the registry entry's URL and digest are monkeypatched to point at it. Nothing here
touches the internet.
"""

from __future__ import annotations

import dataclasses
import hashlib
import http.server
import io
import re
import tarfile
import threading
import zipfile
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from srkit import data
from srkit import download as dl


def _png(seed: int, fmt: str = "PNG") -> bytes:
    rng = np.random.default_rng(seed)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)).save(buf, format=fmt)
    return buf.getvalue()


def _tar(members: dict[str, bytes], mode: str = "w") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tf:
        for name, payload in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            tf.addfile(info, io.BytesIO(payload))
    return buf.getvalue()


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, payload in members.items():
            zf.writestr(name, payload)
    return buf.getvalue()


# HR file names per set in the synthetic benchmark.tar (names as in the real one);
# listed out of order on purpose, B100's to check that the sort is by name.
_BENCH_HR = {
    "Set5": ["woman.png", "baby.png"],
    "Set14": ["zebra.png", "baboon.png", "comic.png"],
    "B100": ["3096.png", "101085.png", "12084.png"],
    "Urban100": ["img002.png", "img001.png", "img003.png"],
}


def _benchmark_tar() -> bytes:
    members, seed = {}, 0
    for folder, names in _BENCH_HR.items():
        for n in names:
            seed += 1
            members[f"benchmark/{folder}/HR/{n}"] = _png(seed)
            stem = n[:-4]
            for s in (2, 3, 4):  # LR images beside the HR ones must not be returned
                members[f"benchmark/{folder}/LR_bicubic/X{s}/{stem}x{s}.png"] = _png(seed + 100 * s)
    return _tar(members)


def _bsds_tgz() -> bytes:
    members = {}
    for split, ids in (("train", ["2092", "100075"]), ("val", ["3096"]),
                       ("test", ["2018", "100007", "15011"])):
        for i in ids:
            members[f"BSR/BSDS500/data/images/{split}/{i}.jpg"] = _png(int(i), "JPEG")
            members[f"BSR/BSDS500/data/groundTruth/{split}/{i}.mat"] = b"not a real mat file"
        members[f"BSR/BSDS500/data/images/{split}/Thumbs.db"] = b"windows thumbnail cache"
    return _tar(members, "w:gz")


def _div2k_valid_zip() -> bytes:
    return _zip({f"DIV2K_valid_HR/{i:04d}.png": _png(i) for i in (802, 801, 803)})


def _div2k_lr_zip() -> bytes:
    return _zip({f"DIV2K_valid_LR_bicubic/X2/{i:04d}x2.png": _png(i) for i in (801, 802)})


ARCHIVES = {"benchmark.tar": _benchmark_tar(), "BSR_bsds500.tgz": _bsds_tgz(),
            "DIV2K_valid_HR.zip": _div2k_valid_zip(),
            "DIV2K_valid_LR_bicubic_X2.zip": _div2k_lr_zip()}
SHA = {k: hashlib.sha256(v).hexdigest() for k, v in ARCHIVES.items()}
MD5 = {k: hashlib.md5(v).hexdigest() for k, v in ARCHIVES.items()}

# name -> (archive, expected HR paths relative to the extraction, in order)
CASES = {
    **{key: ("benchmark.tar", [f"benchmark/{folder}/HR/{n}" for n in sorted(_BENCH_HR[folder])])
       for key, folder in (("set5", "Set5"), ("set14", "Set14"), ("b100", "B100"),
                           ("urban100", "Urban100"))},
    "bsds500": ("BSR_bsds500.tgz", [f"BSR/BSDS500/data/images/test/{i}.jpg"
                                    for i in ("100007", "15011", "2018")]),
    "div2k_valid_hr": ("DIV2K_valid_HR.zip", [f"DIV2K_valid_HR/{i}.png"
                                              for i in ("0801", "0802", "0803")]),
}
BENCHMARK_NAMES = ("set5", "set14", "b100", "urban100")


class _Handler(http.server.BaseHTTPRequestHandler):
    """Serves /<archive name> from ARCHIVES and counts requests; 404 otherwise."""

    counts: Counter = Counter()

    def do_GET(self):  # noqa: N802 (http.server API)
        self.counts[self.path] += 1
        body = ARCHIVES.get(self.path.lstrip("/"))
        if body is None:
            self.send_error(404, "Not Found")
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    """(base_url, counts, stop) for a server on 127.0.0.1; stop() shuts it down early."""
    handler = type("Handler", (_Handler,), {"counts": Counter()})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    stopped = []

    def stop():
        if not stopped:
            httpd.shutdown()
            httpd.server_close()
            thread.join(5)
            stopped.append(True)

    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", handler.counts, stop
    finally:
        stop()


@pytest.fixture(autouse=True)
def cache(isolated_cache) -> Path:
    """Every test here downloads into its own tmp_path (tests/conftest.py)."""
    return isolated_cache


def _point_to(monkeypatch, name: str, base: str, *, sha256: str | None = None,
              md5: str | None = None, real_count: bool = False) -> None:
    """Point ``name`` (and every entry sharing its cache folder) at ``base``.

    The digests default to the synthetic archive's; ``hr_count`` is set to the
    synthetic set's size unless ``real_count``.
    """
    archive = CASES[name][0]
    folder = dl.DATASETS[name].folder
    remote = dl.RemoteFile(f"{base}/{archive}", sha256=sha256 or SHA[archive],
                           md5=md5 or MD5[archive])
    for key, info in list(dl.DATASETS.items()):
        if info.folder == folder:
            count = info.hr_count if real_count else len(CASES[key][1])
            monkeypatch.setitem(dl.DATASETS, key,
                                dataclasses.replace(info, files=(remote,), hr_count=count))


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


# --- registry -------------------------------------------------------------------------

def test_every_entry_has_https_url_and_well_formed_digest():
    for key, info in dl.DATASETS.items():
        for f in info.files:
            assert f.url.startswith("https://") and re.fullmatch(r"https://[^/\s]+/\S+", f.url)
            assert f.sha256 or f.md5, key
            if f.sha256 is not None:
                assert len(f.sha256) == 64 and re.fullmatch(r"[0-9a-f]{64}", f.sha256), key
            if f.md5 is not None:
                assert len(f.md5) == 32 and re.fullmatch(r"[0-9a-f]{32}", f.md5), key


def test_benchmark_entries_share_one_archive():
    infos = [dl.DATASETS[k] for k in BENCHMARK_NAMES]
    assert {i.folder for i in infos} == {"edsr_benchmark"}
    assert {i.files for i in infos} == {(dl.RemoteFile(
        "https://cv.snu.ac.kr/research/EDSR/benchmark.tar",
        sha256="80c21c333bbf6ceb5308b7243761f8284478274413a97b96f1d63e9045fd93e8",
        md5="4ace41d33c2384b97e6b320cd0afd6ba"),)}
    assert [i.hr_count for i in infos] == [5, 14, 100, 100]
    # entries sharing a cache folder must share the files, or one would overwrite the other
    by_folder = {}
    for info in dl.DATASETS.values():
        assert by_folder.setdefault(info.folder, info.files) == info.files, info.name
    for key, info in dl.DATASETS.items():
        assert (info.hr_glob is None) == (info.hr_count is None), key
        assert info.hr_glob is None or info.extract, key
    assert dl.DATASETS["bsds500"].hr_count == 200
    assert dl.DATASETS["div2k_valid_hr"].hr_count == 100
    assert dl.DATASETS["div2k_train_hr"].hr_glob == "DIV2K_train_HR/*.png"
    assert "manga109" not in dl.DATASETS  # no public source with a known checksum


# --- hr_images: download, cache, offline, checksum --------------------------------------

@pytest.mark.parametrize("name", list(CASES))
def test_hr_images_downloads_once_then_uses_cache(name, server, cache, monkeypatch):
    base, counts, stop = server
    archive, expected = CASES[name]
    _point_to(monkeypatch, name, base)
    folder = cache / dl.DATASETS[name].folder
    paths = dl.hr_images(name, progress=False)
    assert counts[f"/{archive}"] == 1
    assert paths == [folder / "extracted" / rel for rel in expected]  # exactly, in order
    assert all(p.is_file() for p in paths)
    assert (folder / archive).read_bytes() == ARCHIVES[archive]
    assert dl.hr_images(name, progress=False) == paths  # second call: the cache
    assert counts[f"/{archive}"] == 1
    stop()  # no server at all: still served from the cache
    assert dl.hr_images(name, progress=False) == paths
    (folder / archive).unlink()  # the extraction alone is enough
    assert dl.hr_images(name, progress=False) == paths
    with Image.open(paths[0]) as im:
        assert im.size == (8, 6)


def test_benchmark_sets_share_one_download_and_extraction(server, cache, monkeypatch):
    base, counts, _ = server
    _point_to(monkeypatch, "b100", base)
    assert not dl.is_cached("b100") and not dl.is_cached("urban100")
    assert not data.is_available("b100") and data.is_available("set5")  # shipped: always
    assert counts["/benchmark.tar"] == 0  # asking downloads nothing
    b100 = dl.hr_images("b100", progress=False)
    assert dl.is_cached("b100") and dl.is_cached("urban100") and data.is_available("urban100")
    urban = dl.hr_images("urban100", progress=False)
    set5 = dl.hr_images("set5", progress=False)
    assert counts["/benchmark.tar"] == 1
    assert [p.name for p in b100] == ["101085.png", "12084.png", "3096.png"]
    assert [p.name for p in urban] == ["img001.png", "img002.png", "img003.png"]
    assert [p.name for p in set5] == ["baby.png", "woman.png"]
    assert not set(b100) & set(urban)
    assert all(p.parent.name == "HR" for p in b100 + urban + set5)  # never the LR images
    assert sorted(p.name for p in cache.iterdir()) == ["edsr_benchmark"]
    assert sorted(p.name for p in (cache / "edsr_benchmark").iterdir()) == \
        ["benchmark.tar", "extracted"]
    assert dl.fetch_dataset("urban100", progress=False) == cache / "edsr_benchmark" / "extracted"


def test_hr_images_with_explicit_cache_dir(server, tmp_path, monkeypatch):
    base, counts, _ = server
    _point_to(monkeypatch, "urban100", base)
    paths = dl.hr_images("urban100", cache_dir=tmp_path / "elsewhere", progress=False)
    assert counts["/benchmark.tar"] == 1
    assert paths[0].is_relative_to(tmp_path / "elsewhere" / "edsr_benchmark" / "extracted")
    assert not (tmp_path / "cache").exists()


@pytest.mark.parametrize("name", ["b100", "urban100", "bsds500", "div2k_valid_hr"])
@pytest.mark.parametrize("algo", ["sha256", "md5"])
def test_wrong_checksum_raises_and_leaves_no_file(name, algo, server, cache, monkeypatch):
    base, counts, _ = server
    archive = CASES[name][0]
    wrong = hashlib.new(algo, b"other").hexdigest()
    _point_to(monkeypatch, name, base, **{algo: wrong})
    with pytest.raises(dl.ChecksumError, match=wrong):
        dl.hr_images(name, progress=False)
    assert counts[f"/{archive}"] == 1
    assert _files(cache) == [dl.DATASETS[name].folder]  # an empty folder: no file, no extraction


@pytest.mark.parametrize("name", ["set14", "b100", "urban100", "bsds500", "div2k_valid_hr"])
def test_unreachable_server_says_no_connection_and_where_to_put_the_file(name, cache,
                                                                         dead_base, monkeypatch):
    _point_to(monkeypatch, name, dead_base)
    archive = CASES[name][0]
    with pytest.raises(dl.DownloadError) as info:
        dl.hr_images(name, progress=False)
    msg = str(info.value)
    assert "no internet connection" in msg and f"{dead_base}/{archive}" in msg
    assert f"place it at:\n    {cache / dl.DATASETS[name].folder / archive}\n" in msg
    assert _files(cache) == [dl.DATASETS[name].folder]


def test_archive_placed_by_hand_is_verified_and_used(cache, dead_base, monkeypatch):
    _point_to(monkeypatch, "urban100", dead_base)  # offline
    (cache / "edsr_benchmark").mkdir(parents=True)
    (cache / "edsr_benchmark" / "benchmark.tar").write_bytes(ARCHIVES["benchmark.tar"])
    paths = dl.hr_images("urban100", progress=False)
    assert [p.name for p in paths] == ["img001.png", "img002.png", "img003.png"]


# --- hr_images: counts, errors, Manga109 ------------------------------------------------

def test_count_different_from_published_set_warns(server, monkeypatch):
    base, _, _ = server
    _point_to(monkeypatch, "b100", base, real_count=True)
    with pytest.warns(UserWarning, match=r"b100: found 3 images .* published set has 100"):
        paths = dl.hr_images("b100", progress=False)
    assert len(paths) == 3


def test_empty_match_raises_file_not_found(server, monkeypatch):
    base, _, _ = server
    _point_to(monkeypatch, "b100", base)
    monkeypatch.setitem(dl.DATASETS, "b100", dataclasses.replace(
        dl.DATASETS["b100"], hr_glob="benchmark/BSD100/HR/*.png"))
    with pytest.raises(FileNotFoundError, match="BSD100"):
        dl.hr_images("b100", progress=False)


def test_entries_without_hr_images_and_unknown_names_are_rejected(server, cache, monkeypatch):
    base, counts, _ = server
    for name in ("div2k_valid_lr_bicubic_x2", "fashion_mnist"):
        with pytest.raises(ValueError, match=f"{name!r} has no high-resolution images") as info:
            dl.hr_images(name, progress=False)
        for known in ("b100", "urban100", "div2k_valid_hr", "bsds500", "manga109"):
            assert known in str(info.value)
    with pytest.raises(ValueError, match="unknown dataset 'urban101'"):
        dl.hr_images("urban101", progress=False)
    assert not counts and not cache.exists()  # checked before any download


def test_manga109_not_placed_explains_licence_and_folder(cache):
    with pytest.raises(dl.DownloadError) as info:
        dl.hr_images("manga109", progress=False)
    msg = str(info.value)
    assert "cannot be downloaded automatically" in msg and "redistribution" in msg
    assert "manga109.org" in msg and "academic" in msg
    folder = cache / "manga109" / "HR"
    assert f"109 high-resolution images (PNG or JPEG) in:\n    {folder}\n" in msg
    assert not cache.exists()


def test_manga109_placed_by_hand_is_listed(cache):
    folder = cache / "manga109" / "HR"
    folder.mkdir(parents=True)
    assert not dl.is_cached("manga109")
    for n in ("YouchienBoueigumi.png", "AisazuNihaIrarenai.png", "Belmondo.JPG"):
        (folder / n).write_bytes(_png(1))
    assert dl.is_cached("manga109")
    (folder / "readme.txt").write_text("not an image")
    with pytest.warns(UserWarning, match="found 3 images"):
        paths = dl.hr_images("manga109", progress=False)
    assert [p.name for p in paths] == ["AisazuNihaIrarenai.png", "Belmondo.JPG",
                                       "YouchienBoueigumi.png"]
