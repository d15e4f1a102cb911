"""Interim fusion: many pieces of evidence in, one verdict and one probability out.

The rule, in order (issue 7 replaces it with a fusion fitted on the development set):

1. **Decisive evidence settles it.** Evidence marked `decisive` with a probability at or
   above the threshold (our own signed or watermarked AI-generated marks) makes the file
   FAKE with that probability. Nothing can settle "real": the absence of marks proves
   nothing about media made by other tools.
2. **Otherwise the most confident detector speaks for the file.** Each detector's
   probability is scaled by its weight (clipped to [0, 1]), and the file's probability is
   the largest of these: `p = max_i min(1, w_i * p_i)` over evidence that could judge
   (probability not None, weight > 0). Why the maximum and not an average: each detector
   looks for a different kind of forgery (blending boundaries of a face swap, the spectrum
   of a GAN, our marks), so a real GAN face gets a low score from the swap detector and a
   high one from the spectral detector; averaging would let the detector that cannot see
   this forgery talk the one that can out of it. Why weights scale towards 0 (not 0.5): a
   detector trusted half as much needs twice the evidence to raise the alarm, and a weight
   of 0 makes evidence informational only. The cost: every detector's false alarms add up
   (the false-positive rate of the max is at most the sum of theirs), which the
   uncertainty band below and, later, a fitted fusion keep in check.
3. **Bands around the threshold T.** With margin m (default 0.15, shrunk near 0 and 1 to
   min(m, T/2, (1-T)/2)): p >= T + m is FAKE, p < T - m is REAL, anything between is
   UNCERTAIN: too close to call.
4. **No face.** When no face was found anywhere in the file, the face detectors could not
   judge, so REAL or UNCERTAIN would claim more than was seen: the verdict is NO_FACE
   unless a whole-image detector (or decisive evidence) is confident it is fake, in which
   case it stays FAKE and the explanation says that no face was found.
5. **Nothing could judge.** When no evidence has a probability, the verdict is UNCERTAIN
   (or NO_FACE) with probability None: "real" is reserved for files that were examined
   and showed nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fauxlab.detection.evidence import Evidence, Verdict
from fauxlab.errors import InputError

DEFAULT_THRESHOLD = 0.5
DEFAULT_MARGIN = 0.15


@dataclass(frozen=True)
class Bands:
    """Where the verdict changes: REAL below `real_below`, FAKE from `fake_from` on."""

    threshold: float
    margin: float

    @property
    def real_below(self) -> float:
        return self.threshold - self.margin

    @property
    def fake_from(self) -> float:
        return self.threshold + self.margin

    def verdict(self, probability: float) -> Verdict:
        if probability >= self.fake_from:
            return Verdict.FAKE
        if probability < self.real_below:
            return Verdict.REAL
        return Verdict.UNCERTAIN


def bands(threshold: float = DEFAULT_THRESHOLD, margin: float = DEFAULT_MARGIN) -> Bands:
    """The verdict bands for a threshold in (0, 1); the margin shrinks so both bands stay
    inside [0, 1] and neither is empty."""
    if not 0.0 < threshold < 1.0:
        raise InputError(f"threshold {threshold} is outside (0, 1); try 0.5")
    if margin < 0:
        raise InputError(f"margin {margin} is negative")
    return Bands(threshold, min(margin, threshold / 2, (1.0 - threshold) / 2))


@dataclass(frozen=True)
class Fused:
    """The verdict, the file's probability (None when nothing could judge), the detector
    that decided it, and one sentence saying why."""

    verdict: Verdict
    probability: float | None
    decided_by: str | None
    explanation: str


def weighted(evidence: Evidence) -> float | None:
    """The evidence's say in the maximum: its probability scaled by its weight."""
    if evidence.probability is None or evidence.weight <= 0:
        return None
    return min(1.0, max(0.0, evidence.weight * evidence.probability))


def fuse(evidence: Sequence[Evidence], faces_found: bool, limits: Bands | None = None) -> Fused:
    """Apply the rule of this module's docstring to one file's evidence."""
    limits = limits or bands()
    no_face = "" if faces_found else "No face was found. "
    for item in evidence:
        if item.decisive and item.probability is not None and item.probability >= limits.threshold:
            return Fused(Verdict.FAKE, item.probability, item.detector, no_face + item.summary)
    scored = [(p, item) for item in evidence if (p := weighted(item)) is not None]
    if not scored:
        if not faces_found:
            return Fused(Verdict.NO_FACE, None, None, no_face + "No detector could judge it.")
        return Fused(Verdict.UNCERTAIN, None, None, "No detector could judge this file.")
    probability, top = max(scored, key=lambda pair: pair[0])  # first of equals wins
    verdict = limits.verdict(probability)
    said = f"{top.detector} gives {probability:.2f}"
    if verdict is Verdict.FAKE:
        text = f"{said}, at or above {limits.fake_from:.2f}: confident it is fake. {top.summary}"
    elif not faces_found:
        return Fused(
            Verdict.NO_FACE,
            probability,
            top.detector,
            f"{no_face}The face detectors could not judge it, and the whole-image evidence "
            f"is not confident it is fake (highest: {said}).",
        )
    elif verdict is Verdict.UNCERTAIN:
        text = (
            f"The strongest sign ({said}) lies between {limits.real_below:.2f} and "
            f"{limits.fake_from:.2f}: too close to call."
        )
    else:
        text = f"No detector found signs of manipulation (highest: {said})."
    return Fused(verdict, probability, top.detector, no_face + text)
