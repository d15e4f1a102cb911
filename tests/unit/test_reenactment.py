"""Reenactment evidence: its measures' maths, real clips, and one photo made to move.

The fake is built here from a real clip (hdtf-1), the way the simplest talking-head
tools work: its first frame is the photo, and every later frame is that photo warped by
the similarity transform that carries the first frame's landmarks onto that frame's,
pasted back through a feathered head mask onto the unmoving photo. The warped clip must
score higher than the clip it was made from, on both measures; real clips must stay out
of the fake band."""

from __future__ import annotations

import functools
import itertools
from pathlib import Path

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

from fauxlab.detection.analysed import AnalysedMedia, analyse
from fauxlab.detection.detectors.reenactment.detector import ReenactmentDetector, thinned
from fauxlab.detection.detectors.reenactment.identity import MIN_FACE_WIDTH, IdentityChange
from fauxlab.detection.detectors.reenactment.stillness import pair_stillness
from fauxlab.detection.detectors.reenactment.texture import CROP, aligned_change, skin
from fauxlab.detection.norms import P_LOW, P_MAX, P_NORMAL, small_on_fakes
from fauxlab.detection.registry import available_detectors
from fauxlab.faces.align import template_in_crop, umeyama
from fauxlab.faces.landmarks import INNER_FACE
from fauxlab.faces.mask import face_mask
from fauxlab.faces.types import Face, box_of
from fauxlab.media import VideoWriter, iter_frames, write_image

REAL = ("hdtf-1.mp4", "voxceleb-1.mp4", "retalking-2.mp4")
FAKE_FROM = 0.65  # the verdict's "fake" band (fusion.DEFAULT_THRESHOLD + DEFAULT_MARGIN)


@functools.cache
def _analysed(path: Path) -> AnalysedMedia:
    return analyse(path)


def _clip(folder: Path, name: str) -> Path:
    path = folder / name
    if not path.is_file():
        pytest.skip(f"{name} is not in {folder}")
    return path


def _face(points: NDArray[np.float32]) -> Face:
    landmarks = points.astype(np.float32)
    return Face(box_of(landmarks, 0.1), landmarks, 1.0, "test", track_id=0)


# -- the norm ---------------------------------------------------------------------------


def test_a_smaller_value_never_scores_lower() -> None:
    norm = small_on_fakes("x", "x", "x", median=0.2, p5=0.1)
    values = np.linspace(0.01, 0.4, 200)[::-1]
    probabilities = [norm.probability(float(v)) for v in values]
    assert all(b >= a for a, b in itertools.pairwise(probabilities))
    assert norm.probability(0.3) == pytest.approx(P_LOW)
    assert norm.probability(0.1) == pytest.approx(P_NORMAL)
    assert norm.probability(0.05) == pytest.approx(P_MAX)  # half the 5th percentile


# -- texture ----------------------------------------------------------------------------


def test_texture_carried_along_is_unchanged_and_fresh_texture_is_not() -> None:
    rng = np.random.default_rng(0)
    base = cv2.GaussianBlur(rng.integers(0, 255, (CROP, CROP)).astype(np.uint8), (0, 0), 1.0)
    base = cv2.normalize(base, None, 0, 255, cv2.NORM_MINMAX)
    where = skin(template_in_crop(CROP, 0.25).astype(np.float64))
    assert where.sum() > 1000
    moved = np.roll(base, (1, 2), axis=(0, 1))  # the same texture, moved: flow undoes it
    fresh = np.clip(base + rng.normal(0, 25, base.shape), 0, 255).astype(np.uint8)
    carried = aligned_change(base, moved, where)
    renewed = aligned_change(base, fresh, where)
    assert carried is not None and renewed is not None
    assert aligned_change(base, base, where) == pytest.approx(0.0, abs=1e-9)
    assert carried < 0.2 < renewed
    assert aligned_change(base, base, np.zeros_like(where)) is None  # nothing to compare


# -- stillness --------------------------------------------------------------------------


def test_a_frozen_background_around_a_changing_face_has_a_small_ratio() -> None:
    rng = np.random.default_rng(1)
    face = _face(template_in_crop(256, 0.3) * 0.5 + 64)
    first = rng.integers(40, 200, (256, 256, 3)).astype(np.uint8)
    inside = face_mask(face.landmarks, (256, 256), feather_ratio=0.0)[..., None] > 0.5
    talking = np.where(inside, rng.integers(40, 200, first.shape), first).astype(np.uint8)
    noisy = np.clip(talking + rng.normal(0, 6, first.shape), 0, 255).astype(np.uint8)
    frozen = pair_stillness((first, face), (talking, face))
    alive = pair_stillness((first, face), (noisy, face))
    assert frozen is not None and alive is not None
    assert frozen == pytest.approx(0.0)
    assert alive > 0.05
    assert pair_stillness((first, face), (first, face)) is None  # the face did not change
    tight = _face(template_in_crop(256, 0.0))  # the face fills the picture
    assert pair_stillness((first, tight), (talking, tight)) is None


def _first_face(path: Path) -> tuple[NDArray[np.uint8], Face]:
    record, image = next((r, i) for r, i in _analysed(path).keyframes() if r.faces)
    return image, record.faces[0]


def test_identity_change_is_small_for_one_person_and_large_between_two(
    shared_videos: Path,
) -> None:
    one = _first_face(_clip(shared_videos, "hdtf-1.mp4"))
    other = _first_face(_clip(shared_videos, "voxceleb-1.mp4"))
    assert IdentityChange()(one, one) == pytest.approx(0.0, abs=1e-6)
    between = IdentityChange()(one, other)
    assert between is not None and between > 0.6  # dlib's same-person distance
    image, face = one
    scale = (MIN_FACE_WIDTH - 1) / face.width
    small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    tiny = Face(box_of(face.landmarks * scale), face.landmarks * scale, 1.0, "test", 0)
    assert IdentityChange()(one, (small, tiny)) is None  # too small to embed reliably


def test_thinned_keyframes_are_evenly_spread_and_keep_both_ends() -> None:
    image = np.zeros((8, 8, 3), np.uint8)
    face = _face(np.zeros((68, 2), np.float32))
    frames = [(float(t), image, face) for t in range(32)]
    times = [t for t, _, _ in thinned(frames, 16)]
    assert len(times) == 16 and times[0] == 0 and times[-1] == 31
    assert max(np.diff(times)) - min(np.diff(times)) <= 1
    assert thinned(frames[:10], 16) == frames[:10] and thinned(frames, None) == frames


# -- real clips and a photo made to move -----------------------------------------------


def _photo_made_to_move(source: Path, out: Path) -> Path:
    """`source`'s first frame, warped frame by frame to follow the clip's own head
    motion and pasted onto that unmoving first frame (see the module's text)."""
    analysed = _analysed(source)
    faces = {r.index: r.faces[0] for r in analysed.frames if r.faces}
    frames = iter_frames(source)
    photo = next(frames).image
    start = faces[min(faces)].landmarks
    h, w = photo.shape[:2]
    with VideoWriter(out, analysed.fps or 25.0) as writer:
        writer.write(photo)
        for frame in frames:
            image = photo
            face = faces.get(frame.index)
            if face is not None:
                matrix = umeyama(start[INNER_FACE], face.landmarks[INNER_FACE])
                moved = cv2.warpAffine(photo, matrix, (w, h), borderMode=cv2.BORDER_REFLECT)
                mask = face_mask(face.landmarks, (h, w), forehead=1.5)[..., None]
                mask = np.maximum(mask, face_mask(start, (h, w), forehead=1.5)[..., None])
                image = (moved * mask + photo * (1 - mask)).round().astype(np.uint8)
            writer.write(image)
    return out


@pytest.mark.parametrize("name", REAL)
def test_a_real_clip_is_not_called_fake(shared_videos: Path, name: str) -> None:
    evidence = ReenactmentDetector().examine(_analysed(_clip(shared_videos, name)))
    assert evidence.probability is not None, evidence.summary
    assert evidence.probability < FAKE_FROM, evidence.summary
    assert set(evidence.details["measures"]) == {"texture", "stillness", "identity"}
    assert evidence.figures and evidence.figures[0].svg.markup.startswith("<svg")


def test_one_photo_made_to_move_scores_higher(shared_videos: Path, tmp_path: Path) -> None:
    source = _clip(shared_videos, "hdtf-1.mp4")
    real = ReenactmentDetector().examine(_analysed(source))
    fake = ReenactmentDetector().examine(analyse(_photo_made_to_move(source, tmp_path / "w.mp4")))
    assert real.probability is not None and fake.probability is not None, fake.summary
    assert fake.probability >= FAKE_FROM, fake.details["measures"]
    assert fake.probability > real.probability + 0.3
    measures, before = fake.details["measures"], real.details["measures"]
    assert measures["texture"]["value"] < before["texture"]["value"]
    assert measures["stillness"]["value"] < before["stillness"]["value"]
    assert measures["identity"]["value"] < before["identity"]["value"]
    assert "one photo is animated" in fake.summary


def test_a_still_image_cannot_be_judged(shared_videos: Path, tmp_path: Path) -> None:
    frame = next(iter_frames(_clip(shared_videos, "hdtf-1.mp4")))
    evidence = ReenactmentDetector().examine(analyse(write_image(tmp_path / "s.png", frame.image)))
    assert evidence.probability is None
    assert evidence.summary.endswith("a single picture has no motion to judge.")


def test_it_is_a_registered_detector() -> None:
    loaded, skipped = available_detectors(["reenactment"])
    assert [d.name for d in loaded] == ["reenactment"] and not skipped
