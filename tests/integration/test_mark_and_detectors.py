"""Sealing a real recording or a real photo must not make a detector call it fake: the
detector scores the marked copy as it scores the unmarked one (issue 27).

Each real file is written twice through the same writer: once as it is, once with the
mark `seal` embeds (the C2PA manifest and the ledger entry touch no sample or pixel), with
one fixed watermark id (the shift depends on the id: `seal` draws ids at random, so a
test through it would not repeat; benchmarks/mark_detectors.py measures many ids), and
scored by the `voice` detector (sound) or the `learned` and `generated` detectors
(pictures) through their public API. Two checks:
- no decision changes: each file is on the same side of 0.5 marked and unmarked;
- the mark never raises P(synthetic) by more than TOLERANCE (a detector that learned the
  mark as a sign of fakes would);
- for the pictures' detectors, P moves by at most TOLERANCE either way. The voice
  detector moves further downwards on one file; the measured shift is written beside the
  test and in BENCHMARKS.md, "Marks and detectors"; the tolerance is not widened to hide
  it.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from fauxlab.detection import available_detectors, detect_file
from fauxlab.detection.evidence import Detector
from fauxlab.media import read_image, write_image
from fauxlab.media.audio import read_sound
from fauxlab.media.audio_writer import write_audio
from fauxlab.provenance import watermark

TOLERANCE = 0.05  # of P(synthetic), per file
SPEECH = ("librispeech_1998_1.flac", "librispeech_2414_5.flac", "librispeech_1034_1.flac")
PHOTOS = 3  # the first real faces of the shared UTKFace folder, by name
WATERMARK_ID = 0x5EA1ED  # fixed, so the test repeats exactly


@cache
def _detector(name: str) -> Detector:
    (detector,), _ = available_detectors([name])
    return detector


def _score(path: Path, name: str) -> float:
    probability = detect_file(path, [_detector(name)]).detector_probability(name)
    assert probability is not None, f"{name} gave no probability for {path}"
    return probability


def _pairs_of_sound(shared_speech: Path, folder: Path) -> list[tuple[Path, Path]]:
    pairs = []
    for name in SPEECH:
        source = shared_speech / name
        if not source.is_file():
            pytest.skip(f"{source} is missing from the shared speech data")
        sound = read_sound(source)
        plain = write_audio(folder / f"{source.stem}.wav", sound.channels, sound.sample_rate)
        marked = watermark.embed_audio(sound.channels, sound.sample_rate, WATERMARK_ID)
        sealed = write_audio(folder / f"{source.stem}.marked.wav", marked, sound.sample_rate)
        pairs.append((plain, sealed))
    return pairs


def _pairs_of_pictures(shared_data: Path, folder: Path) -> list[tuple[Path, Path]]:
    faces = sorted((shared_data / "faces" / "utkface").glob("*.jpg"))[:PHOTOS]
    if len(faces) < PHOTOS:
        pytest.skip("the shared UTKFace folder is missing")
    pairs = []
    for source in faces:
        image = read_image(source)
        plain = write_image(folder / f"{source.stem}.png", image)
        marked = watermark.embed(image, WATERMARK_ID)
        pairs.append((plain, write_image(folder / f"{source.stem}.marked.png", marked)))
    return pairs


@pytest.fixture(scope="module")
def scores(
    shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, list[tuple[str, float, float]]]:
    """Per detector: (file, unmarked P, marked P)."""
    folder = tmp_path_factory.mktemp("marked")
    out: dict[str, list[tuple[str, float, float]]] = {}
    sound = _pairs_of_sound(shared_data / "speech", folder)
    out["voice"] = [(a.name, _score(a, "voice"), _score(b, "voice")) for a, b in sound]
    pictures = _pairs_of_pictures(shared_data, folder)
    for name in ("learned", "generated"):
        out[name] = [(a.name, _score(a, name), _score(b, name)) for a, b in pictures]
    return out


@pytest.mark.parametrize("detector", ["voice", "learned", "generated"])
def test_the_mark_changes_no_decision(
    scores: dict[str, list[tuple[str, float, float]]], detector: str
) -> None:
    for name, plain, marked in scores[detector]:
        assert (plain >= 0.5) == (marked >= 0.5), (name, plain, marked)


@pytest.mark.parametrize("detector", ["voice", "learned", "generated"])
def test_the_mark_never_makes_a_real_file_look_more_synthetic(
    scores: dict[str, list[tuple[str, float, float]]], detector: str
) -> None:
    """What the issue guards against: a detector that learned the mark as the sign of a
    fake would score the marked copy higher."""
    rises = {name: round(marked - plain, 4) for name, plain, marked in scores[detector]}
    assert max(rises.values()) <= TOLERANCE, rises


# Both ways, the pictures' detectors stay within TOLERANCE here. The voice detector does
# not: measured with WATERMARK_ID on 2026-12-07, librispeech_2414_5 went 0.332 -> 0.239
# (-0.093; 1998_1 -0.029, 1034_1 -0.002): the mark makes real speech look more real, not
# less. Over 30 files x 3 ids (benchmarks/mark_detectors.py, BENCHMARKS.md "Marks and
# detectors") the voice detector moved by more than TOLERANCE for 12% of marks (largest
# 0.141), the learned detector for 32% (largest 0.214), the generated one for 3% (largest
# 0.079); no real file was turned fake, 4 of 256 marked copies went from fake to real.
# Those are the linear model's numbers, the voice default then. The CNN, the default since
# its version 2: 1998_1 0.009 -> 0.009, 2414_5 0.177 -> 0.141, 1034_1 0.058 -> 0.072
# (+0.015), within TOLERANCE both ways here (2026-12-07, not rerun over 30 files).
@pytest.mark.parametrize("detector", ["learned", "generated"])
def test_the_mark_moves_the_pictures_probability_by_at_most_the_tolerance(
    scores: dict[str, list[tuple[str, float, float]]], detector: str
) -> None:
    shifts = {name: round(marked - plain, 4) for name, plain, marked in scores[detector]}
    assert max(abs(s) for s in shifts.values()) <= TOLERANCE, shifts
