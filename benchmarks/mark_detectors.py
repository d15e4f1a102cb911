"""Does fauxlab's own mark make a real file look fake? Detectors on real recordings and
real photos, unmarked against marked, beside noise of the same energy as the mark.

    python benchmarks/mark_detectors.py [--data ../shared/data] [--files 12] [--ids 3]

Sound: `--files` real speech recordings spread over the shared speech folder (every k-th
by name), scored by the `voice` detector. Pictures: `--files` real faces spread over the
shared UTKFace folder, scored by the `learned` and `generated` detectors. Each file gets
`--ids` marks with fixed random 32-bit ids (the audio mark or the picture mark `seal`
embeds; the C2PA manifest and the ledger do not touch samples or pixels), and, as the
baseline, as many draws of white Gaussian noise with exactly the mark's energy. Printed
per detector: mean and largest |change of P(synthetic)|, the share of changes within
0.05, the decisions (P >= 0.5) that flip (and how many of them from real to fake), for
the mark and for the noise, and the ratio
mean |change| mark / noise.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from _common import data_argument
from fauxlab.detection import available_detectors, detect_file
from fauxlab.errors import InputError
from fauxlab.media import read_image, write_image
from fauxlab.media.audio import read_sound
from fauxlab.media.audio_writer import write_audio
from fauxlab.provenance import watermark

TOLERANCE = 0.05


def _spread(files: list[Path], count: int) -> list[Path]:
    step = max(1, len(files) // count)
    return files[::step][:count]


def _noise_like(change: NDArray[np.float64], rng: np.random.Generator) -> NDArray[np.float64]:
    noise = rng.standard_normal(change.shape)
    return noise * np.sqrt(np.mean(change**2) / max(float(np.mean(noise**2)), 1e-20))


def _sound_versions(path: Path, ids: list[int], folder: Path, rng: np.random.Generator):
    sound = read_sound(path)
    plain = write_audio(folder / f"{path.stem}.wav", sound.channels, sound.sample_rate)
    marks, noises = [], []
    for wid in ids:
        marked = watermark.embed_audio(sound.channels, sound.sample_rate, wid)
        change = marked.astype(np.float64) - sound.channels
        noisy = np.clip(sound.channels + _noise_like(change, rng), -1, 1).astype(np.float32)
        marks.append(write_audio(folder / f"{path.stem}-m{wid}.wav", marked, sound.sample_rate))
        noises.append(write_audio(folder / f"{path.stem}-n{wid}.wav", noisy, sound.sample_rate))
    return plain, marks, noises


def _picture_versions(path: Path, ids: list[int], folder: Path, rng: np.random.Generator):
    image = read_image(path)
    plain = write_image(folder / f"{path.stem}.png", image)
    marks, noises = [], []
    for wid in ids:
        marked = watermark.embed(image, wid)
        change = marked.astype(np.float64) - image
        noisy = np.clip(np.round(image + _noise_like(change, rng)), 0, 255).astype(np.uint8)
        marks.append(write_image(folder / f"{path.stem}-m{wid}.png", marked))
        noises.append(write_image(folder / f"{path.stem}-n{wid}.png", noisy))
    return plain, marks, noises


def _row(name: str, shifts: dict[str, list[tuple[float, float]]]) -> str:
    cells = [name]
    means = {}
    for kind in ("mark", "noise"):
        pairs = shifts[kind]
        deltas = np.array([abs(b - a) for a, b in pairs])
        flips = sum((a >= 0.5) != (b >= 0.5) for a, b in pairs)
        to_fake = sum(a < 0.5 <= b for a, b in pairs)
        means[kind] = float(deltas.mean())
        within = f"{np.mean(deltas <= TOLERANCE):.0%}"
        flipped = f"{flips}/{len(pairs)} ({to_fake} to fake)"
        cells += [f"{deltas.mean():.4f}", f"{deltas.max():.4f}", within, flipped]
    cells.append(f"{means['mark'] / max(means['noise'], 1e-9):.2f}")
    return "| " + " | ".join(cells) + " |"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    data_argument(parser)
    parser.add_argument("--files", type=int, default=12)
    parser.add_argument("--ids", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    ids = [int(i) for i in rng.integers(0, 2**32, args.ids)]
    speech = _spread(sorted((args.data / "speech").glob("*.flac")), args.files)
    faces = _spread(sorted((args.data / "faces" / "utkface").glob("*.jpg")), args.files)
    detectors, _ = available_detectors(["voice", "learned", "generated"])
    by_name = {d.name: d for d in detectors}
    started = time.perf_counter()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        plan = [("voice", speech, _sound_versions), ("learned", faces, _picture_versions),
                ("generated", faces, _picture_versions)]  # fmt: skip
        for name, files, versions in plan:
            shifts: dict[str, list[tuple[float, float]]] = {"mark": [], "noise": []}
            (folder / name).mkdir()

            def score(path: Path, name: str = name) -> float | None:
                report = detect_file(path, [by_name[name]])
                return report.detector_probability(name)

            skipped = 0
            for path in files:
                try:
                    plain, marks, noises = versions(path, ids, folder / name, rng)
                except InputError:  # too short to carry a mark (under 1.54 s of sound)
                    skipped += 1
                    continue
                base = score(plain)
                if base is None:  # the detector declines this file (no speech, no face)
                    skipped += 1
                    continue
                for kind, made in (("mark", marks), ("noise", noises)):
                    for other in made:
                        value = score(other)
                        if value is not None:
                            shifts[kind].append((base, value))
            rows.append(_row(f"{name} ({len(files) - skipped} files x {args.ids} ids)", shifts))
            print(rows[-1], flush=True)
    print(f"ids {ids}; tolerance {TOLERANCE}; {time.perf_counter() - started:.0f} s")
    print("| detector | mark: mean abs change | mark: max | mark: within 0.05 | mark: decisions "
          "flipped | noise: mean abs change | noise: max | noise: within 0.05 | noise: "
          "decisions flipped | ratio mark/noise |")  # fmt: skip
    print("| --- " * 10 + "|")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
