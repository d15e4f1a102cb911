"""Run every capability fauxlab has on shippable media and collect what a page shows."""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from fauxlab import __version__
from fauxlab.demo.clip import render_clip
from fauxlab.demo.detect_part import run_detection_part
from fauxlab.demo.face_part import run_face_part
from fauxlab.demo.gan_part import run_gan_part
from fauxlab.demo.page import write_page
from fauxlab.demo.provenance_part import demo_provenance, run_provenance_part
from fauxlab.demo.samples import astronaut
from fauxlab.errors import FauxlabError, NoFaceError, OutputExistsError
from fauxlab.faces import (
    ExtractSettings,
    FaceEmbedder,
    align,
    distance,
    extract_faces,
    eyes_mask,
    face_mask,
    faces_in_image,
    faces_in_video,
    mouth_mask,
    warp,
)
from fauxlab.faces.draw import annotate, contact_sheet
from fauxlab.faces.mask import Mask
from fauxlab.media import Sampling, probe_video, write_image
from fauxlab.media.images import RGBImage

MARKER = ".fauxlab-demo"


@dataclass
class DemoResult:
    out: Path
    page: Path
    facts: dict[str, Any] = field(default_factory=dict)


def prepare_folder(out: Path) -> None:
    """Reuse a folder only if an earlier demo made it; never clear a user's folder."""
    if out.exists() and not out.is_dir():
        raise OutputExistsError(f"{out}: is a file; `out` must be a folder", settings=["out"])
    if out.exists():
        if not (out / MARKER).exists():
            if any(out.iterdir()):
                raise OutputExistsError(
                    f"{out}: exists and was not made by `fauxlab demo`; choose another `out`",
                    settings=["out"],
                )
        else:
            shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text(f"made by fauxlab {__version__} demo; safe to delete\n")


def _overlay(image: RGBImage, mask: Mask, colour: tuple[int, int, int]) -> RGBImage:
    tint = np.zeros_like(image)
    tint[:] = colour
    weight = 0.55 * mask[..., None]
    blended: RGBImage = (image * (1 - weight) + tint * weight).astype(np.uint8)
    return blended


class _Laps:
    """Wall and CPU seconds per part: where the demo's time goes, even on a busy machine."""

    def __init__(self) -> None:
        self.last = (time.perf_counter(), time.process_time())
        self.seconds: dict[str, float] = {}
        self.cpu_seconds: dict[str, float] = {}

    def done(self, part: str) -> None:
        now = (time.perf_counter(), time.process_time())
        self.seconds[part] = round(now[0] - self.last[0], 1)
        self.cpu_seconds[part] = round(now[1] - self.last[1], 1)
        self.last = now


def run_demo(out: Path) -> DemoResult:
    prepare_folder(out)
    facts: dict[str, Any] = {"version": __version__}
    laps = _Laps()

    # 1. a still: detect, landmarks, align, masks, identity
    portrait = astronaut()
    started = time.perf_counter()
    faces = faces_in_image(portrait)
    facts["still_seconds"] = round(time.perf_counter() - started, 3)
    if not faces:
        raise NoFaceError(
            "the demo found no face in skimage's astronaut; the face models are broken"
        )
    face = faces[0]
    write_image(out / "still_annotated.png", annotate(portrait, faces))
    alignment = align(face.landmarks, 256, 0.25)
    crop = warp(portrait, alignment)
    write_image(out / "still_aligned.png", crop)
    in_crop = alignment.to_crop(face.landmarks)
    masks = _overlay(crop, face_mask(in_crop, crop.shape[:2]), (0, 160, 255))
    masks = _overlay(masks, eyes_mask(in_crop, crop.shape[:2]), (255, 60, 60))
    masks = _overlay(masks, mouth_mask(in_crop, crop.shape[:2]), (60, 255, 60))
    write_image(out / "still_masks.png", masks)

    embedder = FaceEmbedder()
    reference = embedder.embed(portrait, face)
    mirrored = np.ascontiguousarray(portrait[:, ::-1])
    smaller = cv2.resize(portrait, (320, 320), interpolation=cv2.INTER_AREA)
    facts["identity"] = {
        name: round(distance(reference, embedder.embed(image, faces_in_image(image)[0])), 3)
        for name, image in (("mirrored", mirrored), ("downscaled", smaller))
    }
    facts["faces_in_still"] = len(faces)

    # 2. a clip with audio: track, extract aligned crops
    clip = render_clip(out / "clip.mp4")
    info = probe_video(clip)
    facts["clip"] = {"seconds": round(info.duration, 2), "fps": info.fps, "audio": info.audio_codec}
    sheet_frames = []
    tracks: set[int] = set()
    found = 0
    selector = Sampling("count", 8).selector(info.duration, info.frame_count)
    for frame in faces_in_video(clip):
        found += bool(frame.faces)
        tracks.update(f.track_id for f in frame.faces)
        if selector.wants(frame.index, frame.time):
            sheet_frames.append(annotate(frame.image, frame.faces, f"t={frame.time:.2f}s"))
    write_image(out / "clip_tracks.png", contact_sheet(sheet_frames))
    facts["clip"]["frames_with_face"] = f"{found}/{info.frame_count}"
    facts["clip"]["tracks"] = len(tracks)
    started = time.perf_counter()
    summary = extract_faces([clip], out / "faces", ExtractSettings(size=128))
    facts["extract"] = {**summary.to_dict(), "seconds": round(time.perf_counter() - started, 2)}
    crops = sorted((out / "faces").glob("*.png"))[
        :: max(1, len(sorted((out / "faces").glob("*.png"))) // 8)
    ][:8]
    write_image(
        out / "clip_crops.png",
        contact_sheet(
            [cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB) for p in crops],
            columns=8,
            width=128,
        ),
    )

    laps.done("faces")

    # 3. provenance: seal a picture, verify it and its relatives
    provenance = demo_provenance(out / "provenance")
    facts["provenance"] = run_provenance_part(out / "provenance", provenance)
    laps.done("provenance")

    # 4. GANs: sealed grids, the samples detection scores, a latent walk
    gan = run_gan_part(out / "gan", provenance)
    facts["gan"] = gan.facts
    laps.done("gan")

    # 5. a face replaced by a GAN face in every frame of the clip, sealed with its sound
    scored = [(out / "detection" / "astronaut.png", "a real photo (no marks)")]
    write_image(scored[0][0], portrait)
    scored.extend(gan.samples)
    if "utkface" in gan.generators:
        try:
            replaced, facts["face_replaced"] = run_face_part(
                clip, out / "face_replaced.mp4", gan.generators["utkface"], provenance
            )
            scored.append((replaced.path, "the clip with a GAN face pasted over the astronaut's"))
        except FauxlabError as exc:
            facts["face_replaced"] = {"error": str(exc)}
    else:
        facts["face_replaced"] = {"error": "the built-in generator utkface is not available"}
    laps.done("face_replaced")

    # 6. detection: content detectors, and separately our marks
    facts["detection"] = run_detection_part(scored, out / "detection", out, provenance)
    laps.done("detection")

    facts["seconds"], facts["cpu_seconds"] = laps.seconds, laps.cpu_seconds
    page = write_page(out, facts)
    return DemoResult(out=out, page=page, facts=facts)
