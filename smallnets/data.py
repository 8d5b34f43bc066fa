"""Datasets: find, read, validate, cache and split them, then serve batches straight from device memory.

Protocol (the same for every model): the official train/test split; a deterministic, class-stratified validation
split carved from train for every selection; the test set evaluated once per run. Every loaded dataset carries the
sha256 of the files it came from and of the decoded pixels, and a label saying whether it is the official data.
"""

from __future__ import annotations

import copy
import gzip
import hashlib
import io
import json
import lzma
import os
import pickle
import tarfile
import urllib.error
import urllib.request
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from .errors import DataError, SmallnetsError


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    title: str
    num_classes: int
    image_shape: tuple[int, int, int]  # H, W, C
    n_train: int
    n_test: int
    mean: tuple[float, ...]  # per channel, on the 0-1 scale, of the official training set
    std: tuple[float, ...]
    flip_ok: bool = True  # horizontal flip is a label-preserving augmentation (not for digits)
    default_val_size: int = 5000

    @property
    def model_kwargs(self) -> dict:
        """What create_model needs to know of the data: classes, input channels, image size."""
        return {"num_classes": self.num_classes, "in_channels": self.image_shape[2], "image_size": self.image_shape[0]}


SPECS = {
    s.name: s
    for s in [
        # CIFAR-10 std is the true per-channel std (0.247, 0.243, 0.261), not the widely copied (0.2023, 0.1994, 0.2010).
        DatasetSpec("cifar10", "CIFAR-10", 10, (32, 32, 3), 50000, 10000,
                    (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)),
        DatasetSpec("cifar100", "CIFAR-100", 100, (32, 32, 3), 50000, 10000,
                    (0.5071, 0.4865, 0.4409), (0.2673, 0.2564, 0.2762)),
        DatasetSpec("cifar100_coarse", "CIFAR-100 (20 coarse labels)", 20, (32, 32, 3), 50000, 10000,
                    (0.5071, 0.4865, 0.4409), (0.2673, 0.2564, 0.2762)),
        DatasetSpec("mnist", "MNIST", 10, (28, 28, 1), 60000, 10000, (0.1307,), (0.3081,), flip_ok=False),
        DatasetSpec("fashion_mnist", "Fashion-MNIST", 10, (28, 28, 1), 60000, 10000, (0.2860,), (0.3530,)),
        # 2,000 exact train and 1,000 exact test images of CIFAR-10: a small real set for tests and quick demos.
        DatasetSpec("cifar10_sample", "CIFAR-10 (exact 3,000-image sample)", 10, (32, 32, 3), 2000, 1000,
                    (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616), default_val_size=500),
    ]
}

_CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
_CIFAR100_URL = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
_MNIST_URL = "https://ossci-datasets.s3.amazonaws.com/mnist/"
_FASHION_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
_IDX_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")

# (url, path relative to the data folder, published md5) per dataset.
OFFICIAL_ARCHIVES: dict[str, list[tuple[str, str, str]]] = {
    "cifar10": [(_CIFAR10_URL, "cifar-10-python.tar.gz", "c58f30108f718f92721af3b95e74349a")],
    "cifar100": [(_CIFAR100_URL, "cifar-100-python.tar.gz", "eb9058c3a382ffc7106e4002c42a8d85")],
    "mnist": [(_MNIST_URL + f + ".gz", "mnist/" + f + ".gz", md5) for f, md5 in zip(_IDX_FILES, (
        "f68b3c2dcbeaaa9fbdd348bbdeb94873", "d53e105ee54ea40749a09fcbcd1e9432",
        "9fb629c4189551a2d022fa330f9573f3", "ec29112dd5afa0611ce80d1b7f02629c"))],
    "fashion_mnist": [(_FASHION_URL + f + ".gz", "fashion-mnist/" + f + ".gz", md5) for f, md5 in zip(_IDX_FILES, (
        "8d4fb7e6c68d591d4c3dfef9ec88bf0d", "25c81989df183df01b3e8a0aad5dffbe",
        "bef4ecab320f06d8554ea6380940ec79", "bb300cfdad3c16e7a12a480ee83cd310"))],
}
OFFICIAL_ARCHIVES["cifar100_coarse"] = OFFICIAL_ARCHIVES["cifar100"]

# Debian's dataset-fashion-mnist package installs the official IDX files here.
SYSTEM_DIRS = {"fashion_mnist": [Path("/usr/share/datasets/fashion-mnist")]}


@dataclass(frozen=True)
class Source:
    """Where a dataset was found, and how far it can be trusted."""

    dataset: str
    kind: str  # cifar-pickle-dir | cifar-pickle-tar | idx | npz | npz-xz
    paths: tuple[Path, ...]
    label: str  # shown beside every result that used it
    official: bool  # pixel-exact official data
    partial: bool = False  # a subset of the official data


@dataclass
class Dataset:
    spec: DatasetSpec
    source: Source
    x_train: np.ndarray  # uint8 [N, H, W, C]
    y_train: np.ndarray  # int64 [N]
    x_test: np.ndarray
    y_test: np.ndarray
    file_sha256: str  # of the source file(s), as found on disk
    content_sha256: str  # of the decoded arrays: equal for the same data in any format

    @property
    def label(self) -> str:
        return self.source.label

    def describe(self) -> dict:
        return {"dataset": self.spec.name, "data_label": self.source.label, "data_official": self.source.official,
                "data_kind": self.source.kind, "data_paths": [str(p) for p in self.source.paths],
                "data_sha256": self.file_sha256, "data_content_sha256": self.content_sha256,
                "n_train": len(self.y_train), "n_test": len(self.y_test)}


# ----------------------------------------------------------------------------------------------------------------------
# Locations

def data_dir(explicit: str | os.PathLike | None = None) -> Path:
    """--data-dir, else $SMALLNETS_DATA, else the user's data folder."""
    if explicit:
        return Path(explicit).expanduser()
    if os.environ.get("SMALLNETS_DATA"):
        return Path(os.environ["SMALLNETS_DATA"]).expanduser()
    import platformdirs
    return Path(platformdirs.user_data_dir("smallnets"))


def cache_dir() -> Path:
    if os.environ.get("SMALLNETS_CACHE"):
        return Path(os.environ["SMALLNETS_CACHE"]).expanduser()
    import platformdirs
    return Path(platformdirs.user_cache_dir("smallnets"))


def get_spec(name: str) -> DatasetSpec:
    if name not in SPECS:
        raise SmallnetsError(f"unknown dataset '{name}'; expected one of: {', '.join(SPECS)}")
    return SPECS[name]


def _idx_source(name: str, folder: Path, label: str) -> Source | None:
    paths = []
    for f in _IDX_FILES:
        for candidate in (folder / (f + ".gz"), folder / f):
            if candidate.is_file():
                paths.append(candidate)
                break
        else:
            return None
    return Source(name, "idx", tuple(paths), label, official=True)


def candidate_sources(name: str, root: Path) -> list[Source]:
    """Every source of `name` found under `root` (and system folders), best first: official formats lead."""
    spec = get_spec(name)
    found: list[Source] = []
    if name == "cifar10_sample":
        p = root / "cifar10_exact_sample.npz"
        if p.is_file():
            found.append(Source(name, "npz", (p,), spec.title, official=True, partial=True))
        return found
    if name.startswith("cifar"):
        base = "cifar-10" if name == "cifar10" else "cifar-100"
        folder, archive = root / f"{base}-batches-py" if name == "cifar10" else root / f"{base}-python", \
            root / f"{base}-python.tar.gz"
        if folder.is_dir():
            found.append(Source(name, "cifar-pickle-dir", (folder,), spec.title, official=True))
        if archive.is_file():
            found.append(Source(name, "cifar-pickle-tar", (archive,), spec.title, official=True))
        npz_name = "cifar10" if name == "cifar10" else "cifar100"
        if (root / f"{npz_name}.npz").is_file():
            found.append(Source(name, "npz", (root / f"{npz_name}.npz",), f"{spec.title} (npz)", official=True))
        if name == "cifar10" and (root / "cifar10_jpeg_lossy.npz.xz").is_file():
            found.append(Source(name, "npz-xz", (root / "cifar10_jpeg_lossy.npz.xz",), "CIFAR-10 (JPEG copy)",
                                official=False))
        return found
    # MNIST and Fashion-MNIST share file names, so each lives in its own folder.
    folders = [root / "mnist"] if name == "mnist" else [root / "fashion-mnist", root / "fashion_mnist"]
    for folder in folders + SYSTEM_DIRS.get(name, []):
        src = _idx_source(name, folder, spec.title)
        if src:
            found.append(src)
    if (root / f"{name}.npz").is_file():
        found.append(Source(name, "npz", (root / f"{name}.npz",), f"{spec.title} (npz)", official=True))
    return found


def _expected_files(name: str, root: Path) -> str:
    if name == "cifar10_sample":
        return f"cifar10_exact_sample.npz in {root}"
    where = ", ".join(str(root / rel) for _, rel, _ in OFFICIAL_ARCHIVES[name])
    extra = " (or the extracted folder)" if name.startswith("cifar") else ""
    return f"{where}{extra}"


# ----------------------------------------------------------------------------------------------------------------------
# Readers. Each returns (x_train, y_train, x_test, y_test) as found; validation happens afterwards, once.

class _NumpyOnlyUnpickler(pickle.Unpickler):
    """CIFAR batches are pickles; refuse anything but numpy arrays inside, so a tampered file cannot run code."""

    _allowed = {"_reconstruct", "ndarray", "dtype", "scalar", "_frombuffer"}

    def find_class(self, module, name):
        if module == "_codecs" and name == "encode":  # how Python 3 writes bytes at protocol 2; harmless
            return super().find_class(module, name)
        if module.split(".")[0] == "numpy" and name in self._allowed:
            if hasattr(np, "_core"):
                module = module.replace("numpy.core", "numpy._core")
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"unexpected object {module}.{name}")


def _cifar_batch(raw: bytes, where: str, label_key: str) -> tuple[np.ndarray, np.ndarray]:
    try:
        batch = _NumpyOnlyUnpickler(io.BytesIO(raw), encoding="bytes").load()
        data = np.asarray(batch[b"data"], dtype=np.uint8)
        labels = np.asarray(batch[label_key.encode()], dtype=np.int64)
        images = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    except Exception as e:  # noqa: BLE001 - any failure to decode means the file is not a valid batch
        raise DataError(f"{where}: corrupt or truncated CIFAR batch ({type(e).__name__}: {e})") from None
    return np.ascontiguousarray(images), labels


def _cifar_layout(name: str) -> tuple[str, list[str], str, str]:
    if name == "cifar10":
        return "cifar-10-batches-py", [f"data_batch_{i}" for i in range(1, 6)], "test_batch", "labels"
    return "cifar-100-python", ["train"], "test", "coarse_labels" if name == "cifar100_coarse" else "fine_labels"


def _read_cifar(source: Source):
    folder, train_names, test_name, label_key = _cifar_layout(source.dataset)
    path = source.paths[0]
    if source.kind == "cifar-pickle-dir":
        def read(member):
            p = path / member
            if not p.is_file():
                raise DataError(f"{p}: missing file of the official CIFAR folder")
            return p.read_bytes(), str(p)
        parts = {m: read(m) for m in train_names + [test_name]}
    else:
        try:
            with tarfile.open(path, "r:gz") as tar:
                parts = {}
                for m in train_names + [test_name]:
                    try:
                        member = tar.extractfile(f"{folder}/{m}")
                    except KeyError:
                        raise DataError(f"{path}: archive lacks {folder}/{m}") from None
                    parts[m] = (member.read(), f"{path}:{folder}/{m}")
        except (tarfile.TarError, EOFError, zlib.error, OSError) as e:
            raise DataError(f"{path}: corrupt or truncated archive ({type(e).__name__}: {e})") from None
    train = [_cifar_batch(raw, where, label_key) for raw, where in (parts[m] for m in train_names)]
    x_test, y_test = _cifar_batch(*parts[test_name], label_key)
    return np.concatenate([x for x, _ in train]), np.concatenate([y for _, y in train]), x_test, y_test


def read_idx(path: Path) -> np.ndarray:
    """An MNIST-style IDX file (optionally gzipped) as a numpy array; checks magic number and length."""
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError, zlib.error, gzip.BadGzipFile) as e:
        raise DataError(f"{path}: corrupt or truncated gzip ({type(e).__name__}: {e})") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise DataError(f"{path}: not an unsigned-byte IDX file (bad magic number)")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{path}: truncated IDX header")
    dims = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    if len(raw) - header != int(np.prod(dims)):
        raise DataError(f"{path}: IDX data has {len(raw) - header} bytes, header promises {int(np.prod(dims))} "
                        f"(truncated or corrupt)")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims).copy()  # writable, owns its memory


def _read_idx_set(source: Source):
    xtr, ytr, xte, yte = (read_idx(p) for p in source.paths)
    return xtr[..., None], ytr.astype(np.int64), xte[..., None], yte.astype(np.int64)


def _read_npz(source: Source):
    path = source.paths[0]
    try:
        if source.kind == "npz-xz":
            with lzma.open(path) as f:
                archive = np.load(io.BytesIO(f.read()))
        else:
            archive = np.load(path)
        arrays = [np.asarray(archive[k]) for k in ("x_train", "y_train", "x_test", "y_test")]
    except KeyError as e:
        raise DataError(f"{path}: npz lacks key {e}; expected x_train, y_train, x_test, y_test") from None
    except (lzma.LZMAError, EOFError, zipfile.BadZipFile, ValueError, OSError) as e:
        raise DataError(f"{path}: corrupt or truncated file ({type(e).__name__}: {e})") from None
    x_train, y_train, x_test, y_test = arrays
    if x_train.ndim == 3:  # grey images stored without a channel axis
        x_train, x_test = x_train[..., None], x_test[..., None]
    return x_train, y_train.astype(np.int64), x_test, y_test.astype(np.int64)


def _validate(spec: DatasetSpec, source: Source, arrays) -> None:
    where = ", ".join(str(p) for p in source.paths)
    x_train, y_train, x_test, y_test = arrays
    for split, x, y, expected in (("train", x_train, y_train, spec.n_train), ("test", x_test, y_test, spec.n_test)):
        if x.dtype != np.uint8 or x.ndim != 4 or tuple(x.shape[1:]) != spec.image_shape:
            raise DataError(f"{where}: {split} images are {x.dtype} {tuple(x.shape)}, expected uint8 "
                            f"[N, {', '.join(map(str, spec.image_shape))}]")
        if y.ndim != 1 or len(y) != len(x):
            raise DataError(f"{where}: {len(x)} {split} images but labels of shape {tuple(y.shape)}")
        if len(y) and (y.min() < 0 or y.max() >= spec.num_classes):
            raise DataError(f"{where}: {split} labels span {y.min()}..{y.max()}, expected 0..{spec.num_classes - 1}")
        if len(x) != expected:
            raise DataError(f"{where}: {len(x)} {split} images, expected {expected} (partial or wrong file)")
    if len(np.unique(y_train)) != spec.num_classes:
        raise DataError(f"{where}: training labels cover {len(np.unique(y_train))} of {spec.num_classes} classes")


def _source_files(paths: tuple[Path, ...]) -> list[Path]:
    """The files of a source, folders expanded, in a stable order."""
    return [q for p in paths for q in (sorted(q for q in p.rglob("*") if q.is_file()) if p.is_dir() else [p])]


def _sha256_files(paths: tuple[Path, ...]) -> str:
    h = hashlib.sha256()
    for q in _source_files(paths):
        with open(q, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def _sha256_arrays(arrays) -> str:
    h = hashlib.sha256()
    for a in arrays:
        h.update(str(a.shape).encode())
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def _cache_key(source: Source) -> str:
    stats = [(str(q.resolve()), q.stat().st_size, q.stat().st_mtime_ns) for q in _source_files(source.paths)]
    return hashlib.sha256(json.dumps([source.dataset, source.kind, stats]).encode()).hexdigest()[:20]


def _atomic_savez(path: Path, **arrays) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    with open(tmp, "wb") as f:
        np.savez(f, **arrays)
    os.replace(tmp, path)


def _decode(source: Source):
    if source.kind.startswith("cifar-pickle"):
        return _read_cifar(source)
    if source.kind == "idx":
        return _read_idx_set(source)
    return _read_npz(source)


def load_source(source: Source, use_cache: bool = True) -> Dataset:
    """Decode (or take from the cache), validate and fingerprint one source."""
    spec = SPECS[source.dataset]
    # Decoding an xz or tar.gz stream takes seconds; keep the decoded arrays, keyed by the files' size and mtime.
    cached = cache_dir() / "decoded" / f"{source.dataset}-{_cache_key(source)}.npz" if use_cache else None
    if cached is not None and source.kind != "npz" and cached.is_file():
        try:
            with np.load(cached) as z:
                arrays = tuple(z[k] for k in ("x_train", "y_train", "x_test", "y_test"))
                file_sha, content_sha = str(z["file_sha256"]), str(z["content_sha256"])
            _validate(spec, source, arrays)
            return Dataset(spec, source, *arrays, file_sha, content_sha)
        except (DataError, OSError, ValueError, KeyError, zipfile.BadZipFile):
            cached.unlink(missing_ok=True)  # a damaged cache is rebuilt from the source, never trusted
    arrays = _decode(source)
    _validate(spec, source, arrays)
    arrays = tuple(np.ascontiguousarray(a) for a in arrays)
    file_sha, content_sha = _sha256_files(source.paths), _sha256_arrays(arrays)
    if cached is not None and source.kind != "npz":
        _atomic_savez(cached, x_train=arrays[0], y_train=arrays[1], x_test=arrays[2], y_test=arrays[3],
                      file_sha256=np.array(file_sha), content_sha256=np.array(content_sha))
    return Dataset(spec, source, *arrays, file_sha, content_sha)


def download_file(url: str, dest: Path, md5: str, timeout: float = 30.0) -> None:
    """Fetch `url` to `dest` (atomically) and check the published MD5 before it is used."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".part")
    digest = hashlib.md5()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, open(tmp, "wb") as out:
            for chunk in iter(lambda: response.read(1 << 20), b""):
                digest.update(chunk)
                out.write(chunk)
    except (urllib.error.URLError, OSError) as e:
        tmp.unlink(missing_ok=True)
        raise DataError(f"could not download {url}: {getattr(e, 'reason', e)}") from None
    if digest.hexdigest() != md5:
        tmp.unlink(missing_ok=True)
        raise DataError(f"{url}: downloaded file has md5 {digest.hexdigest()}, published md5 is {md5}; not used")
    os.replace(tmp, dest)


def download(name: str, root: Path) -> None:
    for url, rel, md5 in OFFICIAL_ARCHIVES[name]:
        if not (root / rel).is_file():
            print(f"downloading {url} -> {root / rel}")
            download_file(url, root / rel, md5)


def _download_allowed(download_arg: bool | None) -> bool:
    if download_arg is not None:
        return download_arg
    return os.environ.get("SMALLNETS_OFFLINE", "") in ("", "0")


def load_dataset(name: str, data_dir_arg: str | os.PathLike | None = None, *, download_missing: bool | None = None,
                 use_cache: bool = True) -> Dataset:
    """Load a dataset by name from the data folder, downloading the official archive if allowed and needed."""
    spec = get_spec(name)
    root = data_dir(data_dir_arg)
    sources = candidate_sources(name, root)
    if not sources and name != "cifar10_sample" and _download_allowed(download_missing):
        try:
            download(name, root)
        except DataError as e:
            raise DataError(f"{spec.title} not found locally and {e}; offline, put "
                            f"{_expected_files(name, root)}") from None
        sources = candidate_sources(name, root)
    if not sources:
        raise DataError(f"{spec.title} not found: put {_expected_files(name, root)} "
                        f"(or set --data-dir / SMALLNETS_DATA)")
    return load_source(sources[0], use_cache=use_cache)


# ----------------------------------------------------------------------------------------------------------------------
# Splits

@dataclass
class Splits:
    """uint8 NHWC images and int64 labels of the three splits. The test split is for the final evaluation only."""

    train: tuple[np.ndarray, np.ndarray]
    val: tuple[np.ndarray, np.ndarray]
    test: tuple[np.ndarray, np.ndarray]
    dataset: Dataset = field(repr=False)


def stratified_val_indices(y: np.ndarray, val_size: int, seed: int = 0) -> np.ndarray:
    """A deterministic validation subset with each class in proportion to its share of `y`."""
    classes, counts = np.unique(y, return_counts=True)
    exact = val_size * counts / len(y)
    quota = np.floor(exact).astype(int)
    # Largest remainders get the leftover places, so the total is exactly val_size.
    for i in np.argsort(-(exact - quota), kind="stable")[: val_size - quota.sum()]:
        quota[i] += 1
    rng = np.random.default_rng(seed)
    picked = [rng.permutation(np.flatnonzero(y == c))[:q] for c, q in zip(classes, quota)]
    return np.sort(np.concatenate(picked))


def make_splits(ds: Dataset, val_size: int | None = None, split_seed: int = 0,
                train_limit: int | None = None) -> Splits:
    """Carve the validation split from train. `train_limit` keeps only the first images of the rest (for tests)."""
    n = len(ds.y_train)
    val_size = ds.spec.default_val_size if val_size is None else val_size
    if not 0 <= val_size < n:
        raise SmallnetsError(f"val_size must be in 0..{n - 1} for {ds.spec.name} ({n} training images), got {val_size}")
    val_idx = stratified_val_indices(ds.y_train, val_size, split_seed) if val_size else np.zeros(0, dtype=np.int64)
    train_mask = np.ones(n, dtype=bool)
    train_mask[val_idx] = False
    train_idx = np.flatnonzero(train_mask)
    if train_limit is not None:
        train_idx = train_idx[:train_limit]
    return Splits((ds.x_train[train_idx], ds.y_train[train_idx]), (ds.x_train[val_idx], ds.y_train[val_idx]),
                  (ds.x_test, ds.y_test), ds)


# ----------------------------------------------------------------------------------------------------------------------
# Device-resident batches

class DeviceBatches:
    """A whole split as one uint8 tensor on the device; shuffling, crop, flip and normalisation as batched tensor ops.

    No per-sample Python and no DataLoader workers: at small-model speeds the input pipeline, not the model, is what
    a per-sample loader spends its time on.
    """

    def __init__(self, images: np.ndarray, labels: np.ndarray, spec: DatasetSpec, *, batch_size: int,
                 device: torch.device | str = "cpu", shuffle: bool = False, augment: bool = False,
                 crop_padding: int = 4, cutout: int = 0, drop_last: bool = False,
                 generator: torch.Generator | None = None, channels_last: bool = False):
        self.device = torch.device(device)
        # clone, not .contiguous(): a one-channel NHWC array permuted to NCHW already counts as contiguous, but its
        # strides also read as channels_last, so convolutions took oneDNN's channels_last path on a CPU (Fashion-MNIST,
        # MNIST): in torch 2.13.0 on an AVX2 CPU that corrupted the heap in training (a Fashion-MNIST sweep hung)
        images = torch.from_numpy(np.ascontiguousarray(images)).to(self.device).permute(0, 3, 1, 2)
        self.images = images.clone(memory_format=torch.contiguous_format)
        self.labels = torch.from_numpy(labels).to(self.device)
        self.mean = torch.tensor(spec.mean, device=self.device).view(1, -1, 1, 1) * 255
        self.inv_std = 1 / (torch.tensor(spec.std, device=self.device).view(1, -1, 1, 1) * 255)
        self.batch_size, self.shuffle, self.augment, self.drop_last = batch_size, shuffle, augment, drop_last
        self.flip = augment and spec.flip_ok
        self.crop_padding = crop_padding if augment else 0
        self.cutout = cutout if augment else 0
        if self.cutout > min(self.images.shape[-2:]):
            raise SmallnetsError(f"cutout {cutout} is larger than the {spec.title} images "
                                 f"({self.images.shape[-2]}x{self.images.shape[-1]} pixels)")
        self.generator = generator
        self.memory_format = torch.channels_last if channels_last else torch.contiguous_format

    def with_generator(self, generator: torch.Generator) -> "DeviceBatches":
        """The same split (sharing its device tensors) with its own random stream: one per model when several
        models train side by side on one copy of the data."""
        twin = copy.copy(self)
        twin.generator = generator
        return twin

    def __len__(self) -> int:
        n = len(self.labels)
        return n // self.batch_size if self.drop_last and n >= self.batch_size else -(-n // self.batch_size)

    def _random_crop(self, x: torch.Tensor) -> torch.Tensor:
        p = self.crop_padding
        b, c, h, w = x.shape
        padded = torch.nn.functional.pad(x, (p, p, p, p))  # zero (black) padding, as the standard recipe
        shift = torch.randint(0, 2 * p + 1, (2, b), device=x.device, generator=self.generator)
        rows = (shift[0, :, None] + torch.arange(h, device=x.device))[:, None, :, None].expand(b, c, h, w + 2 * p)
        x = padded.gather(2, rows)
        cols = (shift[1, :, None] + torch.arange(w, device=x.device))[:, None, None, :].expand(b, c, h, w)
        return x.gather(3, cols)

    def _prepare(self, x: torch.Tensor) -> torch.Tensor:
        if self.crop_padding:
            x = self._random_crop(x)
        if self.flip:
            flip = torch.rand(len(x), device=x.device, generator=self.generator) < 0.5
            x = torch.where(flip[:, None, None, None], x.flip(3), x)
        x = (x.float() - self.mean) * self.inv_std
        if self.cutout:
            x = x * self._cutout_keep(x)
        return x.contiguous(memory_format=self.memory_format)

    def _cutout_keep(self, x: torch.Tensor) -> torch.Tensor:
        """Cutout (DeVries & Taylor 2017): 0 on a square of side `cutout` around a centre drawn anywhere in the image
        (so the square may hang over an edge and cover less), 1 elsewhere; [B, 1, H, W]. Applied after
        normalisation, the blanked pixels take the dataset's mean colour."""
        b, _, h, w = x.shape
        top = torch.randint(0, h, (b, 1), device=x.device, generator=self.generator) - self.cutout // 2
        left = torch.randint(0, w, (b, 1), device=x.device, generator=self.generator) - self.cutout // 2
        rows = torch.arange(h, device=x.device)
        cols = torch.arange(w, device=x.device)
        in_rows = (rows >= top) & (rows < top + self.cutout)  # [B, H]
        in_cols = (cols >= left) & (cols < left + self.cutout)  # [B, W]
        return (~(in_rows[:, :, None] & in_cols[:, None, :]))[:, None].to(x.dtype)

    def __iter__(self):
        n = len(self.labels)
        order = torch.randperm(n, device=self.device, generator=self.generator) if self.shuffle else None
        for i in range(len(self)):
            sl = slice(i * self.batch_size, min(n, (i + 1) * self.batch_size))
            idx = order[sl] if order is not None else sl
            yield self._prepare(self.images[idx]), self.labels[idx]


def exact_vs_jpeg_test_pairs(sample: Dataset, jpeg: Dataset) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The exact CIFAR-10 test images of the sample (official test order) and the same images taken from the JPEG
    copy, whose test split is class-major (all of class 0, then class 1, ..., official order within each class).
    Returns (x_exact, x_jpeg, labels)."""
    y = sample.y_test
    per_class = len(jpeg.y_test) // jpeg.spec.num_classes
    # Rank of each image among the earlier images of its class = its place within the class block of the copy.
    rank = np.zeros(len(y), dtype=np.int64)
    seen = np.zeros(jpeg.spec.num_classes, dtype=np.int64)
    for i, c in enumerate(y):
        rank[i], seen[c] = seen[c], seen[c] + 1
    idx = y * per_class + rank
    if not np.array_equal(jpeg.y_test[idx], y):
        raise DataError("the JPEG copy's test labels are not in class-major order; cannot pair it with the sample")
    x_jpeg = jpeg.x_test[idx]
    mae = np.abs(x_jpeg.astype(np.int16) - sample.x_test.astype(np.int16)).mean()
    if mae > 20:  # the copy differs by about 6 per channel; far more means the images do not correspond
        raise DataError(f"paired images differ by {mae:.1f} per channel on average: not the same images")
    return sample.x_test, x_jpeg, y
