"""The temporal measures' norms: median and 95th percentile over the 21 real clips in
the shared data (docs/temporal.md says how they were measured); the rule from a value to
P(fake) is `fauxlab.detection.norms`. The evidence takes the largest of the four.
"""

from __future__ import annotations

from fauxlab.detection.norms import large_on_fakes

# Median and 95th percentile (numpy, linear: with 21 clips, the second largest) over the
# 21 real clips of ../shared/data/videos, each analysed with the defaults of `fauxlab
# detect` (FaceMesh on every frame, 32 keyframes), main face track; docs/temporal.md.
# Ranges (min-max): flicker 0.70-1.54, jitter 0.0027-0.061 (liveportrait-d12), identity
# 0.140-0.349 (6 keyframes), colour 0.27-1.77.
FLICKER = large_on_fakes(
    "flicker",
    "seam flicker: RMS frame-to-frame change on the face edge over that inside and outside "
    "the face (median over keyframe pairs)",
    "ratio",
    median=1.146,
    p95=1.508,
)
JITTER = large_on_fakes(
    "jitter",
    "landmark jitter: mean distance of the raw landmarks from their smoothed path (median "
    "over frames)",
    "eye distances",
    median=0.0068,
    p95=0.0169,
)
IDENTITY = large_on_fakes(
    "identity",
    "identity drift: 90th percentile of the keyframes' face-embedding distances from their "
    "mean (dlib ResNet; 0.6 apart is another person)",
    "embedding distance",
    median=0.235,
    p95=0.312,
)
COLOUR = large_on_fakes(
    "colour",
    "colour drift: spread over time of the Lab difference between the cheeks and the "
    "forehead or neck (the smaller of the two)",
    "Lab units",
    median=0.622,
    p95=1.539,
)
NORMS = {n.name: n for n in (FLICKER, JITTER, IDENTITY, COLOUR)}
