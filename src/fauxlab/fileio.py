"""Small file helpers every pillar needs: content hashes and all-or-nothing writes."""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fauxlab.errors import OutputExistsError


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


@contextmanager
def atomic_output(path: Path, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary sibling path to write; it replaces `path` only if the block succeeds.

    The temporary name keeps the real suffix so encoders that pick a format by suffix work.
    """
    if path.exists() and not overwrite:
        raise OutputExistsError(f"{path}: already exists; choose another path or remove it first")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.stem}.partial{path.suffix}")
    try:
        yield partial
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)


def _partial(path: Path) -> Path:
    """A hidden, unique sibling of `path` to write into first."""
    return path.with_name(f".{path.name}.{secrets.token_hex(4)}.partial")


def _sync_folder(folder: Path) -> None:
    """Make a rename in `folder` survive power loss, where the platform allows it."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms that cannot open folders
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - file systems that refuse fsync on folders
        pass
    finally:
        os.close(fd)


def write_durably(
    path: Path,
    data: bytes,
    *,
    private: bool = False,
    keep_existing: bool = False,
    sync_folder: bool = False,
) -> bool:
    """Write `data` so that `path` holds either its old content or all of the new, even
    after a crash: a temporary sibling is written, fsynced and renamed into place.

    `private` creates it readable by the owner only (0600) from the first byte.
    `keep_existing` never replaces a file already at `path` (another process may have
    created it first); the result says whether `data` was written. `sync_folder` also
    fsyncs the folder, so the rename itself survives power loss."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = _partial(path)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600 if private else 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        written = _publish(partial, path, keep_existing)
    finally:
        partial.unlink(missing_ok=True)
    if sync_folder:
        _sync_folder(path.parent)
    return written


def _publish(partial: Path, path: Path, keep_existing: bool) -> bool:
    if not keep_existing:
        partial.replace(path)
        return True
    try:
        os.link(partial, path)
    except FileExistsError:
        return False
    except OSError:  # no hard links on this file system: check, then rename
        if path.exists():
            return False
        partial.replace(path)
    return True


@contextmanager
def durable_output(path: Path) -> Iterator[Path]:
    """Yield a temporary sibling path for a writer that needs a path (an encoder, a
    tensor library); once the block succeeds it is fsynced and renamed to `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = _partial(path)
    try:
        yield partial
        with partial.open("rb+") as handle:
            os.fsync(handle.fileno())
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
