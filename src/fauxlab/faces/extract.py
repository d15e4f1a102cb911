"""`fauxlab faces extract`: aligned face crops plus a `faces.jsonl` index, resumable.

The output folder holds one PNG per face and `faces.jsonl`, one JSON record per line:
  {"type": "settings", ...}   the crop size, margin, backend; a later run must match it
  {"type": "face", ...}       a crop: its file, source, frame, time, box, landmarks, transform
  {"type": "source", ...}     a finished source file, with its frame and face counts
Face ids are derived from the source's content hash, frame and track, so a second run
skips finished sources, rewrites no face it already has, and a crash loses at most the
line being written (a torn last line is dropped on resume).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from fauxlab.errors import FauxlabError, OutputExistsError
from fauxlab.faces.align import align, warp
from fauxlab.faces.pipeline import FaceOptions, faces_in_file
from fauxlab.fileio import sha256_file
from fauxlab.media import Sampling
from fauxlab.media.images import DEFAULT_MAX_PIXELS, RGBImage

INDEX_NAME = "faces.jsonl"
Progress = Callable[[Path, int], None]  # (source, frames seen so far)


@dataclass(frozen=True)
class ExtractSettings:
    size: int = 256
    margin: float = 0.25
    backend: str = "mediapipe"
    max_faces: int = 2
    track: bool = True


@dataclass
class ExtractSummary:
    out: str
    sources: int = 0
    sources_already_done: int = 0
    sources_without_face: list[str] = field(default_factory=list)
    frames: int = 0
    faces_written: int = 0
    faces_already_present: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Index:
    """The jsonl index: what is already done, and appending one durable line at a time."""

    def __init__(self, folder: Path, settings: ExtractSettings) -> None:
        self.path = folder / INDEX_NAME
        self.face_ids: set[str] = set()
        self.done_sources: set[str] = set()
        if folder.exists() and not folder.is_dir():
            raise OutputExistsError(
                f"{folder}: is a file; `out` must be a folder", settings=["out"]
            )
        if self.path.exists():
            self._load(settings)
        else:
            if folder.exists() and any(folder.iterdir()):
                raise OutputExistsError(
                    f"{folder}: exists and is not a fauxlab faces folder (no {INDEX_NAME}); "
                    "choose an empty or new `out`",
                    settings=["out"],
                )
            folder.mkdir(parents=True, exist_ok=True)
            self.append({"type": "settings", **asdict(settings)})

    def _load(self, settings: ExtractSettings) -> None:
        raw = self.path.read_bytes()
        complete, _, torn = raw.rpartition(b"\n")
        if torn:  # killed mid-line: drop the fragment so the file is valid jsonl again
            with self.path.open("r+b") as handle:
                handle.truncate(len(complete) + 1 if complete else 0)
        for number, line in enumerate(complete.decode().splitlines(), 1):
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise FauxlabError(
                    f"{self.path}:{number}: not valid JSON; the index is damaged"
                ) from exc
            kind = record.get("type")
            if kind == "settings":
                saved = {k: record.get(k) for k in asdict(settings)}
                if saved != asdict(settings):
                    raise FauxlabError(
                        f"{self.path.parent} was made with {saved}; this run asks for "
                        f"{asdict(settings)}. Use those options to resume, or another `out`",
                        settings=["out"],
                    )
            elif kind == "face":
                self.face_ids.add(record["id"])
            elif kind == "source":
                self.done_sources.add(record["sha256"])

    def append(self, record: dict[str, Any], durable: bool = False) -> None:
        """One line, flushed to the OS (survives the process being killed); `durable`
        also fsyncs (survives power loss), done once per finished source for speed."""
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, separators=(",", ":")) + "\n")
            handle.flush()
            if durable:
                os.fsync(handle.fileno())


def _write_png(path: Path, rgb: RGBImage) -> None:
    partial = path.with_name(f".{path.stem}.partial.png")
    if not cv2.imwrite(str(partial), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR),
                       [cv2.IMWRITE_PNG_COMPRESSION, 1]):  # fmt: skip
        raise FauxlabError(f"{path}: could not be written (disk full or no permission?)")
    partial.replace(path)


def extract_faces(
    sources: list[Path],
    out: Path,
    settings: ExtractSettings | None = None,
    sampling: Sampling | None = None,
    progress: Progress | None = None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> ExtractSummary:
    """Align every face of every source into `out`, continuing any earlier run there."""
    settings = settings or ExtractSettings()
    index = _Index(out, settings)
    summary = ExtractSummary(out=str(out))
    options = FaceOptions(
        backend=settings.backend,
        max_faces=settings.max_faces,
        track=settings.track,
        max_pixels=max_pixels,
    )
    # One writer thread encodes PNGs and appends index lines in order (PNG first, then its
    # line), overlapping disk work with detection on the other core.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="faces-writer") as writer:
        for source in sources:
            _extract_source(
                source, out, settings, sampling, options, index, summary, writer, progress
            )
    return summary


def _extract_source(
    source: Path,
    out: Path,
    settings: ExtractSettings,
    sampling: Sampling | None,
    options: FaceOptions,
    index: _Index,
    summary: ExtractSummary,
    writer: ThreadPoolExecutor,
    progress: Progress | None,
) -> None:
    summary.sources += 1
    digest = sha256_file(source)
    if digest in index.done_sources:
        summary.sources_already_done += 1
        return
    pending: list[Future[None]] = []
    frames = faces_found = 0
    for frame in faces_in_file(source, sampling, options):
        frames += 1
        for face in frame.faces:
            faces_found += 1
            face_id = f"{source.stem}-{digest[:8]}_f{frame.index:06d}_t{max(face.track_id, 0)}"
            if face_id in index.face_ids:
                summary.faces_already_present += 1
                continue
            alignment = align(face.landmarks, settings.size, settings.margin)
            record = {
                "type": "face",
                "id": face_id,
                "file": f"{face_id}.png",
                "source": str(source),
                "source_sha256": digest,
                "frame": frame.index,
                "time": round(frame.time, 4),
                "track_id": face.track_id,
                "box": [round(v, 2) for v in face.box],
                "score": round(face.score, 4),
                "landmarks": np.round(face.landmarks, 2).tolist(),
                "aligned_landmarks": np.round(alignment.to_crop(face.landmarks), 2).tolist(),
                "transform": alignment.to_list(),
            }
            crop = warp(frame.image, alignment)
            pending.append(writer.submit(_write_face, out / record["file"], crop, index, record))
            index.face_ids.add(face_id)
            summary.faces_written += 1
        if progress is not None:
            progress(source, frames)
        pending = _raise_failures(pending)
    for future in pending:
        future.result()
    summary.frames += frames
    if faces_found == 0:
        summary.sources_without_face.append(str(source))
    index.append(
        {"type": "source", "source": str(source), "sha256": digest, "frames": frames,
         "faces": faces_found, "status": "done" if faces_found else "no_face"},
        durable=True,
    )  # fmt: skip
    index.done_sources.add(digest)


def _write_face(path: Path, crop: RGBImage, index: _Index, record: dict[str, Any]) -> None:
    _write_png(path, crop)
    index.append(record)


def _raise_failures(pending: list[Future[None]]) -> list[Future[None]]:
    """Surface a writer error (disk full...) promptly; keep the futures still running."""
    still = []
    for future in pending:
        if future.done():
            future.result()
        else:
            still.append(future)
    return still


def read_index(folder: Path) -> list[dict[str, Any]]:
    """The face records of an extraction folder, for the tools that train on it."""
    path = folder / INDEX_NAME
    if not path.is_file():
        raise FauxlabError(f"{folder}: no {INDEX_NAME}; make it with `fauxlab faces extract`")
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue  # a torn last line from an interrupted run
        if record.get("type") == "face":
            records.append(record)
    return records
