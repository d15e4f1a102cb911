"""Apply a trained swap to an image or a video: align, encode, decode as the other person,
colour-match, blend back. Every output is sealed (watermark, C2PA, ledger).

For each face: the same alignment as training (size and margin from the run) cuts the
crop; the target decoder draws the new face and its mask; the face's colour is matched
to the original crop (mean and std in LAB, inside the mask) and sharpened (unsharp mask);
the mask is intersected with the landmark hull, eroded and feathered, and the face pasted
back through the inverse transform with cubic resampling. In a video the face pipeline
tracks and smooths landmarks over time, and only one track (by default the most
prominent face of the first frame with a face) is swapped. The sound track is copied
from the input.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
from numpy.typing import NDArray

from fauxlab.errors import InputError, NoFaceError, OutputExistsError, SettingError
from fauxlab.faces import Face, FaceOptions, align, face_mask, faces_in_image, feather, paste, warp
from fauxlab.faces.landmarks import Points
from fauxlab.faces.pipeline import faces_in_video
from fauxlab.media import Frame, MediaKind, media_kind, probe_video, read_image
from fauxlab.media.images import RGBImage
from fauxlab.provenance.seal import IMAGE_SUFFIXES, VIDEO_SUFFIXES, seal_image, seal_video
from fauxlab.synthesis.faceswap.runfolder import LoadedRun

Mask = NDArray[np.float32]
# Measured on the d6 -> d10 swaps (BENCHMARKS.md, "Face swap"): identity retrieval +0.03,
# mouth unchanged. A 64 px face is scaled up about four times into the frame.
DEFAULT_SHARPEN = 1.0
DEFAULT_RESAMPLING = cv2.INTER_CUBIC
RESAMPLING = {"linear": cv2.INTER_LINEAR, "cubic": cv2.INTER_CUBIC}  # by the name we record


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
    conversion: dict[str, object] = field(default_factory=dict)  # how faces were drawn

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
    """One loaded run, swapping faces towards identity `to`."""

    def __init__(
        self,
        run: LoadedRun,
        to: str,
        feather_ratio: float = 0.08,
        flip_average: bool = False,
        sharpen: float = DEFAULT_SHARPEN,
        interpolation: int = DEFAULT_RESAMPLING,
    ) -> None:
        if to not in ("a", "b"):
            raise SettingError(f"`to` must be a or b, got {to!r}", settings=["to"])
        if not 0.0 <= sharpen <= 4.0:
            raise SettingError(
                f"`sharpen` must be between 0 and 4, got {sharpen}", settings=["sharpen"]
            )
        self.run, self.to, self.feather_ratio = run, to, feather_ratio
        self.flip_average, self.sharpen, self.interpolation = flip_average, sharpen, interpolation

    def settings(self) -> dict[str, object]:
        """What a reader needs to redo this conversion with the same run."""
        names = {flag: name for name, flag in RESAMPLING.items()}
        return {
            "flip_average": self.flip_average,
            "sharpen": self.sharpen,
            "resampling": names.get(self.interpolation, str(self.interpolation)),
            "feather_ratio": self.feather_ratio,
        }

    @torch.no_grad()
    def decode(self, crop: RGBImage, landmarks: Points) -> tuple[RGBImage, Mask]:
        """The target identity's face and mask (0..1) for one aligned crop of the other
        person, whose landmarks (crop pixels) guide a guided model.

        With `flip_average` the crop and its mirror image are drawn in one batch and
        averaged, the mirror flipped back: training flips half its faces, so both are
        faces the decoder knows, and their mean cancels part of each one's error. Off by
        default: on four runs it was no steady gain (BENCHMARKS.md, "Face swap")."""
        device = next(self.run.model.parameters()).device
        x = torch.from_numpy(crop).permute(2, 0, 1)[None].float().div(255).to(device)
        if self.flip_average:
            x = torch.cat([x, x.flip(3)])
        source = "a" if self.to == "b" else "b"
        guide = self.run.guide_for([landmarks] * len(x), source, self.to)  # mirror-invariant
        rgb, mask = self.run.model(x, self.to, None if guide is None else guide.to(device))
        if self.flip_average:
            rgb, mask = (rgb[:1] + rgb[1:].flip(3)) / 2, (mask[:1] + mask[1:].flip(3)) / 2
        face = (rgb[0].permute(1, 2, 0).cpu().numpy() * 255 + 0.5).clip(0, 255)
        return face.astype(np.uint8), mask[0, 0].cpu().numpy().astype(np.float32)

    def swap(self, image: RGBImage, face: Face) -> RGBImage:
        info = self.run.info
        alignment = align(face.landmarks, info.size, info.margin)
        crop = warp(image, alignment)
        points = alignment.to_crop(face.landmarks)
        new_face, predicted = self.decode(crop, points)
        hull = face_mask(points, crop.shape, feather_ratio=0.0)
        region = predicted * hull
        new_face = unsharp(colour_match(new_face, crop, region), self.sharpen)
        blend = feather((region > 0.5).astype(np.float32), self.feather_ratio * info.size)
        return paste(image, new_face, alignment, blend, self.interpolation)


def unsharp(face: RGBImage, amount: float, sigma: float = 1.0) -> RGBImage:
    """Unsharp mask: add back `amount` times the detail a Gaussian blur takes away. A decoder
    draws soft edges; crisper lips and eyelids read as what they are once the crop is
    scaled up to the frame."""
    if amount <= 0:
        return face
    original = face.astype(np.float32)
    blurred = cv2.GaussianBlur(original, (0, 0), sigma)
    sharp = original * (1 + amount) - blurred * amount
    result: RGBImage = np.clip(sharp + 0.5, 0, 255).astype(np.uint8)
    return result


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
    flip_average: bool = False,
    sharpen: float = DEFAULT_SHARPEN,
    interpolation: int = DEFAULT_RESAMPLING,
) -> ApplySummary:
    """Swap the chosen face of `source` (image or video) into `out`, sealed;
    `progress` hears the number of frames done."""
    swapper = Swapper(
        run, to, flip_average=flip_average, sharpen=sharpen, interpolation=interpolation
    )
    kind = media_kind(source)
    if kind is MediaKind.IMAGE:
        return _apply_image(swapper, source, out, track)
    return _apply_video(swapper, source, out, track, progress)


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
        list(range(len(faces))), sealed.to_dict(), swapper.settings(),
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
    summary = ApplySummary(
        str(source), str(out), swapper.to, "video", track=track, conversion=swapper.settings()
    )
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
