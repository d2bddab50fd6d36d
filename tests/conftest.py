"""Fixtures shared by the download tests (tests/test_download*.py)."""

import socket
from pathlib import Path

import pytest


@pytest.fixture
def isolated_cache(tmp_path, monkeypatch) -> Path:
    """Point SRKIT_CACHE (and HOME) into tmp_path so nothing touches the real home."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SRKIT_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def dead_base() -> str:
    """Base URL of a 127.0.0.1 port nothing listens on (bound, then closed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"
