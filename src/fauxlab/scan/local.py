"""The local engine: every file in this process, one after another, models loaded once.
For small jobs and machines without Ray; the records are the same as on Ray."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from fauxlab.detection import DetectOptions, DetectorRecipe
from fauxlab.scan.record import scan_record, where


def local_records(
    todo: Sequence[tuple[Path, str]], recipe: DetectorRecipe, options: DetectOptions
) -> Iterator[dict[str, Any]]:
    """Each file's record, in order."""
    detectors, _ = recipe.load()
    run = where("local")
    for path, key in todo:
        yield scan_record(path, key, detectors, options, run)
