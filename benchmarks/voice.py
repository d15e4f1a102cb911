"""The voice detector on speakers it never heard: EER against the training vocoders, the
vocoder and the voice left out of training, and all of them after MP3 at 64 kbps; and
the time to score 60 s of speech against the time to read it (the decode-only floor).

    python benchmarks/voice.py [--data ../shared/data] [--model other.safetensors ...]
                               [--vocoder neural.safetensors]

The held-out set is rebuilt here from the shared speech folder (`fauxlab.datasplit.SPEECH`:
a quarter of the files, by whole speakers): the first `--seconds` of each recording, its
resynthesis by each vocoder (with `--vocoder`, also by the neural vocoder that
`train-voice --vocoder-out` saved, trained on the training speakers only), and `--tts`
sentences spoken by Piper. Each model file is measured on the same set, the shipped linear one
first, and each scores the same 60 s clip (the decode-only floor beside it).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from _common import data_argument
from fauxlab.cli.detector_voice import _mp3, _recordings
from fauxlab.datasplit import SPEECH
from fauxlab.detection import analyse
from fauxlab.detection.detectors.voice.detector import VoiceDetector
from fauxlab.detection.detectors.voice.model import VoiceJudge, load_model, load_shipped_model
from fauxlab.detection.detectors.voice.train import voice_scores
from fauxlab.detection.metrics import equal_error_rate
from fauxlab.media import read_audio
from fauxlab.media.audio_writer import write_audio
from fauxlab.synthesis.voice import fakes
from fauxlab.synthesis.voice.neural import load_vocoder


def _speed(held: list[Path], folder: Path, model: str) -> dict[str, float]:
    """Seconds to decode a 60 s clip, and to decode and score it with the voice detector
    (best of two: the first call also loads the model's code)."""
    joined = np.concatenate([fakes.read_clip(p, None).samples for p in held])[: 60 * fakes.RATE]
    clip = write_audio(folder / "sixty.flac", joined, fakes.RATE)
    detector = VoiceDetector(model)
    started = time.perf_counter()
    read_audio(clip)
    decode = time.perf_counter() - started
    total = float("inf")
    for _ in range(2):
        started = time.perf_counter()
        evidence = detector.examine(analyse(clip))
        total = min(total, time.perf_counter() - started)
    return {"decode_s": decode, "detect_s": total, "probability": evidence.probability or -1.0}


GROUPS = {
    "training_vocoders": set(fakes.TRAINING_VOCODERS),
    "neural_vocoder": set(fakes.TRAINED_VOCODERS),
    "left_out_vocoder": set(fakes.LEFT_OUT_VOCODERS),
    "left_out_tts": {"piper"},
}
BOOTSTRAP = 500


def _interval(
    real: NDArray[np.float64], fake: NDArray[np.float64], rng: np.random.Generator
) -> tuple[float, float, float]:
    """EER of fake against real scores, with a 95% bootstrap interval (reals and fakes
    resampled apart)."""
    labels = np.r_[np.zeros(len(real)), np.ones(len(fake))].astype(int)
    eer = equal_error_rate(labels, np.r_[real, fake])[0]
    draws = [
        equal_error_rate(labels, np.r_[rng.choice(real, len(real)), rng.choice(fake, len(fake))])[0]
        for _ in range(BOOTSTRAP)
    ]
    low, high = np.percentile(draws, [2.5, 97.5])
    return eer, float(low), float(high)


def measure(
    model: VoiceJudge, sets: dict[str, tuple[list[fakes.Clip], list[fakes.Clip]]]
) -> dict[str, tuple[float, float, float]]:
    """Per set (clean, MP3): EER per group of fakes, the share of reals called fake and
    of each group's fakes caught (both at P >= 0.5, the detector's threshold), each with
    a 95% bootstrap interval."""
    rng = np.random.default_rng(0)
    out: dict[str, tuple[float, float, float]] = {}
    for suffix, (reals, made) in sets.items():
        real = voice_scores(model, _recordings(reals))
        fake = voice_scores(model, _recordings(made))
        families = np.array([c.family for c in made])
        for name, chosen in GROUPS.items():
            mask = np.isin(families, sorted(chosen))
            if mask.any():
                out[f"eer_{name}{suffix}"] = _interval(real, fake[mask], rng)
        out[f"real_called_fake{suffix}"] = _share(real >= 0.5, rng)
        for name, chosen in GROUPS.items():
            mask = np.isin(families, sorted(chosen))
            if mask.any():
                out[f"caught_{name}{suffix}"] = _share(fake[mask] >= 0.5, rng)
    return out


def _share(hits: NDArray[np.bool_], rng: np.random.Generator) -> tuple[float, float, float]:
    """The share of `hits` with a 95% bootstrap interval."""
    values = hits.astype(float)
    draws = [rng.choice(values, len(values)).mean() for _ in range(BOOTSTRAP)]
    low, high = np.percentile(draws, [2.5, 97.5])
    return float(values.mean()), float(low), float(high)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    data_argument(parser)
    parser.add_argument("--model", type=Path, action="append", default=[])
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--tts", type=int, default=16)
    parser.add_argument("--vocoder", type=Path, default=None, help="a trained neural vocoder")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", file=sys.stderr)
    _, held = SPEECH.split(args.data)
    reals = [fakes.read_clip(p, args.seconds) for p in held]
    trained = {} if args.vocoder is None else {"neural": load_vocoder(args.vocoder)}
    families = (*fakes.TRAINING_VOCODERS, *trained, *fakes.LEFT_OUT_VOCODERS)
    made = [*fakes.resynthesised(reals, families, trained=trained), *fakes.spoken(args.tts)]
    sets = {"": (reals, made), "_mp3_64k": (_mp3(reals), _mp3(made))}
    models = {"linear": load_shipped_model()}
    models.update({str(p): load_model(p) for p in args.model})
    table = {name: measure(model, sets) for name, model in models.items()}
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        speed = {"linear": _speed(held, Path(folder), "linear")}
        speed.update({str(p): _speed(held, Path(folder), str(p)) for p in args.model})
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", file=sys.stderr)
    if args.json:
        json.dump({"models": table, "speed": speed}, sys.stdout, indent=2)
        return
    print(f"held-out: {len(reals)} real recordings, {len(made)} fakes ({args.seconds:g} s each)")
    names = list(table)
    print("metric".ljust(32) + "".join(n[-24:].rjust(26) for n in names))
    for metric in table[names[0]]:
        cells = "".join(f"{'{:.3f} [{:.2f}, {:.2f}]'.format(*table[n][metric]):>26}" for n in names)
        print(metric.ljust(32) + cells)
    for name, times in speed.items():
        ratio = times["detect_s"] / max(times["decode_s"], 1e-9)
        print(
            f"60 s clip, {name[-24:]}: decode {times['decode_s']:.2f} s, decode + voice "
            f"detector {times['detect_s']:.2f} s (ratio {ratio:.1f})"
        )


if __name__ == "__main__":
    main()
