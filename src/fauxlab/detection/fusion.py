"""Fusion: many pieces of evidence in, one verdict and one probability out.

The rule, in order:

1. **Decisive evidence settles it.** Evidence marked `decisive` with a probability at or
   above the threshold (our own signed or watermarked AI-generated marks) makes the file
   FAKE with that probability. Nothing can settle "real": the absence of marks proves
   nothing about media made by other tools.
2. **Otherwise the most confident detector, calibrated, speaks for the file.** Each
   detector's weighted probability `q_i = min(1, w_i * p_i)` goes through a logistic
   calibration fitted on the development set, and the file's probability is the largest:
   `p = max_i sigmoid(scale_i * logit(q_i) + shift_i)` over evidence that could judge
   (probability not None, weight > 0). The calibrations ship in
   `fauxlab/assets/detectors/fusion.json` (`fusion_model`), written by
   `benchmarks/fusion_fit.py`; what was fitted, on which data, and the held-out numbers
   are in its model card, fusion.md beside it. A detector the file does not name keeps
   `q_i` itself, the interim weighted maximum.
   Why the maximum and not an average or a regression over all detectors: each
   detector looks for a different kind of forgery (the blending boundary of a face swap,
   the spectrum of a GAN, our marks), so a GAN face gets a low score from the swap
   detector and a high one from the spectral one; an average, or any additive model,
   lets the detector that cannot see this forgery talk the one that can out of it. Why
   fitted: the maximum's false alarms add up (its false-positive rate is at most the sum
   of the detectors'), so the raw maximum is too high on real files. A calibration
   shared by several detectors is one increasing map of the maximum: it keeps the
   ranking of files and moves only where the threshold falls.
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

**Contributions.** `Fused.contributions[detector]` says how far that evidence moved the
file's probability: the probability with all the evidence minus the probability without
this piece (leave-one-out), where "no probability at all" counts as NEUTRAL (0.5). None
for evidence that could not judge ("not applicable", which is not "real"). Under the
maximum only the deciding evidence moves the verdict, by its lead over the runner-up
(or over 0.5 when it judged alone, which can be negative: a lone detector that found
nothing pulls the file towards "real").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from fauxlab.detection.evidence import Evidence, Verdict
from fauxlab.detection.fusion_model import FusionParameters, shipped_parameters
from fauxlab.errors import InputError

DEFAULT_THRESHOLD = 0.5
DEFAULT_MARGIN = 0.15
NEUTRAL = 0.5  # the probability a file has before any evidence, for contributions


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
    that decided it, one sentence saying why, and how much each detector moved the
    probability (`contributions`, by detector name; None for evidence that could not
    judge)."""

    verdict: Verdict
    probability: float | None
    decided_by: str | None
    explanation: str
    contributions: dict[str, float | None] = field(default_factory=dict)


def weighted(evidence: Evidence) -> float | None:
    """The evidence's weighted probability `min(1, w * p)`, before calibration; None when
    it cannot vote (no probability, or weight 0)."""
    if evidence.probability is None or evidence.weight <= 0:
        return None
    return min(1.0, max(0.0, evidence.weight * evidence.probability))


def calibrated(evidence: Evidence, parameters: FusionParameters | None = None) -> float | None:
    """The evidence's say in the maximum: its weighted probability, calibrated."""
    q = weighted(evidence)
    if q is None:
        return None
    return (parameters or shipped_parameters()).calibration(evidence.detector).apply(q)


def _settle(
    evidence: Sequence[Evidence], threshold: float, parameters: FusionParameters
) -> tuple[float | None, Evidence | None, bool]:
    """(probability, the evidence that set it, whether it was decisive): rules 1 and 2."""
    for item in evidence:
        if item.decisive and item.probability is not None and item.probability >= threshold:
            return item.probability, item, True
    scored = [(p, item) for item in evidence if (p := calibrated(item, parameters)) is not None]
    if not scored:
        return None, None, False
    probability, top = max(scored, key=lambda pair: pair[0])  # first of equals wins
    return probability, top, False


def contributions(
    evidence: Sequence[Evidence],
    limits: Bands | None = None,
    parameters: FusionParameters | None = None,
) -> dict[str, float | None]:
    """How far each piece of evidence moved the file's probability: the fused probability
    with all of it minus the fused probability without this one (leave-one-out), where
    "no probability" counts as NEUTRAL (0.5). None for evidence that could not judge."""
    limits = limits or bands()
    parameters = parameters or shipped_parameters()
    whole, _, _ = _settle(evidence, limits.threshold, parameters)
    moved: dict[str, float | None] = {}
    for i, item in enumerate(evidence):
        if item.probability is None:
            moved[item.detector] = None
            continue
        rest = [*evidence[:i], *evidence[i + 1 :]]
        without, _, _ = _settle(rest, limits.threshold, parameters)
        delta = (NEUTRAL if whole is None else whole) - (NEUTRAL if without is None else without)
        moved[item.detector] = round(delta, 4)
    return moved


def _said(top: Evidence, probability: float) -> str:
    raw = top.probability if top.probability is not None else probability
    if abs(raw - probability) < 0.005:
        return f"{top.detector} gives {probability:.2f}"
    return f"{top.detector} gives {raw:.2f}, {probability:.2f} once calibrated"


def fuse(
    evidence: Sequence[Evidence],
    faces_found: bool,
    limits: Bands | None = None,
    parameters: FusionParameters | None = None,
) -> Fused:
    """Apply the rule of this module's docstring to one file's evidence. `parameters`
    defaults to the shipped fit (fusion_model.shipped_parameters)."""
    limits = limits or bands()
    parameters = parameters or shipped_parameters()
    moved = contributions(evidence, limits, parameters)
    no_face = "" if faces_found else "No face was found. "
    probability, top, decisive = _settle(evidence, limits.threshold, parameters)
    if decisive and top is not None and probability is not None:
        return Fused(Verdict.FAKE, probability, top.detector, no_face + top.summary, moved)
    if probability is None or top is None:
        if not faces_found:
            text = no_face + "No detector could judge it."
            return Fused(Verdict.NO_FACE, None, None, text, moved)
        return Fused(Verdict.UNCERTAIN, None, None, "No detector could judge this file.", moved)
    verdict = limits.verdict(probability)
    said = _said(top, probability)
    if verdict is Verdict.FAKE:
        text = f"{said}, at or above {limits.fake_from:.2f}: confident it is fake. {top.summary}"
    elif not faces_found:
        return Fused(
            Verdict.NO_FACE,
            probability,
            top.detector,
            f"{no_face}The face detectors could not judge it, and the whole-image evidence "
            f"is not confident it is fake (highest: {said}).",
            moved,
        )
    elif verdict is Verdict.UNCERTAIN:
        text = (
            f"The strongest sign ({said}) lies between {limits.real_below:.2f} and "
            f"{limits.fake_from:.2f}: too close to call."
        )
    else:
        text = f"No detector found signs of manipulation (highest: {said})."
    return Fused(verdict, probability, top.detector, no_face + text, moved)
