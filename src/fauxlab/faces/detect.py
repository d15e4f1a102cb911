"""Face detector backends behind one interface, each returning `Face`s in the 68-point scheme.

- `mediapipe` (default): BlazeFace + FaceMesh with iris, 478 points. In video mode its own
  graph tracks each face from the previous frame's landmarks and runs the detector only
  while fewer than `max_faces` faces are tracked. Faces too small for the whole-frame
  pass are searched in tiles (wide.py).
- `dlib`: HOG detector + the 68-point regression-tree predictor (the classic deepfakes
  extractor). In video mode it detects on keyframes and re-fits landmarks in between.
- `haar`: OpenCV's Viola-Jones cascade for boxes, dlib's predictor for landmarks.

BENCHMARKS.md has the comparison that made mediapipe the default.
"""

from __future__ import annotations

import os
from typing import Any, Protocol

os.environ.setdefault("GLOG_minloglevel", "2")  # MediaPipe's C++ logging is noise for users
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import cv2
import numpy as np

from fauxlab.faces.landmarks import Points, mesh_to_68
from fauxlab.faces.models import dlib_model, haar_cascade
from fauxlab.faces.native_log import filter_native_stderr
from fauxlab.faces.types import Box, Face, box_of
from fauxlab.faces.wide import TILE_MIN_SCORE, detect_in_tiles, mesh_in_crop
from fauxlab.media.images import RGBImage

BACKEND_NAMES = ("mediapipe", "dlib", "haar")


class FaceBackend(Protocol):
    name: str

    def detect(self, image: RGBImage) -> list[Face]:
        """Faces in one RGB image; in video mode, frames must arrive in order."""
        ...

    def close(self) -> None: ...


class MediaPipeBackend:
    """FaceMesh with iris (478 points), counted and scored by BlazeFace on keyframes.

    FaceMesh's video graph tracks faces from the previous frame's landmarks, but runs its
    detector on every frame while it holds fewer faces than it was built for. So the graph
    is built for as many faces as the keyframe detector last counted (at most `max_faces`),
    and rebuilt when that count changes: one talking head costs one tracked mesh per frame,
    and a second person who walks in is picked up at the next keyframe.
    """

    name = "mediapipe"

    def __init__(
        self,
        max_faces: int = 2,
        video: bool = False,
        min_confidence: float = 0.5,
        keyframe_interval: int = 10,
    ) -> None:
        import mediapipe as mp

        filter_native_stderr()
        self._mp = mp
        self._video = video
        self._max_faces = max_faces
        self._min_confidence = min_confidence
        self._interval = keyframe_interval
        self._detector: Any = mp.solutions.face_detection.FaceDetection(
            model_selection=1, min_detection_confidence=min_confidence
        )
        self._mesh: Any = None
        self._crop_mesh: Any = None  # for faces too small for the whole-frame mesh
        self._small: list[tuple[Box, float]] = []
        self._mesh_faces = 0
        self._frame = 0
        self._scored: list[tuple[Box, float]] = []

    def _build_mesh(self, faces: int) -> None:
        if self._mesh is not None:
            self._mesh.close()
        self._mesh = self._mp.solutions.face_mesh.FaceMesh(
            static_image_mode=not self._video,
            max_num_faces=faces,
            refine_landmarks=True,
            min_detection_confidence=self._min_confidence,
            min_tracking_confidence=self._min_confidence,
        )
        self._mesh_faces = faces

    def _keyframe(self, image: RGBImage) -> None:
        height, width = image.shape[:2]
        found = self._detector.process(image).detections or []
        self._scored = []
        for detection in found:
            box = detection.location_data.relative_bounding_box
            x0, y0 = box.xmin * width, box.ymin * height
            x1, y1 = x0 + box.width * width, y0 + box.height * height
            self._scored.append(((x0, y0, x1, y1), float(detection.score[0])))
        if not self._video:  # stills: one graph for up to max_faces, built once
            if self._mesh is None:
                self._build_mesh(self._max_faces)
            return
        wanted = min(max(len(found), 1), self._max_faces)
        if self._mesh is None or wanted != self._mesh_faces:
            self._build_mesh(wanted)

    def _score(self, box: Box) -> float:
        """The keyframe detector's score for the detection centred inside this face."""
        for (x0, y0, x1, y1), score in self._scored:
            cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
            if box[0] <= cx <= box[2] and box[1] <= cy <= box[3]:
                return score
        return self._min_confidence  # tracked without a fresh detection: it passed tracking

    def detect(self, image: RGBImage) -> list[Face]:
        image = np.ascontiguousarray(image)
        keyframe = not self._video or self._frame % self._interval == 0
        if keyframe:
            self._keyframe(image)
        self._frame += 1
        height, width = image.shape[:2]
        result = self._mesh.process(image)
        faces: list[Face] = []
        for found in result.multi_face_landmarks or []:
            mesh = np.array([(p.x * width, p.y * height) for p in found.landmark], dtype=np.float32)
            box = box_of(mesh)
            faces.append(Face(box, mesh_to_68(mesh), self._score(box), self.name, mesh=mesh))
        if faces and (self._video or len(faces) >= self._max_faces):
            self._small = []
            return faces
        return self._add_small_faces(image, keyframe, faces)

    def _add_small_faces(self, image: RGBImage, keyframe: bool, faces: list[Face]) -> list[Face]:
        """Faces the whole-frame mesh missed, each confirmed by FaceMesh on a crop around it:
        keyframe detections it did not cover, else boxes found tile by tile (wide.py).
        Video frames are searched in tiles only when no face the detector backs was found
        (speed), stills also when fewer than `max_faces` were and those are small (a second
        small person beside the first; a portrait's big face needs no search). In
        video the next frames' crops follow this frame's landmarks until the next keyframe.
        A whole-frame mesh face no detector backs (dark frames make them) gives way to
        faces found this way."""
        backed = [f for f in faces if f.score > self._min_confidence]
        if keyframe:
            uncovered = [s for s in self._scored if not any(_covers(f.box, s[0]) for f in faces)]
            known = len(backed) + len(uncovered)
            small_here = all(_small(f.box, image) for f in backed)
            if known == 0 or (not self._video and known < self._max_faces and small_here):
                found = detect_in_tiles(self._detector, image, TILE_MIN_SCORE)
                seen = [f.box for f in backed] + [box for box, _ in uncovered]
                uncovered += [s for s in found if not any(_covers(b, s[0]) for b in seen)]
            self._small = uncovered[: max(0, self._max_faces - len(backed))]
        if not self._small:
            return faces
        if self._crop_mesh is None:
            self._crop_mesh = self._mp.solutions.face_mesh.FaceMesh(
                static_image_mode=True,
                max_num_faces=1,
                refine_landmarks=True,
                min_detection_confidence=self._min_confidence,
            )
        small: list[Face] = []
        for box, score in self._small:
            mesh = mesh_in_crop(self._crop_mesh, image, box)
            if mesh is not None and _agrees(box_of(mesh), box):
                small.append(Face(box_of(mesh), mesh_to_68(mesh), score, self.name, mesh=mesh))
        self._small = [(f.box, f.score) for f in small] if self._video else []
        return (backed if small else faces) + small

    def close(self) -> None:
        if self._mesh is not None:
            self._mesh.close()
        if self._crop_mesh is not None:
            self._crop_mesh.close()
        self._detector.close()


def _covers(face: Box, detection: Box) -> bool:
    """The detection's centre lies inside the face's box."""
    cx, cy = (detection[0] + detection[2]) / 2, (detection[1] + detection[3]) / 2
    return face[0] <= cx <= face[2] and face[1] <= cy <= face[3]


def _small(face: Box, image: RGBImage) -> bool:
    """A face under an eighth of the frame's shorter side: where there is one small
    person, another may stand beside them unseen by the whole-frame pass."""
    return face[2] - face[0] < min(image.shape[:2]) / 8


def _agrees(mesh: Box, detection: Box) -> bool:
    """FaceMesh on the crop found the face the detector saw: same place, similar size
    (the mesh box runs from brow to chin, the detector's a little wider)."""
    ratio = (mesh[2] - mesh[0]) / max(1.0, detection[2] - detection[0])
    return _covers(mesh, detection) and 0.6 <= ratio <= 2.5


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
