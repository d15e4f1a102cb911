"""The demo's face replacement: a GAN-drawn face pasted over the astronaut in every frame.

A swap model takes hours to train, so the demo borrows one face from the `utkface`
generator instead and pastes it with the swap's own steps (align to the tracked
landmarks, LAB colour match, feathered hull mask, inverse transform), which leaves the
same kind of traces a trained swap leaves: a blending boundary, a colour and sharpness
mismatch. The clip is sealed like every other output, sound kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from fauxlab.errors import NoFaceError
from fauxlab.faces import Alignment, Face, align, face_mask, faces_in_video, feather, paste, warp
from fauxlab.faces.align import template_68
from fauxlab.faces.detect import make_backend
from fauxlab.faces.landmarks import Points
from fauxlab.faces.mask import Mask
from fauxlab.media import Frame, probe_video
from fauxlab.media.images import RGBImage
from fauxlab.provenance.context import Provenance
from fauxlab.provenance.seal import ModelInfo, SealedMedia, seal_image, seal_video
from fauxlab.synthesis.faceswap.convert import colour_match
from fauxlab.synthesis.gan.sample import LoadedGenerator

SIZE, MARGIN = 128, 0.25  # the aligned crop the face is pasted through (twice the GAN side)
SOURCE_SIDE = 256  # the generated face is enlarged to this before its landmarks are found
CANDIDATES = 8  # generated faces to try; the one whose face is found most surely is used
SEED = 1
FEATHER = 0.08  # of the crop side, as in `fauxlab swap apply`
# Where the template's inner face sits in a UTKFace crop (what the generator learned to
# draw): scale and offset as fractions of the side, fitted on 58 UTKFace crops. Used when
# no face is found on any candidate (a barely trained generator).
UTKFACE_SCALE, UTKFACE_OFFSET = 0.713, (0.135, 0.155)


@dataclass(frozen=True)
class SourceFace:
    """The generated face, aligned once, with the hull it may be pasted through."""

    crop: RGBImage
    hull: Mask
    image: RGBImage  # the generated face as drawn (enlarged), for the page
    landmarks_from: str  # "detected" or "template"


def _enlarge(face: RGBImage) -> RGBImage:
    side = (SOURCE_SIDE, SOURCE_SIDE)
    return np.asarray(cv2.resize(face, side, interpolation=cv2.INTER_CUBIC), dtype=np.uint8)


def source_face(generator: LoadedGenerator) -> SourceFace:
    """Draw CANDIDATES faces and keep the one whose landmarks are found most surely; the
    template placement of a UTKFace crop stands in when none is found."""
    images = [_enlarge(face) for face in generator.generate(generator.latents(CANDIDATES, SEED))]
    backend = make_backend("mediapipe", video=False, max_faces=1)
    try:
        found = [(faces[0], image) for image in images if (faces := backend.detect(image))]
    finally:
        backend.close()
    landmarks: Points
    if found:
        best, image = max(found, key=lambda pair: pair[0].score)
        landmarks, how = best.landmarks, "detected"
    else:
        image = images[0]
        offset = np.array(UTKFACE_OFFSET, dtype=np.float32)
        landmarks = (template_68() * UTKFACE_SCALE + offset) * SOURCE_SIDE
        how = "template"
    alignment = align(landmarks, SIZE, MARGIN)
    crop = warp(image, alignment)
    hull = face_mask(alignment.to_crop(landmarks), crop.shape, feather_ratio=0.0)
    return SourceFace(crop, hull, image, how)


def replace_face(frame: RGBImage, face: Face, source: SourceFace) -> RGBImage:
    """`source` pasted over `face`: align, colour match inside both hulls, feather, paste."""
    alignment: Alignment = align(face.landmarks, SIZE, MARGIN)
    crop = warp(frame, alignment)
    hull = face_mask(alignment.to_crop(face.landmarks), crop.shape, feather_ratio=0.0)
    region = np.asarray(hull * source.hull, dtype=np.float32)
    matched = colour_match(source.crop, crop, region)
    blend = feather((region > 0.5).astype(np.float32), FEATHER * SIZE)
    return paste(frame, matched, alignment, blend)


def _largest(faces: list[Face]) -> Face | None:
    return max(faces, key=lambda f: f.width * f.height, default=None)


def run_face_part(
    clip: Path, out: Path, generator: LoadedGenerator, provenance: Provenance
) -> tuple[SealedMedia, dict[str, Any]]:
    """Write `out` (sealed mp4 with the clip's sound) and a sealed before/after still
    beside it; return the sealed clip and the numbers for the page."""
    source = source_face(generator)
    info = probe_video(clip)
    counts = {"frames": 0, "replaced": 0}
    before_after: list[RGBImage] = []

    def frames() -> Iterator[Frame]:
        for item in faces_in_video(clip):
            counts["frames"] += 1
            face = _largest(item.faces)
            image = item.image
            if face is not None:
                image = replace_face(image, face, source)
                counts["replaced"] += 1
                if not before_after and item.time >= info.duration / 2:
                    before_after[:] = [item.image, image]
            yield Frame(item.index, item.time, image)
        if counts["replaced"] == 0:  # raised inside the writer: nothing is published
            raise NoFaceError(f"{clip}: no face in any of {counts['frames']} frames")

    model = ModelInfo(f"fauxlab-demo-face-replace/{generator.model_info.name}", generator.sha256)
    sealed = seal_video(
        frames(), info.fps, out, model, [clip], audio_from=clip,
        title="fauxlab demo: the astronaut's face replaced by a GAN face", provenance=provenance,
    )  # fmt: skip
    side = before_after[0].shape[0]
    drawn = cv2.resize(source.image, (side, side), interpolation=cv2.INTER_AREA)
    still = seal_image(
        np.concatenate([drawn, *before_after], axis=1),
        out.with_name(f"{out.stem}_before_after.png"),
        model,
        [clip],
        title="the GAN face, a frame before and after the replacement",
        provenance=provenance,
    )
    facts = {
        "file": out.name,
        "still": still.path.name,
        "frames": counts["frames"],
        "frames_replaced": counts["replaced"],
        "generated_face_landmarks": source.landmarks_from,
        "watermark_id": sealed.watermark_id,
    }
    return sealed, facts
