"""The fusion rule: decisive evidence, the calibrated maximum, bands, no face, and how far
each piece of evidence moved the file's probability.

Tests of the rule's shape pass `INTERIM` (no detector calibrated: the weighted maximum)
so that their numbers do not depend on the shipped fit; tests of the fit say so."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pytest
from numpy.typing import NDArray

from fauxlab.detection.evidence import Evidence, Verdict
from fauxlab.detection.fusion import Bands, Fused, bands, calibrated, contributions, weighted
from fauxlab.detection.fusion import fuse as fuse_fitted
from fauxlab.detection.fusion_fit import fit_maximum, fitted_columns, fused_maximum, separation
from fauxlab.detection.fusion_model import (
    IDENTITY,
    Calibration,
    FusionParameters,
    parameters_from_dict,
    shipped_parameters,
)
from fauxlab.errors import InputError

INTERIM = FusionParameters()


def fuse(evidence: Sequence[Evidence], faces_found: bool, limits: Bands | None = None) -> Fused:
    return fuse_fitted(evidence, faces_found, limits, INTERIM)


def ev(name: str, p: float | None, weight: float = 1.0, decisive: bool = False) -> Evidence:
    return Evidence(name, p, f"{name} says {p}", weight=weight, decisive=decisive)


def test_decisive_evidence_settles_fake_whatever_the_others_say() -> None:
    fused = fuse([ev("learned", 0.02), ev("provenance", 1.0, decisive=True)], faces_found=True)
    assert fused.verdict is Verdict.FAKE and fused.probability == 1.0
    assert fused.decided_by == "provenance" and "provenance says" in fused.explanation


def test_decisive_without_a_face_is_still_fake_and_says_no_face() -> None:
    fused = fuse([ev("provenance", 1.0, decisive=True)], faces_found=False)
    assert fused.verdict is Verdict.FAKE
    assert fused.explanation.startswith("No face was found.")


def test_decisive_flag_below_the_threshold_decides_nothing() -> None:
    fused = fuse([ev("odd", 0.1, decisive=True), ev("spectrum", 0.8)], faces_found=True)
    assert fused.verdict is Verdict.FAKE and fused.decided_by == "spectrum"


def test_the_most_confident_detector_speaks_for_the_file() -> None:
    # a GAN face: the swap detector sees nothing, the spectral one is sure. The mean (0.55)
    # would call it uncertain; the maximum calls it fake.
    fused = fuse([ev("learned", 0.2), ev("spectrum", 0.9)], faces_found=True)
    assert fused.verdict is Verdict.FAKE
    assert fused.probability == pytest.approx(0.9) and fused.decided_by == "spectrum"


def test_weight_scales_a_detector_towards_zero() -> None:
    assert weighted(ev("x", 0.9, weight=0.5)) == pytest.approx(0.45)
    assert weighted(ev("x", 0.9, weight=3.0)) == 1.0
    assert weighted(ev("x", 0.9, weight=0.0)) is None
    assert weighted(ev("x", None)) is None
    fused = fuse([ev("weak", 0.9, weight=0.5), ev("learned", 0.1)], faces_found=True)
    assert fused.verdict is Verdict.UNCERTAIN and fused.probability == pytest.approx(0.45)


def test_informational_evidence_does_not_vote() -> None:
    fused = fuse([ev("note", 0.99, weight=0.0), ev("learned", 0.1)], faces_found=True)
    assert fused.verdict is Verdict.REAL and fused.decided_by == "learned"


@pytest.mark.parametrize(
    ("p", "verdict"),
    [
        (1.0, Verdict.FAKE),
        (0.65, Verdict.FAKE),
        (0.649, Verdict.UNCERTAIN),
        (0.5, Verdict.UNCERTAIN),
        (0.35, Verdict.UNCERTAIN),
        (0.349, Verdict.REAL),
        (0.0, Verdict.REAL),
    ],
)
def test_bands_around_the_default_threshold(p: float, verdict: Verdict) -> None:
    assert fuse([ev("learned", p)], faces_found=True).verdict is verdict


def test_margin_shrinks_near_the_ends() -> None:
    high = bands(0.9)
    assert high.fake_from == pytest.approx(0.95) and high.real_below == pytest.approx(0.85)
    low = bands(0.1, margin=0.3)
    assert low.fake_from == pytest.approx(0.15) and low.real_below == pytest.approx(0.05)
    assert fuse([ev("learned", 0.93)], True, high).verdict is Verdict.UNCERTAIN
    assert fuse([ev("learned", 0.8)], True, high).verdict is Verdict.REAL
    assert bands(0.5, margin=0.0).verdict(0.5) is Verdict.FAKE


@pytest.mark.parametrize("threshold", [0.0, 1.0, -0.1, 1.5])
def test_threshold_outside_the_open_interval_is_refused(threshold: float) -> None:
    with pytest.raises(InputError, match="threshold"):
        bands(threshold)


def test_no_face_unless_a_whole_image_detector_is_confident() -> None:
    doubtful = fuse([ev("learned", None), ev("spectrum", 0.5)], faces_found=False)
    assert doubtful.verdict is Verdict.NO_FACE and doubtful.probability == pytest.approx(0.5)
    calm = fuse([ev("spectrum", 0.1)], faces_found=False)
    assert calm.verdict is Verdict.NO_FACE
    sure = fuse([ev("learned", None), ev("spectrum", 0.8)], faces_found=False)
    assert sure.verdict is Verdict.FAKE and sure.explanation.startswith("No face was found.")


def test_nothing_could_judge() -> None:
    with_face = fuse([ev("provenance", None), ev("learned", None)], faces_found=True)
    assert with_face.verdict is Verdict.UNCERTAIN and with_face.probability is None
    assert with_face.decided_by is None
    without = fuse([ev("provenance", None)], faces_found=False)
    assert without.verdict is Verdict.NO_FACE and without.probability is None
    assert fuse([], faces_found=True).verdict is Verdict.UNCERTAIN


def test_first_of_equal_scores_decides() -> None:
    fused = fuse([ev("learned", 0.7), ev("spectrum", 0.7)], faces_found=True)
    assert fused.decided_by == "learned"


# --- calibrations -------------------------------------------------------------------


def test_identity_calibration_is_exactly_the_weighted_probability() -> None:
    assert IDENTITY.apply(0.37) == 0.37 and IDENTITY.apply(0.0) == 0.0


def test_calibration_is_a_logistic_map_of_the_logit() -> None:
    sharper = Calibration(scale=2.0, shift=0.0)  # odds squared: 0.8 -> 16:1
    assert sharper.apply(0.8) == pytest.approx(16 / 17)
    assert sharper.apply(0.5) == pytest.approx(0.5)
    lowered = Calibration(scale=1.0, shift=-math.log(4))  # odds divided by 4: 0.8 -> 1:1
    assert lowered.apply(0.8) == pytest.approx(0.5)


def test_a_calibration_can_turn_a_false_alarm_into_real() -> None:
    # a detector known to say 0.7 on ordinary photos: odds / 8 gives 0.226
    quiet = FusionParameters({"learned": Calibration(1.0, -math.log(8))})
    assert fuse([ev("learned", 0.7)], True).verdict is Verdict.FAKE
    fused = fuse_fitted([ev("learned", 0.7)], True, None, quiet)
    assert fused.probability == pytest.approx(0.7 / 0.3 / 8 / (1 + 0.7 / 0.3 / 8))
    assert fused.verdict is Verdict.REAL and "0.70, 0.23 once calibrated" in fused.explanation


def test_unknown_detectors_keep_the_weighted_rule() -> None:
    fitted = FusionParameters({"learned": Calibration(3.0, -2.0)})
    item = ev("temporal", 0.8, weight=0.5)
    assert calibrated(item, fitted) == pytest.approx(0.4)
    fused = fuse_fitted([ev("learned", 0.01), item], True, None, fitted)
    assert fused.decided_by == "temporal" and fused.probability == pytest.approx(0.4)


def test_parameters_are_checked_when_read() -> None:
    good = {"format": "fauxlab.fusion/1", "detectors": {"x": {"scale": 2, "shift": -1}}}
    assert parameters_from_dict(good).calibration("x") == Calibration(2.0, -1.0)
    assert parameters_from_dict(good).calibration("y") is IDENTITY
    with pytest.raises(InputError, match="format"):
        parameters_from_dict({**good, "format": "other/2"})
    with pytest.raises(InputError, match="positive scale"):
        parameters_from_dict({**good, "detectors": {"x": {"scale": -1, "shift": 0}}})


def test_the_shipped_fit_records_how_it_was_made() -> None:
    shipped = shipped_parameters()
    assert {"learned", "spectrum", "generated"} <= set(shipped.detectors)
    assert "provenance" not in shipped.detectors  # decisive-only, never fitted
    assert "benchmarks/fusion_fit.py" in shipped.fitted["command"]
    held = shipped.fitted["held_out"]
    fitted, interim = held["fitted maximum"], held["weighted maximum (interim)"]
    # a shared calibration keeps the ranking of images; only videos, where the unfitted
    # blink and lipsync may now take the maximum, can move the AUC, and by very little
    assert fitted["auc"] >= interim["auc"] - 0.001
    assert fitted["accuracy"] >= interim["accuracy"]


def test_the_shipped_fit_does_not_average_a_gan_face_away() -> None:
    # a GAN face: the swap detector sees nothing, the whole-image detectors are sure
    gan = [ev("learned", 0.05), ev("spectrum", 0.99), ev("generated", 0.99)]
    fused = fuse_fitted(gan, faces_found=True)
    assert fused.verdict is Verdict.FAKE and fused.decided_by in ("spectrum", "generated")
    swap = [ev("learned", 0.99), ev("spectrum", 0.001), ev("generated", 0.001)]
    assert fuse_fitted(swap, faces_found=True).verdict is Verdict.FAKE


# --- contributions ------------------------------------------------------------------


def test_contribution_is_the_probability_with_minus_without() -> None:
    items = [ev("learned", 0.2), ev("spectrum", 0.9), ev("blink", None)]
    moved = fuse(items, True).contributions
    assert moved["spectrum"] == pytest.approx(0.9 - 0.2)  # without it, learned speaks
    assert moved["learned"] == 0.0  # the maximum does not need it
    assert moved["blink"] is None  # could not judge: not applicable, not "real"


def test_a_lone_detector_is_measured_against_no_information() -> None:
    assert fuse([ev("learned", 0.1)], True).contributions == {"learned": pytest.approx(-0.4)}
    assert fuse([ev("learned", 0.95)], True).contributions == {"learned": pytest.approx(0.45)}


def test_decisive_evidence_takes_the_whole_move() -> None:
    items = [ev("learned", 0.3), ev("provenance", 1.0, decisive=True)]
    assert contributions(items, bands(), INTERIM) == {"provenance": 0.7, "learned": 0.0}


def test_informational_evidence_moves_nothing() -> None:
    items = [ev("note", 0.99, weight=0.0), ev("learned", 0.8)]
    assert fuse(items, True).contributions == {"note": 0.0, "learned": pytest.approx(0.3)}


# --- fitting ------------------------------------------------------------------------


def _two_specialists(n: int = 200) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Detector 0 sees the first half of the fakes (0.9 to 0.99) but says 0.6 to 0.8 on
    everything else: a false alarm a fit can learn. Detector 1 sees the second half,
    timidly (0.55 to 0.65), and says 0.01 to 0.1 on everything else."""
    rng = np.random.default_rng(0)
    labels = np.array([0] * n + [1] * n, dtype=np.int64)
    half = n // 2
    q = np.empty((2 * n, 2))
    q[:, 0] = rng.uniform(0.6, 0.8, 2 * n)
    q[:, 1] = rng.uniform(0.01, 0.1, 2 * n)
    q[n : n + half, 0] = rng.uniform(0.9, 0.99, half)
    q[n + half :, 1] = rng.uniform(0.55, 0.65, n - half)
    return q, labels


def test_a_shared_calibration_keeps_the_ranking_and_moves_the_threshold() -> None:
    q, labels = _two_specialists()
    interim = separation(labels, fused_maximum(q, [IDENTITY, IDENTITY]))
    assert interim.accuracy == pytest.approx(0.5)  # every real is a false alarm
    calibrations = fit_maximum(q, labels)  # tied, as shipped
    assert calibrations[0] == calibrations[1] != IDENTITY
    fitted = separation(labels, fused_maximum(q, calibrations))
    assert fitted.auc == pytest.approx(interim.auc) and fitted.accuracy > 0.6


def test_calibrations_per_detector_can_reorder_the_detectors() -> None:
    q, labels = _two_specialists()
    interim = separation(labels, fused_maximum(q, [IDENTITY, IDENTITY]))
    calibrations = fit_maximum(q, labels, tied=False)
    fitted = separation(labels, fused_maximum(q, calibrations))
    assert fitted.auc > interim.auc and fitted.accuracy > 0.95
    assert calibrations[0].apply(0.7) < 0.5 < calibrations[0].apply(0.95)  # alarm learned
    assert calibrations[1].apply(0.6) > 0.5  # the timid specialist is not talked down


def test_a_detector_without_both_classes_is_not_fitted() -> None:
    q, labels = _two_specialists()
    q[labels == 1, 1] = np.nan  # detector 1 never judged a fake
    assert fitted_columns(q, labels, min_each=20) == [True, False]
    assert fit_maximum(q, labels)[1] is IDENTITY
