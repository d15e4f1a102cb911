"""One rule for which files are held out, shared by every trainer and evaluation.

Files are ranked by the SHA-256 of their name and the first `count` are held out. A
split by position in name order would be biased wherever names carry meaning (UTKFace
names start with the age: its last 1000 files are all children and people over 70);
the hash spreads the held-out set evenly, stays fixed as long as the names do, and
nests: the 968 held out of a folder are among the 1000 held out of it, so a detector's
validation faces are never seen by a generator held out the same way.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from fauxlab.errors import SettingError


def _rank(path: Path) -> str:
    return hashlib.sha256(path.name.encode()).hexdigest()


def split_held_out(files: list[Path], count: int) -> tuple[list[Path], list[Path]]:
    """(training, held-out), each in the order given."""
    held = set(sorted(files, key=_rank)[:count]) if count > 0 else set()
    return [f for f in files if f not in held], [f for f in files if f in held]


def split_files(files: list[Path], holdout: int) -> tuple[list[Path], list[Path]]:
    """(training, held-out): `holdout` files, chosen by `split_held_out`, are never
    trained on, so the metrics compare a model with images it has not seen."""
    if holdout < 0:
        raise SettingError(f"`holdout` must be 0 or more, got {holdout}", settings=["holdout"])
    if holdout and holdout >= len(files):
        raise SettingError(
            f"`holdout` {holdout} leaves no training images of {len(files)}", settings=["holdout"]
        )
    return split_held_out(files, holdout)
