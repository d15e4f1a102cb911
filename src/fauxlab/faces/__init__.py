"""The face pipeline: detect, landmark, track, align, mask, identify, extract."""

from fauxlab.faces.align import Alignment, align, paste, warp
from fauxlab.faces.detect import BACKEND_NAMES, make_backend
from fauxlab.faces.embedding import FaceEmbedder, distance, same_person
from fauxlab.faces.extract import ExtractSettings, ExtractSummary, extract_faces, read_index
from fauxlab.faces.mask import eyes_mask, face_mask, feather, mouth_mask
from fauxlab.faces.pipeline import (
    FaceOptions,
    FrameFaces,
    faces_in_file,
    faces_in_image,
    faces_in_video,
)
from fauxlab.faces.track import FaceTracker
from fauxlab.faces.types import Face

__all__ = [
    "BACKEND_NAMES",
    "Alignment",
    "ExtractSettings",
    "ExtractSummary",
    "Face",
    "FaceEmbedder",
    "FaceOptions",
    "FaceTracker",
    "FrameFaces",
    "align",
    "distance",
    "extract_faces",
    "eyes_mask",
    "face_mask",
    "faces_in_file",
    "faces_in_image",
    "faces_in_video",
    "feather",
    "make_backend",
    "mouth_mask",
    "paste",
    "read_index",
    "same_person",
    "warp",
]
