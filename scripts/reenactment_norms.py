"""Measure the reenactment norms (median and 5th percentile) on the shared real clips.

Only the training side of the split is used (`fauxlab.datasplit.VIDEOS.split(root)[0]`);
the held-out clips and the third-party videos are for measuring, never for fitting.

    python scripts/reenactment_norms.py ../shared/data
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from fauxlab.datasplit import VIDEOS
from fauxlab.detection.analysed import analyse
from fauxlab.detection.detectors.reenactment.detector import main_keyframes, measure


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path, help="the shared data folder (holds videos/)")
    args = parser.parse_args()
    found: dict[str, list[float]] = {}
    for path in VIDEOS.split(args.root)[0]:
        values, _ = measure(main_keyframes(analyse(path)))
        print(path.name, {k: round(v, 4) for k, v in values.items()}, flush=True)
        for name, value in values.items():
            found.setdefault(name, []).append(value)
    for name, series in found.items():
        median, p5 = np.median(series), np.percentile(series, 5)
        print(f"{name}: {len(series)} clips, median={median:.4f} p5={p5:.4f}")


if __name__ == "__main__":
    main()
