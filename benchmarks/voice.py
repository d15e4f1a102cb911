"""The voice detector on speakers it never heard: EER against the training vocoders, the
vocoder and the voice left out of training, and all of them after MP3 at 64 kbps; and
the time to score 60 s of speech against the time to read it (the decode-only floor).

    python benchmarks/voice.py [--data ../shared/data] [--model other.safetensors ...]

The held-out set is rebuilt here from the shared speech folder (`fauxlab.datasplit.SPEECH`:
a quarter of the files, by whole speakers): the first `--seconds` of each recording, its
resynthesis by each vocoder, and `--tts` sentences spoken by Piper. Each model file is
measured on the same set, the shipped one first (the issue's baseline: a linear model on
LFCC statistics).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from _common import data_argument
from fauxlab.cli.detector_voice import evaluate
from fauxlab.datasplit import SPEECH
from fauxlab.detection import analyse
from fauxlab.detection.detectors.voice.detector import VoiceDetector
from fauxlab.detection.detectors.voice.model import load_model, load_shipped_model
from fauxlab.media import read_audio
from fauxlab.media.audio_writer import write_audio
from fauxlab.synthesis.voice import fakes


def _speed(held: list[Path], folder: Path) -> dict[str, float]:
    """Seconds to decode a 60 s clip, and to decode and score it with the voice detector."""
    joined = np.concatenate([fakes.read_clip(p, None).samples for p in held])[: 60 * fakes.RATE]
    clip = write_audio(folder / "sixty.flac", joined, fakes.RATE)
    detector = VoiceDetector()
    started = time.perf_counter()
    read_audio(clip)
    decode = time.perf_counter() - started
    started = time.perf_counter()
    evidence = detector.examine(analyse(clip))
    total = time.perf_counter() - started
    return {"decode_s": decode, "detect_s": total, "probability": evidence.probability or -1.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    data_argument(parser)
    parser.add_argument("--model", type=Path, action="append", default=[])
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--tts", type=int, default=16)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    _, held = SPEECH.split(args.data)
    reals = [fakes.read_clip(p, args.seconds) for p in held]
    families = (*fakes.TRAINING_VOCODERS, *fakes.LEFT_OUT_VOCODERS)
    made = [*fakes.resynthesised(reals, families), *fakes.spoken(args.tts)]
    models = {"shipped": load_shipped_model()}
    models.update({str(p): load_model(p) for p in args.model})
    table = {name: evaluate(model, reals, made) for name, model in models.items()}
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        speed = _speed(held, Path(folder))
    if args.json:
        json.dump({"models": table, "speed": speed}, sys.stdout, indent=2)
        return
    print(f"held-out: {len(reals)} real recordings, {len(made)} fakes ({args.seconds:g} s each)")
    names = list(table)
    print("metric".ljust(36) + "".join(n[:24].rjust(26) for n in names))
    for metric in table[names[0]]:
        print(metric.ljust(36) + "".join(f"{table[n][metric]:26.3f}" for n in names))
    print(
        f"60 s clip: decode {speed['decode_s']:.2f} s, decode + voice detector "
        f"{speed['detect_s']:.2f} s (ratio {speed['detect_s'] / max(speed['decode_s'], 1e-9):.1f})"
    )


if __name__ == "__main__":
    main()
