"""From a measured value to a modest P(fake), by comparison with real clips.

Both measures are *small* on a photo made to move (texture carried along, background
frozen), so each norm is the real clips' median and 5th percentile. At or above the 5th
percentile a value is ordinary: P rises only from P_LOW at the median to P_NORMAL at the
percentile (a smaller value never scores lower); below it P rises linearly, in
`percentile / value`, to P_MAX at RISE times smaller. The evidence takes the larger of
the two (docs/reenactment.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

P_LOW, P_NORMAL, P_MAX = 0.05, 0.1, 0.8
RISE = 2.0  # a value half the real clips' 5th percentile gets P_MAX


@dataclass(frozen=True)
class LowNorm:
    """What real clips give for a measure that is small on fakes, for a person to check."""

    name: str
    what: str
    unit: str
    median: float
    p5: float

    def probability(self, value: float) -> float:
        if value >= self.p5:
            share = (self.median - value) / max(self.median - self.p5, 1e-12)
            return P_LOW + (P_NORMAL - P_LOW) * min(1.0, max(0.0, share))
        shortfall = self.p5 / max(value, 1e-12)
        return P_NORMAL + (P_MAX - P_NORMAL) * min(1.0, (shortfall - 1.0) / (RISE - 1.0))

    def describe(self, value: float) -> dict[str, Any]:
        return {
            "what": self.what,
            "value": round(value, 4),
            "unit": self.unit,
            "real_clips_median": self.median,
            "real_clips_5th_percentile": self.p5,
            "probability": round(self.probability(value), 4),
        }


# Median and 5th percentile (numpy, linear) over the training side of the shared real
# clips (`fauxlab.datasplit.VIDEOS.split(root)[0]`, 17 clips), each analysed with the
# defaults of `fauxlab detect` (32 keyframes), main face track; measured by
# scripts/reenactment_norms.py. Never fitted on the third-party videos. Ranges (min-max):
# texture 0.053-0.215, stillness 0.042-0.363 (17 clips, all measured).
TEXTURE = LowNorm(
    "texture",
    "texture change: one minus the correlation of the skin's fine detail between keyframes "
    "once the motion is undone by optical flow (median over keyframe pairs)",
    "1 - correlation",
    median=0.1037,
    p5=0.0733,
)
STILLNESS = LowNorm(
    "stillness",
    "background change: mean grey-level change away from the head over that inside the "
    "face, between keyframes (median over keyframe pairs)",
    "ratio",
    median=0.1732,
    p5=0.0591,
)
NORMS = {n.name: n for n in (TEXTURE, STILLNESS)}
