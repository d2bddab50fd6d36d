"""Read the tensors of a PyTorch checkpoint (``.pth``) as NumPy arrays, without PyTorch.

A ``.pth`` file written by ``torch.save(model.state_dict(), …)`` is a pickle whose tensors
point into raw storages:

- the zip format (PyTorch ≥ 1.6): ``<name>/data.pkl`` is the pickle, ``<name>/data/<key>``
  the raw little-endian bytes of storage ``key``;
- the legacy format (before 1.6, e.g. CARN's ``carn_m.pth``): five pickles one after the
  other (magic number, protocol, system info, the object, the storage keys), then each
  storage as an int64 element count followed by its bytes.

``pickle.load`` on such a file would run whatever the pickle names. :func:`load_state_dict`
uses a restricted unpickler instead: it knows ``collections.OrderedDict``, the storage types
(``torch.FloatStorage``, …) and ``torch._utils._rebuild_tensor_v2`` / ``_rebuild_parameter``,
implemented here to build NumPy arrays; any other global in the file is refused
(:class:`pickle.UnpicklingError`), so a tampered checkpoint cannot execute code.

    python tools/torch_weights.py path/to/model.pth      # list its tensors and shapes

Used by ``tools/convert_published_weights.py``.
"""

from __future__ import annotations

import collections
import io
import pickle
import struct
import sys
import zipfile
from pathlib import Path

import numpy as np

STORAGE_DTYPES = {
    "FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16,
    "BFloat16Storage": None, "LongStorage": np.int64, "IntStorage": np.int32,
    "ShortStorage": np.int16, "CharStorage": np.int8, "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}
LEGACY_MAGIC = 0x1950A86A20F9469CFC6C


class _Storage:
    """A storage named by the pickle; its bytes are attached once read."""

    def __init__(self, dtype, key: str, numel: int | None):
        if dtype is None:
            raise pickle.UnpicklingError("bfloat16 tensors are not supported")
        self.dtype, self.key, self.numel, self.array = np.dtype(dtype), key, numel, None


class _Tensor:
    """A tensor as the pickle describes it: a view (offset, size, stride) into a storage."""

    def __init__(self, storage: _Storage, offset: int, size, stride):
        self.storage, self.offset = storage, int(offset)
        self.size, self.stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)

    def materialize(self) -> np.ndarray:
        flat = self.storage.array
        if flat is None:
            raise pickle.UnpicklingError(f"storage {self.storage.key} was never read")
        if any(s == 0 for s in self.size):
            return np.zeros(self.size, flat.dtype)
        last = self.offset + sum((n - 1) * st for n, st in zip(self.size, self.stride))
        if self.offset < 0 or min(self.stride, default=0) < 0 or last >= flat.size:
            raise pickle.UnpicklingError(f"tensor view outside storage {self.storage.key}")
        index = self.offset + sum(np.arange(n).reshape((-1,) + (1,) * (len(self.size) - i - 1)) * st
                                  for i, (n, st) in enumerate(zip(self.size, self.stride)))
        return np.array(flat[index], copy=True)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False,
                       backward_hooks=None, metadata=None):
    if not isinstance(storage, _Storage):
        raise pickle.UnpicklingError("a tensor without a storage")
    return _Tensor(storage, storage_offset, size, stride)


def _rebuild_tensor(storage, storage_offset, size, stride):
    return _rebuild_tensor_v2(storage, storage_offset, size, stride)


def _rebuild_parameter(data, requires_grad=False, backward_hooks=None):
    return data


class _StorageType:
    def __init__(self, name):
        self.name = name


class _RestrictedUnpickler(pickle.Unpickler):
    """Builds only dicts, lists, numbers, strings and tensors; refuses every other global."""

    ALLOWED = {
        ("collections", "OrderedDict"): collections.OrderedDict,
        ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
        ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
        ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    }

    def __init__(self, file, storages: dict):
        super().__init__(file)
        self.storages = storages

    def find_class(self, module, name):
        if (module, name) in self.ALLOWED:
            return self.ALLOWED[(module, name)]
        if module == "torch" and name in STORAGE_DTYPES:
            return _StorageType(name)
        raise pickle.UnpicklingError(f"refusing to load the global {module}.{name}: a checkpoint "
                                     "of plain tensors does not need it")

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == "storage"
                and isinstance(pid[1], _StorageType)):
            raise pickle.UnpicklingError(f"unexpected persistent id {pid!r:.80}")
        _, kind, key, _location, numel = pid[:5]
        key = str(key)
        if key not in self.storages:
            self.storages[key] = _Storage(STORAGE_DTYPES[kind.name], key, int(numel))
        return self.storages[key]


def _materialize(obj):
    if isinstance(obj, _Tensor):
        return obj.materialize()
    if isinstance(obj, dict):
        return collections.OrderedDict((k, _materialize(v)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(_materialize(v) for v in obj)
    return obj


def _load_zip(file: Path):
    storages: dict = {}
    with zipfile.ZipFile(file) as archive:
        names = archive.namelist()
        pkl = [n for n in names if n.endswith("/data.pkl") or n == "data.pkl"]
        if len(pkl) != 1:
            raise ValueError(f"'{file}' is a zip file but not a PyTorch checkpoint (no data.pkl)")
        prefix = pkl[0][: -len("data.pkl")]
        byteorder = archive.read(prefix + "byteorder").decode() if prefix + "byteorder" in names \
            else "little"
        if byteorder != "little":
            raise ValueError(f"'{file}' was written big-endian; not supported")
        obj = _RestrictedUnpickler(io.BytesIO(archive.read(pkl[0])), storages).load()
        for key, storage in storages.items():
            raw = archive.read(f"{prefix}data/{key}")
            storage.array = np.frombuffer(raw, dtype=storage.dtype.newbyteorder("<"))
            if storage.numel is not None and storage.array.size != storage.numel:
                raise pickle.UnpicklingError(f"storage {key}: {storage.array.size} elements, "
                                             f"the pickle says {storage.numel}")
    return obj


def _load_legacy(file: Path):
    storages: dict = {}
    with open(file, "rb") as stream:
        restricted = _RestrictedUnpickler(stream, storages)
        if restricted.load() != LEGACY_MAGIC:
            raise ValueError(f"'{file}' is neither a zip nor a legacy PyTorch checkpoint")
        restricted.load()  # protocol version
        info = restricted.load()  # system info: endianness, type sizes
        if isinstance(info, dict) and info.get("little_endian") is False:
            raise ValueError(f"'{file}' was written big-endian; not supported")
        obj = restricted.load()
        keys = restricted.load()
        for key in keys:
            storage = storages[str(key)]
            (numel,) = struct.unpack("<q", stream.read(8))
            raw = stream.read(numel * storage.dtype.itemsize)
            if len(raw) != numel * storage.dtype.itemsize:
                raise ValueError(f"'{file}' is truncated (storage {key})")
            storage.array = np.frombuffer(raw, dtype=storage.dtype.newbyteorder("<"))
    return obj


def load_state_dict(file) -> "collections.OrderedDict[str, np.ndarray]":
    """The tensors of a ``.pth`` state dict as NumPy arrays, in the file's order.

    Parameters
    ----------
    file : path
        A checkpoint written by ``torch.save`` (zip or legacy format) holding a state dict,
        or a dict whose ``"params_ema"``/``"params"``/``"state_dict"`` entry is one (BasicSR
        and Real-ESRGAN files keep their weights under ``"params_ema"``).

    Returns
    -------
    OrderedDict[str, ndarray]
        Parameter name → array of the tensor's shape and dtype (PyTorch layout, e.g.
        convolution kernels ``out × in × kh × kw``).

    Raises
    ------
    pickle.UnpicklingError
        If the pickle names anything but plain containers and tensors (never executed).
    ValueError
        If the file is not a PyTorch checkpoint of tensors.
    """
    file = Path(file)
    obj = _load_zip(file) if zipfile.is_zipfile(file) else _load_legacy(file)
    obj = _materialize(obj)
    for key in ("params_ema", "params", "state_dict", "model"):  # BasicSR files: params_ema
        if isinstance(obj, dict) and isinstance(obj.get(key), dict):
            obj = obj[key]
    if not isinstance(obj, dict) or not all(isinstance(v, np.ndarray) for v in obj.values()):
        raise ValueError(f"'{file}' does not hold a state dict of tensors")
    return collections.OrderedDict(obj)


if __name__ == "__main__":
    for name, array in load_state_dict(sys.argv[1]).items():
        print(f"{name:50s} {str(array.dtype):8s} {tuple(array.shape)}")
