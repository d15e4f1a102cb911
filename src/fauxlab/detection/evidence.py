"""What every detector returns, and the interface every detector has.

A detector looks at one `AnalysedMedia` (decoded once, faces found once, shared by all
detectors) and answers with `Evidence`: its own calibrated probability that the media is
fake (None when it cannot judge, e.g. no face for a face detector), one sentence a
non-expert can read, JSON-safe numbers, optional per-face scores, and figures a person
can check (charts as SVG, pictures as PNG). Fusion turns the list of Evidence into one
verdict.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Any, Literal, Protocol

from fauxlab.charts import Svg, png_bytes
from fauxlab.detection.analysed import AnalysedMedia
from fauxlab.faces.types import Box
from fauxlab.media.images import RGBImage


class Verdict(StrEnum):
    FAKE = "fake"
    REAL = "real"
    UNCERTAIN = "uncertain"
    NO_FACE = "no face"


@dataclass(frozen=True)
class FaceScore:
    """One face in one frame, as a face-level detector scored it."""

    frame: int
    time: float
    track_id: int
    box: Box
    probability: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "frame": self.frame,
            "time": round(self.time, 3),
            "track_id": self.track_id,
            "box": [round(v, 1) for v in self.box],
            "probability": round(self.probability, 4),
        }


Picture = RGBImage | Svg
Drawing = Callable[[], Picture]
FigureFormat = Literal["png", "svg"]
MEDIA_TYPES: dict[str, str] = {"png": "image/png", "svg": "image/svg+xml"}


@dataclass(frozen=True, eq=False)  # pixels do not compare with ==
class Figure:
    """A picture that backs the evidence: a heatmap overlay (pixels, "png"), or a chart
    such as a timeline or a spectrum (SVG markup, "svg", so its text stays sharp).

    `drawing` is the picture or a function that draws it: figures are drawn only when
    something looks at them (a report, the web page). The JSON lists figures by name and
    format, and drawing plus encoding was about a sixth of a photo's detection time
    (BENCHMARKS.md, "Detection speed"). Pickled (to leave a worker process), a figure is
    drawn first; `undrawn()` keeps only its name, caption and format."""

    name: str
    caption: str
    drawing: Picture | Drawing | None
    format: FigureFormat = "png"

    @cached_property
    def picture(self) -> Picture:
        if self.drawing is None:
            raise ValueError(f"figure {self.name!r} was left undrawn (analysed without figures)")
        drawn = self.drawing() if callable(self.drawing) else self.drawing
        if isinstance(drawn, Svg) != (self.format == "svg"):
            raise TypeError(f"figure {self.name!r} is declared {self.format} but drew otherwise")
        return drawn

    @property
    def image(self) -> RGBImage:
        """The pixels of a "png" figure."""
        picture = self.picture
        if isinstance(picture, Svg):
            raise TypeError(f"figure {self.name!r} is a chart (svg), not pixels")
        return picture

    @property
    def svg(self) -> Svg:
        """The markup of an "svg" figure."""
        picture = self.picture
        if not isinstance(picture, Svg):
            raise TypeError(f"figure {self.name!r} is pixels (png), not a chart")
        return picture

    @cached_property
    def png(self) -> bytes:
        return png_bytes(self.image)

    @property
    def file_name(self) -> str:
        return f"{self.name}.{self.format}"

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.format]

    @property
    def data(self) -> bytes:
        """The figure as a file holds it: PNG bytes or an SVG document."""
        return self.svg.data if self.format == "svg" else self.png

    def undrawn(self) -> Figure:
        return Figure(self.name, self.caption, None, self.format)

    def __reduce__(
        self,
    ) -> tuple[type[Figure], tuple[str, str, Picture | None, FigureFormat]]:
        picture = None if self.drawing is None else self.picture
        return (Figure, (self.name, self.caption, picture, self.format))


@dataclass(frozen=True)
class Edit:
    """An ordinary edit found in a file: a camera cut or a retiming (frame-rate conversion,
    a low-frame-rate source). News, interviews and music videos are full of them, so they
    are reported for a person to check, apart from the probability of manipulation."""

    kind: str  # "cut" or "retiming"
    time: float | None  # seconds into the clip; None for what runs through all of it
    strength: float  # how clearly it was found: 1 = just at the threshold
    sentence: str  # what was measured, for a person

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "time": None if self.time is None else round(self.time, 3),
            "strength": round(self.strength, 2),
            "sentence": self.sentence,
        }


def edits_summary(edits: list[Edit]) -> str:
    """One line a person reads first: "3 cuts, at 4.1, 9.5 and 11.0 s: check ..."."""
    if not edits:
        return ""
    parts: list[str] = []
    cuts = [e for e in edits if e.kind == "cut" and e.time is not None]
    if cuts:
        times = [f"{e.time:.1f}" for e in cuts if e.time is not None]
        at = times[0] if len(times) == 1 else ", ".join(times[:-1]) + " and " + times[-1]
        noun = "cut" if len(cuts) == 1 else "cuts"
        parts.append(f"{len(cuts)} {noun}, at {at} s: check that nothing was removed")
    parts.extend(e.sentence for e in edits if e.kind != "cut")
    return "; ".join(parts) + "."


@dataclass(frozen=True)
class Evidence:
    """One detector's finding about one file.

    `probability` is P(fake) calibrated on held-out data, or None when this detector
    could not judge the file (no face, too short, no audio). `weight` says how much the
    fusion should trust it relative to the others (1 = a full, calibrated detector).
    `decisive` marks evidence that settles the verdict on its own (our own signed
    AI-generated marks)."""

    detector: str
    probability: float | None
    summary: str
    details: dict[str, Any] = field(default_factory=dict)
    faces: list[FaceScore] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    weight: float = 1.0
    decisive: bool = False
    edits: list[Edit] = field(default_factory=list)  # ordinary edits, not evidence of fakery

    def to_dict(self) -> dict[str, Any]:
        return {
            "detector": self.detector,
            "probability": None if self.probability is None else round(self.probability, 4),
            "summary": self.summary,
            "weight": self.weight,
            "decisive": self.decisive,
            "details": self.details,
            "faces": [f.to_dict() for f in self.faces],
            "figures": [
                {"name": f.name, "caption": f.caption, "format": f.format} for f in self.figures
            ],
            "edits": [e.to_dict() for e in self.edits],
        }


class Detector(Protocol):
    """Anything with a name that turns analysed media into evidence."""

    name: str

    def examine(self, media: AnalysedMedia) -> Evidence: ...
