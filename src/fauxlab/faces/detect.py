"""Face detector backends behind one interface, each returning `Face`s in the 68-point scheme.

- `mediapipe` (default): BlazeFace + FaceMesh with iris, 478 points. In video mode its own
  graph tracks each face from the previous frame's landmarks and runs the detector only
  while fewer than `max_faces` faces are tracked.
- `dlib`: HOG detector + the 68-point regression-tree predictor (the classic deepfakes
  extractor). In video mode it detects on keyframes and re-fits landmarks in between.
- `haar`: OpenCV's Viola-Jones cascade for boxes, dlib's predictor for landmarks.

BENCHMARKS.md has the comparison that made mediapipe the default.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

os.environ.setdefault("GLOG_minloglevel", "2")  # MediaPipe's C++ logging is noise for users
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import cv2
import numpy as np

from fauxlab.faces.landmarks import Points, mesh_to_68
from fauxlab.faces.models import dlib_model, haar_cascade
from fauxlab.faces.native_log import filter_native_stderr
from fauxlab.faces.types import Box, Face, box_of
from fauxlab.media.images import RGBImage

BACKEND_NAMES = ("mediapipe", "dlib", "haar")


class FaceBackend(Protocol):
    name: str

    def detect(self, image: RGBImage) -> list[Face]:
        """Faces in one RGB image; in video mode, frames must arrive in order."""
        ...

    def close(self) -> None: ...


@contextmanager
def _quiet_native_stderr() -> Iterator[None]:
    """Silence C++ start-up chatter (TFLite, absl) that Python's logging cannot reach."""
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


class MediaPipeBackend:
    name = "mediapipe"

    def __init__(
        self, max_faces: int = 2, video: bool = False, min_confidence: float = 0.5
    ) -> None:
        import mediapipe as mp

        filter_native_stderr()
        with _quiet_native_stderr():
            self._mesh: Any = mp.solutions.face_mesh.FaceMesh(
                static_image_mode=not video,
                max_num_faces=max_faces,
                refine_landmarks=True,
                min_detection_confidence=min_confidence,
                min_tracking_confidence=min_confidence,
            )
        self._min_confidence = min_confidence
        self._warmed_up = False

    def detect(self, image: RGBImage) -> list[Face]:
        height, width = image.shape[:2]
        if not self._warmed_up:
            with _quiet_native_stderr():
                result = self._mesh.process(np.ascontiguousarray(image))
            self._warmed_up = True
        else:
            result = self._mesh.process(np.ascontiguousarray(image))
        faces: list[Face] = []
        for found in result.multi_face_landmarks or []:
            mesh = np.array([(p.x * width, p.y * height) for p in found.landmark], dtype=np.float32)
            landmarks = mesh_to_68(mesh)
            # FaceMesh exposes no per-face score; every face it returns passed the detector's
            # and the tracker's confidence threshold, which is what we report.
            faces.append(Face(box_of(mesh), landmarks, self._min_confidence, self.name, mesh=mesh))
        return faces

    def close(self) -> None:
        self._mesh.close()


class _DlibLandmarks:
    """dlib's 68-point predictor fitted inside boxes, with keyframe tracking for video."""

    name = "dlib"

    def __init__(self, video: bool, keyframe_interval: int) -> None:
        import dlib

        self._dlib = dlib
        self._predictor = dlib.shape_predictor(
            str(dlib_model("shape_predictor_68_face_landmarks.dat"))
        )
        self._video = video
        self._interval = keyframe_interval
        self._frame = 0
        self._tracked: list[tuple[Box, float]] = []

    def _boxes(self, image: RGBImage) -> list[tuple[Box, float]]:
        raise NotImplementedError

    def detect(self, image: RGBImage) -> list[Face]:
        keyframe = not self._video or self._frame % self._interval == 0 or not self._tracked
        boxes = self._boxes(image) if keyframe else self._tracked
        self._frame += 1
        faces = []
        for box, score in boxes:
            rect = self._dlib.rectangle(*(round(v) for v in box))
            shape = self._predictor(image, rect)
            landmarks: Points = np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float32)
            faces.append(Face(box, landmarks, score, self.name))
        if self._video:
            # between keyframes, the next frame's box comes from this frame's landmarks
            self._tracked = [(_square_box(f.landmarks), f.score) for f in faces]
        return faces

    def close(self) -> None:
        self._tracked = []


def _square_box(landmarks: Points) -> Box:
    """A dlib-style detector box around 68 landmarks (brows to chin, square)."""
    x0, y0, x1, y1 = box_of(landmarks)
    side = max(x1 - x0, y1 - y0)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return (cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2)


def _downscale(image: RGBImage, longest: int) -> tuple[RGBImage, float]:
    """Detectors are run on at most `longest` px: faster, and HOG's scale range fits it."""
    scale = min(1.0, longest / max(image.shape[:2]))
    if scale == 1.0:
        return image, 1.0
    size = (round(image.shape[1] * scale), round(image.shape[0] * scale))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA), scale


class DlibBackend(_DlibLandmarks):
    name = "dlib"

    def __init__(self, video: bool = False, keyframe_interval: int = 5, upsample: int = 1) -> None:
        super().__init__(video, keyframe_interval)
        self._detector = self._dlib.get_frontal_face_detector()
        self._upsample = upsample

    def _boxes(self, image: RGBImage) -> list[tuple[Box, float]]:
        small, scale = _downscale(image, 640)
        rects, scores, _ = self._detector.run(small, self._upsample, 0.0)
        return [
            ((r.left() / scale, r.top() / scale, r.right() / scale, r.bottom() / scale), float(s))
            for r, s in zip(rects, scores, strict=True)
        ]


class HaarBackend(_DlibLandmarks):
    name = "haar"

    def __init__(self, video: bool = False, keyframe_interval: int = 5) -> None:
        super().__init__(video, keyframe_interval)
        self._cascade = cv2.CascadeClassifier(str(haar_cascade()))

    def _boxes(self, image: RGBImage) -> list[tuple[Box, float]]:
        small, scale = _downscale(image, 640)
        gray = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
        rects, _, weights = self._cascade.detectMultiScale3(
            gray, scaleFactor=1.1, minNeighbors=5, minSize=(40, 40), outputRejectLevels=True
        )
        return [
            ((x / scale, y / scale, (x + w) / scale, (y + h) / scale), float(weight))
            for (x, y, w, h), weight in zip(rects, np.ravel(weights), strict=True)
        ]


def make_backend(
    name: str = "mediapipe", *, video: bool = False, max_faces: int = 2
) -> FaceBackend:
    """The backend called `name`, set up for stills or for one video's frames in order."""
    if name == "mediapipe":
        return MediaPipeBackend(max_faces=max_faces, video=video)
    if name == "dlib":
        return DlibBackend(video=video)
    if name == "haar":
        return HaarBackend(video=video)
    raise ValueError(f"unknown face backend {name!r}; choose one of {', '.join(BACKEND_NAMES)}")
