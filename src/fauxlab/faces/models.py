"""Where the offline face models live: dlib's in face-recognition-models, Haar in OpenCV."""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

import cv2

from fauxlab.errors import ModelError


@cache
def dlib_model(name: str) -> Path:
    """Path of a dlib model file shipped by the face-recognition-models package.

    Found by path rather than by importing the package, whose __init__ needs pkg_resources.
    """
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or spec.origin is None:
        raise ModelError("face-recognition-models is not installed; run `make install`")
    path = Path(spec.origin).parent / "models" / name
    if not path.is_file():
        raise ModelError(f"dlib model {name} is missing from {path.parent}; reinstall it")
    return path


def haar_cascade(name: str = "haarcascade_frontalface_default.xml") -> Path:
    path = Path(cv2.data.haarcascades) / name  # type: ignore[attr-defined]
    if not path.is_file():
        raise ModelError(
            f"OpenCV Haar cascade {name} is missing; opencv-contrib-python < 5 ships it"
        )
    return path
