"""Which frames of a video to look at: all, every n-th, n spread evenly, or a fixed rate."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

SamplingMode = Literal["all", "every", "count", "fps"]
_MODES: tuple[SamplingMode, ...] = ("all", "every", "count", "fps")
_EPSILON = 1e-6  # seconds: absorbs rounding in timestamps converted from a time base


@dataclass(frozen=True)
class Sampling:
    """A frame-selection rule; `value` is n for "every"/"count" and a rate for "fps"."""

    mode: SamplingMode = "all"
    value: float = 1.0

    def __post_init__(self) -> None:
        if self.mode not in _MODES:
            raise ValueError(f"unknown sampling mode {self.mode!r}")
        if self.mode == "all":
            return
        if not math.isfinite(self.value) or self.value <= 0:
            raise ValueError(f"sampling {self.mode} needs a positive value, got {self.value}")
        if self.mode in ("every", "count") and self.value != int(self.value):
            raise ValueError(f"sampling {self.mode} needs a whole number, got {self.value}")

    @classmethod
    def parse(cls, text: str) -> Sampling:
        """Parse the CLI form: "all", "every:5", "count:32" or "fps:2"."""
        mode, sep, value = text.strip().lower().partition(":")
        try:
            if mode == "all":
                if sep:
                    raise ValueError("'all' takes no value")
                return cls()
            if mode not in _MODES:
                raise ValueError(f"unknown mode {mode!r}")
            return cls(mode, float(value))
        except ValueError as exc:
            raise ValueError(
                f"bad sampling {text!r}: use all, every:N, count:N or fps:F ({exc})"
            ) from exc

    def __str__(self) -> str:
        if self.mode == "all":
            return "all"
        if self.mode == "fps":
            return f"fps:{self.value:g}"
        return f"{self.mode}:{int(self.value)}"

    def selector(
        self, duration: float | None = None, frame_count: int | None = None
    ) -> FrameSelector:
        return FrameSelector(self, duration, frame_count)


class FrameSelector:
    """Stateful decision, frame by frame, in presentation order, so nothing needs a second pass.

    "count" needs to know how long the video is: by its frame count (exact: the n frames
    at the centres of n equal slices of the frame indices) or, failing that, by its
    duration (the first frame at or after the centre of each of n equal time slices).
    """

    def __init__(
        self, sampling: Sampling, duration: float | None = None, frame_count: int | None = None
    ) -> None:
        self.sampling = sampling
        self._next_time: float | None = None
        self._taken = 0
        self._indices: list[int] | None = None
        self._offsets: list[float] = []
        self._origin: float | None = None
        if sampling.mode != "count":
            return
        n = int(sampling.value)
        if frame_count is not None and frame_count > 0:
            if n >= frame_count:
                self._indices = list(range(frame_count))
            else:
                self._indices = [math.floor((k + 0.5) * frame_count / n) for k in range(n)]
        elif duration is not None and math.isfinite(duration) and duration > 0:
            self._offsets = [(k + 0.5) * duration / n for k in range(n)]
        else:
            raise ValueError("sampling count:N needs the video's frame count or its duration")

    @property
    def target(self) -> int | None:
        """How many frames the rule asks for in all, where that is fixed ("count")."""
        if self.sampling.mode != "count":
            return None
        return len(self._indices) if self._indices is not None else len(self._offsets)

    def wants(self, index: int, time: float) -> bool:
        mode = self.sampling.mode
        if mode == "all":
            return True
        if mode == "every":
            return index % int(self.sampling.value) == 0
        if mode == "fps":
            return self._wants_rate(time)
        if self._indices is not None:
            if self._taken < len(self._indices) and index >= self._indices[self._taken]:
                while self._taken < len(self._indices) and self._indices[self._taken] <= index:
                    self._taken += 1
                return True
            return False
        return self._wants_offset(time)

    def _wants_rate(self, time: float) -> bool:
        # a grid of 1/rate seconds anchored at the first frame: keep the first frame at or
        # after each grid point, and skip the points a gap in the video jumped over
        step = 1.0 / self.sampling.value
        if self._next_time is None:
            self._next_time = time
        if time + _EPSILON < self._next_time:
            return False
        skipped = math.floor((time + _EPSILON - self._next_time) / step)
        self._next_time += (skipped + 1) * step
        return True

    def _wants_offset(self, time: float) -> bool:
        if self._origin is None:
            self._origin = time
        elapsed = time - self._origin
        if self._taken >= len(self._offsets) or elapsed + _EPSILON < self._offsets[self._taken]:
            return False
        while self._taken < len(self._offsets) and self._offsets[self._taken] <= elapsed + _EPSILON:
            self._taken += 1
        return True
