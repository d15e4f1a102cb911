"""What a frame cadence means: a speed change, an ordinary frame-rate conversion, or neither.

Frame-rate conversions leave cadences too (25 to 30 fps repeats one frame in six, 30 to
25 drops one in six), so a cadence is read through the frame rate it implies for the
source: a cadence of r source frames per output frame at F fps implies a source at r*F.
- r*F is a camera rate (24, 25, 30, 50, 60 and their 1000/1001 kin): a frame-rate
  conversion. Nothing to see.
- r*F is a camera rate times a preset editing speed (0.75x of 30 fps is 22.5): a speed
  change, reported with its speed.
- neither (22.1 fps, say): an unusual source, such as a screen recorder's own rate, or an
  unusual speed. Reported as a weak hint.
"""

from __future__ import annotations

from dataclasses import dataclass

from fauxlab.detection.detectors.shallowfake.cadence import Pattern, Repeats

CAMERA_RATES = (23.976, 24.0, 25.0, 29.97, 30.0, 47.952, 48.0, 50.0, 59.94, 60.0)
# Speeds editors offer as presets. 12 and 15 fps are not camera rates here on purpose:
# every frame shown twice reads as 0.5x, not as a 15 fps webcam.
EDIT_SPEEDS = (0.5, 0.75, 0.8, 0.9, 1.25, 1.5)
RATE_TOLERANCE = 0.004  # relative; cadences give exact ratios, this absorbs 1000/1001
# Repeats: at least this many, this share of moving frame pairs, this regular (Rayleigh's
# R; scattered repeats from dropped camera frames stay below 0.5).
MIN_REPEATS, MIN_REPEAT_SHARE, MIN_REGULARITY = 6, 0.04, 0.5
# Cycles of drops or blends: the cycle must explain this share of the detrended frame
# differences, with this significance (log10 p). The shared real clips' encoder cycles
# (B-frame quality steps) explain at most 0.10.
MIN_EXPLAINED, MAX_LOG10_P = 0.14, -5.0
CLEAR_SKEW = 0.15  # log units; dropped frames gave 0.07-0.45, blends under 0.05

SPEED_CHANGE, CONVERSION, UNUSUAL, LOW_RATE, NONE = (
    "speed change",
    "frame-rate conversion",
    "unusual cadence",
    "low-frame-rate source",
    "none",
)


@dataclass(frozen=True)
class SpeedFinding:
    """One reading of the frame cadence."""

    kind: str  # SPEED_CHANGE, CONVERSION, UNUSUAL or NONE
    seen: str  # what the cadence is made of, for a person
    source_fps: float | None = None  # frame rate the cadence implies for the source
    camera_fps: float | None = None  # the camera rate behind it
    speed: float | None = None  # playback speed against camera_fps footage
    strength: float = 0.0  # 0 to 1: how clear the cadence is
    other_speed: float | None = None  # a speed the other side of 1x that fits as well

    def sentence(self) -> str:
        if self.kind == SPEED_CHANGE and self.speed is not None:
            other = f" (or {self.other_speed:g}x)" if self.other_speed is not None else ""
            return (
                f"{self.seen}, so the frames come from a {self.source_fps:.2f} fps source: "
                f"{self.speed:g}x{other} the speed of {self.camera_fps:g} fps footage"
            )
        if self.kind == CONVERSION:
            return f"{self.seen}: an ordinary frame-rate conversion from {self.camera_fps:g} fps"
        if self.kind == LOW_RATE:
            return (
                f"{self.seen}: a {self.source_fps:.2f} fps source (animation, generated video "
                "or a webcam) shown at twice its rate; the voice keeps its natural pace, so "
                "this is not a 0.5x slow-down"
            )
        if self.kind == UNUSUAL:
            return (
                f"{self.seen}, so the frames come from a {self.source_fps:.2f} fps source, "
                "neither a camera rate nor a preset speed of one (a screen recorder's own "
                "rate, or an unusual speed)"
            )
        return self.seen


def camera_rate(rate: float) -> float | None:
    """The camera rate `rate` is, within RATE_TOLERANCE, else None."""
    best = min(CAMERA_RATES, key=lambda c: abs(rate / c - 1))
    return best if abs(rate / best - 1) <= RATE_TOLERANCE else None


def edited_rate(rate: float, fps: float) -> tuple[float, float] | None:
    """(camera rate, speed) with camera rate x speed = `rate`, if any. Where several fit
    (37.5 is 1.25x of 30 and 0.75x of 50), footage at the clip's own rate `fps` wins:
    editors export at the rate they were given."""
    fits = [
        (found, speed) for speed in EDIT_SPEEDS if (found := camera_rate(rate / speed)) is not None
    ]
    own = camera_rate(fps)
    return min(fits, key=lambda f: (f[0] != own, abs(f[1] - 1)), default=None)


def explain(
    fps: float, ratios: list[float], seen: str, strength: float, both_ways: bool = False
) -> SpeedFinding:
    """Read candidate ratios (source frames per output frame), most likely first, as
    conversion, speed change or neither, in that order: the innocent reading wins when
    both fit. `both_ways`: the cadence cannot tell slower from faster, so a speed change
    names the best reading on the other side of 1x too."""
    sources = [fps * r for r in ratios if r > 0]
    for source in sources:
        found = camera_rate(source)
        if found is not None:
            return SpeedFinding(CONVERSION, seen, source, found, 1.0, strength)
    edits = [(source, edit) for source in sources if (edit := edited_rate(source, fps))]
    if not edits:
        return SpeedFinding(UNUSUAL, seen, sources[0] if sources else None, strength=strength)
    source, (camera, speed) = edits[0]
    other = next((e[1] for _, e in edits if (e[1] > 1) != (speed > 1)), None)
    return SpeedFinding(
        SPEED_CHANGE, seen, source, camera, speed, strength, other if both_ways else None
    )


def from_repeats(repeats: Repeats, fps: float) -> SpeedFinding:
    """A regular cadence of repeated frames: r = 1 - 1/spacing source frames per frame."""
    if (
        len(repeats.indices) < MIN_REPEATS
        or repeats.fraction < MIN_REPEAT_SHARE
        or repeats.spacing is None
        or repeats.regularity < MIN_REGULARITY
    ):
        return SpeedFinding(NONE, "no regular cadence of repeated frames")
    seen = f"one frame in {repeats.spacing:.2f} repeats the one before it"
    strength = min(1.0, (repeats.regularity - MIN_REGULARITY) / 0.4) * min(
        1.0, len(repeats.indices) / 12
    )
    return explain(fps, [1 - 1 / repeats.spacing], seen, strength)


def from_pattern(pattern: Pattern | None, fps: float) -> SpeedFinding:
    """A cycle of P frames with harmonic f: r is k - f or k + f source frames per frame."""
    if pattern is None or pattern.explained < MIN_EXPLAINED or pattern.log10_p > MAX_LOG10_P:
        return SpeedFinding(NONE, "no cycle of dropped or blended frames")
    seen = (
        f"the differences between frames repeat in a {pattern.period}-frame cycle "
        f"({100 * pattern.explained:.0f}% of their variation), as dropped or blended frames do"
    )
    # one phase changing much more than the rest is a dropped frame (faster), much less a
    # repeated one (slower); blends change evenly and leave the direction open
    signs = (1, -1) if pattern.skew > 0 else (-1, 1)
    ratios = [k + s * f for s in signs for f in pattern.frequencies for k in (1, 2)]
    strength = min(1.0, (pattern.explained - MIN_EXPLAINED) / 0.2)
    return explain(fps, ratios, seen, strength, both_ways=abs(pattern.skew) < CLEAR_SKEW)


def with_voice(finding: SpeedFinding, voice_natural: bool) -> SpeedFinding:
    """Every frame shown twice reads as 0.5x, or as a source at half a camera rate (15 fps
    in a 30 fps file: animation, generated video, webcams). A voice at its natural pitch
    and pace settles it for the latter: slowing a clip slows its sound or leaves the sound
    too long for the picture (a metadata contradiction)."""
    if finding.kind == SPEED_CHANGE and finding.speed == 0.5 and voice_natural:
        return SpeedFinding(LOW_RATE, finding.seen, finding.source_fps, strength=finding.strength)
    return finding
