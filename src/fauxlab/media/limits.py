"""Process-wide ceilings on what a decoder may be asked to do.

Every reader takes its own `max_pixels`; a process that decodes files from strangers (a
`fauxlab serve` worker) also sets ceilings here, once, which apply on top of whatever a
caller asks for: a pixel count no frame may pass, and a duration and frame count no video
may pass, checked against the header *and* again while decoding (a header can lie).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MediaLimits:
    """None: no ceiling beyond the caller's own (the command line's default)."""

    max_pixels: int | None = None
    max_seconds: float | None = None
    max_frames: int | None = None


_current = MediaLimits()


def set_media_limits(limits: MediaLimits) -> None:
    """Set this process's ceilings (a server worker does, before its first file)."""
    global _current
    _current = limits


def media_limits() -> MediaLimits:
    return _current


def pixel_limit(requested: int) -> int:
    """The smaller of the caller's pixel limit and this process's ceiling."""
    ceiling = _current.max_pixels
    return requested if ceiling is None else min(requested, ceiling)
