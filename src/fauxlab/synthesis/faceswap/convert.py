"""Apply a trained swap to an image or a video: align, encode, decode as the other person,
colour-match, blend back. Every output is sealed (watermark, C2PA, ledger).

For each face: the same alignment as training (size and margin from the run) cuts the
crop; the target decoder draws the new face and its mask (a guided run's mouth steered
until it opens as wanted, steer.py); the face's colour is matched
to the original crop (mean and std in LAB, inside the mask); the mask is intersected
with the landmark hull, eroded and feathered, and the face pasted back through the
inverse transform. In a video the face pipeline tracks and smooths landmarks over time,
and only one track (by default the most prominent face of the first frame with a face)
is swapped. The sound track is copied from the input.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
from numpy.typing import NDArray

from fauxlab.errors import InputError, NoFaceError, OutputExistsError
from fauxlab.faces import Face, FaceOptions, align, face_mask, faces_in_image, feather, paste, warp
from fauxlab.faces.landmarks import Points
from fauxlab.faces.pipeline import faces_in_video
from fauxlab.media import Frame, MediaKind, media_kind, probe_video, read_image
from fauxlab.media.images import RGBImage
from fauxlab.provenance.seal import IMAGE_SUFFIXES, VIDEO_SUFFIXES, seal_image, seal_video
from fauxlab.synthesis.faceswap.guide import Guides, normalise
from fauxlab.synthesis.faceswap.runfolder import LoadedRun
from fauxlab.synthesis.faceswap.steer import MouthMeter, MouthSteering

Mask = NDArray[np.float32]


@dataclass
class ApplySummary:
    input: str
    output: str
    to: str
    kind: str
    frames: int = 0
    frames_swapped: int = 0
    track: int | None = None
    tracks_seen: list[int] = field(default_factory=list)
    sealed: dict[str, object] = field(default_factory=dict)
    mouth_steering: bool = False
    mean_mouth_correction: float | None = None  # steered minus transferred guide, mean |.|

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def colour_match(face: RGBImage, reference: RGBImage, region: Mask) -> RGBImage:
    """Shift `face`'s LAB mean and std inside `region` to those of `reference`."""
    inside = region > 0.5
    if inside.sum() < 16:
        return face
    src = cv2.cvtColor(face, cv2.COLOR_RGB2LAB).astype(np.float32)
    ref = cv2.cvtColor(reference, cv2.COLOR_RGB2LAB).astype(np.float32)
    src_mean, src_std = src[inside].mean(0), src[inside].std(0) + 1e-3
    ref_mean, ref_std = ref[inside].mean(0), ref[inside].std(0) + 1e-3
    matched = (src - src_mean) / src_std * ref_std + ref_mean
    lab = np.clip(matched + 0.5, 0, 255).astype(np.uint8)
    return np.asarray(cv2.cvtColor(lab, cv2.COLOR_LAB2RGB), dtype=np.uint8)


class Swapper:
    """One loaded run, swapping faces towards identity `to`; a guided run's mouth is
    steered (steer.py) unless `steer` is off."""

    def __init__(
        self, run: LoadedRun, to: str, feather_ratio: float = 0.08, steer: bool = True
    ) -> None:
        if to not in ("a", "b"):
            raise InputError(f"--to must be a or b, got {to!r}")
        self.run, self.to, self.feather_ratio = run, to, feather_ratio
        self._meter: MouthMeter | None = None
        self.steering: MouthSteering | None = None
        if steer and run.info.guided:
            self._meter = MouthMeter()
            self.steering = MouthSteering(run.info.guides[to][0], self._meter)
        self.corrections: list[float] = []  # steered minus transferred mouth guide, per face

    def _draw(self, crop: torch.Tensor, values: Guides | None) -> tuple[torch.Tensor, Mask]:
        """Decode one crop (1 x 3 x S x S) once per row of `values` (once when unguided)."""
        device = next(self.run.model.parameters()).device
        if values is None:
            rgb, mask = self.run.model(crop.to(device), self.to, None)
        else:
            guide = torch.from_numpy(normalise(values)).to(device)
            batch = crop.expand(len(values), -1, -1, -1).to(device)
            rgb, mask = self.run.model(batch, self.to, guide)
        return rgb.cpu(), mask[:, 0].cpu().numpy().astype(np.float32)

    @torch.no_grad()
    def decode(self, crop: RGBImage, landmarks: Points) -> tuple[RGBImage, Mask]:
        """The target identity's face and mask (0..1) for one aligned crop of the other
        person, whose landmarks (crop pixels) guide a guided model."""
        x = torch.from_numpy(crop).permute(2, 0, 1)[None].float().div(255)
        source = "a" if self.to == "b" else "b"
        values = self.run.guide_values([landmarks], source, self.to)
        if values is not None and self.steering is not None:
            values = self._steer(x, values, self.steering)
        rgb, mask = self._draw(x, values)
        return _to_uint8(rgb[0]), mask[0]

    def _steer(self, crop: torch.Tensor, values: Guides, steering: MouthSteering) -> Guides:
        """`values` with the mouth guide that draws the transferred opening."""
        wanted = float(values[0, 0])

        def render(mouths: Sequence[float]) -> list[RGBImage]:
            rows = np.repeat(values, len(mouths), axis=0)
            rows[:, 0] = mouths
            return [_to_uint8(face) for face in self._draw(crop, rows)[0]]

        steered = values.copy()
        steered[0, 0] = steering(wanted, render)
        self.corrections.append(float(steered[0, 0]) - wanted)
        return steered

    def close(self) -> None:
        if self._meter is not None:
            self._meter.close()

    def swap(self, image: RGBImage, face: Face) -> RGBImage:
        info = self.run.info
        alignment = align(face.landmarks, info.size, info.margin)
        crop = warp(image, alignment)
        points = alignment.to_crop(face.landmarks)
        new_face, predicted = self.decode(crop, points)
        hull = face_mask(points, crop.shape, feather_ratio=0.0)
        region = predicted * hull
        new_face = colour_match(new_face, crop, region)
        blend = feather((region > 0.5).astype(np.float32), self.feather_ratio * info.size)
        return paste(image, new_face, alignment, blend)


def _to_uint8(face: torch.Tensor) -> RGBImage:
    """3 x S x S float 0..1 -> S x S x 3 uint8."""
    return np.asarray((face.permute(1, 2, 0).numpy() * 255 + 0.5).clip(0, 255), np.uint8)


def _area(face: Face) -> float:
    return face.width * face.height


def _check_out(out: Path, suffixes: tuple[str, ...]) -> None:
    if out.exists():
        raise OutputExistsError(f"{out}: already exists; choose another path or remove it first")
    if out.suffix.lower() not in suffixes:
        raise InputError(f"{out}: the output must end in {', '.join(suffixes)}")


def apply_swap(
    run: LoadedRun,
    source: Path,
    out: Path,
    to: str = "b",
    track: int | None = None,
    progress: Callable[[int], None] | None = None,
    steer: bool = True,
) -> ApplySummary:
    """Swap the chosen face of `source` (image or video) into `out`, sealed;
    `progress` hears the number of frames done; `steer` closes the loop on a guided
    run's mouth (steer.py)."""
    swapper = Swapper(run, to, steer=steer)
    try:
        if media_kind(source) is MediaKind.IMAGE:
            summary = _apply_image(swapper, source, out, track)
        else:
            summary = _apply_video(swapper, source, out, track, progress)
    finally:
        swapper.close()
    summary.mouth_steering = swapper.steering is not None
    if swapper.corrections:
        summary.mean_mouth_correction = round(float(np.mean(np.abs(swapper.corrections))), 4)
    return summary


def _apply_image(swapper: Swapper, source: Path, out: Path, track: int | None) -> ApplySummary:
    """For a still, `track` counts faces from the largest (0)."""
    _check_out(out, IMAGE_SUFFIXES)
    image = read_image(source)
    faces = sorted(faces_in_image(image), key=_area, reverse=True)
    if not faces:
        raise NoFaceError(f"{source}: no face found; nothing to swap")
    number = track or 0
    if number >= len(faces):
        raise InputError(f"{source}: face {number} asked for, but only {len(faces)} found")
    result = swapper.swap(image, faces[number])
    sealed = seal_image(result, out, swapper.run.model_info(), [source], title=out.stem)
    return ApplySummary(
        str(source), str(out), swapper.to, "image", 1, 1, number,
        list(range(len(faces))), sealed.to_dict(),
    )  # fmt: skip


def _apply_video(
    swapper: Swapper,
    source: Path,
    out: Path,
    track: int | None,
    progress: Callable[[int], None] | None,
) -> ApplySummary:
    _check_out(out, VIDEO_SUFFIXES)
    info = probe_video(source)
    summary = ApplySummary(str(source), str(out), swapper.to, "video", track=track)
    seen: set[int] = set()

    def frames() -> Iterator[Frame]:
        for frame in faces_in_video(source, None, FaceOptions(max_faces=4)):
            summary.frames += 1
            seen.update(f.track_id for f in frame.faces)
            if summary.track is None and frame.faces:
                summary.track = max(frame.faces, key=_area).track_id
            chosen = [f for f in frame.faces if f.track_id == summary.track]
            image = frame.image
            if chosen:
                image = swapper.swap(image, chosen[0])
                summary.frames_swapped += 1
            yield Frame(frame.index, frame.time, image)
            if progress is not None:
                progress(summary.frames)
        if summary.frames_swapped == 0:  # raised inside the writer: nothing is published
            if not seen:
                raise NoFaceError(f"{source}: no face in any of {summary.frames} frames")
            raise InputError(f"{source}: track {track} never appears; tracks seen: {sorted(seen)}")

    sealed = seal_video(
        frames(), info.fps, out, swapper.run.model_info(), [source],
        audio_from=source, title=out.stem,
    )  # fmt: skip
    summary.tracks_seen = sorted(seen)
    summary.sealed = sealed.to_dict()
    return summary
