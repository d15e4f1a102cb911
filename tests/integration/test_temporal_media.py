"""Temporal-consistency evidence on real clips, and on a face swap made here from them.

Real clips must not be flagged. The swap pastes one real person's face (hdtf-2) onto
another's head (hdtf-1) frame by frame, the way a crude swap tool does: each frame
placed a few pixels off and colour-matched a little differently. It must score higher
than the clip it was made from and reach the uncertain band. A still image and a clip
too short are "not applicable", never real. Analysing a clip takes a few seconds; each
is done once."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pytest

from fauxlab.detection.analysed import AnalysedMedia, analyse
from fauxlab.detection.detectors.temporal.detector import TemporalDetector
from fauxlab.detection.registry import available_detectors
from fauxlab.faces.align import align, paste, warp
from fauxlab.faces.mask import face_mask
from fauxlab.media import VideoWriter, iter_frames, write_image

REAL = ("hdtf-1.mp4", "hdtf-2.mp4", "voxceleb-1.mp4", "voxceleb-2.mp4")
REAL_BELOW = 0.35  # the verdict's "real" band (fusion.DEFAULT_THRESHOLD - DEFAULT_MARGIN)


@functools.cache
def _analysed(path: Path) -> AnalysedMedia:
    return analyse(path)


@functools.cache
def _detector() -> TemporalDetector:
    return TemporalDetector()


def _clip(folder: Path, name: str) -> Path:
    path = folder / name
    if not path.is_file():
        pytest.skip(f"{name} is not in {folder}")
    return path


def _swap(target: Path, source: Path, out: Path, shift_px: float, gain: float) -> Path:
    """`source`'s face pasted on `target`'s head in every frame, each paste moved by up to
    `shift_px` and its RGB scaled by up to 1 +- `gain`, at random."""
    on_target, on_source = _analysed(target), _analysed(source)
    heads = {r.index: r.faces[0] for r in on_target.frames if r.faces}
    faces = {r.index: r.faces[0] for r in on_source.frames if r.faces}
    pictures = {f.index: f.image for f in iter_frames(source)}
    rng = np.random.default_rng(0)
    with VideoWriter(out, on_target.fps or 25.0) as writer:
        for frame in iter_frames(target):
            image, i = frame.image, frame.index
            if i in heads and i in faces:
                crop = warp(pictures[i], align(faces[i].landmarks, 256, 0.25))
                crop = np.clip(crop * (1 + rng.uniform(-gain, gain, 3)), 0, 255).astype(np.uint8)
                where = heads[i].landmarks + rng.uniform(-shift_px, shift_px, 2).astype(np.float32)
                alignment = align(where, 256, 0.25)
                mask = face_mask(alignment.to_crop(where), (256, 256))
                image = paste(image, crop, alignment, mask)
            writer.write(image)
    return out


@pytest.mark.parametrize("name", REAL)
def test_a_real_clip_is_not_flagged(shared_videos: Path, name: str) -> None:
    evidence = _detector().examine(_analysed(_clip(shared_videos, name)))
    assert evidence.probability is not None, evidence.summary
    assert evidence.probability < REAL_BELOW, evidence.summary
    assert set(evidence.details["measures"]) == {"flicker", "jitter", "colour"}
    assert any("Identity" in note for note in evidence.details["not_measured"])  # under 10 s
    assert evidence.figures and evidence.figures[0].svg.markup.startswith("<svg")


def test_identity_drift_is_measured_on_a_long_clip(shared_videos: Path) -> None:
    evidence = _detector().examine(_analysed(_clip(shared_videos, "liveportrait-d10.mp4")))
    assert evidence.probability is not None and evidence.probability < REAL_BELOW
    identity = evidence.details["measures"]["identity"]
    assert 0.0 < identity["value"] < 0.6  # one person: below dlib's same-person distance


def test_a_face_pasted_frame_by_frame_scores_higher(shared_videos: Path, tmp_path: Path) -> None:
    target, source = _clip(shared_videos, "hdtf-1.mp4"), _clip(shared_videos, "hdtf-2.mp4")
    swapped = _swap(target, source, tmp_path / "swap.mp4", shift_px=4.0, gain=0.06)
    real = _detector().examine(_analysed(target))
    fake = _detector().examine(analyse(swapped))
    assert real.probability is not None and fake.probability is not None
    assert fake.probability > real.probability + 0.3, fake.summary
    assert fake.probability >= REAL_BELOW, fake.details["measures"]
    measures, before = fake.details["measures"], real.details["measures"]
    assert measures["colour"]["value"] > before["colour"]["value"]
    assert measures["jitter"]["value"] > before["jitter"]["value"]


def test_a_still_image_is_not_applicable(shared_videos: Path, tmp_path: Path) -> None:
    frame = next(iter_frames(_clip(shared_videos, "hdtf-1.mp4")))
    still = write_image(tmp_path / "still.png", frame.image)
    evidence = _detector().examine(analyse(still))
    assert evidence.probability is None
    assert evidence.summary.startswith("Temporal consistency is not applicable")


def test_a_clip_too_short_is_not_applicable(shared_videos: Path, tmp_path: Path) -> None:
    source = _clip(shared_videos, "hdtf-1.mp4")
    out = tmp_path / "short.mp4"
    with VideoWriter(out, 25.0) as writer:
        for frame in iter_frames(source):
            if frame.index >= 30:  # 1.2 s
                break
            writer.write(frame.image)
    evidence = _detector().examine(analyse(out))
    assert evidence.probability is None
    assert "not applicable" in evidence.summary and "1.2 s" in evidence.summary


def test_it_is_a_registered_detector() -> None:
    loaded, skipped = available_detectors(["temporal"])
    assert [d.name for d in loaded] == ["temporal"] and not skipped
