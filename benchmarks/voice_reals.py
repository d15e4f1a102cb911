"""Real recordings at full length, as `fauxlab detect` hears them: how many of the held-out
speakers' files and of the shared videos' sound tracks each voice model calls synthetic.

    python benchmarks/voice_reals.py [--data ../shared/data] [--model other.safetensors ...]

The shipped model first, then each `--model`; every one scores the same sound. The
issue's goal: no real held-out clip called fake at the default threshold (0.5); the
detector's own "machine-made" line is 0.65.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np

from _common import data_argument
from fauxlab.datasplit import held_out_speech
from fauxlab.detection.detectors.voice.model import load_model, load_shipped_model
from fauxlab.media import read_audio
from fauxlab.synthesis.voice.fakes import RATE


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    data_argument(parser)
    parser.add_argument("--model", type=Path, action="append", default=[])
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    files = [*held_out_speech(args.data), *sorted((args.data / "videos").glob("*.mp4"))]
    sounds = {}
    for path in files:
        sound = read_audio(path, RATE)
        if sound is not None:
            sounds[path.name] = sound.samples
    models = {"shipped": load_shipped_model(), **{str(p): load_model(p) for p in args.model}}
    for name, model in models.items():
        scores = {k: model.judge(v).probability for k, v in sounds.items()}
        judged = np.array([p for p in scores.values() if p is not None])
        worst = sorted(((p, k) for k, p in scores.items() if p is not None), reverse=True)[:3]
        print(
            f"{name[-28:]}: {len(judged)} of {len(sounds)} real recordings judged; "
            f"{int((judged >= 0.5).sum())} at P >= 0.5, {int((judged >= 0.65).sum())} at "
            f">= 0.65; highest: " + ", ".join(f"{k} {p:.2f}" for p, k in worst)
        )


if __name__ == "__main__":
    main()
