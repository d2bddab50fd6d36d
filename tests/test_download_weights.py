"""srkit.download.fetch_weights: the opt-in, checksum-verified download of official weights
srkit does not ship (Real-ESRGAN), against a real HTTP server on 127.0.0.1 only."""

import dataclasses
import hashlib
import http.server
import re
import threading
from collections import Counter

import pytest

from srkit import download as dl

BODY = b"PK\x03\x04 stand-in for a .pth release file " * 64


class _Handler(http.server.BaseHTTPRequestHandler):
    counts: Counter = Counter()

    def do_GET(self):  # noqa: N802 (http.server API)
        self.counts[self.path] += 1
        body = {"/v0.1.0/RealESRGAN_x4plus.pth": BODY,
                "/tampered/RealESRGAN_x4plus.pth": BODY[:-1] + b"!"}.get(self.path)
        if body is None:
            self.send_error(404, "Not Found")
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def release(monkeypatch):
    """A local 'release server'; WEIGHTS points at it with the stand-in file's SHA-256."""
    handler = type("Handler", (_Handler,), {"counts": Counter()})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"

    def point_to(path):
        info = dl.WEIGHTS["realesrgan_x4plus"]
        remote = dl.RemoteFile(base + path, sha256=hashlib.sha256(BODY).hexdigest())
        monkeypatch.setitem(dl.WEIGHTS, "realesrgan_x4plus", dataclasses.replace(info, file=remote))

    try:
        yield point_to, handler.counts
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def test_the_entry_is_the_official_release_with_its_checksum():
    info = dl.WEIGHTS["realesrgan_x4plus"]
    assert info.file.url == ("https://github.com/xinntao/Real-ESRGAN/releases/download/v0.1.0/"
                             "RealESRGAN_x4plus.pth")
    assert re.fullmatch(r"[0-9a-f]{64}", info.file.sha256)
    assert "BSD-3-Clause" in info.licence and "claims none" in info.note


def test_fetch_downloads_verifies_and_caches(release, isolated_cache):
    point_to, counts = release
    point_to("/v0.1.0/RealESRGAN_x4plus.pth")
    path = dl.fetch_weights(progress=False)
    assert path == isolated_cache / "weights" / "RealESRGAN_x4plus.pth"
    assert path.read_bytes() == BODY
    assert dl.fetch_weights(progress=False) == path  # cached: no second request
    assert counts["/v0.1.0/RealESRGAN_x4plus.pth"] == 1


def test_a_tampered_file_is_refused_and_not_kept(release, isolated_cache):
    point_to, _ = release
    point_to("/tampered/RealESRGAN_x4plus.pth")
    with pytest.raises(dl.ChecksumError):
        dl.fetch_weights(progress=False)
    assert not list((isolated_cache / "weights").glob("RealESRGAN_x4plus.pth*"))


def test_unknown_names_and_no_connection(isolated_cache, dead_base, monkeypatch):
    with pytest.raises(ValueError, match="unknown weights 'esrgan'; srkit can fetch realesrgan_x4plus"):
        dl.fetch_weights("esrgan")
    info = dl.WEIGHTS["realesrgan_x4plus"]
    monkeypatch.setitem(dl.WEIGHTS, "realesrgan_x4plus", dataclasses.replace(
        info, file=dl.RemoteFile(dead_base + "/RealESRGAN_x4plus.pth", sha256=info.file.sha256)))
    with pytest.raises(dl.DownloadError):
        dl.fetch_weights(progress=False, timeout=2)
