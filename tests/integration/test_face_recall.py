"""Faces in the wild: small, turned, dark and paired faces in large frames are found, and
face-free frames give no face (tests/face_scenes.py makes the stills)."""

from __future__ import annotations

from pathlib import Path

import pytest

from face_scenes import matches, portraits, scenes, video_portraits
from fauxlab.faces import make_backend

FACES = 20  # UTKFace crops, beside one frame of every shared video


@pytest.mark.slow
def test_small_turned_dark_and_paired_faces_are_found(shared_data: Path) -> None:
    faces_dir = shared_data / "faces" / "utkface"
    videos = sorted((shared_data / "videos").glob("*.mp4"))
    if not faces_dir.is_dir() or not videos:
        pytest.skip(f"no {faces_dir} or shared videos")
    people = portraits(faces_dir, FACES) + video_portraits(videos, 1)
    backend = make_backend("mediapipe")
    found = missed = false = 0
    misses: list[str] = []
    for scene in scenes(people, empty=12):
        faces = backend.detect(scene.image)
        hits = [any(matches(f.box, truth) for f in faces) for truth in scene.faces]
        found += sum(hits)
        missed += len(hits) - sum(hits)
        false += sum(not any(matches(f.box, t) for t in scene.faces) for f in faces)
        if not all(hits):
            misses.append(scene.name)
    backend.close()
    assert found / (found + missed) >= 0.95, misses
    assert false <= 0.01 * (found + false)


def test_a_face_of_100_px_in_a_phone_frame_is_found_in_video_too(astronaut: object) -> None:
    """The DFDC case: a person metres away in a 1080x1920 frame, frame after frame."""
    import cv2
    import numpy as np
    from skimage import data as skdata

    canvas = cv2.resize(skdata.coffee(), (1080, 1920))
    small = cv2.resize(np.asarray(astronaut), None, fx=0.6, fy=0.6, interpolation=cv2.INTER_AREA)
    canvas[800 : 800 + small.shape[0], 300 : 300 + small.shape[1]] = small
    backend = make_backend("mediapipe", video=True)
    counts = [len(backend.detect(canvas)) for _ in range(12)]
    backend.close()
    assert counts == [1] * 12
