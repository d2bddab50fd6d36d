"""Cached, checksum-verified downloads of the course datasets.

Files are stored under :func:`default_cache_dir` (``$SRKIT_CACHE`` or
``~/.cache/srkit``). A download is streamed to a temporary ``<name>.part-*``
file next to its final place, hashed while it is written, verified, and only
then renamed into place, so the cache never holds a partial or unverified file.

>>> from srkit.download import fetch_dataset, DATASETS     # doctest: +SKIP
>>> sorted(DATASETS)                                        # doctest: +SKIP
>>> folder = fetch_dataset("div2k_valid_hr")                # doctest: +SKIP
>>> paths = hr_images("urban100")      # 100 PNG paths       # doctest: +SKIP

Entries that come from one archive (``set5``, ``set14``, ``b100`` and
``urban100`` all come from the EDSR authors' ``benchmark.tar``) share one cached
download and one extraction. Manga109 has no public download (its licence
forbids redistribution); :func:`hr_images` explains how to place it by hand.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import re
import shutil
import socket
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from tqdm import tqdm

__all__ = ["ChecksumError", "DownloadError", "RemoteFile", "DatasetInfo", "DATASETS",
           "WEIGHTS", "default_cache_dir", "download", "extract", "fetch_dataset", "fetch_weights",
           "hr_images"]

_CHUNK = 1 << 20  # bytes read per step
_MARKER = ".srkit-extracted"
_HEX = {"sha256": re.compile(r"[0-9a-f]{64}"), "md5": re.compile(r"[0-9a-f]{32}")}
_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")


class ChecksumError(ValueError):
    """A downloaded file does not have the expected checksum."""


class DownloadError(OSError):
    """A file could not be downloaded (no connection, HTTP error, dropped transfer)."""


def default_cache_dir() -> Path:
    """Return the folder where downloads are cached.

    Returns
    -------
    pathlib.Path
        ``$SRKIT_CACHE`` if that environment variable is set and not empty,
        otherwise ``~/.cache/srkit``. The folder is not created here.
    """
    env = os.environ.get("SRKIT_CACHE", "").strip()
    return Path(env).expanduser() if env else Path.home() / ".cache" / "srkit"


def _cache_root(cache_dir: str | os.PathLike | None) -> Path:
    return Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()


def _hasher(algo: str):
    return hashlib.new(algo, usedforsecurity=False)  # integrity check, not security


def _file_digests(path: Path) -> dict[str, str]:
    hashers = {algo: _hasher(algo) for algo in ("sha256", "md5")}
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            for h in hashers.values():
                h.update(chunk)
    return {k: h.hexdigest() for k, h in hashers.items()}


def _mismatches(expected: dict[str, str], actual: dict[str, str]) -> dict[str, tuple[str, str]]:
    return {k: (v, actual[k]) for k, v in expected.items() if actual[k] != v}


def _network_error(url: str, target: Path, exc: BaseException, timeout: float) -> DownloadError:
    """Build a DownloadError that says what happened and how to get the file by hand."""
    if isinstance(exc, urllib.error.HTTPError):
        what = (f"the server answered HTTP {exc.code} {exc.reason}. The file may have moved "
                "or the server may be down; try again later")
    else:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        if isinstance(reason, (TimeoutError, socket.timeout)):
            what = (f"the connection timed out after {timeout} s ({reason}). It looks like there "
                    "is no internet connection, or the server is very slow")
        elif isinstance(exc, urllib.error.URLError):
            what = (f"{reason}. It looks like there is no internet connection (or a firewall or "
                    "proxy blocks the server)")
        else:
            what = (f"the transfer was interrupted ({type(exc).__name__}: {exc}). The connection "
                    "dropped; try again")
    return DownloadError(
        f"Could not download {url}: {what}.\n"
        f"You can download the file by hand (with a browser, on another computer if need be) "
        f"and place it at:\n    {target}\nsrkit will then verify and use it.")


def download(url: str, *, sha256: str | None = None, md5: str | None = None,
             filename: str | None = None, cache_dir: str | os.PathLike | None = None,
             progress: bool = True, timeout: float = 60) -> Path:
    """Download ``url`` into the cache, verify it, and return its path.

    A cached file whose checksum matches is returned without network access;
    a cached file whose checksum does not match (for example a corrupt earlier
    download) is deleted and downloaded again.

    Parameters
    ----------
    url : str
        The ``http(s)://`` (or ``file://``) address of the file.
    sha256, md5 : str or None, optional
        Expected hexadecimal digests. Give at least one: without a checksum the
        file cannot be verified and a ``UserWarning`` is issued.
    filename : str or None, optional
        Name of the cached file; defaults to the last part of the URL path.
    cache_dir : str or os.PathLike or None, optional
        Folder to store the file in (created if needed); defaults to
        :func:`default_cache_dir`.
    progress : bool, optional
        Show a tqdm progress bar while downloading. Default ``True``.
    timeout : float, optional
        Seconds to wait for the server to connect or to send more data. Default 60.

    Returns
    -------
    pathlib.Path
        Path of the verified file in the cache.

    Raises
    ------
    ChecksumError
        If the downloaded file does not have the expected digest(s).
    DownloadError
        If there is no connection, the server answers an HTTP error, or the
        transfer is cut short. No partial file is left behind in either case.
    ValueError
        If a checksum is not a hexadecimal digest of the right length, or no
        file name can be derived from ``url``.
    """
    expected = {k: v.strip().lower() for k, v in (("sha256", sha256), ("md5", md5)) if v}
    for algo, digest in expected.items():
        if not _HEX[algo].fullmatch(digest):
            raise ValueError(f"{algo} must be a hexadecimal {algo} digest, got {digest!r}")
    name = filename or PurePosixPath(urllib.parse.unquote(urllib.parse.urlparse(url).path)).name
    if not name or name in (".", "..") or "/" in name or "\\" in name:
        raise ValueError(f"cannot derive a file name from {url!r}; pass filename=...")
    folder = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    target = folder / name
    if not expected:
        warnings.warn(f"no checksum given for {url}: the downloaded file will NOT be verified. "
                      "Pass sha256=... (the known datasets in srkit.download.DATASETS always "
                      "carry one).", UserWarning, stacklevel=2)

    if target.is_file():
        if not expected:
            return target
        bad = _mismatches(expected, _file_digests(target))
        if not bad:
            return target
        warnings.warn(f"the cached file {target} does not match its checksum (a corrupt or "
                      "interrupted earlier download?); deleting it and downloading it again.",
                      UserWarning, stacklevel=2)
        target.unlink()

    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f"{name}.part-", dir=folder)
    tmp = Path(tmp_name)
    try:
        hashers = {algo: _hasher(algo) for algo in expected}
        received = 0
        request = urllib.request.Request(url, headers={"User-Agent": "srkit-download/1.0"})
        with os.fdopen(fd, "wb") as out:
            try:
                response = urllib.request.urlopen(request, timeout=timeout)
            except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
                if isinstance(exc, urllib.error.HTTPError):
                    exc.close()  # release the connection it holds
                raise _network_error(url, target, exc, timeout) from exc
            with response:
                length = response.headers.get("Content-Length")
                total = int(length) if length and length.isdigit() else None
                with tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024,
                          desc=name, disable=not progress) as bar:
                    while True:
                        try:
                            chunk = response.read(_CHUNK)
                        except (http.client.HTTPException, OSError) as exc:
                            raise _network_error(url, target, exc, timeout) from exc
                        if not chunk:
                            break
                        out.write(chunk)
                        for h in hashers.values():
                            h.update(chunk)
                        received += len(chunk)
                        bar.update(len(chunk))
            if total is not None and received != total:
                exc = ConnectionError(f"the server closed the connection after {received} "
                                      f"of {total} bytes")
                raise _network_error(url, target, exc, timeout)
            out.flush()
            os.fsync(out.fileno())
        actual = {algo: h.hexdigest() for algo, h in hashers.items()}
        bad = _mismatches(expected, actual)
        if bad:
            lines = "\n".join(f"    {algo}: expected {exp}\n    {' ' * len(algo)}  actual   {act}"
                              for algo, (exp, act) in bad.items())
            raise ChecksumError(
                f"The file downloaded from {url} does not have the expected checksum:\n{lines}\n"
                "The download was discarded. The server may have changed the file, or a proxy "
                "may have returned an error page instead of it. Try again; if it keeps failing, "
                f"delete the cache folder {folder} and report the problem to the course "
                "maintainers (quote this message).")
        tmp.chmod(0o644)  # mkstemp creates 0600; cached data need not be private
        os.replace(tmp, target)
    finally:  # also on KeyboardInterrupt: never leave a partial file behind
        tmp.unlink(missing_ok=True)
    return target


def _unsafe_member(name: str) -> bool:
    """True for archive member names that are absolute or climb out with '..'."""
    norm = name.replace("\\", "/")
    return (norm.startswith("/") or re.match(r"^[A-Za-z]:", norm) is not None
            or ".." in norm.split("/"))


def extract(archive_path: str | os.PathLike, dest_dir: str | os.PathLike) -> Path:
    """Extract a zip or tar(.gz/.bz2/.xz) archive safely and atomically.

    The archive is unpacked into a temporary sibling folder, a marker file is
    written, and the folder is renamed to ``dest_dir``: an interrupted
    extraction never looks complete. If ``dest_dir`` already holds the marker,
    nothing is done.

    Parameters
    ----------
    archive_path : str or os.PathLike
        The archive to extract.
    dest_dir : str or os.PathLike
        Folder to create with the archive's contents.

    Returns
    -------
    pathlib.Path
        ``dest_dir``.

    Raises
    ------
    ValueError
        If the archive format is not zip or tar, or a member has an absolute
        path, a '..' component, or is a link or device pointing elsewhere
        (path traversal). Nothing is extracted in that case.
    FileExistsError
        If ``dest_dir`` exists but was not created by :func:`extract`.
    """
    archive, dest = Path(archive_path), Path(dest_dir)
    if (dest / _MARKER).is_file():
        return dest
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise FileExistsError(f"{dest} exists but is not a completed extraction of {archive.name}; "
                              "delete it (or choose another folder) and try again")
    if zipfile.is_zipfile(archive):
        opener, kind = zipfile.ZipFile, "zip"
    elif tarfile.is_tarfile(archive):
        opener, kind = tarfile.open, "tar"
    else:
        raise ValueError(f"{archive} is neither a zip nor a tar archive")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.tmp-", dir=dest.parent))
    try:
        with opener(archive) as arc:
            if kind == "zip":
                bad = [n for n in arc.namelist() if _unsafe_member(n)]
            else:
                bad = [m.name for m in arc.getmembers() if _unsafe_member(m.name)
                       or (m.issym() or m.islnk()) and _unsafe_member(m.linkname)
                       or m.isdev()]
            if bad:
                raise ValueError(f"refusing to extract {archive}: unsafe member(s) {bad[:5]} "
                                 "(absolute path, '..' or device). The archive may be damaged "
                                 "or malicious; delete it and download it again.")
            if kind == "tar" and hasattr(tarfile, "data_filter"):
                arc.extractall(tmp, filter="data")
            else:
                arc.extractall(tmp)
        (tmp / _MARKER).write_text(json.dumps({"archive": archive.name}) + "\n")
        if dest.is_dir():  # empty folder left by the user or an older run
            dest.rmdir()
        try:
            os.replace(tmp, dest)
        except OSError:
            if not (dest / _MARKER).is_file():  # not a concurrent extraction that won
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest


@dataclass(frozen=True)
class RemoteFile:
    """One downloadable file: its URL and expected digest(s) (hexadecimal)."""

    url: str
    sha256: str | None = None
    md5: str | None = None

    @property
    def filename(self) -> str:
        """Last component of the URL path (the cached file's name)."""
        return PurePosixPath(urllib.parse.urlparse(self.url).path).name


@dataclass(frozen=True)
class DatasetInfo:
    """A known dataset: the files to download and what may be done with them.

    ``extract`` says whether the (single) file is an archive that
    :func:`fetch_dataset` unpacks; ``size_mb`` is the download size in MB (10⁶ bytes).
    ``hr_glob`` is the glob, relative to the extraction folder, of the set's
    high-resolution images (``None``: the entry holds no HR images, e.g. an LR
    zip); ``hr_count`` is how many images it matches in the real archive.
    ``cache_folder`` is the folder under the cache root that holds the download
    and its extraction; entries that come from the same archive give the same
    folder (and the same ``files``) so that it is downloaded and extracted once.
    It defaults to ``name``.
    """

    name: str
    description: str
    files: tuple[RemoteFile, ...]
    licence: str
    size_mb: float
    extract: bool = False
    hr_glob: str | None = None
    hr_count: int | None = None
    cache_folder: str | None = None

    @property
    def folder(self) -> str:
        """Folder name under the cache root (``cache_folder`` or ``name``)."""
        return self.cache_folder or self.name


_DIV2K_BASE = "https://data.vision.ee.ethz.ch/cvl/DIV2K/"
_DIV2K_TERMS = ("DIV2K (Agustsson & Timofte, NTIRE/CVPRW 2017): for academic research use "
                "only; cite the paper. See https://data.vision.ee.ethz.ch/cvl/DIV2K/")
# DIV2K sha256 digests and sizes (bytes): tensorflow/datasets,
# tensorflow_datasets/datasets/div2k/checksums.tsv (the HR and X2 ones also in
# tensorflow_datasets/url_checksums/div2k.txt).
_DIV2K = {
    "train_HR": ("9d0b9c463f6e35b6c62cc6a930ee2224f670b34c1df841a57670f9acf0f6c335", 3530603713,
                 "800 training images, high resolution (2K)"),
    "valid_HR": ("20dd31fd84d777bc1cf5d6b7654a3f569c0aec74458ae094122ad1d0489900fc", 448993893,
                 "100 validation images, high resolution (2K)"),
    "train_LR_bicubic_X2": ("a53a424317575838dadce4bcd97cf7b744d6855f43740ed5f0245af3cf4bd850",
                            925390592, "800 training images, bicubic x2 low resolution"),
    "train_LR_bicubic_X3": ("ad5c8e5507e2765823d3c2c5bd0934842efcd487c5370604c224090898b3163a",
                            427847282, "800 training images, bicubic x3 low resolution"),
    "train_LR_bicubic_X4": ("f006b837f4eb52b82909aa01478e6d6d199eefce932179491d0c9dbb706dde3a",
                            246914039, "800 training images, bicubic x4 low resolution"),
    "valid_LR_bicubic_X2": ("60eed9875c697df51204aa579e2a699e1d5215095788a097ff54dd17e2664d57",
                            117763600, "100 validation images, bicubic x2 low resolution"),
    "valid_LR_bicubic_X3": ("04b9a2ed3b4a0715d3924d3ae8514830c3328fac8d30512ce716d6f419e052a3",
                            54513392, "100 validation images, bicubic x3 low resolution"),
    "valid_LR_bicubic_X4": ("a50a5d1c4b88de4e8d300d8fb2b904c52fe93b2b298a4899697760d7cbb6d553",
                            31505881, "100 validation images, bicubic x4 low resolution"),
}
_FMNIST_BASE = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
# Fashion-MNIST: sha256 from keras-team/keras, keras/src/datasets/fashion_mnist.py
# (FILE_HASHES; the same digests are in tensorflow/datasets,
# tensorflow_datasets/url_checksums/fashion_mnist.txt for Zalando's own copies);
# md5 from zalandoresearch/fashion-mnist, README.md ("Get the Data" table).
_FMNIST = (
    ("train-images-idx3-ubyte.gz", "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
     "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
    ("train-labels-idx1-ubyte.gz", "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
     "25c81989df183df01b3e8a0aad5dffbe"),
    ("t10k-images-idx3-ubyte.gz", "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
     "bef4ecab320f06d8554ea6380940ec79"),
    ("t10k-labels-idx1-ubyte.gz", "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
     "bb300cfdad3c16e7a12a480ee83cd310"),
)

DATASETS: dict[str, DatasetInfo] = {
    f"div2k_{key.lower()}": DatasetInfo(
        name=f"div2k_{key.lower()}", description=f"DIV2K {desc} (DIV2K_{key}.zip)",
        files=(RemoteFile(f"{_DIV2K_BASE}DIV2K_{key}.zip", sha256=digest),),
        licence=_DIV2K_TERMS, size_mb=round(size / 1e6, 1), extract=True,
        # the HR zips hold DIV2K_<split>_HR/0001.png ... (train 0001-0800, valid 0801-0900)
        hr_glob=f"DIV2K_{key}/*.png" if key.endswith("_HR") else None,
        hr_count=(800 if key.startswith("train") else 100) if key.endswith("_HR") else None)
    for key, (digest, size, desc) in _DIV2K.items()
}
DATASETS["bsds500"] = DatasetInfo(
    name="bsds500",
    description="Berkeley Segmentation Dataset BSDS500: 500 natural photographs "
                "(481x321; train/val/test) with human segmentations (BSR_bsds500.tgz)",
    # md5: AIDL-PROJ-2022/enhanced-srgan, torch_srgan/datasets/BSDS500.py (dataset_md5sum);
    # size 70763455 bytes: tensorpack/tensorpack, tensorpack/dataflow/dataset/bsds500.py.
    # No published sha256 was found.
    files=(RemoteFile("https://www2.eecs.berkeley.edu/Research/Projects/CS/vision/grouping/"
                      "BSR/BSR_bsds500.tgz", md5="0b17383ff0b21fe43d2f28e624203169"),),
    licence="Images copyright their owners (Corel); for non-commercial research and education. "
            "Cite Arbelaez et al., TPAMI 2011. See https://www2.eecs.berkeley.edu/Research/"
            "Projects/CS/vision/grouping/resources.html",
    size_mb=70.8, extract=True,
    # HR images: the 200 test photographs (JPEG). The archive holds
    # BSR/BSDS500/data/images/{train,val,test}/*.jpg (200/100/200) beside Thumbs.db
    # files (layout: tensorpack/tensorpack, tensorpack/dataflow/dataset/bsds500.py).
    # Its 100 "val" images are the BSDS300 test images, i.e. B100: the test split
    # does not overlap B100.
    hr_glob="BSR/BSDS500/data/images/test/*.jpg", hr_count=200)
DATASETS["fashion_mnist"] = DatasetInfo(
    name="fashion_mnist",
    description="Fashion-MNIST: 70,000 28x28 gray images of clothes in 10 classes "
                "(4 gzipped IDX files: train/t10k images and labels)",
    files=tuple(RemoteFile(_FMNIST_BASE + n, sha256=s, md5=m) for n, s, m in _FMNIST),
    licence="MIT licence, copyright Zalando SE. See https://github.com/zalandoresearch/fashion-mnist",
    size_mb=30.9)

# The EDSR authors' benchmark archive (Lim et al., CVPRW 2017): benchmark/<set>/HR/*.png
# and benchmark/<set>/LR_bicubic/X{2,3,4}/*x{2,3,4}.png for Set5, Set14, B100, Urban100;
# 250112000 bytes.
# sha256: YeapJieShen/single-image-super-resolution, tests/reference/fetch_urban100.py
#   (SHA256; also tests/utils/test_imresize.py, "SHA-256 of the full 250112000-byte tar");
# md5: Coloquinte/torchSR, torchsr/datasets/benchmarks.py (urls of Set5/Set14/B100/Urban100,
#   checked by torchvision's download_and_extract_archive).
# The layout benchmark/<set>/HR and benchmark/<set>/LR_bicubic/X<s> is read in the same two
# files (torchSR's track_dirs; the script extracts benchmark/Urban100/ and globs HR/*.png).
_BENCHMARK = RemoteFile("https://cv.snu.ac.kr/research/EDSR/benchmark.tar",
                        sha256="80c21c333bbf6ceb5308b7243761f8284478274413a97b96f1d63e9045fd93e8",
                        md5="4ace41d33c2384b97e6b320cd0afd6ba")
_BENCHMARK_NOTE = ("Downloaded from the EDSR authors' benchmark.tar (Lim et al., CVPRW 2017), "
                   "shared by set5, set14, b100 and urban100. ")
_BENCHMARK_SETS = {
    "set5": ("Set5", 5, "Set5: 5 test images (baby, bird, butterfly, head, woman)",
             "Cite Bevilacqua et al., BMVC 2012. For research use."),
    "set14": ("Set14", 14, "Set14: 14 test images (baboon, barbara, ..., zebra)",
              "Cite Zeyde et al., Curves and Surfaces 2010. For research use."),
    "b100": ("B100", 100, "B100 (BSD100): the 100 test images of BSDS300, 481x321 or 321x481",
             "Images copyright their owners (Corel); for non-commercial research and education. "
             "Cite Martin et al., ICCV 2001. See https://www2.eecs.berkeley.edu/Research/Projects/"
             "CS/vision/bsds/"),
    "urban100": ("Urban100", 100, "Urban100: 100 photographs of buildings and urban scenes",
                 "For research use; cite Huang, Singh & Ahuja, 'Single Image Super-Resolution "
                 "from Transformed Self-Exemplars', CVPR 2015. See "
                 "https://github.com/jbhuang0604/SelfExSR"),
}
for _key, (_folder, _count, _desc, _terms) in _BENCHMARK_SETS.items():
    DATASETS[_key] = DatasetInfo(
        name=_key,
        description=f"{_desc}; HR PNGs and bicubic x2/x3/x4 LR (benchmark.tar, all four sets)",
        files=(_BENCHMARK,), licence=_BENCHMARK_NOTE + _terms, size_mb=250.1, extract=True,
        hr_glob=f"benchmark/{_folder}/HR/*.png", hr_count=_count, cache_folder="edsr_benchmark")
del _key, _folder, _count, _desc, _terms

# Sets that cannot be downloaded automatically: name -> (folder under the cache
# root where the user places the HR images by hand, expected count, explanation).
_MANUAL = {
    "manga109": (
        "manga109/HR", 109,
        "Manga109 (Matsui et al., Multimedia Tools and Applications 2017; Aizawa et al., "
        "IEEE MultiMedia 2020) may be used for academic purposes only and its licence forbids "
        "redistribution, so there is no public download that srkit could verify: the "
        "authors hand it out on application (http://www.manga109.org/en/download.html, or "
        "the gated https://huggingface.co/datasets/hal-utokyo/Manga109)."),
}


def fetch_dataset(name: str, cache_dir: str | os.PathLike | None = None, *,
                  progress: bool = True) -> Path:
    """Download (and, for archives, extract) a dataset of :data:`DATASETS`.

    Files go to ``<cache_dir>/<folder>/``; archives are extracted to
    ``<cache_dir>/<folder>/extracted/``, where ``folder`` is
    :attr:`DatasetInfo.folder` (the dataset's name, or a name shared by the
    entries that come from one archive, e.g. ``edsr_benchmark`` for ``set5``,
    ``set14``, ``b100`` and ``urban100``: that archive is downloaded and
    extracted once). Once extracted, later calls return at once, without
    hashing the archive or touching the network, so the archive may be deleted
    to save disk space.

    Parameters
    ----------
    name : str
        A key of :data:`DATASETS`, e.g. ``"div2k_valid_hr"``.
    cache_dir : str or os.PathLike or None, optional
        Cache root; defaults to :func:`default_cache_dir`.
    progress : bool, optional
        Show progress bars. Default ``True``.

    Returns
    -------
    pathlib.Path
        The extraction folder for archives, the file for a single plain file,
        or the folder holding the files otherwise.

    Raises
    ------
    ValueError
        If ``name`` is unknown (the message lists the known names).
    DownloadError, ChecksumError
        See :func:`download`.
    """
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; known datasets: {', '.join(sorted(DATASETS))}")
    info = DATASETS[name]
    folder = _cache_root(cache_dir) / info.folder
    dest = folder / "extracted"
    if info.extract and (dest / _MARKER).is_file():
        return dest
    paths = [download(f.url, sha256=f.sha256, md5=f.md5, filename=f.filename, cache_dir=folder,
                      progress=progress) for f in info.files]
    if info.extract:
        return extract(paths[0], dest)
    return paths[0] if len(paths) == 1 else folder


def is_cached(name: str, cache_dir: str | os.PathLike | None = None) -> bool:
    """True when :func:`hr_images` would find ``name``'s images without the network.

    Extracted archives are recognised by the mark :func:`extract` leaves; single files
    by their presence; ``manga109`` by images placed in ``<cache>/manga109/HR/``. Never
    downloads anything (notebooks use it to add B100/Urban100 only when present).

    Raises
    ------
    ValueError
        If ``name`` is not a dataset of :data:`DATASETS` (or ``"manga109"``).
    """
    root = _cache_root(cache_dir)
    if name in _MANUAL:
        folder = root / _MANUAL[name][0]
        return folder.is_dir() and any(p.suffix.lower() in _IMAGE_SUFFIXES for p in folder.iterdir())
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; known datasets: {', '.join(sorted(DATASETS))}")
    info = DATASETS[name]
    folder = root / info.folder
    if info.extract:
        return (folder / "extracted" / _MARKER).is_file()
    return all((folder / f.filename).is_file() for f in info.files)


def hr_images(name: str, cache_dir: str | os.PathLike | None = None, *,
              progress: bool = True) -> list[Path]:
    """Return the sorted paths of a test set's high-resolution images, downloading it if needed.

    The dataset is fetched (and extracted) with :func:`fetch_dataset` the first
    time; later calls only list files, without network access.

    ==================  ==========================================  ======
    name                images (inside the extraction folder)       count
    ==================  ==========================================  ======
    ``set5``            ``benchmark/Set5/HR/*.png``                 5
    ``set14``           ``benchmark/Set14/HR/*.png``                14
    ``b100``            ``benchmark/B100/HR/*.png``                 100
    ``urban100``        ``benchmark/Urban100/HR/*.png``             100
    ``div2k_train_hr``  ``DIV2K_train_HR/*.png`` (0001-0800)         800
    ``div2k_valid_hr``  ``DIV2K_valid_HR/*.png`` (0801-0900)         100
    ``bsds500``         ``BSR/BSDS500/data/images/test/*.jpg``      200
    ``manga109``        placed by hand in ``<cache>/manga109/HR/``  109
    ==================  ==========================================  ======

    The four benchmark sets come from one archive (``benchmark.tar``, 250 MB,
    with their bicubic LR images too), downloaded and extracted once for all
    four; only the HR images of the named set are returned. For ``bsds500``
    the 200 *test* photographs are returned (JPEG, 481x321 or 321x481; its
    train/val splits are left out, and its 100 val images are B100). Manga109
    cannot be downloaded (its licence forbids redistribution): obtain it from
    its authors and put its 109 HR images (PNG or JPEG) in
    ``<cache_dir>/manga109/HR/``.

    Parameters
    ----------
    name : str
        ``"set5"``, ``"set14"``, ``"b100"``, ``"urban100"``, ``"div2k_train_hr"``,
        ``"div2k_valid_hr"``, ``"bsds500"`` or ``"manga109"`` (any entry of
        :data:`DATASETS` whose ``hr_glob`` is set, or ``"manga109"``).
    cache_dir : str or os.PathLike or None, optional
        Cache root; defaults to :func:`default_cache_dir`.
    progress : bool, optional
        Show progress bars while downloading. Default ``True``.

    Returns
    -------
    list of pathlib.Path
        Image files sorted by path (so by file name: ``"101085.png"`` comes
        before ``"3096.png"``); the images themselves are not read, so their
        shapes (H×W×3, sizes vary within a set) are whatever the files hold.

    Raises
    ------
    ValueError
        If ``name`` is unknown, or names an entry without HR images (the
        DIV2K LR zips, ``fashion_mnist``).
    DownloadError
        If the dataset is not cached and cannot be downloaded (the message says
        whether the connection is missing and where to place the file by
        hand), or for ``manga109`` if its images have not been placed by hand.
    ChecksumError
        If the downloaded archive does not have its published checksum.
    FileNotFoundError
        If the extraction holds no image where the set's images should be.

    Warns
    -----
    UserWarning
        If the number of images found differs from the published set's.

    Notes
    -----
    Where each URL and checksum was read is recorded next to its entry in the
    source of :mod:`srkit.download`.
    """
    if name in _MANUAL:
        rel, count, why = _MANUAL[name]
        folder = _cache_root(cache_dir) / rel
        paths = sorted(p for p in folder.glob("*")
                       if p.is_file() and p.suffix.lower() in _IMAGE_SUFFIXES)
        if not paths:
            raise DownloadError(
                f"{name} cannot be downloaded automatically. {why}\nOnce you have it, place "
                f"its {count} high-resolution images (PNG or JPEG) in:\n    {folder}\n"
                f"and srkit will use them.")
        _check_count(name, paths, count, folder)
        return paths
    if name not in DATASETS:
        known = sorted({*(k for k, v in DATASETS.items() if v.hr_glob), *_MANUAL})
        raise ValueError(f"unknown dataset {name!r}; datasets with HR images: {', '.join(known)}")
    info = DATASETS[name]
    if info.hr_glob is None:
        with_hr = ", ".join(sorted({*(k for k, v in DATASETS.items() if v.hr_glob), *_MANUAL}))
        raise ValueError(f"dataset {name!r} has no high-resolution images ({info.description}); "
                         f"datasets with HR images: {with_hr}")
    root = fetch_dataset(name, cache_dir, progress=progress)
    paths = sorted(p for p in root.glob(info.hr_glob)
                   if p.is_file() and p.suffix.lower() in _IMAGE_SUFFIXES)
    if not paths:
        raise FileNotFoundError(f"no image matches {info.hr_glob!r} in {root}: the extraction "
                                f"does not hold {name} where expected. Delete {root} (and the "
                                "archive beside it) and try again.")
    _check_count(name, paths, info.hr_count, root)
    return paths


def _check_count(name: str, paths: list[Path], expected: int | None, where: Path) -> None:
    if expected is not None and len(paths) != expected:
        warnings.warn(f"{name}: found {len(paths)} images in {where}, the published set has "
                      f"{expected}; results will not be comparable with published numbers.",
                      UserWarning, stacklevel=3)


# ---------------------------------------------------------------------------
# Published weights srkit does not ship (opt-in downloads)
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class WeightsInfo:
    """Official weights of a published model that srkit does not ship: where they are, what
    they are, under which licence, and what they are for."""

    file: RemoteFile
    title: str
    licence: str
    paper: str
    architecture: str
    note: str


WEIGHTS = {
    "realesrgan_x4plus": WeightsInfo(
        file=RemoteFile("https://github.com/xinntao/Real-ESRGAN/releases/download/v0.1.0/"
                        "RealESRGAN_x4plus.pth",
                        sha256="4fa0d38905f75ac06eb49a7951b426670021be3018265fd191d2125df9d682f1"),
        title="Real-ESRGAN x4plus (the GAN generator)",
        licence="BSD-3-Clause (xinntao/Real-ESRGAN)",
        paper="Wang et al., Real-ESRGAN: Training Real-World Blind Super-Resolution with Pure "
              "Synthetic Data, ICCV Workshops 2021, arXiv:2107.10833",
        architecture="RRDBNet of ESRGAN: 23 residual-in-residual dense blocks, 64 features, "
                     "growth 32, ×4 (16.7 M parameters); state dict under 'params_ema'",
        note="67 MB PyTorch file (zip + pickle). A perceptual model trained on synthetic "
             "real-world degradations (blur, noise, JPEG, twice): it draws sharp, plausible "
             "texture on photographs and scores a lower PSNR than PSNR-oriented models on the "
             "bicubic benchmark, by design (notebook 04's perception-distortion trade-off). Its "
             "paper gives no Set5 PSNR; srkit claims none. Read its tensors without PyTorch with "
             "tools/torch_weights.py."),
}
"""Official weights srkit can fetch on request (never automatically; nothing ships them)."""


def fetch_weights(name: str = "realesrgan_x4plus", cache_dir: str | os.PathLike | None = None, *,
                  progress: bool = True, timeout: float = 60) -> Path:
    """Download the official weights of a perceptual model srkit does not ship (opt-in).

    Nothing in srkit calls this by itself: a user with internet asks for it. The file is
    cached and verified against the SHA-256 recorded in :data:`WEIGHTS` (the release's file),
    so a changed or tampered file is refused before anyone unpickles it.

    Parameters
    ----------
    name : str
        A key of :data:`WEIGHTS` (``"realesrgan_x4plus"``).
    cache_dir, progress, timeout
        As for :func:`download`.

    Returns
    -------
    Path
        The verified ``.pth`` file in the cache.

    Raises
    ------
    ValueError
        For an unknown name, listing the known ones.
    ChecksumError
        If the download does not have the recorded SHA-256.
    DownloadError
        Without a connection (the message says so), or for an HTTP error.
    """
    if name not in WEIGHTS:
        raise ValueError(f"unknown weights {name!r}; srkit can fetch {', '.join(WEIGHTS)}")
    remote = WEIGHTS[name].file
    root = _cache_root(cache_dir) / "weights"
    return download(remote.url, sha256=remote.sha256, filename=remote.filename, cache_dir=root,
                    progress=progress, timeout=timeout)
