"""From findings to one probability and one sentence.

Each sub-check gives its own probability that the clip was edited, and they combine as
independent alarms (noisy-OR): P = 1 - (1 - BASE) * prod(1 - p_i). The numbers were set
so that the shared real clips stay low and the speed-changed and spliced versions the
tests make come out high (docs/shallowfakes.md has the scores):
- a speed change read from the frame cadence: 0.6 to 0.95 with the cadence's clarity;
- an unusual cadence (a source rate that is neither a camera rate nor a preset speed of
  one) or a low-frame-rate source: 0.1 to 0.2, a hint below the uncertain band;
- a jump cut (the face jumps while the picture around it stays): 0.5 to 0.7. Camera cuts,
  where the whole picture changes, are ordinary editing: they are reported as edits and
  add nothing here (news, interviews and music videos are full of them);
- each contradiction in the metadata: 0.55;
- motion and voice outside their normal ranges: hints, together at most 0.4, so they
  cannot flag a clip on their own (people differ more than a speed change moves them).
"""

from __future__ import annotations

from dataclasses import dataclass

from fauxlab.detection.detectors.shallowfake.cuts import Cut
from fauxlab.detection.detectors.shallowfake.metadata import Metadata
from fauxlab.detection.detectors.shallowfake.motion import Motion
from fauxlab.detection.detectors.shallowfake.speed import (
    LOW_RATE,
    SPEED_CHANGE,
    UNUSUAL,
    SpeedFinding,
)
from fauxlab.detection.detectors.shallowfake.voice import Voice

BASE = 0.02
HINTS_CAP = 0.4


@dataclass(frozen=True)
class Part:
    """One sub-check's share of the verdict."""

    name: str
    probability: float
    sentence: str  # what it found, for a person, "" when nothing
    lead: str = ""  # how the summary introduces it


def _noisy_or(values: list[float]) -> float:
    keep = 1.0
    for v in values:
        keep *= 1.0 - v
    return 1.0 - keep


def speed_part(finding: SpeedFinding) -> Part:
    if finding.kind == SPEED_CHANGE:
        p = 0.6 + 0.35 * finding.strength
        return Part("playback_speed", p, finding.sentence(), "The playback speed looks changed")
    if finding.kind in (UNUSUAL, LOW_RATE):
        p = 0.1 + 0.1 * finding.strength
        return Part("playback_speed", p, finding.sentence(), "The frames have an unusual rhythm")
    return Part("playback_speed", 0.0, "")


def cuts_part(cuts: list[Cut]) -> Part:
    """Jump cuts only: a camera cut (the whole picture changes) is an edit, not a fake."""
    jumps = [c for c in cuts if c.kind != "picture"]
    if not jumps:
        return Part("cuts", 0.0, "")
    strongest = max(jumps, key=lambda c: c.strength)
    extra = min(1.0, (strongest.strength - 1.0) / 2.0)
    where = f"at {strongest.time:.2f} s {strongest.measured}"
    more = f" ({len(jumps)} places in all)" if len(jumps) > 1 else ""
    return Part("cuts", 0.5 + 0.2 * extra, f"{where}{more}", "The clip looks spliced")


def metadata_part(metadata: Metadata) -> Part:
    if not metadata.contradictions:
        return Part("metadata", 0.0, "")
    p = _noisy_or([0.55] * len(metadata.contradictions))
    lead = "The file's own data contradict each other"
    return Part("metadata", p, "; ".join(metadata.contradictions), lead)


def hints_part(motion: Motion, voice: Voice | None) -> Part:
    values: list[float] = []
    found: list[str] = []
    unusual_motion = motion.outside()
    if unusual_motion:
        values.append(0.15 + 0.05 * (len(unusual_motion) - 1))
        found.append(f"the face's {', '.join(unusual_motion)} lie outside the usual range")
    if voice is not None and voice.judged:
        if not voice.pitch_normal:
            values.append(0.2)
            found.append(f"the voice's pitch ({voice.pitch_hz:.0f} Hz) is outside the adult range")
        if not voice.tempo_normal:
            values.append(0.15)
            found.append(
                f"the speech runs at {voice.syllables_per_second:.1f} syllables a second, "
                "outside the usual range"
            )
    lead = "No clear sign of a speed change or splice, but"
    return Part("motion_and_voice", min(HINTS_CAP, _noisy_or(values)), "; ".join(found), lead)


def combine(parts: list[Part]) -> float:
    return 1.0 - (1.0 - BASE) * (1.0 - _noisy_or([p.probability for p in parts]))


def summary(parts: list[Part], edits: str = "") -> str:
    """One sentence: the strongest finding first, or that nothing was found (and the
    ordinary edits seen, `edits`, when there are any)."""
    found = sorted((p for p in parts if p.sentence), key=lambda p: -p.probability)
    if not found and edits:
        return (
            "No sign that the clip was slowed down, sped up or spliced inside a shot; "
            f"ordinary edits: {edits}"
        )
    if not found:
        return (
            "No sign that the clip was slowed down, sped up or spliced: its frames follow each "
            "other at an even pace and its data agree."
        )
    first = found[0]
    joint = " " if first.lead.endswith("but") else ": "
    sentence = f"{first.lead}{joint}{first.sentence}"
    others = [p for p in found[1:] if p.probability >= 0.5]
    if others:
        sentence += "; also " + "; ".join(p.sentence for p in others)
    return sentence + "."
