"""Load and save images as float32 arrays in [0, 1].

Every loader returns ``float32`` values in [0, 1]: H×W×3 (RGB) for
``mode="rgb"`` and H×W for ``mode="gray"``. Pillow decodes the files, so
palette, 1-bit, gray+alpha, RGBA, 16-bit and float images all work; 16-bit
color PNG/TIFF files, which Pillow would cut to 8 bits, are read with OpenCV.

>>> from srkit.io import load_image, save_image          # doctest: +SKIP
>>> hr = load_image("data/test/butterfly.png")           # doctest: +SKIP
>>> save_image("outputs/butterfly_copy.png", hr)         # doctest: +SKIP
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from srkit._validate import check_image, to_uint8

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")
"""File extensions treated as images (matched case-insensitively)."""

MODES = ("rgb", "gray")
_SAVE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".bmp": "BMP",
                 ".tif": "TIFF", ".tiff": "TIFF"}
_LUMA_601 = np.array([0.299, 0.587, 0.114])
_GRAY_MODES = ("1", "L", "LA", "La", "I", "I;16", "I;16B", "I;16L", "I;16N", "F")
_EXIF_ORIENTATION = 0x0112
# EXIF orientation -> the array operation that makes the image upright (as ImageOps.exif_transpose)
_UPRIGHT = {2: lambda a: a[:, ::-1], 3: lambda a: a[::-1, ::-1], 4: lambda a: a[::-1],
            5: lambda a: a.swapaxes(0, 1), 6: lambda a: np.rot90(a, -1),
            7: lambda a: a[::-1, ::-1].swapaxes(0, 1), 8: lambda a: np.rot90(a, 1)}


def _check_mode(mode) -> str:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    return mode


def _is_16bit_color(img: Image.Image, path: Path) -> bool:
    """True for 16-bit color PNG/TIFF files, which Pillow would cut to 8 bits."""
    if img.mode not in ("RGB", "RGBA", "LA"):
        return False
    if img.format == "PNG":
        with open(path, "rb") as f:
            return f.read(25)[24:] == b"\x10"  # IHDR bit depth
    return img.format == "TIFF" and max(np.atleast_1d(img.tag_v2.get(258, 8))) == 16


def _read_16bit_color(path: Path) -> np.ndarray:
    """Read a 16-bit color PNG/TIFF with OpenCV as float32 H×W×3 (or H×W) in [0, 1]."""
    data = np.fromfile(path, dtype=np.uint8)  # works with non-ASCII paths too
    array = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    if array is None or array.dtype != np.uint16:
        raise ValueError(f"'{path}' could not be decoded as a 16-bit image by OpenCV")
    if array.ndim == 3:  # BGR(A) -> RGB, alpha discarded; gray+alpha -> gray
        array = array[..., 2::-1] if array.shape[2] >= 3 else array[..., 0]
    return array.astype(np.float32) / np.float32(65535.0)


def _orientation(img: Image.Image) -> int:
    """The EXIF orientation tag of an opened image (1, upright, when there is none).

    Read from the header without decoding the pixels: for a PNG that is an eXIf chunk
    before the image data, where the PNG specification puts it (Pillow's own
    ``getexif`` would decode the whole image to look for one after it).
    """
    if img.format == "PNG" and "exif" not in img.info:
        return 1
    try:
        value = int(img.getexif().get(_EXIF_ORIENTATION, 1))
    except Exception:  # a damaged EXIF block: take the image as stored, as exif_transpose does
        return 1
    return value if value in _UPRIGHT else 1


def _image_file(path) -> Path:
    """``path`` as a Path, checked to be an existing file (clear errors otherwise)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"No such image file: '{path}' (check the path and the "
                                f"working directory, currently '{Path.cwd()}')")
    if path.is_dir():
        raise IsADirectoryError(f"'{path}' is a folder, not an image; use load_folder()")
    return path


def _pillow_to_array(img: Image.Image, path: Path) -> np.ndarray:
    """Convert a decoded Pillow image to float32 H×W or H×W×3 in [0, 1]."""
    mode = img.mode
    if mode.startswith("I;16"):
        return np.asarray(img).astype(np.float32) / np.float32(65535.0)
    if mode == "I":  # 32-bit ints; Pillow also uses it for some 16-bit files
        array = np.asarray(img)
        if array.min() < 0 or array.max() > 65535:
            raise ValueError(f"'{path}' holds 32-bit integers outside 0–65535; "
                             "convert it to an 8- or 16-bit image first")
        return array.astype(np.float32) / np.float32(65535.0)
    if mode == "F":
        array = np.asarray(img, dtype=np.float32)
        check_image(array, name=f"the float image in '{path}'")
        return array
    if mode in ("1", "L", "LA", "La"):
        return np.asarray(img.convert("L"), dtype=np.float32) / np.float32(255.0)
    if mode != "RGB":  # P, PA, RGBA, CMYK, YCbCr, ...: convert, then drop alpha
        img = img.convert("RGBA")
    return np.asarray(img, dtype=np.float32)[..., :3] / np.float32(255.0)


def load_image(path, mode: str = "rgb") -> np.ndarray:
    """Load an image file as a float32 array in [0, 1].

    Parameters
    ----------
    path : str or pathlib.Path
        Image file (PNG, JPEG, BMP, TIFF, or anything else Pillow reads).
    mode : {"rgb", "gray"}
        ``"rgb"`` returns H×W×3; a gray file has its channel repeated 3 times.
        ``"gray"`` returns H×W; a color file is converted with the ITU-R BT.601
        luma weights ``0.299 R + 0.587 G + 0.114 B`` applied to the [0, 1]
        RGB values (no rounding to 8 bits).

    Returns
    -------
    numpy.ndarray
        ``float32`` array with values in [0, 1], shape H×W×3 or H×W. 8-bit
        files are divided by 255, 16-bit files by 65535 (full precision is
        kept). Any alpha channel is discarded (not composited). The EXIF
        orientation tag is applied, so photos come out upright (16-bit color
        PNG/TIFF files too: OpenCV reads them as stored, and the tag Pillow
        reads is applied afterwards).

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    IsADirectoryError
        If ``path`` is a folder (use :func:`load_folder`).
    ValueError
        If ``mode`` is not ``"rgb"`` or ``"gray"``, or the file cannot be
        decoded as an image.

    Examples
    --------
    >>> img = load_image("photo.png")                  # doctest: +SKIP
    >>> img.shape, img.dtype                           # doctest: +SKIP
    ((512, 512, 3), dtype('float32'))
    >>> load_image("photo.png", mode="gray").shape     # doctest: +SKIP
    (512, 512)
    """
    _check_mode(mode)
    path = _image_file(path)
    try:
        with Image.open(path) as img:
            if _is_16bit_color(img, path):
                array = _read_16bit_color(path)
                array = _UPRIGHT.get(_orientation(img), lambda a: a)(array)
            else:
                array = _pillow_to_array(ImageOps.exif_transpose(img), path)
    except (UnidentifiedImageError, OSError, SyntaxError) as err:
        raise ValueError(f"'{path}' could not be decoded as an image ({err}). "
                         "Is the file complete and really an image?") from err
    if mode == "rgb" and array.ndim == 2:
        array = np.repeat(array[..., None], 3, axis=2)
    elif mode == "gray" and array.ndim == 3:
        array = (array.astype(np.float64) @ _LUMA_601).astype(np.float32)
    return np.ascontiguousarray(np.clip(array, 0.0, 1.0), dtype=np.float32)


def image_info(path) -> dict:
    """Size, channels and bit depth of an image file, read from its header (not decoded).

    Cheap enough to check many files before a long job; a file whose header is
    fine but whose pixel data is damaged is only found by :func:`load_image`.

    Parameters
    ----------
    path : str or pathlib.Path
        Image file, as for :func:`load_image`.

    Returns
    -------
    dict
        ``width`` and ``height`` in pixels as :func:`load_image` returns the image
        (upright: swapped for EXIF orientations 5–8); ``channels``: 1 for gray files
        (1-bit, 8/16-bit gray, gray+alpha, 32-bit integer and float files), 3 for
        everything else (alpha is not counted, as :func:`load_image` drops it);
        ``bits``: 8, or 16 for files that hold more than 8 bits per sample (16-bit
        gray or colour, 32-bit integer, float); ``format``: Pillow's name
        (``"PNG"``, ``"JPEG"``, ``"TIFF"``, …); ``orientation``: the EXIF tag, 1–8.

    Raises
    ------
    FileNotFoundError, IsADirectoryError, ValueError
        As :func:`load_image`: missing path, a folder, or not an image.

    Examples
    --------
    >>> image_info("photo.jpg")                        # doctest: +SKIP
    {'width': 3000, 'height': 4000, 'channels': 3, 'bits': 8, 'format': 'JPEG', 'orientation': 6}
    """
    path = _image_file(path)
    try:
        with Image.open(path) as img:
            width, height = img.size
            orientation = _orientation(img)
            deep = _is_16bit_color(img, path) or img.mode.startswith("I") or img.mode == "F"
            gray = img.mode in _GRAY_MODES
            fmt = img.format
    except (UnidentifiedImageError, OSError, SyntaxError) as err:
        raise ValueError(f"'{path}' could not be decoded as an image ({err}). "
                         "Is the file complete and really an image?") from err
    if orientation >= 5:
        width, height = height, width
    return {"width": width, "height": height, "channels": 1 if gray else 3,
            "bits": 16 if deep else 8, "format": fmt, "orientation": orientation}


def save_image(path, image) -> Path:
    """Save a float [0, 1] or uint8 image as an 8-bit PNG, JPEG, BMP or TIFF file.

    Parameters
    ----------
    path : str or pathlib.Path
        Output file; the format follows the extension (one of
        :data:`IMAGE_EXTENSIONS`). Missing parent folders are created.
    image : numpy.ndarray
        H×W, H×W×1 or H×W×3 array, either float with values in [0, 1] or
        uint8. Floats are converted with ``np.rint(image * 255)`` (rounded,
        not truncated). JPEG files are written with quality 95.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    ValueError
        If the extension is not supported, the image has 4 channels, contains
        NaN/inf, or is a float image outside [0, 1].
    TypeError
        If the dtype is neither float nor uint8.

    Examples
    --------
    >>> save_image("outputs/sr/baby.png", sr)          # doctest: +SKIP
    PosixPath('outputs/sr/baby.png')
    """
    path = Path(path)
    fmt = _SAVE_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(f"Cannot save '{path}': unsupported extension {path.suffix!r}; "
                         f"use one of {', '.join(IMAGE_EXTENSIONS)}")
    array = check_image(image)
    if array.ndim == 3 and array.shape[2] == 4:
        raise ValueError(f"image has 4 channels (shape {array.shape}); save_image writes "
                         "gray or RGB only: drop alpha with image[..., :3]")
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[..., 0]
    array = to_uint8(array)
    path.parent.mkdir(parents=True, exist_ok=True)
    options = {"quality": 95} if fmt == "JPEG" else {}
    Image.fromarray(np.ascontiguousarray(array)).save(path, format=fmt, **options)
    return path


def list_images(path, recursive: bool = False) -> list[Path]:
    """Return the image files in a folder, sorted by (relative) name.

    Files are recognised by extension (:data:`IMAGE_EXTENSIONS`, any case);
    hidden files and folders (name starting with ``.``) are skipped. The list
    may be empty.

    Raises
    ------
    FileNotFoundError
        If the folder does not exist.
    NotADirectoryError
        If ``path`` is a file.
    """
    folder = Path(path)
    if not folder.exists():
        raise FileNotFoundError(f"No such folder: '{folder}' (working directory is "
                                f"'{Path.cwd()}')")
    if not folder.is_dir():
        raise NotADirectoryError(f"'{folder}' is a file, not a folder; use load_image() "
                                 "for a single image")
    candidates = folder.rglob("*") if recursive else folder.iterdir()
    found = [p for p in candidates
             if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file()
             and not any(part.startswith(".") for part in p.relative_to(folder).parts)]
    return sorted(found, key=lambda p: p.relative_to(folder).as_posix())


def load_folder(path, mode: str = "rgb", *, recursive: bool = False
                ) -> list[tuple[str, np.ndarray]]:
    """Load every image in a folder as ``(name, image)`` pairs sorted by name.

    Parameters
    ----------
    path : str or pathlib.Path
        Folder to read. Non-image files (by extension) and hidden files are skipped.
    mode : {"rgb", "gray"}
        Passed to :func:`load_image`.
    recursive : bool
        Also read sub-folders. Names are then relative paths with ``/``.

    Returns
    -------
    list of (str, numpy.ndarray)
        ``name`` is the file name without extension (``"sub/img01"`` when
        recursive); ``image`` is float32 in [0, 1] as from :func:`load_image`.

    Raises
    ------
    FileNotFoundError
        If the folder does not exist.
    NotADirectoryError
        If ``path`` is a file.
    ValueError
        If ``mode`` is invalid, the folder holds no images, two files share a
        name (e.g. ``a.png`` and ``a.jpg``), or an image cannot be decoded.

    Examples
    --------
    >>> for name, hr in load_folder("data/test/Set5"):  # doctest: +SKIP
    ...     print(name, hr.shape)
    baby (512, 512, 3)
    """
    _check_mode(mode)
    folder = Path(path)
    files = list_images(folder, recursive=recursive)
    if not files:
        where = "or its sub-folders " if recursive else ""
        raise ValueError(f"Folder '{folder}' {where}contains no images with extensions "
                         f"{', '.join(IMAGE_EXTENSIONS)}"
                         + ("" if recursive else " (images in sub-folders? pass recursive=True)"))
    names = [f.relative_to(folder).with_suffix("").as_posix() for f in files]
    for name, count in Counter(names).items():
        if count > 1:
            clash = [f.name for f, n in zip(files, names) if n == name]
            raise ValueError(f"Files {clash} in '{folder}' share the name {name!r}; "
                             "rename or remove one of them")
    return [(name, load_image(f, mode)) for name, f in zip(names, files)]
