"""Real recordings at full length, as `fauxlab detect` hears them: how many of the held-out
speakers' files and of the shared videos' sound tracks each voice model calls synthetic.

    python benchmarks/voice_reals.py [--data ../shared/data] [--model other.safetensors ...]
                                     [--also ../shared/data/thirdparty/videos/real]

The shipped linear model first, then each `--model`; every one scores the same sound. The
issue's goal: no real held-out clip called fake at the default threshold (0.5); the
detector's own "machine-made" line is 0.65. `--also` adds a folder of real media measured
the same way (the third-party real videos: measured only, never trained or calibrated on).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from _common import data_argument
from fauxlab.datasplit import held_out_speech
from fauxlab.detection.detectors.voice.model import load_model, load_shipped_model
from fauxlab.media import read_audio
from fauxlab.synthesis.voice.fakes import RATE


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    data_argument(parser)
    parser.add_argument("--model", type=Path, action="append", default=[])
    parser.add_argument(
        "--also", type=Path, action="append", default=[], help="another folder of real media"
    )
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    groups = {
        "held-out speakers": held_out_speech(args.data),
        "shared videos": sorted((args.data / "videos").glob("*.mp4")),
        **{str(f): sorted(p for p in f.iterdir() if p.is_file()) for f in args.also},
    }
    sounds: dict[str, dict[str, NDArray[np.float32]]] = {}
    for group, files in groups.items():
        for path in files:
            sound = read_audio(path, RATE)
            if sound is not None:
                sounds.setdefault(group, {})[path.name] = sound.samples
    models = {"linear": load_shipped_model(), **{str(p): load_model(p) for p in args.model}}
    for name, model in models.items():
        everything: dict[str, float] = {}
        counts = []
        for group, clips in sounds.items():
            scores = {k: model.judge(v).probability for k, v in clips.items()}
            judged = {k: p for k, p in scores.items() if p is not None}
            everything.update(judged)
            called = sum(p >= 0.5 for p in judged.values())
            counts.append(f"{group} {called} of {len(judged)}")
        judged_p = np.array(list(everything.values()))
        worst = sorted(((p, k) for k, p in everything.items()), reverse=True)
        print(
            f"{name[-28:]}: {len(judged_p)} real recordings judged; "
            f"{int((judged_p >= 0.5).sum())} at P >= 0.5 ({', '.join(counts)}), "
            f"{int((judged_p >= 0.65).sum())} at >= 0.65; called fake: "
            + ", ".join(f"{k} {p:.2f}" for p, k in worst if p >= 0.5)
        )


if __name__ == "__main__":
    main()
