"""The face pipeline on real faces: skimage's astronaut and the shared talking-head videos."""

from __future__ import annotations

import json
import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from fauxlab.demo.samples import astronaut
from fauxlab.faces import (
    ExtractSettings,
    FaceEmbedder,
    FaceOptions,
    align,
    distance,
    extract_faces,
    eyes_mask,
    face_mask,
    faces_in_image,
    faces_in_video,
    mouth_mask,
    paste,
    read_index,
    warp,
)
from fauxlab.faces.align import template_in_crop, umeyama
from fauxlab.faces.detect import make_backend
from fauxlab.faces.landmarks import FLIP_68, INNER_FACE, LEFT_EYE, OUTER_LIPS, RIGHT_EYE
from fauxlab.media import Sampling, VideoWriter, iter_frames, write_image

DATA = Path(os.environ.get("FAUXLAB_DATA", Path(__file__).parents[2] / "../shared/data"))
VIDEOS = DATA / "videos"
needs_videos = pytest.mark.skipif(not VIDEOS.is_dir(), reason=f"shared videos not at {VIDEOS}")


@pytest.fixture(scope="module")
def portrait() -> np.ndarray:
    return astronaut()


@pytest.fixture(scope="module")
def portrait_face(portrait: np.ndarray):  # type: ignore[no-untyped-def]
    faces = faces_in_image(portrait)
    assert len(faces) == 1
    return faces[0]


def _assert_plausible(landmarks: np.ndarray) -> None:
    right_eye, left_eye = landmarks[RIGHT_EYE].mean(0), landmarks[LEFT_EYE].mean(0)
    mouth = landmarks[OUTER_LIPS].mean(0)
    assert right_eye[1] < mouth[1] and left_eye[1] < mouth[1], "eyes must be above the mouth"
    assert right_eye[0] < left_eye[0], "the subject's right eye is on the image's left"
    assert landmarks[0, 0] < landmarks[16, 0], "jaw runs from image left to image right"
    assert right_eye[0] < landmarks[30, 0] < left_eye[0], "nose tip between the eyes"
    assert landmarks[8, 1] > mouth[1], "chin below the mouth"


@pytest.mark.parametrize("backend", ["mediapipe", "dlib", "haar"])
def test_every_backend_finds_plausible_landmarks_on_the_astronaut(
    portrait: np.ndarray, backend: str
) -> None:
    faces = faces_in_image(portrait, FaceOptions(backend=backend))
    assert faces, f"{backend} found no face"
    best = max(faces, key=lambda f: f.width * f.height)
    assert best.landmarks.shape == (68, 2)
    _assert_plausible(best.landmarks)
    x0, y0, x1, y1 = best.box
    assert 150 < (x0 + x1) / 2 < 300 and 60 < (y0 + y1) / 2 < 200  # her face, not the flag


def test_mediapipe_and_dlib_agree_on_the_68_points(portrait: np.ndarray) -> None:
    mp_face = faces_in_image(portrait, FaceOptions(backend="mediapipe"))[0]
    dlib_face = max(faces_in_image(portrait, FaceOptions(backend="dlib")), key=lambda f: f.width)
    ocular = np.linalg.norm(
        dlib_face.landmarks[RIGHT_EYE].mean(0) - dlib_face.landmarks[LEFT_EYE].mean(0)
    )
    error = np.linalg.norm(mp_face.landmarks - dlib_face.landmarks, axis=1) / ocular
    assert error[INNER_FACE].mean() < 0.08  # inner face: same scheme, same points
    assert error.mean() < 0.12  # jaw contours are defined a little differently


def test_mesh_kept_with_iris(portrait_face) -> None:  # type: ignore[no-untyped-def]
    assert portrait_face.mesh is not None and portrait_face.mesh.shape == (478, 2)


def test_flip_permutation_mirrors_landmarks(portrait: np.ndarray, portrait_face) -> None:  # type: ignore[no-untyped-def]
    mirrored = np.ascontiguousarray(portrait[:, ::-1])
    found = faces_in_image(mirrored)[0].landmarks
    expected = portrait_face.landmarks.copy()
    expected[:, 0] = portrait.shape[1] - 1 - expected[:, 0]
    expected = expected[list(FLIP_68)]
    ocular = np.linalg.norm(expected[RIGHT_EYE].mean(0) - expected[LEFT_EYE].mean(0))
    assert (np.linalg.norm(found - expected, axis=1) / ocular).mean() < 0.06


@pytest.mark.skipif(not (DATA / "faces" / "utkface").is_dir(), reason="UTKFace not found")
def test_the_kept_still_backend_answers_as_a_fresh_one(portrait: np.ndarray) -> None:
    """faces_in_image keeps one backend per process: each picture, including one after a
    picture with no face and one with a different size, must come out as it would alone."""
    files = sorted((DATA / "faces" / "utkface").glob("*.jpg"))[:3]
    pictures = [cv2.cvtColor(cv2.imread(str(f)), cv2.COLOR_BGR2RGB) for f in files]
    blank = np.full((240, 320, 3), 128, dtype=np.uint8)
    sequence = [pictures[0], blank, portrait, pictures[1], pictures[2], pictures[0]]
    for picture in sequence:
        kept = faces_in_image(picture)
        fresh = make_backend("mediapipe", video=False, max_faces=2)
        try:
            alone = fresh.detect(picture)
        finally:
            fresh.close()
        assert len(kept) == len(alone)
        for a, b in zip(kept, alone, strict=True):
            np.testing.assert_allclose(a.landmarks, b.landmarks, atol=1e-3)
            assert a.score == pytest.approx(b.score)
    assert faces_in_image(blank) == []


def test_umeyama_recovers_a_known_similarity() -> None:
    rng = np.random.default_rng(0)
    points = rng.uniform(0, 100, size=(20, 2))
    angle, scale, shift = 0.3, 1.7, np.array([12.0, -5.0])
    rotation = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    matrix = umeyama(points, points @ rotation.T + shift)
    np.testing.assert_allclose(matrix[:, :2], rotation, atol=1e-9)
    np.testing.assert_allclose(matrix[:, 2], shift, atol=1e-9)


@pytest.mark.parametrize("size", [64, 128, 256, 512])
@pytest.mark.parametrize("margin", [0.1, 0.25, 0.4])
def test_alignment_round_trip_under_one_pixel(portrait_face, size: int, margin: float) -> None:  # type: ignore[no-untyped-def]
    alignment = align(portrait_face.landmarks, size, margin)
    back = alignment.to_image(alignment.to_crop(portrait_face.landmarks))
    assert np.abs(back - portrait_face.landmarks).max() < 1.0
    # the face really lands on the template: inner points within 4% of the crop
    error = np.linalg.norm(
        alignment.to_crop(portrait_face.landmarks)[INNER_FACE]
        - template_in_crop(size, margin)[INNER_FACE],
        axis=1,
    )
    assert error.mean() < 0.04 * size


def test_warp_then_paste_back_restores_the_face(portrait: np.ndarray, portrait_face) -> None:  # type: ignore[no-untyped-def]
    alignment = align(portrait_face.landmarks, 512, 0.25)
    crop = warp(portrait, alignment)
    mask = np.ones(crop.shape[:2], np.float32)
    restored = paste(portrait, crop, alignment, mask)
    x0, y0, x1, y1 = (int(v) for v in portrait_face.box)
    region = (slice(y0 + 5, y1 - 5), slice(x0 + 5, x1 - 5))
    diff = np.abs(restored[region].astype(int) - portrait[region].astype(int))
    assert diff.mean() < 3.0  # only resampling blur: under 3 grey levels on average


def test_masks_cover_their_regions(portrait: np.ndarray, portrait_face) -> None:  # type: ignore[no-untyped-def]
    lm, shape = portrait_face.landmarks, portrait.shape
    face, eyes, mouth = face_mask(lm, shape), eyes_mask(lm, shape), mouth_mask(lm, shape)
    nose = tuple(int(v) for v in lm[30])
    assert face[nose[1], nose[0]] > 0.99
    for centre in (lm[RIGHT_EYE].mean(0), lm[LEFT_EYE].mean(0)):
        assert eyes[int(centre[1]), int(centre[0])] > 0.9
    lips = lm[OUTER_LIPS].mean(0)
    assert mouth[int(lips[1]), int(lips[0])] > 0.9
    assert face[5, 5] == 0 and eyes[nose[1] + 40, nose[0]] == 0
    soft = ((face > 0.05) & (face < 0.95)).sum()
    assert soft > 200, "the edge must be feathered"
    assert (eyes <= face + 1e-6).mean() > 0.999, "eyes lie inside the face mask"


def test_identity_same_person_close_under_threshold(portrait: np.ndarray, portrait_face) -> None:  # type: ignore[no-untyped-def]
    embedder = FaceEmbedder()
    reference = embedder.embed(portrait, portrait_face)
    assert reference.shape == (128,)
    smaller = cv2.resize(portrait, (300, 300), interpolation=cv2.INTER_AREA)
    other = embedder.embed(smaller, faces_in_image(smaller)[0])
    assert distance(reference, other) < 0.4


@needs_videos
def test_identity_separates_two_people() -> None:
    embedder = FaceEmbedder()

    def embeddings(name: str) -> list[np.ndarray]:
        frames = faces_in_video(VIDEOS / name, Sampling("count", 2))
        return [embedder.embed(f.image, f.faces[0]) for f in frames]

    a, b = embeddings("liveportrait-d6.mp4"), embeddings("liveportrait-d9.mp4")
    assert distance(a[0], a[1]) < 0.6  # dlib's same-person threshold
    assert distance(b[0], b[1]) < 0.6
    assert distance(a[0], b[0]) > 0.7


def _two_person_clip(path: Path, seconds: float = 2.0) -> Path:
    """Two shared talking videos side by side: two people in one frame."""
    left = iter_frames(VIDEOS / "liveportrait-d6.mp4")
    right = iter_frames(VIDEOS / "liveportrait-d9.mp4")
    with VideoWriter(path, 25) as writer:
        for i, (a, b) in enumerate(zip(left, right, strict=False)):
            if i >= seconds * 25:
                break
            pair = np.concatenate(
                [cv2.resize(a.image, (256, 256)), cv2.resize(b.image, (256, 256))], 1
            )
            writer.write(pair, i / 25)
    return path


@needs_videos
def test_tracking_keeps_one_id_per_person(tmp_path: Path) -> None:
    clip = _two_person_clip(tmp_path / "two.mp4")
    side_of: dict[int, set[str]] = {}
    counts = []
    for frame in faces_in_video(clip):
        counts.append(len(frame.faces))
        for face in frame.faces:
            side = "left" if (face.box[0] + face.box[2]) / 2 < 256 else "right"
            side_of.setdefault(face.track_id, set()).add(side)
    assert np.mean([c == 2 for c in counts]) > 0.95
    assert len(side_of) == 2, f"expected two tracks, got {sorted(side_of)}"
    assert all(len(sides) == 1 for sides in side_of.values()), "a track jumped between people"


@needs_videos
def test_smoothing_reduces_landmark_jitter() -> None:
    def jitter(smooth: bool) -> float:
        frames = list(
            faces_in_video(VIDEOS / "hdtf-1.mp4", Sampling("all"), FaceOptions(smooth=smooth))
        )
        points = np.stack([f.faces[0].landmarks for f in frames[:120] if f.faces])
        return float(np.abs(np.diff(points, n=2, axis=0)).mean())  # frame-to-frame acceleration

    assert jitter(True) < 0.5 * jitter(False)


@needs_videos
def test_faces_found_in_the_shared_talking_videos() -> None:
    for name in ("hdtf-1.mp4", "voxceleb-1.mp4", "retalking-1.mp4"):
        frames = list(faces_in_video(VIDEOS / name, Sampling("every", 3)))
        found = np.mean([bool(f.faces) for f in frames])
        assert found >= 0.99, f"{name}: face in only {found:.1%} of frames"
        for frame in frames[::10]:
            _assert_plausible(frame.faces[0].landmarks)


def test_extract_is_resumable_and_never_duplicates(tmp_path: Path, portrait: np.ndarray) -> None:
    clip = tmp_path / "clip.mp4"
    from fauxlab.demo.clip import render_clip

    render_clip(clip, seconds=1.0, size=256)
    blank = tmp_path / "blank.png"
    write_image(blank, np.full((200, 200, 3), 128, np.uint8))
    out = tmp_path / "faces"
    settings = ExtractSettings(size=64)

    first = extract_faces([clip, blank], out, settings)
    assert first.faces_written == 25 and first.sources_without_face == [str(blank)]
    crops = sorted(out.glob("*.png"))
    records = read_index(out)
    assert len(crops) == len(records) == 25
    assert {r["file"] for r in records} == {p.name for p in crops}
    record = records[0]
    assert np.array(record["transform"]).shape == (2, 3) and len(record["landmarks"]) == 68

    again = extract_faces([clip, blank], out, settings)
    assert again.faces_written == 0 and again.sources_already_done == 2

    # simulate a crash mid-video: drop the "done" records and tear the last line in half
    index = out / "faces.jsonl"
    lines = [ln for ln in index.read_text().splitlines() if '"type":"source"' not in ln]
    keep = lines[:15]
    index.write_text("\n".join(keep) + "\n" + lines[15][: len(lines[15]) // 2])
    resumed = extract_faces([clip, blank], out, settings)
    assert resumed.faces_written == 25 - 14  # 14 face records survived beside the settings line
    ids = [json.loads(ln)["id"] for ln in index.read_text().splitlines() if '"type":"face"' in ln]
    assert len(ids) == len(set(ids)) == 25


def test_extract_refuses_other_settings_or_a_foreign_folder(
    tmp_path: Path, portrait: np.ndarray
) -> None:
    from fauxlab.errors import FauxlabError, OutputExistsError

    image = tmp_path / "astronaut.png"
    write_image(image, portrait)
    out = tmp_path / "faces"
    extract_faces([image], out, ExtractSettings(size=64))
    with pytest.raises(FauxlabError, match="size"):
        extract_faces([image], out, ExtractSettings(size=128))
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    with pytest.raises(OutputExistsError):
        extract_faces([image], foreign, ExtractSettings(size=64))
    assert (foreign / "notes.txt").read_text() == "keep me"
