import gzip
import hashlib
import http.server
import pickle
import tarfile
import threading
from pathlib import Path

import numpy as np
import pytest
import torch

from smallnets import data
from smallnets.errors import DataError, SmallnetsError

from .conftest import fake_images


# ---- writers of the official formats -------------------------------------------------------------------------------

def _pickle_batch(path: Path, x: np.ndarray, labels: dict) -> None:
    batch = {b"batch_label": b"test batch", b"data": x.transpose(0, 3, 1, 2).reshape(len(x), -1),
             b"filenames": [f"img{i}.png".encode() for i in range(len(x))]}
    batch.update({k.encode(): list(map(int, v)) for k, v in labels.items()})
    path.write_bytes(pickle.dumps(batch, protocol=2))


def write_cifar10(root: Path, n_train=50, n_test=10) -> tuple:
    xtr, ytr = fake_images(n_train, (32, 32, 3), 10, seed=1)
    xte, yte = fake_images(n_test, (32, 32, 3), 10, seed=2)
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    for i, idx in enumerate(np.array_split(np.arange(n_train), 5)):
        _pickle_batch(folder / f"data_batch_{i + 1}", xtr[idx], {"labels": ytr[idx]})
    _pickle_batch(folder / "test_batch", xte, {"labels": yte})
    return xtr, ytr, xte, yte


def write_cifar100(root: Path, n_train=200, n_test=100) -> tuple:
    xtr, ytr = fake_images(n_train, (32, 32, 3), 100, seed=3)
    xte, yte = fake_images(n_test, (32, 32, 3), 100, seed=4)
    folder = root / "cifar-100-python"
    folder.mkdir(parents=True)
    _pickle_batch(folder / "train", xtr, {"fine_labels": ytr, "coarse_labels": ytr // 5})
    _pickle_batch(folder / "test", xte, {"fine_labels": yte, "coarse_labels": yte // 5})
    return xtr, ytr, xte, yte


def tar_folder(folder: Path, archive: Path) -> None:
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(folder, arcname=folder.name)


def write_idx(path: Path, arr: np.ndarray, compress: bool) -> None:
    raw = bytes([0, 0, 0x08, arr.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in arr.shape) + arr.tobytes()
    path.write_bytes(gzip.compress(raw) if compress else raw)


def write_mnist_like(folder: Path, n_train=60, n_test=20, compress=True) -> tuple:
    folder.mkdir(parents=True)
    xtr, ytr = fake_images(n_train, (28, 28), 10, seed=5)
    xte, yte = fake_images(n_test, (28, 28), 10, seed=6)
    suffix = ".gz" if compress else ""
    for name, arr in zip(data._IDX_FILES, (xtr, ytr.astype(np.uint8), xte, yte.astype(np.uint8))):
        write_idx(folder / (name + suffix), arr, compress)
    return xtr, ytr, xte, yte


# ---- official formats ------------------------------------------------------------------------------------------------

def test_cifar10_folder_and_tar_read_the_same_pixels(tmp_path, small_counts):
    small_counts("cifar10", 50, 10)
    xtr, ytr, xte, yte = write_cifar10(tmp_path / "dir")
    ds = data.load_dataset("cifar10", tmp_path / "dir", download_missing=False)
    assert ds.source.kind == "cifar-pickle-dir" and ds.source.official
    np.testing.assert_array_equal(ds.x_train, xtr)
    np.testing.assert_array_equal(ds.y_train, ytr)
    np.testing.assert_array_equal(ds.x_test, xte)
    np.testing.assert_array_equal(ds.y_test, yte)

    (tmp_path / "tar").mkdir()
    tar_folder(tmp_path / "dir" / "cifar-10-batches-py", tmp_path / "tar" / "cifar-10-python.tar.gz")
    from_tar = data.load_dataset("cifar10", tmp_path / "tar", download_missing=False)
    assert from_tar.source.kind == "cifar-pickle-tar"
    assert from_tar.content_sha256 == ds.content_sha256  # same pixels, same fingerprint
    assert from_tar.file_sha256 != ds.file_sha256  # but different files on disk
    assert from_tar.file_sha256 == hashlib.sha256((tmp_path / "tar" / "cifar-10-python.tar.gz").read_bytes()).hexdigest()


def test_cifar100_fine_and_coarse_labels(tmp_path, small_counts):
    small_counts("cifar100", 200, 100)
    small_counts("cifar100_coarse", 200, 100)
    xtr, ytr, _, yte = write_cifar100(tmp_path)
    tar_folder(tmp_path / "cifar-100-python", tmp_path / "cifar-100-python.tar.gz")
    fine = data.load_dataset("cifar100", tmp_path, download_missing=False)
    coarse = data.load_dataset("cifar100_coarse", tmp_path, download_missing=False)
    assert fine.spec.num_classes == 100 and coarse.spec.num_classes == 20
    np.testing.assert_array_equal(fine.y_train, ytr)
    np.testing.assert_array_equal(coarse.y_train, ytr // 5)
    np.testing.assert_array_equal(coarse.y_test, yte // 5)
    np.testing.assert_array_equal(fine.x_train, xtr)


@pytest.mark.parametrize("compress", [True, False])
def test_idx_files_fashion_mnist(tmp_path, small_counts, compress):
    small_counts("fashion_mnist", 60, 20)
    xtr, ytr, xte, yte = write_mnist_like(tmp_path / "fashion-mnist", compress=compress)
    ds = data.load_dataset("fashion_mnist", tmp_path, download_missing=False)
    assert ds.x_train.shape == (60, 28, 28, 1)
    np.testing.assert_array_equal(ds.x_train[..., 0], xtr)
    np.testing.assert_array_equal(ds.y_test, yte)


def test_npz_compact_format(tmp_path, small_counts):
    small_counts("mnist", 60, 20)
    xtr, ytr = fake_images(60, (28, 28), 10)
    xte, yte = fake_images(20, (28, 28), 10, seed=9)
    np.savez(tmp_path / "mnist.npz", x_train=xtr, y_train=ytr.astype(np.uint8), x_test=xte, y_test=yte)
    ds = data.load_dataset("mnist", tmp_path, download_missing=False)
    assert ds.x_train.shape == (60, 28, 28, 1) and ds.y_train.dtype == np.int64


def test_exact_sample_fingerprint(sample):
    # sha256 published in shared/data/README.md
    assert sample.file_sha256 == "46779d1b987d69b46c13bec06abef1f1f4274f36d4ee0e6d87f0cb97818c1373"
    assert sample.x_train.shape == (2000, 32, 32, 3) and sample.x_test.shape == (1000, 32, 32, 3)
    assert sample.source.official and sample.label == "CIFAR-10 (exact 3,000-image sample)"


# ---- bad files -------------------------------------------------------------------------------------------------------

def test_truncated_pickle_names_the_file(tmp_path, small_counts):
    small_counts("cifar10", 50, 10)
    write_cifar10(tmp_path)
    batch = tmp_path / "cifar-10-batches-py" / "data_batch_3"
    batch.write_bytes(batch.read_bytes()[:5000])
    with pytest.raises(DataError, match="data_batch_3: corrupt or truncated"):
        data.load_dataset("cifar10", tmp_path, download_missing=False)


def test_pickle_with_foreign_objects_is_refused(tmp_path, small_counts):
    small_counts("cifar10", 50, 10)
    write_cifar10(tmp_path)
    (tmp_path / "cifar-10-batches-py" / "test_batch").write_bytes(pickle.dumps({b"data": Path("/")}))
    with pytest.raises(DataError, match="test_batch: corrupt or truncated CIFAR batch.*unexpected object"):
        data.load_dataset("cifar10", tmp_path, download_missing=False)


def test_truncated_tar_gz(tmp_path, small_counts):
    small_counts("cifar10", 50, 10)
    write_cifar10(tmp_path / "src")
    archive = tmp_path / "cifar-10-python.tar.gz"
    tar_folder(tmp_path / "src" / "cifar-10-batches-py", archive)
    archive.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    with pytest.raises(DataError, match="cifar-10-python.tar.gz"):
        data.load_dataset("cifar10", tmp_path, download_missing=False)


def test_truncated_and_corrupt_idx(tmp_path, small_counts):
    small_counts("fashion_mnist", 60, 20)
    folder = tmp_path / "fashion-mnist"
    write_mnist_like(folder, compress=False)
    images = folder / "train-images-idx3-ubyte"
    images.write_bytes(images.read_bytes()[:-100])
    with pytest.raises(DataError, match="train-images-idx3-ubyte: IDX data has .*truncated"):
        data.load_dataset("fashion_mnist", tmp_path, download_missing=False)
    images.write_bytes(b"\x01\x02\x03\x04" + b"\x00" * 100)
    with pytest.raises(DataError, match="bad magic number"):
        data.load_dataset("fashion_mnist", tmp_path, download_missing=False)
    gz = folder / "t10k-labels-idx1-ubyte.gz"
    gz.write_bytes(b"\x1f\x8b not really gzip")
    with pytest.raises(DataError, match="t10k-labels-idx1-ubyte.gz: corrupt or truncated gzip"):
        data.read_idx(gz)


def test_partial_data_is_refused(tmp_path):
    """With the real expected counts, a file holding fewer images is an error, never used silently."""
    write_cifar10(tmp_path, n_train=50, n_test=10)
    with pytest.raises(DataError, match="50 train images, expected 50000"):
        data.load_dataset("cifar10", tmp_path, download_missing=False)


def test_bad_labels_and_shapes(tmp_path, small_counts):
    small_counts("mnist", 60, 20)
    xtr, ytr = fake_images(60, (28, 28), 10)
    np.savez(tmp_path / "mnist.npz", x_train=xtr, y_train=ytr + 5, x_test=xtr[:20], y_test=ytr[:20])
    with pytest.raises(DataError, match="train labels span 5..14, expected 0..9"):
        data.load_dataset("mnist", tmp_path, download_missing=False)
    np.savez(tmp_path / "mnist.npz", x_train=xtr.astype(np.float32), y_train=ytr, x_test=xtr[:20], y_test=ytr[:20])
    with pytest.raises(DataError, match="expected uint8"):
        data.load_dataset("mnist", tmp_path, download_missing=False)
    np.savez(tmp_path / "mnist.npz", images=xtr)
    with pytest.raises(DataError, match="npz lacks key"):
        data.load_dataset("mnist", tmp_path, download_missing=False)
    (tmp_path / "mnist.npz").write_bytes(b"PK\x03\x04 garbage")
    with pytest.raises(DataError, match="mnist.npz: corrupt or truncated"):
        data.load_dataset("mnist", tmp_path, download_missing=False)


def test_missing_dataset_says_what_to_put_where(tmp_path):
    with pytest.raises(DataError) as e:
        data.load_dataset("cifar100", tmp_path, download_missing=False)
    msg = str(e.value)
    assert "\n" not in msg and "cifar-100-python.tar.gz" in msg and str(tmp_path) in msg
    with pytest.raises(SmallnetsError, match="unknown dataset 'cifar11'.*cifar10"):
        data.load_dataset("cifar11", tmp_path)


# ---- cache ----------------------------------------------------------------------------------------------------------

def test_decoded_cache_is_used_and_rebuilt_when_damaged(tmp_path, small_counts):
    small_counts("cifar10", 50, 10)
    write_cifar10(tmp_path / "src")
    tar_folder(tmp_path / "src" / "cifar-10-batches-py", tmp_path / "cifar-10-python.tar.gz")
    first = data.load_dataset("cifar10", tmp_path, download_missing=False)
    cached = list((data.cache_dir() / "decoded").glob("cifar10-*.npz"))
    assert len(cached) == 1
    second = data.load_dataset("cifar10", tmp_path, download_missing=False)
    assert second.content_sha256 == first.content_sha256 and second.file_sha256 == first.file_sha256
    cached[0].write_bytes(b"damaged")
    third = data.load_dataset("cifar10", tmp_path, download_missing=False)
    np.testing.assert_array_equal(third.x_train, first.x_train)


# ---- download -------------------------------------------------------------------------------------------------------

@pytest.fixture
def http_server(tmp_path):
    """A loopback HTTP server for the download path; nothing leaves this machine."""
    served = tmp_path / "served"
    served.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **kw):
            super().__init__(*a, directory=str(served), **kw)

        def log_message(self, *a):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield served, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_download_checks_md5(tmp_path, small_counts, http_server, monkeypatch):
    small_counts("cifar10", 50, 10)
    served, url = http_server
    write_cifar10(tmp_path / "src")
    tar_folder(tmp_path / "src" / "cifar-10-batches-py", served / "cifar-10-python.tar.gz")
    good_md5 = hashlib.md5((served / "cifar-10-python.tar.gz").read_bytes()).hexdigest()
    root = tmp_path / "data"

    monkeypatch.setitem(data.OFFICIAL_ARCHIVES, "cifar10",
                        [(url + "/cifar-10-python.tar.gz", "cifar-10-python.tar.gz", "0" * 32)])
    with pytest.raises(DataError, match="published md5 is 0000"):
        data.load_dataset("cifar10", root, download_missing=True)
    assert not list(root.glob("*"))  # nothing half-downloaded is left to be used later

    monkeypatch.setitem(data.OFFICIAL_ARCHIVES, "cifar10",
                        [(url + "/cifar-10-python.tar.gz", "cifar-10-python.tar.gz", good_md5)])
    ds = data.load_dataset("cifar10", root, download_missing=True)
    assert ds.source.kind == "cifar-pickle-tar" and (root / "cifar-10-python.tar.gz").is_file()

    monkeypatch.setitem(data.OFFICIAL_ARCHIVES, "cifar100", [(url + "/missing.tar.gz", "cifar-100-python.tar.gz", "0")])
    with pytest.raises(DataError, match="not found locally and could not download .*offline, put"):
        data.load_dataset("cifar100", root, download_missing=True)


# ---- splits and batches ---------------------------------------------------------------------------------------------

def test_validation_split_is_stratified_deterministic_and_disjoint(sample):
    s1 = data.make_splits(sample, val_size=500)
    s2 = data.make_splits(sample, val_size=500)
    np.testing.assert_array_equal(s1.val[1], s2.val[1])
    assert len(s1.val[1]) == 500 and len(s1.train[1]) == 1500
    counts = np.bincount(s1.val[1], minlength=10)
    share = np.bincount(sample.y_train, minlength=10) * 500 / 2000
    assert np.all(np.abs(counts - share) < 1)
    idx = data.stratified_val_indices(sample.y_train, 500)
    train_rows = {r.tobytes() for r in s1.train[0].reshape(1500, -1)}
    assert not any(sample.x_train[i].tobytes() in train_rows for i in idx)
    assert len(data.stratified_val_indices(sample.y_train, 37)) == 37
    with pytest.raises(SmallnetsError, match="val_size must be in 0..1999"):
        data.make_splits(sample, val_size=2000)


def test_device_batches_normalise_crop_and_flip(sample):
    x, y = sample.x_train[:64], sample.y_train[:64]
    plain = data.DeviceBatches(x, y, sample.spec, batch_size=64)
    (xb, yb), = list(plain)
    expected = (torch.from_numpy(x).permute(0, 3, 1, 2).float() / 255 - torch.tensor(sample.spec.mean).view(1, 3, 1, 1)) \
        / torch.tensor(sample.spec.std).view(1, 3, 1, 1)
    torch.testing.assert_close(xb, expected, rtol=1e-5, atol=1e-5)
    assert torch.equal(yb, torch.from_numpy(y))

    aug = data.DeviceBatches(x, y, sample.spec, batch_size=64, augment=True, generator=torch.Generator().manual_seed(0))
    (xa, _), = list(aug)
    # Every augmented image is a 32x32 window of the zero-padded original, possibly mirrored.
    raw = (xa * torch.tensor(sample.spec.std).view(1, 3, 1, 1) + torch.tensor(sample.spec.mean).view(1, 3, 1, 1)) * 255
    padded = torch.nn.functional.pad(torch.from_numpy(x).permute(0, 3, 1, 2).float(), (4, 4, 4, 4))
    flips = 0
    for i in range(64):
        match = None
        for dy in range(9):
            for dx in range(9):
                window = padded[i, :, dy:dy + 32, dx:dx + 32]
                for flipped, cand in ((False, window), (True, window.flip(2))):
                    if torch.allclose(raw[i], cand, atol=1e-2):
                        match = flipped
        assert match is not None, f"image {i} is not a crop of its original"
        flips += match
    assert 10 < flips < 54  # about half are flipped


def test_cutout_blanks_one_square_of_each_training_image(sample):
    x, y = sample.x_train[:256], sample.y_train[:256]

    def batch(**kw):
        b = data.DeviceBatches(x, y, sample.spec, batch_size=256, augment=True, generator=torch.Generator().manual_seed(5),
                               **kw)
        return next(iter(b))[0]
    crop_flip, cut = batch(), batch(cutout=16)
    # Cutout draws after crop and flip: the same images, blanked (the dataset's mean, 0 after normalisation) in one
    # square, every channel alike.
    blank = (cut == 0).all(1)
    assert torch.equal(cut, crop_flip * ~blank[:, None])
    areas = []
    for i, b in enumerate(blank & (crop_flip != 0).any(1)):  # ignore pixels that were 0 already
        rows, cols = b.any(1).nonzero().flatten(), b.any(0).nonzero().flatten()
        top, bottom, left, right = rows.min(), rows.max(), cols.min(), cols.max()
        assert blank[i, top:bottom + 1, left:right + 1].all(), f"image {i}: the blanked pixels are not one rectangle"
        h, w = bottom - top + 1, right - left + 1
        # 16 a side, less only where the square hangs over an edge of the 32x32 image.
        assert h == 16 or (h < 16 and (top == 0 or bottom == 31)), f"image {i}: {h} rows"
        assert w == 16 or (w < 16 and (left == 0 or right == 31)), f"image {i}: {w} columns"
        areas.append(int(h * w))
    # A centre drawn anywhere in 0..31 keeps the whole square inside when it is in 8..24 on both axes: (17/32)^2, 28%.
    assert 0.2 < sum(a == 256 for a in areas) / len(areas) < 0.45 and min(areas) >= 64
    # Not without augmentation: evaluation batches and the no-augmentation track stay untouched.
    plain = data.DeviceBatches(x, y, sample.spec, batch_size=256, cutout=16)
    assert plain.cutout == 0 and not (next(iter(plain))[0] == 0).all(1).any()
    with pytest.raises(SmallnetsError, match="cutout 40 is larger than the .* images .32x32 pixels."):
        data.DeviceBatches(x, y, sample.spec, batch_size=256, augment=True, cutout=40)


def test_no_flip_for_digits_and_drop_last(small_counts, tmp_path):
    small_counts("mnist", 60, 20)
    write_mnist_like(tmp_path / "mnist")
    ds = data.load_dataset("mnist", tmp_path, download_missing=False)
    b = data.DeviceBatches(ds.x_train, ds.y_train, ds.spec, batch_size=25, augment=True, drop_last=True, shuffle=True,
                           generator=torch.Generator().manual_seed(0))
    assert not b.flip and b.crop_padding == 4 and len(b) == 2
    assert [len(y) for _, y in b] == [25, 25]
    full = data.DeviceBatches(ds.x_train, ds.y_train, ds.spec, batch_size=25)
    assert [len(y) for _, y in full] == [25, 25, 10]


def test_exact_sample_pairs_with_the_jpeg_copy(sample, sample_dir):
    if not (sample_dir / "cifar10_jpeg_lossy.npz.xz").is_file():
        pytest.skip("cifar10_jpeg_lossy.npz.xz not found beside the sample")
    jpeg = data.load_dataset("cifar10", sample_dir, download_missing=False)
    assert jpeg.label == "CIFAR-10 (JPEG copy)" and not jpeg.source.official
    x_exact, x_jpeg, y = data.exact_vs_jpeg_test_pairs(sample, jpeg)
    assert len(y) == 1000 and x_jpeg.shape == x_exact.shape
    mae = np.abs(x_jpeg.astype(int) - x_exact.astype(int)).mean()
    assert 3 < mae < 9  # the README measures 5.8 per channel on these images
    shuffled = data.Dataset(jpeg.spec, jpeg.source, jpeg.x_train, jpeg.y_train, jpeg.x_test[::-1], jpeg.y_test[::-1],
                            "", "")
    with pytest.raises(DataError, match="class-major"):
        data.exact_vs_jpeg_test_pairs(sample, shuffled)


def test_one_channel_batches_stay_nchw_on_a_cpu():
    """A one-channel NHWC array permuted to NCHW counts as contiguous but its strides also read as channels_last, so
    on a CPU Fashion-MNIST went through oneDNN's channels_last convolutions, which corrupted the heap in training
    with torch 2.13.0 on an AVX2 machine. The batches must be plain NCHW, and so what a convolution makes of them."""
    spec = data.get_spec("fashion_mnist")
    x = np.random.default_rng(0).integers(0, 256, (8, 28, 28, 1), dtype=np.uint8)
    (xb, _), = list(data.DeviceBatches(x, np.arange(8), spec, batch_size=8))
    assert xb.stride() == (784, 784, 28, 1)
    out = torch.nn.Conv2d(1, 6, 3, padding=1)(xb)
    assert out.is_contiguous() and not out.is_contiguous(memory_format=torch.channels_last)
    asked_for_channels_last = data.DeviceBatches(x, np.arange(8), spec, batch_size=8, channels_last=True)
    (xc, _), = list(asked_for_channels_last)
    torch.testing.assert_close(xc, xb)
