"""How fast the voice detector scores speech, against its per-window implementation run
beside it; and what it adds to `detect` on a talking-head video.

    python benchmarks/voice_speed.py [--data ../shared/data] [--video FILE] [--repeat 3]
                                     [--minutes 10]

1. A 60 s clip of held-out speech (`fauxlab.datasplit.SPEECH`), joined in a temporary
   folder: the linear model's window features computed window by window
   (`segment_features_per_window`) and from spectra computed once per frame
   (`segment_features`), checked equal; then the whole score (the speech checks, the
   features, the model), both ways; then the detector as `detect` runs it (decode, score,
   figure) with the shipped linear model and with the CNN shipped beside it. Best of
   `--repeat`, the ways taking turns.
2. Memory: the two ways' peak allocation (numpy's, as `tracemalloc` sees it) on the
   clip repeated to `--minutes` minutes.
3. A talking-head video: decoding and face tracking once, then every default detector's
   `examine` (figures drawn); the voice detector's share of the whole.

The issue's goals: a 60 s clip scored in <= 2 s on two cores, and the voice detector
adding no more than 20% to `detect` on a talking-head video.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np

from _common import data_argument
from fauxlab.datasplit import SPEECH
from fauxlab.detection import analyse
from fauxlab.detection.detectors.voice.detector import VoiceDetector, no_speech_reason
from fauxlab.detection.detectors.voice.features import (
    FloatArray,
    frame_levels,
    segment_features_per_window,
    speech_frames,
    voiced_frames,
)
from fauxlab.detection.detectors.voice.model import VoiceModel, load_shipped_model
from fauxlab.detection.detectors.voice.windows import segment_features
from fauxlab.detection.registry import available_detectors
from fauxlab.media import read_audio
from fauxlab.media.audio_writer import write_audio
from fauxlab.synthesis.voice import fakes


def _best(repeat: int, *runs: Callable[[], object]) -> list[float]:
    """Best wall time of each run over `repeat` rounds, the runs taking turns."""
    best = [float("inf")] * len(runs)
    for _ in range(repeat):
        for k, run in enumerate(runs):
            started = time.perf_counter()
            run()
            best[k] = min(best[k], time.perf_counter() - started)
    return best


def score_before(samples: FloatArray, model: VoiceModel) -> object:
    """The detector's score as it was: every frame's voicing, features window by window."""
    settings = model.settings
    speech = speech_frames(frame_levels(samples, settings))
    voiced = speech & voiced_frames(samples, settings)[: len(speech)]
    assert voiced.sum() > 30
    return model.window_probabilities(segment_features_per_window(samples, settings))


def score_after(samples: FloatArray, model: VoiceModel) -> object:
    assert no_speech_reason(samples, model.settings) is None
    return model.window_probabilities(segment_features(samples, model.settings))


def sixty_seconds(data: Path, folder: Path) -> Path:
    _, held = SPEECH.split(data)
    joined = np.concatenate([fakes.read_clip(p, None).samples for p in held])[: 60 * fakes.RATE]
    return write_audio(folder / "sixty.flac", joined, fakes.RATE)


def clip_speed(clip: Path, repeat: int) -> None:
    model = load_shipped_model()
    assert isinstance(model, VoiceModel), "the per-window comparison is the linear model's"
    sound = read_audio(clip, model.settings.rate)
    assert sound is not None
    samples = sound.samples
    old = segment_features_per_window(samples, model.settings)
    new = segment_features(samples, model.settings)
    difference = float(np.abs(old.features - new.features).max())
    before, after = _best(
        repeat,
        lambda: segment_features_per_window(samples, model.settings),
        lambda: segment_features(samples, model.settings),
    )
    print(f"60 s clip, {len(new.features)} windows; largest feature difference {difference:g}")
    print(f"  window features: per window {before:.3f} s, once per frame {after:.3f} s "
          f"(ratio {before / after:.2f})")  # fmt: skip
    before, after = _best(
        repeat, lambda: score_before(samples, model), lambda: score_after(samples, model)
    )
    print(f"  whole score:     before {before:.3f} s, now {after:.3f} s "
          f"(ratio {before / after:.2f})")  # fmt: skip
    shipped, cnn = VoiceDetector("linear"), VoiceDetector("cnn")

    def detect(detector: VoiceDetector) -> None:
        evidence = detector.examine(analyse(clip))
        for figure in evidence.figures:
            assert figure.data

    detect(cnn)  # the first call loads torch's kernels
    linear, network = _best(repeat, lambda: detect(shipped), lambda: detect(cnn))
    print(f"  decode + voice detector + its figure: linear {linear:.3f} s, "
          f"CNN {network:.3f} s (ratio {network / linear:.2f})")  # fmt: skip


def peak_memory(clip: Path, minutes: float) -> None:
    settings = load_shipped_model().settings
    sound = read_audio(clip, settings.rate)
    assert sound is not None
    samples = np.resize(sound.samples, round(minutes * 60 * settings.rate))
    peaks = []
    for way in (segment_features_per_window, segment_features):
        tracemalloc.start()
        way(samples, settings)
        peaks.append(tracemalloc.get_traced_memory()[1] / 2**20)
        tracemalloc.stop()
    print(f"{minutes:g} min: peak memory per window {peaks[0]:.0f} MB, once per frame "
          f"{peaks[1]:.0f} MB (ratio {peaks[0] / peaks[1]:.2f})")  # fmt: skip


def video_share(video: Path) -> None:
    detectors, _ = available_detectors()
    started = time.perf_counter()
    media = analyse(video)
    decode = time.perf_counter() - started
    spent: dict[str, float] = {}
    for detector in detectors:
        started = time.perf_counter()
        evidence = detector.examine(media)
        for figure in evidence.figures:
            assert figure.data
        spent[detector.name] = time.perf_counter() - started
    voice = spent.get("voice", 0.0)
    rest = decode + sum(spent.values()) - voice
    shown = ", ".join(f"{name} {seconds:.2f}" for name, seconds in spent.items())
    print(f"{video.name}: decoding and faces {decode:.2f} s; detectors (s): {shown}")
    print(f"  voice adds {voice:.2f} s to {rest:.2f} s: {100 * voice / rest:.1f}% (goal <= 20%)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    data_argument(parser)
    parser.add_argument("--video", type=Path, default=None, help="default: videos/hdtf-1.mp4")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--minutes", type=float, default=10.0, help="for the memory peak")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as folder:
        clip = sixty_seconds(args.data, Path(folder))
        clip_speed(clip, args.repeat)
        peak_memory(clip, args.minutes)
    video_share(args.video or args.data / "videos" / "hdtf-1.mp4")


if __name__ == "__main__":
    main()
