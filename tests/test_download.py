"""Tests of srkit.download against a real HTTP server on 127.0.0.1 (no other address)."""

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
from skimage import data as skdata

from srkit import download as dl


def _png_bytes() -> bytes:
    buf = io.BytesIO()
    Image.fromarray(skdata.camera()).save(buf, format="PNG")
    return buf.getvalue()


def _zip_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, payload in members.items():
            zf.writestr(name, payload)
    return buf.getvalue()


def _targz_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for name, payload in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            tf.addfile(info, io.BytesIO(payload))
    return buf.getvalue()


PNG = _png_bytes()
ZIP = _zip_bytes({"camera/camera.png": PNG, "camera/README.txt": b"cameraman\n"})
SHA_PNG = hashlib.sha256(PNG).hexdigest()
MD5_PNG = hashlib.md5(PNG).hexdigest()
SHA_ZIP = hashlib.sha256(ZIP).hexdigest()
WRONG = PNG[::-1]  # same length, different bytes


class _Handler(http.server.BaseHTTPRequestHandler):
    """Serves /ok/<name> normally, /wrong/<name> with other bytes, /truncated/<name>
    cut half-way (Content-Length larger than the body), anything else as 404."""

    files: dict[str, bytes] = {}
    counts: Counter = Counter()

    def do_GET(self):  # noqa: N802 (http.server API)
        self.counts[self.path] += 1
        mode, _, name = self.path.lstrip("/").partition("/")
        body = self.files.get(name)
        if body is None or mode not in ("ok", "wrong", "truncated"):
            self.send_error(404, "Not Found")
            return
        if mode == "wrong":
            body = WRONG
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if mode == "truncated":
            body = body[: len(body) // 2]
            self.close_connection = True
        self.wfile.write(body)
        self.wfile.flush()

    def log_message(self, *args):  # keep test output quiet
        pass


@pytest.fixture
def server():
    """A ThreadingHTTPServer on 127.0.0.1 with an ephemeral port; yields (base_url, counts)."""
    handler = type("Handler", (_Handler,), {"files": {"camera.png": PNG, "camera.zip": ZIP},
                                            "counts": Counter()})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", handler.counts
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


@pytest.fixture(autouse=True)
def cache(isolated_cache) -> Path:
    """Every test here downloads into its own tmp_path (tests/conftest.py)."""
    return isolated_cache


@pytest.fixture
def dead_url(dead_base) -> str:
    """A URL on a 127.0.0.1 port nothing listens on."""
    return f"{dead_base}/camera.png"


def _listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_default_cache_dir_env_and_home(monkeypatch, tmp_path):
    assert dl.default_cache_dir() == tmp_path / "cache"
    monkeypatch.delenv("SRKIT_CACHE")
    assert dl.default_cache_dir() == tmp_path / "home" / ".cache" / "srkit"


def test_download_verifies_sha256_and_md5(server, cache):
    base, counts = server
    path = dl.download(f"{base}/ok/camera.png", sha256=SHA_PNG, md5=MD5_PNG, progress=False)
    assert path == cache / "camera.png"
    assert path.read_bytes() == PNG
    assert np.array_equal(np.asarray(Image.open(path)), skdata.camera())
    assert _listing(cache) == ["camera.png"]  # no .part file left
    assert counts["/ok/camera.png"] == 1
    other = dl.download(f"{base}/ok/camera.png", md5=MD5_PNG.upper(), filename="cam.png",
                        cache_dir=cache / "md5only", progress=False)
    assert other.read_bytes() == PNG and other.name == "cam.png"


def test_second_call_uses_cache_without_network(server, cache, dead_url):
    base, counts = server
    first = dl.download(f"{base}/ok/camera.png", sha256=SHA_PNG, progress=False)
    second = dl.download(f"{base}/ok/camera.png", sha256=SHA_PNG, progress=False)
    assert first == second and counts["/ok/camera.png"] == 1
    # even with the server unreachable, a verified cached file is returned
    assert dl.download(dead_url, sha256=SHA_PNG, progress=False) == first


def test_checksum_mismatch_raises_and_leaves_nothing(server, cache):
    base, _ = server
    url = f"{base}/wrong/camera.png"
    with pytest.raises(dl.ChecksumError) as info:
        dl.download(url, sha256=SHA_PNG, progress=False)
    msg = str(info.value)
    assert isinstance(info.value, ValueError)
    assert url in msg and SHA_PNG in msg and hashlib.sha256(WRONG).hexdigest() in msg
    assert "changed" in msg and str(cache) in msg
    assert _listing(cache) == []


def test_md5_mismatch_raises(server, cache):
    base, _ = server
    with pytest.raises(dl.ChecksumError, match=hashlib.md5(WRONG).hexdigest()):
        dl.download(f"{base}/wrong/camera.png", md5=MD5_PNG, progress=False)
    assert _listing(cache) == []


def test_truncated_transfer_raises_and_leaves_nothing(server, cache):
    base, _ = server
    with pytest.raises(dl.DownloadError) as info:
        dl.download(f"{base}/truncated/camera.png", sha256=SHA_PNG, progress=False)
    assert isinstance(info.value, OSError)
    assert f"{len(PNG) // 2} of {len(PNG)} bytes" in str(info.value)
    assert str(cache / "camera.png") in str(info.value)
    assert _listing(cache) == []


def test_http_404_raises_download_error(server, cache):
    base, counts = server
    url = f"{base}/ok/nothing.zip"
    with pytest.raises(dl.DownloadError, match="404") as info:
        dl.download(url, sha256=SHA_ZIP, progress=False)
    assert url in str(info.value) and counts["/ok/nothing.zip"] == 1
    assert _listing(cache) == []


def test_connection_refused_says_offline_and_where_to_put_file(cache, dead_url):
    with pytest.raises(dl.DownloadError) as info:
        dl.download(dead_url, sha256=SHA_PNG, progress=False, timeout=5)
    msg = str(info.value)
    assert "no internet connection" in msg and dead_url in msg
    assert f"place it at:\n    {cache / 'camera.png'}\n" in msg
    assert _listing(cache) == []


def test_corrupt_cached_file_is_downloaded_again(server, cache):
    base, counts = server
    cache.mkdir(parents=True)
    (cache / "camera.png").write_bytes(PNG[:1000])  # an interrupted earlier download
    with pytest.warns(UserWarning, match="does not match its checksum"):
        path = dl.download(f"{base}/ok/camera.png", sha256=SHA_PNG, progress=False)
    assert path.read_bytes() == PNG and counts["/ok/camera.png"] == 1


def test_missing_checksum_warns(server, cache):
    base, _ = server
    with pytest.warns(UserWarning, match="NOT be verified"):
        path = dl.download(f"{base}/ok/camera.png", progress=False)
    assert path.read_bytes() == PNG


def test_malformed_checksum_is_rejected():
    with pytest.raises(ValueError, match="sha256"):
        dl.download("http://127.0.0.1:9/x.png", sha256="abc123", progress=False)


def test_interrupt_during_download_leaves_no_part_file(server, cache, monkeypatch):
    base, _ = server

    class InterruptingBar(dl.tqdm):
        def update(self, n=1):
            raise KeyboardInterrupt

    monkeypatch.setattr(dl, "tqdm", InterruptingBar)
    with pytest.raises(KeyboardInterrupt):
        dl.download(f"{base}/ok/camera.png", sha256=SHA_PNG, progress=False)
    assert _listing(cache) == []


@pytest.mark.parametrize("fmt", ["zip", "tar.gz"])
def test_extract_zip_and_targz(tmp_path, fmt):
    members = {"camera/camera.png": PNG, "camera/README.txt": b"cameraman\n"}
    archive = tmp_path / f"camera.{fmt}"
    archive.write_bytes(_zip_bytes(members) if fmt == "zip" else _targz_bytes(members))
    dest = dl.extract(archive, tmp_path / "out")
    assert dest == tmp_path / "out"
    assert (dest / "camera" / "camera.png").read_bytes() == PNG
    assert (dest / "camera" / "README.txt").read_bytes() == b"cameraman\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"camera.{fmt}", "out"]  # no temp dir
    (dest / "camera" / "README.txt").write_bytes(b"edited")  # second call must skip extraction
    assert dl.extract(archive, dest) == dest
    assert (dest / "camera" / "README.txt").read_bytes() == b"edited"


@pytest.mark.parametrize("fmt", ["zip", "tar.gz"])
@pytest.mark.parametrize("evil", ["../evil.txt", "camera/../../evil.txt", "/tmp/evil.txt"])
def test_extract_rejects_path_traversal(tmp_path, fmt, evil):
    members = {"camera/camera.png": PNG, evil: b"pwned"}
    archive = tmp_path / "sub" / f"bad.{fmt}"
    archive.parent.mkdir()
    archive.write_bytes(_zip_bytes(members) if fmt == "zip" else _targz_bytes(members))
    with pytest.raises(ValueError, match="unsafe member"):
        dl.extract(archive, tmp_path / "sub" / "out")
    assert sorted(p.name for p in (tmp_path / "sub").iterdir()) == [f"bad.{fmt}"]
    assert not (tmp_path / "evil.txt").exists()


def test_interrupted_extraction_never_looks_complete(tmp_path, monkeypatch):
    archive = tmp_path / "camera.zip"
    archive.write_bytes(ZIP)

    def boom(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(zipfile.ZipFile, "extractall", boom)
    with pytest.raises(KeyboardInterrupt):
        dl.extract(archive, tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["camera.zip"]


def test_extract_rejects_non_archive(tmp_path):
    path = tmp_path / "camera.png"
    path.write_bytes(PNG)
    with pytest.raises(ValueError, match="neither a zip nor a tar"):
        dl.extract(path, tmp_path / "out")


def test_fetch_dataset_unknown_name_lists_known_names():
    with pytest.raises(ValueError, match="unknown dataset 'div3k'") as info:
        dl.fetch_dataset("div3k")
    for name in ("div2k_valid_hr", "bsds500", "fashion_mnist"):
        assert name in str(info.value)


def test_registry_entries_are_complete_and_verified():
    required = {"div2k_train_hr", "div2k_valid_hr", "div2k_valid_lr_bicubic_x2",
                "div2k_valid_lr_bicubic_x3", "div2k_valid_lr_bicubic_x4", "bsds500",
                "fashion_mnist"}
    assert required <= set(dl.DATASETS)
    assert len(dl.DATASETS["fashion_mnist"].files) == 4
    for key, info in dl.DATASETS.items():
        assert info.name == key and info.description and info.licence and info.size_mb > 0
        assert info.files and (not info.extract or len(info.files) == 1)
        for f in info.files:
            assert re.fullmatch(r"https://[^/\s]+/\S+", f.url), f.url
            assert f.sha256 or f.md5, f"{key}: {f.url} has no checksum"
            assert f.sha256 is None or re.fullmatch(r"[0-9a-f]{64}", f.sha256)
            assert f.md5 is None or re.fullmatch(r"[0-9a-f]{32}", f.md5)
        with pytest.raises(dataclasses.FrozenInstanceError):
            info.name = "changed"
    # one URL, one cache folder: entries sharing an archive share its folder and files
    folders = {}
    for info in dl.DATASETS.values():
        for f in info.files:
            assert folders.setdefault(f.url, info.folder) == info.folder, f.url
    assert dl.DATASETS["div2k_valid_hr"].files[0].url.endswith("/cvl/DIV2K/DIV2K_valid_HR.zip")


def test_fetch_dataset_end_to_end_with_local_server(server, cache, monkeypatch):
    base, counts = server
    local = dataclasses.replace(
        dl.DATASETS["div2k_valid_hr"],
        files=(dl.RemoteFile(f"{base}/ok/camera.zip", sha256=SHA_ZIP),))
    monkeypatch.setitem(dl.DATASETS, "div2k_valid_hr", local)
    folder = dl.fetch_dataset("div2k_valid_hr", progress=False)
    assert folder == cache / "div2k_valid_hr" / "extracted"
    assert (folder / "camera" / "camera.png").read_bytes() == PNG
    assert (cache / "div2k_valid_hr" / "camera.zip").read_bytes() == ZIP
    assert dl.fetch_dataset("div2k_valid_hr", progress=False) == folder
    assert counts["/ok/camera.zip"] == 1  # second call: no network
    (cache / "div2k_valid_hr" / "camera.zip").unlink()  # archive deleted to save space
    assert dl.fetch_dataset("div2k_valid_hr", progress=False) == folder
    assert counts["/ok/camera.zip"] == 1  # extracted folder is enough


def test_fetch_dataset_plain_files_returns_folder(server, cache, monkeypatch):
    base, counts = server
    files = (dl.RemoteFile(f"{base}/ok/camera.png", sha256=SHA_PNG, md5=MD5_PNG),
             dl.RemoteFile(f"{base}/ok/camera.zip", sha256=SHA_ZIP))
    monkeypatch.setitem(dl.DATASETS, "fashion_mnist",
                        dataclasses.replace(dl.DATASETS["fashion_mnist"], files=files))
    folder = dl.fetch_dataset("fashion_mnist", cache_dir=cache / "elsewhere", progress=False)
    assert folder == cache / "elsewhere" / "fashion_mnist"
    assert _listing(folder) == ["camera.png", "camera.zip"]
    assert counts["/ok/camera.png"] == counts["/ok/camera.zip"] == 1
