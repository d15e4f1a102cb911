"""Audio watermark: fauxlab's against a plain spread-spectrum mark without sync.

    .venv/bin/python benchmarks/audio_watermark.py [--data ../shared/data] [--files 30]
        [--videos 6] [--null all|N] [--seed 0]

Marked: `--files` real speech recordings of 12 s or more (16 kHz FLAC, spread over the
sources in name order) and the sound (the first 30 s) of the first `--videos` shared videos
that have a sound track that is not silent, at its own rate. Each gets a random 32-bit
id, then each edit below; printed per edit: the share of files whose id was recovered
(ours: `found` blind at FPR <= 1e-6 with the right id), bit accuracy of the decoder's
best guess, and the median score.

Edits: MP3 64 and 128 kbit/s, AAC 96, Opus 32 (PyAV's encoders), resampling to 8 and
44.1 kHz, a 10 s excerpt from a random place, white noise at 20 dB SNR, playback speed
0.9 to 1.1 (resampled, pitch and tempo together), and MP3 64 of a 10 s excerpt.

The baseline is the textbook mark: the 32 bits one after another, each on its own block
of the sound as a key noise sequence (+1 or -1 times it) added at the same SNR as ours,
read by correlating each block with its sequence after a first-difference whitening,
aligned to the sound's first sample (no sync, no ECC). It has no detector: it counts as
recovered when at least 30 of the 32 bits are right (random bits do that with
probability 529 / 2**32 = 1.2e-7), an easier test than ours.

Null: every real recording (all 182 speech files unless `--null N`, and the sound of
every shared video) is read unmarked; any `found` is a false positive. Fingerprint:
the audio hash's distance between each marked file and its edits, and between distinct
recordings.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np
from benchmarks._common import data_argument
from numpy.typing import NDArray
from scipy import signal

from fauxlab.media.audio import read_audio, read_sound
from fauxlab.media.audio_writer import recode
from fauxlab.provenance.audio_hash import NEAR_DISTANCE, fingerprint
from fauxlab.provenance.phash import hamming
from fauxlab.provenance.watermark import embed_audio, extract_audio
from fauxlab.provenance.watermark._audio import snr_db

Samples = NDArray[np.float32]
Sound = tuple[Samples, int]  # mono samples and their rate
Edit = Callable[[Samples, int, np.random.Generator], Sound]


def resample(x: NDArray[np.floating], source: int, target: float) -> Samples:
    ratio = Fraction(target / source).limit_denominator(1000)
    out = signal.resample_poly(x.astype(np.float64), ratio.numerator, ratio.denominator)
    return np.asarray(out, np.float32)


def codec(suffix: str, bitrate: int) -> Edit:
    return lambda x, rate, _: (recode(x, rate, suffix, bitrate), rate)


def to_rate(target: int) -> Edit:
    return lambda x, rate, _: (resample(x, rate, target), target)


def speed(factor: float) -> Edit:
    """Played `factor` times as fast: the samples of a slower (or faster) rate, read at
    the old one."""
    return lambda x, rate, _: (resample(x, rate, rate / factor), rate)


def cut(x: Samples, rate: int, rng: np.random.Generator) -> Sound:
    length = 10 * rate
    start = int(rng.integers(0, max(1, len(x) - length)))
    return x[start : start + length], rate


def noise(x: Samples, rate: int, rng: np.random.Generator) -> Sound:
    power = float(np.mean(x.astype(np.float64) ** 2))
    added = rng.standard_normal(len(x)) * np.sqrt(power / 100.0)
    return (x + added).astype(np.float32), rate


def cut_mp3(x: Samples, rate: int, rng: np.random.Generator) -> Sound:
    part, _ = cut(x, rate, rng)
    return recode(part, rate, ".mp3", 64_000), rate


EDITS: dict[str, Edit] = {
    "none": lambda x, rate, _: (x, rate),
    "mp3 64": codec(".mp3", 64_000),
    "mp3 128": codec(".mp3", 128_000),
    "aac 96": codec(".m4a", 96_000),
    "opus 32": codec(".ogg", 32_000),
    "8 kHz": to_rate(8000),
    "44.1 kHz": to_rate(44_100),
    "10 s cut": cut,
    "noise 20 dB": noise,
    "speed 0.90": speed(0.90),
    "speed 0.95": speed(0.95),
    "speed 1.05": speed(1.05),
    "speed 1.10": speed(1.10),
    "10 s cut + mp3 64": cut_mp3,
}


def bits(payload: int) -> NDArray[np.int8]:
    return np.array([(payload >> (31 - i)) & 1 for i in range(32)], dtype=np.int8)


class Baseline:
    """Plain spread spectrum: bit i on block i of the sound, no sync, no ECC."""

    def __init__(self, seed: int = 7) -> None:
        self.seed = seed

    def _chips(self, length: int) -> NDArray[np.float64]:
        return np.random.default_rng(self.seed).choice([-1.0, 1.0], size=length)

    def embed(self, x: Samples, payload: int, snr: float) -> Samples:
        chips = self._chips(len(x))
        block = len(x) // 32
        signs = np.ones(len(x))
        for i, bit in enumerate(bits(payload)):
            signs[i * block : (i + 1) * block] = 1.0 - 2.0 * bit
        mark = chips * signs
        power = float(np.mean(x.astype(np.float64) ** 2))
        mark *= np.sqrt(power / 10 ** (snr / 10))
        return np.clip(x + mark, -1, 1).astype(np.float32)

    def read(self, y: Samples, rate: int, native: int, length: int) -> NDArray[np.int8]:
        """The 32 bits as read from `y`, first brought back to the marking rate."""
        if rate != native:
            y = resample(y, rate, native)
        y = np.pad(y, (0, max(0, length - len(y))))[:length]
        white = np.diff(y.astype(np.float64), prepend=0.0)
        chips = np.diff(self._chips(length), prepend=0.0)
        block = length // 32
        corr = [
            float(white[i * block : (i + 1) * block] @ chips[i * block : (i + 1) * block])
            for i in range(32)
        ]
        return (np.array(corr) < 0).astype(np.int8)


@dataclass
class Tally:
    found: list[bool] = field(default_factory=list)
    bits: list[float] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    wrong: int = 0  # found with a wrong id


def pick_speech(folder: Path, count: int) -> list[Path]:
    long = [p for p in sorted(folder.glob("*.flac")) if read_audio(p).duration >= 12.0]
    step = max(1, len(long) // count)
    return long[::step][:count]


def marked_sounds(args: argparse.Namespace) -> list[tuple[str, Samples, int]]:
    sounds = []
    for path in pick_speech(args.data / "speech", args.files):
        heard = read_audio(path)
        sounds.append((path.name, heard.samples, heard.sample_rate))
    videos = 0
    for path in sorted((args.data / "videos").glob("*.mp4")):
        if videos == args.videos:
            break
        if read_audio(path) is None:
            continue
        sound = read_sound(path)
        mono = sound.channels.mean(axis=0)[: 30 * sound.sample_rate]  # the first 30 s
        if float(np.max(np.abs(mono))) < 1e-4:  # a silent track: refused by embed_audio
            continue
        sounds.append((path.name, mono.astype(np.float32), sound.sample_rate))
        videos += 1
    return sounds


def run_marked(args: argparse.Namespace) -> tuple[dict[str, Tally], dict[str, Tally], list[int]]:
    rng = np.random.default_rng(args.seed)
    ours = {name: Tally() for name in EDITS}
    base = {name: Tally() for name in EDITS}
    baseline = Baseline()
    snrs: list[float] = []
    distances: dict[str, list[int]] = {name: [] for name in EDITS}
    times = {"embed": 0.0, "read": 0.0, "seconds": 0.0}
    for name, x, rate in marked_sounds(args):
        payload = int(rng.integers(0, 2**32))
        start = time.perf_counter()
        marked = embed_audio(x, rate, payload)
        times["embed"] += time.perf_counter() - start
        snr = snr_db(x, marked)
        snrs.append(snr)
        plain = baseline.embed(x, payload, snr)
        original_hash = fingerprint(*_at16k(marked, rate))
        for edit_name, edit in EDITS.items():
            seed = int(rng.integers(0, 2**31))
            y, y_rate = edit(marked, rate, np.random.default_rng(seed))
            start = time.perf_counter()
            reading = extract_audio(y, y_rate)
            if edit_name == "none":
                times["read"] += time.perf_counter() - start
                times["seconds"] += len(x) / rate
            tally = ours[edit_name]
            tally.found.append(reading.found and reading.payload == payload)
            tally.wrong += int(reading.found and reading.payload != payload)
            tally.bits.append(float(np.mean(bits(reading.decoded) == bits(payload))))
            tally.scores.append(reading.score)
            z, z_rate = edit(plain, rate, np.random.default_rng(seed))
            got = baseline.read(z, z_rate, rate, len(x))
            accuracy = float(np.mean(got == bits(payload)))
            base[edit_name].found.append(accuracy >= 30 / 32)
            base[edit_name].bits.append(accuracy)
            if "cut" not in edit_name:
                distances[edit_name].append(hamming(original_hash, fingerprint(*_at16k(y, y_rate))))
        print(f"  {name}: {len(x) / rate:.1f} s at {rate} Hz, SNR {snr:.1f} dB", file=sys.stderr)
    print(
        f"\nMarked: {len(snrs)} sounds. Mark SNR (dB): median {statistics.median(snrs):.1f}, "
        f"min {min(snrs):.1f}, max {max(snrs):.1f} (the baseline is added at the same SNR)"
    )
    per_second = times["seconds"]
    print(
        f"Time per second of sound: embed {1000 * times['embed'] / per_second:.1f} ms, "
        f"read (unedited) {1000 * times['read'] / per_second:.1f} ms"
    )
    print(
        f"\nAudio fingerprint (256 bits; a match is <= {NEAR_DISTANCE}): distance to the marked "
        "file's hash after each edit (median / max, share within the match distance)"
    )
    for edit_name, found in distances.items():
        if found:
            within = sum(d <= NEAR_DISTANCE for d in found) / len(found)
            print(
                f"  {edit_name:<18} {statistics.median(found):5.0f} / {max(found):3d}  "
                f"{within:6.0%}"
            )
    return ours, base, [round(s) for s in snrs]


def _at16k(x: Samples, rate: int) -> tuple[Samples, int]:
    return (x, rate) if rate == 16_000 else (resample(x, rate, 16_000), 16_000)


def run_null(args: argparse.Namespace) -> None:
    speech = sorted((args.data / "speech").glob("*.flac"))
    if args.null != "all":
        speech = speech[: int(args.null)]
    videos = sorted((args.data / "videos").glob("*.mp4"))
    found = 0
    scores: list[float] = []
    hashes: list[str] = []
    counted = {"speech": 0, "video": 0}
    for path in [*speech, *videos]:
        heard = read_audio(path)
        if heard is None or heard.duration < 1.6:
            continue
        reading = extract_audio(heard.samples, heard.sample_rate)
        found += int(reading.found)
        scores.append(reading.score)
        counted["video" if path.suffix == ".mp4" else "speech"] += 1
        if float(np.max(np.abs(heard.samples))) >= 1e-4:  # silence hashes alike, and is refused
            hashes.append(fingerprint(heard.samples, heard.sample_rate))
    threshold = extract_audio(np.zeros(32_000, np.float32) + 1e-3, 16_000).threshold
    print(
        f"\nNull: {len(scores)} unmarked real recordings read ({counted['speech']} of "
        f"{len(speech)} speech files, those under 1.6 s skipped; the sound tracks of "
        f"{counted['video']} of {len(videos)} videos, the others have none): {found} found "
        f"(false positives); score median {statistics.median(scores):.2f}, "
        f"max {max(scores):.2f}, threshold {threshold:.2f}"
    )
    pairs = [hamming(a, b) for i, a in enumerate(hashes) for b in hashes[:i]]
    close = sum(d <= NEAR_DISTANCE for d in pairs)
    print(
        f"Fingerprints of distinct recordings: {len(pairs)} pairs, min distance {min(pairs)}, "
        f"1st percentile {np.percentile(pairs, 1):.0f}, {close} within {NEAR_DISTANCE}"
    )


def report(ours: dict[str, Tally], base: dict[str, Tally]) -> None:
    print(
        "\n| edit | ours: id recovered | ours: bit accuracy | ours: median score | "
        "ours: wrong id | baseline: id recovered (>= 30/32 bits) | baseline: bit accuracy |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name in EDITS:
        o, b = ours[name], base[name]
        print(
            f"| {name} | {sum(o.found)}/{len(o.found)} | {statistics.mean(o.bits):.3f} | "
            f"{statistics.median(o.scores):.1f} | {o.wrong} | {sum(b.found)}/{len(b.found)} | "
            f"{statistics.mean(b.bits):.3f} |"
        )
    ours_rate = sum(sum(t.found) for t in ours.values()) / sum(len(t.found) for t in ours.values())
    base_rate = sum(sum(t.found) for t in base.values()) / sum(len(t.found) for t in base.values())
    print(
        f"\nid recovered over all edits: ours {ours_rate:.1%}, baseline {base_rate:.1%} "
        f"(ratio {ours_rate / max(base_rate, 1e-9):.1f}x)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    data_argument(parser)
    parser.add_argument("--files", type=int, default=30, help="speech files to mark")
    parser.add_argument("--videos", type=int, default=6, help="video sound tracks to mark")
    parser.add_argument("--null", default="all", help="unmarked speech files to read")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    ours, base, _ = run_marked(args)
    report(ours, base)
    run_null(args)


if __name__ == "__main__":
    main()
