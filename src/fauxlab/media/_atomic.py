"""Write-then-rename helpers, so an output file appears whole or not at all."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from fauxlab.errors import OutputExistsError

PARTIAL_MARK = ".partial"


def refuse_existing(path: Path, overwrite: bool) -> None:
    if not overwrite and (path.exists() or path.is_symlink()):
        raise OutputExistsError(f"{path}: already exists; choose another path or remove it first")


def partial_path(path: Path) -> Path:
    """A hidden, unique sibling of `path` to write into; it keeps the suffix for muxers."""
    return path.with_name(f".{path.stem}.{secrets.token_hex(4)}{PARTIAL_MARK}{path.suffix}")


def publish(partial: Path, path: Path, overwrite: bool) -> None:
    """Move the finished `partial` to `path`; without `overwrite`, never replace a file
    that appeared there meanwhile (a hard link fails if the name is taken)."""
    if overwrite:
        partial.replace(path)
        return
    try:
        os.link(partial, path)
    except FileExistsError as exc:
        partial.unlink(missing_ok=True)
        raise OutputExistsError(
            f"{path}: already exists; choose another path or remove it first"
        ) from exc
    except OSError:  # a file system without hard links: check, then rename
        if path.exists():
            partial.unlink(missing_ok=True)
            raise OutputExistsError(
                f"{path}: already exists; choose another path or remove it first"
            ) from None
        partial.replace(path)
        return
    partial.unlink()
