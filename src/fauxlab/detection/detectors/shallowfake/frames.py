"""One cheap extra pass over a video: tiny greyscale frames, compared with their neighbours.

`AnalysedMedia` keeps pixels of a few keyframes only, but repeated, blended, dropped and
spliced frames show in how *consecutive* frames differ. This pass decodes every frame
again, has FFmpeg scale it to a 64x64 grey thumbnail (cheaper than the RGB conversion the
face pass does), and keeps three numbers per frame, never the pixels.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import av.error
import numpy as np
from av.video.reformatter import VideoReformatter
from numpy.typing import NDArray

from fauxlab.errors import CorruptMediaError, InputError

FloatArray = NDArray[np.float64]

SIDE = 64  # thumbnail side: fine enough for motion, coarse enough to average out codec noise
BINS = 32  # grey-level histogram bins for the scene-change distance


@dataclass(frozen=True)
class FrameSignals:
    """How each frame differs from its neighbours, in grey levels (0-255) of a thumbnail.

    `change[i]` compares frame i with frame i+1 (near 0: a repeated frame). `bend[i]`
    is |f[i] - 2 f[i+1] + f[i+2]|, how far frame i+1 is from the average of its two
    neighbours (low at a regular cadence: blended frames). `histogram_jump[i]` is the L1
    distance (0-2) of the grey histograms of frames i and i+1 (high: a different scene).
    `coding[i]` is how the encoder coded frame i (1 I, 2 P, 3 B, 0 unknown): encoders code
    frame types at different quality, which leaves cycles of their own."""

    times: FloatArray
    change: FloatArray
    bend: FloatArray
    histogram_jump: FloatArray
    seconds: float  # wall time of this pass, for the cost report
    coding: NDArray[np.int8] | None = None

    @property
    def frame_count(self) -> int:
        return len(self.times)


def _thumbnail(scaler: VideoReformatter, frame: Any) -> NDArray[np.float32]:
    # one reformatter for the whole clip, one thread, area averaging: 0.1 ms a frame where
    # a fresh multi-threaded scaler per frame costs 5-30 ms
    grey = scaler.reformat(
        frame, width=SIDE, height=SIDE, format="gray", interpolation="AREA", threads=1
    )
    return np.asarray(grey.to_ndarray(), dtype=np.float32)


def _coding(frame: Any) -> int:
    try:
        return int(frame.pict_type)
    except (TypeError, ValueError):
        return 0


def _histogram(thumb: NDArray[np.float32]) -> FloatArray:
    counts, _ = np.histogram(thumb, bins=BINS, range=(0.0, 256.0))
    return counts.astype(np.float64) / thumb.size


def read_signals(path: Path) -> FrameSignals:
    """Decode `path` once more and measure consecutive-frame differences."""
    start = time.perf_counter()
    times: list[float] = []
    coding: list[int] = []
    change: list[float] = []
    bend: list[float] = []
    jumps: list[float] = []
    before: NDArray[np.float32] | None = None
    last: NDArray[np.float32] | None = None
    last_hist: FloatArray | None = None
    try:
        container = av.open(str(path), metadata_errors="ignore")
    except av.error.FFmpegError as exc:
        raise CorruptMediaError(f"{path}: cannot be opened as video") from exc
    with container:
        if not container.streams.video:
            raise InputError(f"{path}: contains no video stream")
        stream = container.streams.video[0]
        stream.codec_context.thread_type = "AUTO"
        rate = float(stream.average_rate or stream.guessed_rate or 25)
        scaler = VideoReformatter()
        try:
            for frame in container.decode(stream):
                thumb = _thumbnail(scaler, frame)
                hist = _histogram(thumb)
                times.append(float(frame.time) if frame.time is not None else len(times) / rate)
                coding.append(_coding(frame))
                if last is not None and last_hist is not None:
                    change.append(float(np.abs(thumb - last).mean()))
                    jumps.append(float(np.abs(hist - last_hist).sum()))
                    if before is not None:
                        bend.append(float(np.abs(before - 2 * last + thumb).mean()))
                before, last, last_hist = last, thumb, hist
        except av.error.FFmpegError as exc:
            raise CorruptMediaError(f"{path}: video data is corrupt ({exc})") from exc
    if not times:
        raise CorruptMediaError(f"{path}: no frame could be decoded")
    return FrameSignals(
        times=np.asarray(times),
        change=np.asarray(change),
        bend=np.asarray(bend),
        histogram_jump=np.asarray(jumps),
        seconds=time.perf_counter() - start,
        coding=np.asarray(coding, dtype=np.int8),
    )
