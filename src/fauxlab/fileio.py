"""Small file helpers every pillar needs: content hashes and all-or-nothing writes."""

from __future__ import annotations

import hashlib
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
