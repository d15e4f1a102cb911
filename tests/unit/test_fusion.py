"""The interim fusion rule: decisive evidence, the weighted maximum, bands, no face."""

from __future__ import annotations

import pytest

from fauxlab.detection.evidence import Evidence, Verdict
from fauxlab.detection.fusion import bands, fuse, weighted
from fauxlab.errors import InputError


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
