"""Make the student works' domain sets shipped in ``srkit/datasets`` from their sources.

    python tools/make_domain_datasets.py \\
        --faces   WEBMORPHR_STIM/inst \\
        --mri     RCS_YOLO/dataset-brain-tumor/categorized \\
        --fashion-mnist /usr/share/datasets/fashion-mnist \\
        --mnist   MNIST_PNGS

Each option names a source folder (any subset of the four may be given; only those sets are
remade):

- ``--faces``: a folder holding ``neutral_front/NNN_03.jpg`` and ``smiling_front/NNN_08.jpg``
  (``inst/`` of github.com/debruine/webmorphR.stim: the Face Research Lab London Set).
- ``--mri``: a folder holding ``0/``, ``1/``, ``2/`` with ``<index>.jpg`` (the figshare brain
  tumour slices of Cheng et al. as copied in github.com/nanonane/RCS-YOLO,
  ``dataset-brain-tumor/categorized``). ``no-tumor/`` is never read.
- ``--fashion-mnist``: a folder with Zalando's four gzipped IDX files (Debian's package
  ``dataset-fashion-mnist`` puts them in ``/usr/share/datasets/fashion-mnist``).
- ``--mnist``: the root of github.com/rasbt/mnist-pngs (``train/<digit>/<n>.png``,
  ``test/<digit>/<n>.png``; n counts the official train file 0–59,999 then test 60,000–69,999).

The output is deterministic (fixed crops, fixed splits, fixed zip timestamps), so rerunning on
the same sources gives the same bytes; the entries of ``srkit/datasets/SHA256SUMS`` for the
remade folders are replaced. ``srkit/datasets/README.md`` describes what is made and why.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import struct
import sys
import zipfile
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "srkit" / "datasets"

# --- faces: Face Research Lab London Set ------------------------------------------------
FACE_FOLDER = "Faces"
FACE_SIDE = 144  # multiple of 12 (x2, x3, x4 divide it), >= 120 (the autoencoder work's crops)
# The photographs are 1350x1350, aligned and frontal; the face sits a little above the
# centre. This square (rows 150-959, columns 270-1079) holds hair top to chin in all 204.
FACE_CROP = (150, 270, 810)  # top, left, side
FACE_SPLITS = {"train": 72, "val": 10, "test": 20}  # persons; each has two photographs
FACE_SEED = 2017

# --- brain MRI: figshare brain tumour dataset (Cheng et al.) ---------------------------
MRI_FOLDER = "BrainMRI"
MRI_SIDE = 256  # half of the native 512, area-averaged
MRI_BLOCK = 12  # consecutive figshare indices per block
MRI_BLOCKS = 12  # block k starts at 1 + round(k * 3064 / 12): gaps of >= 243 indices
MRI_SPLIT_OF_BLOCK = ("train", "train", "test", "train", "train", "val",
                      "train", "train", "train", "test", "train", "val")
MRI_TOTAL = 3064

# --- Fashion-MNIST and MNIST -------------------------------------------------------------
FMNIST_FOLDER, FMNIST_FILE = "FashionMNIST", "fashion_mnist_subset.npz"
MNIST_FOLDER, MNIST_FILE = "MNIST", "mnist_subset.npz"
FMNIST_COUNTS = {"train": 6000, "val": 500, "test": 1000}
MNIST_COUNTS = {"train": 3000, "val": 500, "test": 1000}


def _png(path: Path, image: np.ndarray) -> None:
    """Write an 8-bit PNG (gray H×W or RGB H×W×3), deterministic, maximum compression."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = image if image.ndim == 2 else image[..., ::-1]  # OpenCV writes BGR
    ok, buf = cv2.imencode(".png", np.ascontiguousarray(data), [cv2.IMWRITE_PNG_COMPRESSION, 9])
    if not ok:
        raise RuntimeError(f"could not encode {path}")
    path.write_bytes(buf.tobytes())


def _clear(folder: Path) -> None:
    for path in sorted(folder.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()


def make_faces(src: Path) -> list[Path]:
    """Crop, area-resize and split the London Set by person; return the written files."""
    neutral = {p.name[:3]: p for p in sorted((src / "neutral_front").glob("[0-9]*_03.jpg"))}
    smiling = {p.name[:3]: p for p in sorted((src / "smiling_front").glob("[0-9]*_08.jpg"))}
    if sorted(neutral) != sorted(smiling) or len(neutral) != sum(FACE_SPLITS.values()):
        raise SystemExit(f"{src}: expected the same {sum(FACE_SPLITS.values())} persons in "
                         f"neutral_front and smiling_front, found {len(neutral)} / {len(smiling)}")
    persons = sorted(neutral)
    order = np.random.default_rng(FACE_SEED).permutation(len(persons))
    split_of, start = {}, 0
    for split, count in FACE_SPLITS.items():
        for i in order[start:start + count]:
            split_of[persons[i]] = split
        start += count
    out = OUT / FACE_FOLDER
    _clear(out) if out.exists() else None
    top, left, side = FACE_CROP
    written = []
    for person in persons:
        for expression, path in (("neutral", neutral[person]), ("smiling", smiling[person])):
            bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
            if bgr is None or bgr.shape[:2] != (1350, 1350):
                raise SystemExit(f"{path}: expected a 1350x1350 colour JPEG")
            crop = bgr[top:top + side, left:left + side]
            small = cv2.resize(crop, (FACE_SIDE, FACE_SIDE), interpolation=cv2.INTER_AREA)
            target = out / split_of[person] / f"{person}_{expression}.png"
            _png(target, small[..., ::-1])
            written.append(target)
    return written


def mri_blocks() -> dict[str, list[int]]:
    """The figshare indices (1-based) of each split: blocks of consecutive slices."""
    splits: dict[str, list[int]] = {"train": [], "val": [], "test": []}
    for k, split in enumerate(MRI_SPLIT_OF_BLOCK):
        first = 1 + round(k * MRI_TOTAL / MRI_BLOCKS)
        splits[split].extend(range(first, first + MRI_BLOCK))
    return splits


def make_mri(src: Path) -> list[Path]:
    """Area-resize the chosen slices to MRI_SIDE and write them as gray PNG."""
    files = {int(p.stem): p for c in ("0", "1", "2") for p in (src / c).glob("*.jpg")}
    if sorted(files) != list(range(1, MRI_TOTAL + 1)):
        raise SystemExit(f"{src}: expected {MRI_TOTAL} slices 1.jpg-{MRI_TOTAL}.jpg in 0/, 1/, 2/")
    out = OUT / MRI_FOLDER
    _clear(out) if out.exists() else None
    written = []
    for split, indices in mri_blocks().items():
        for index in indices:
            gray = cv2.imread(str(files[index]), cv2.IMREAD_UNCHANGED)
            if gray is None or gray.shape != (512, 512) or gray.dtype != np.uint8:
                raise SystemExit(f"{files[index]}: expected a 512x512 8-bit gray JPEG")
            small = cv2.resize(gray, (MRI_SIDE, MRI_SIDE), interpolation=cv2.INTER_AREA)
            target = out / split / f"{index:04d}.png"
            _png(target, small)
            written.append(target)
    return written


def _idx(path: Path) -> np.ndarray:
    data = gzip.decompress(path.read_bytes())
    ndim = data[3]
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data[4 + 4 * ndim:], np.uint8).reshape(dims)


def _subset(x_train, y_train, x_test, y_test, counts) -> dict[str, np.ndarray]:
    """train: the first images of the official train file; val: its last; test: the first of
    the official test file. Images whose pixels equal one taken before (in train, val or an
    earlier test image) are skipped, so the splits are disjoint by pixels."""
    seen: set[bytes] = set()
    arrays = {}
    sources = {"train": (x_train, y_train, range(len(x_train))),
               "val": (x_train, y_train, range(len(x_train) - 1, -1, -1)),
               "test": (x_test, y_test, range(len(x_test)))}
    taken_train = set()
    for split, (x, y, order) in sources.items():
        keep = []
        for i in order:
            if len(keep) == counts[split]:
                break
            if split == "val" and i in taken_train:
                raise SystemExit("train and val overlap in the official train file")
            key = x[i].tobytes()
            if key in seen:
                continue
            seen.add(key)
            keep.append(i)
        if split == "train":
            taken_train = set(keep)
        keep = sorted(keep)
        arrays[f"{split}_images"] = np.ascontiguousarray(x[keep], dtype=np.uint8)
        arrays[f"{split}_labels"] = np.asarray(y[keep], dtype=np.uint8)
        arrays[f"{split}_index"] = np.asarray(keep, dtype=np.int32)
    return arrays


def _npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """np.savez_compressed, but with fixed zip timestamps so the bytes are reproducible."""
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for key in sorted(arrays):
            member = io.BytesIO()
            np.lib.format.write_array(member, arrays[key], allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, member.getvalue(), compresslevel=9)
    path.write_bytes(buffer.getvalue())


def make_fashion_mnist(src: Path) -> list[Path]:
    names = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
             "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
    x_train, y_train, x_test, y_test = (_idx(src / n) for n in names)
    if x_train.shape != (60000, 28, 28) or x_test.shape != (10000, 28, 28):
        raise SystemExit(f"{src}: not the Fashion-MNIST IDX files")
    target = OUT / FMNIST_FOLDER / FMNIST_FILE
    _npz(target, _subset(x_train, y_train, x_test, y_test, FMNIST_COUNTS))
    return [target]


def make_mnist(src: Path) -> list[Path]:
    """Read rasbt/mnist-pngs back into the official order (file number = position)."""
    x = np.zeros((70000, 28, 28), np.uint8)
    y = np.full(70000, 255, np.uint8)
    for kind in ("train", "test"):
        for path in (src / kind).glob("[0-9]/*.png"):
            n = int(path.stem)
            image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
            if image is None or image.shape != (28, 28):
                raise SystemExit(f"{path}: expected a 28x28 gray PNG")
            x[n], y[n] = image, int(path.parent.name)
    if (y == 255).any():
        raise SystemExit(f"{src}: {int((y == 255).sum())} of the 70,000 MNIST PNGs are missing")
    target = OUT / MNIST_FOLDER / MNIST_FILE
    _npz(target, _subset(x[:60000], y[:60000], x[60000:], y[60000:], MNIST_COUNTS))
    return [target]


def update_sums(folders: list[str]) -> None:
    """Replace the SHA256SUMS lines of ``folders`` by the files now in them; keep the rest."""
    sums_path = OUT / "SHA256SUMS"
    lines = {}
    for line in sums_path.read_text().splitlines():
        if line.strip():
            digest, rel = line.split(maxsplit=1)
            lines[rel.strip()] = digest
    lines = {rel: d for rel, d in lines.items() if rel.split("/", 1)[0] not in folders}
    for folder in folders:
        for path in sorted((OUT / folder).rglob("*")):
            if path.is_file():
                lines[path.relative_to(OUT).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    sums_path.write_text("".join(f"{lines[rel]}  {rel}\n" for rel in sorted(lines)))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--faces", type=Path, help="webmorphR.stim's inst/ folder")
    parser.add_argument("--mri", type=Path, help="RCS-YOLO's dataset-brain-tumor/categorized")
    parser.add_argument("--fashion-mnist", type=Path, help="folder of the 4 Fashion-MNIST .gz files")
    parser.add_argument("--mnist", type=Path, help="root of rasbt/mnist-pngs")
    args = parser.parse_args(argv)
    jobs = [(args.faces, make_faces, FACE_FOLDER), (args.mri, make_mri, MRI_FOLDER),
            (args.fashion_mnist, make_fashion_mnist, FMNIST_FOLDER),
            (args.mnist, make_mnist, MNIST_FOLDER)]
    jobs = [job for job in jobs if job[0] is not None]
    if not jobs:
        parser.error("give at least one source folder")
    for src, make, folder in jobs:
        if not src.is_dir():
            parser.error(f"{src} is not a folder")
        written = make(src)
        size = sum(p.stat().st_size for p in written)
        print(f"{folder}: {len(written)} files, {size / 1e6:.2f} MB")
    update_sums([folder for _, _, folder in jobs])
    return 0


if __name__ == "__main__":
    sys.exit(main())
