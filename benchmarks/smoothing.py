"""Landmark smoothing: how much jitter the One Euro filter removes, and what it costs in lag.

    .venv/bin/python benchmarks/smoothing.py [--data ../shared/data]

Baseline: the raw MediaPipe landmarks in video mode. For each (min_cutoff, beta), the
jitter ratio is mean |second difference| of the smoothed points over the raw ones, and the
deviation is their mean distance from the raw points in % of the face size.
"""

from __future__ import annotations

import argparse

import numpy as np

from _common import data_argument
from fauxlab.faces import FaceOptions, faces_in_video
from fauxlab.faces.track import OneEuroFilter

VIDEOS = ("hdtf-1.mp4", "liveportrait-d6.mp4", "voxceleb-1.mp4")
SETTINGS = ((0.5, 0.5), (1.0, 0.5), (1.0, 5.0), (1.0, 20.0), (2.0, 5.0), (4.0, 20.0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    data_argument(parser)
    parser.add_argument("--frames", type=int, default=300)
    args = parser.parse_args()
    tracks = []
    for name in VIDEOS:
        frames = faces_in_video(args.data / "videos" / name, None, FaceOptions(smooth=False))
        seq = [
            (f.time, f.faces[0])
            for _, f in zip(range(args.frames), frames, strict=False)
            if f.faces
        ]
        tracks.append(seq)
    print(f"{'min_cutoff':>10} {'beta':>5} {'jitter ratio':>13} {'deviation %':>12}")
    for min_cutoff, beta in SETTINGS:
        ratios, deviations = [], []
        for seq in tracks:
            smoother = OneEuroFilter(min_cutoff=min_cutoff, beta=beta)
            raw = np.stack([face.landmarks for _, face in seq])
            smooth = np.stack([smoother(f.landmarks, t, max(f.width, f.height)) for t, f in seq])
            size = np.mean([max(f.width, f.height) for _, f in seq])
            ratios.append(
                np.abs(np.diff(smooth, n=2, axis=0)).mean()
                / np.abs(np.diff(raw, n=2, axis=0)).mean()
            )
            deviations.append(100 * np.abs(smooth - raw).mean() / size)
        print(f"{min_cutoff:10.1f} {beta:5.1f} {np.mean(ratios):13.2f} {np.mean(deviations):12.2f}")


if __name__ == "__main__":
    main()
