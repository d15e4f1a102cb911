"""Does each identity's footage show the expressions the other one will ask it to draw?

A decoder only learns the mouth shapes its own person shows in training. If B never opens
the mouth, decoding A's open-mouthed frames with B's decoder still draws B's closed mouth:
the swap loses the speech, whatever the model or the training time (a 30-minute d6 -> d9
run transferred mouth opening at a correlation of 0.51, against 0.81 for d6 -> d6 with the
same weights; BENCHMARKS.md). So training says so before it spends the time.
"""

from __future__ import annotations

import numpy as np

from fauxlab.synthesis.faceswap.data import FaceSet

WIDE = 95  # percentile of mouth opening taken as "how wide this person's mouth opens"
OPEN = 0.2  # a 95th-percentile opening (inner-lip gap / mouth width) that shows speech
SHARE = 0.5  # warn when one person's opening reaches under this share of the other's


def mouth_range(faces: FaceSet) -> float:
    """How wide this person's mouth opens in the training faces (95th percentile)."""
    openings = faces.openness.numpy()
    return float(np.percentile(openings, WIDE)) if len(openings) else 0.0


def coverage_warnings(a: FaceSet, b: FaceSet) -> list[str]:
    """One line for each direction whose target never opens the mouth as the source does."""
    ranges = {"a": mouth_range(a), "b": mouth_range(b)}
    lines = []
    for source, target in (("a", "b"), ("b", "a")):
        wide, narrow = ranges[source], ranges[target]
        if wide >= OPEN and narrow < SHARE * wide:
            lines.append(
                f"{target.upper()}'s faces barely open the mouth (95th-percentile opening "
                f"{narrow:.2f}, against {wide:.2f} for {source.upper()}): swaps "
                f"{source.upper()} -> {target.upper()} will keep {target.upper()}'s mouth "
                f"nearly closed. Add footage of {target.upper()} talking to that folder"
            )
    return lines
