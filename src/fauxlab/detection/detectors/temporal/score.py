"""From a measured value to a modest P(fake), by comparison with real clips.

Each measure has a norm: its median and 95th percentile over the 21 real clips in the
shared data (docs/temporal.md says how they were measured). At or below the 95th
percentile a value is ordinary: P rises only from P_LOW at the median to P_NORMAL at
the percentile (so a larger value never scores lower); beyond it P rises linearly to
P_MAX at RISE times the percentile. The evidence takes the largest of the four.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

P_LOW, P_NORMAL, P_MAX = 0.05, 0.1, 0.8
RISE = 2.0  # a value twice the real clips' 95th percentile gets P_MAX


@dataclass(frozen=True)
class Norm:
    """What real clips give for one measure, and what it is, for a person to check."""

    name: str
    what: str
    unit: str
    median: float
    p95: float

    def probability(self, value: float) -> float:
        if value <= self.p95:
            share = (value - self.median) / max(self.p95 - self.median, 1e-12)
            return P_LOW + (P_NORMAL - P_LOW) * min(1.0, max(0.0, share))
        excess = value / self.p95
        return P_NORMAL + (P_MAX - P_NORMAL) * min(1.0, (excess - 1.0) / (RISE - 1.0))

    def describe(self, value: float) -> dict[str, Any]:
        return {
            "what": self.what,
            "value": round(value, 4),
            "unit": self.unit,
            "real_clips_median": self.median,
            "real_clips_95th_percentile": self.p95,
            "probability": round(self.probability(value), 4),
        }


# Median and 95th percentile (numpy, linear: with 21 clips, the second largest) over the
# 21 real clips of ../shared/data/videos, each analysed with the defaults of `fauxlab
# detect` (FaceMesh on every frame, 32 keyframes), main face track; docs/temporal.md.
# Ranges (min-max): flicker 0.70-1.54, jitter 0.0027-0.061 (liveportrait-d12), identity
# 0.140-0.349 (6 keyframes), colour 0.27-1.77.
FLICKER = Norm(
    "flicker",
    "seam flicker: RMS frame-to-frame change on the face edge over that inside and outside "
    "the face (median over keyframe pairs)",
    "ratio",
    median=1.146,
    p95=1.508,
)
JITTER = Norm(
    "jitter",
    "landmark jitter: mean distance of the raw landmarks from their smoothed path (median "
    "over frames)",
    "eye distances",
    median=0.0068,
    p95=0.0169,
)
IDENTITY = Norm(
    "identity",
    "identity drift: 90th percentile of the keyframes' face-embedding distances from their "
    "mean (dlib ResNet; 0.6 apart is another person)",
    "embedding distance",
    median=0.235,
    p95=0.312,
)
COLOUR = Norm(
    "colour",
    "colour drift: spread over time of the Lab difference between the cheeks and the "
    "forehead or neck (the smaller of the two)",
    "Lab units",
    median=0.622,
    p95=1.539,
)
NORMS = {n.name: n for n in (FLICKER, JITTER, IDENTITY, COLOUR)}
