"""The temporal measures' maths on synthetic arrays with known answers.

Real clips and a swap made from them are in tests/integration/test_temporal_media.py; these
pin each measure's arithmetic: what must come out zero, what must grow, what is left out."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from fauxlab.detection.analysed import AnalysedMedia, FrameRecord
from fauxlab.detection.detectors.temporal.colour import ColourSeries, differences, drift
from fauxlab.detection.detectors.temporal.detector import TemporalDetector
from fauxlab.detection.detectors.temporal.drift import spread
from fauxlab.detection.detectors.temporal.flicker import (
    CROP,
    flicker_ratio,
    pair_flicker,
    region_rms,
    regions,
)
from fauxlab.detection.detectors.temporal.jitter import frame_residuals, runs, savgol, window
from fauxlab.detection.norms import P_LOW, P_MAX, P_NORMAL, large_on_fakes
from fauxlab.faces.align import template_in_crop
from fauxlab.faces.types import Face, box_of
from fauxlab.media import MediaKind

FPS = 25.0


def _face(points: np.ndarray) -> Face:
    landmarks = points.astype(np.float32)
    return Face(box_of(landmarks, 0.1), landmarks, 1.0, "test", track_id=0)


def _moving_face(n: int = 100) -> np.ndarray:
    """A template face gliding on a smooth path (a head turn and a nod)."""
    base = template_in_crop(256, 0.25).astype(np.float64)
    t = np.arange(n) / FPS
    shift = np.stack([20 * np.sin(2 * np.pi * 0.3 * t), 8 * np.sin(2 * np.pi * 0.5 * t)], 1)
    return base[None] + shift[:, None, :]


# -- jitter -----------------------------------------------------------------------------


def test_a_smooth_path_has_almost_no_jitter_and_shaking_adds_it() -> None:
    path, frames = _moving_face(), np.arange(100)
    smooth, _ = frame_residuals(path, frames, FPS)
    rng = np.random.default_rng(0)
    shaken, _ = frame_residuals(path + rng.normal(0, 1.5, (100, 1, 2)), frames, FPS)
    eye_distance = float(np.linalg.norm(path[0, 36:42].mean(0) - path[0, 42:48].mean(0)))
    assert np.median(smooth) < 1e-3
    # a whole-face shake of 1.5 px per axis: about 1.5 * sqrt(pi/2) px off the path, less
    # what the smoother follows
    assert 0.5 * 1.5 / eye_distance < np.median(shaken) < 2.0 * 1.5 / eye_distance


def test_jitter_is_measured_within_runs_of_consecutive_frames() -> None:
    frames = np.array([*range(0, 30), *range(40, 45), *range(50, 80)])
    assert [(s.start, s.stop) for s in runs(frames)] == [(0, 30), (30, 35), (35, 65)]
    path = _moving_face(80)[frames]
    path[30:35] += 40.0  # a jump across the gap is not jitter, and the 5-frame run is skipped
    residuals, kept = frame_residuals(path, frames, FPS)
    assert len(residuals) == 60 and 30 not in kept
    assert np.max(residuals) < 1e-2


def test_savgol_keeps_a_parabola_and_matches_a_plain_fit() -> None:
    t = np.arange(30, dtype=np.float64)
    parabola = (0.3 * t**2 - 2 * t + 5)[:, None]
    assert np.allclose(savgol(parabola, 7), parabola)
    noisy = parabola + np.random.default_rng(2).normal(0, 1, parabola.shape)
    fit = np.polyval(np.polyfit(t[10:17], noisy[10:17, 0], 2), 13.0)
    assert savgol(noisy, 7)[13, 0] == pytest.approx(fit)
    assert savgol(noisy, 7)[0, 0] == pytest.approx(
        np.polyval(np.polyfit(t[:7], noisy[:7, 0], 2), 0.0)
    )


def test_the_smoothing_window_is_odd_and_about_a_quarter_second() -> None:
    assert window(25.0) == 7 and window(30.0) == 9 and window(10.0) == 5


# -- flicker ----------------------------------------------------------------------------


def test_regions_are_apart_and_the_band_lies_on_the_hull() -> None:
    points = template_in_crop(CROP, 0.3)
    where = regions(points, np.ones((CROP, CROP), bool))
    assert not (where.band & where.inside).any()
    assert not (where.band & where.outside).any()
    assert not (where.inside & where.outside).any()
    assert where.band[round(points[8, 1]), round(points[8, 0])]  # the chin is on the edge
    assert min(where.band.sum(), where.inside.sum(), where.outside.sum()) > 200


def test_region_rms_ignores_a_uniform_change_and_the_ratio_compares() -> None:
    region = np.ones((20, 20), bool)
    assert region_rms(np.full((20, 20), 7.0), region) == pytest.approx(0.0)
    assert region_rms(np.zeros((5, 5)), np.ones((5, 5), bool)) is None  # too small
    assert flicker_ratio(4.0, 1.0, 3.0) == pytest.approx(2.0)


def _textured(rng: np.random.Generator) -> np.ndarray:
    return rng.integers(60, 200, (256, 256, 3)).astype(np.uint8)


def test_a_seam_that_changes_between_frames_flickers_and_a_still_one_does_not() -> None:
    rng = np.random.default_rng(1)
    face = _face(template_in_crop(256, 0.3) * 0.8 + 25)
    still = _textured(rng)
    noise = rng.normal(0, 12, (256, 256, 1))
    # the change only along the face's edge, as a seam re-blended in the next frame
    seam = regions(face.landmarks, np.ones((256, 256), bool), size=256).band[..., None]
    seam_changed = np.clip(still + noise * seam, 0, 255).astype(np.uint8)
    everywhere = np.clip(still + noise, 0, 255).astype(np.uint8)
    at_seam = pair_flicker((still, face), (seam_changed, face))
    uniform = pair_flicker((still, face), (everywhere, face))
    assert at_seam is not None and uniform is not None
    assert at_seam > 3.0
    assert 0.7 < uniform < 1.4


# -- identity and colour ----------------------------------------------------------------


def test_spread_is_zero_for_one_identity_and_grows_with_a_second() -> None:
    same = np.tile(np.linspace(0, 1, 128), (10, 1))
    assert np.allclose(spread(same), 0.0)
    mixed = same.copy()
    mixed[5:, 0] += 1.0  # half the frames 1.0 apart: each 0.5 from the mean
    assert np.allclose(spread(mixed), 0.5)


def test_drift_reads_the_red_green_axis_only() -> None:
    steady = np.array([[10.0, 2.0, 3.0], [-10.0, 2.0, -3.0]] * 5)  # L and b swing
    assert drift(steady) == pytest.approx(0.0)
    assert drift(np.array([[0.0, 1.0, 0.0], [0.0, -1.0, 0.0]] * 5)) == pytest.approx(1.0)


def test_cheek_colour_is_compared_with_forehead_and_neck() -> None:
    face = _face(template_in_crop(256, 0.3) * 0.7 + 40)
    image = np.full((300, 256, 3), (200, 150, 120), np.uint8)  # one skin tone everywhere
    same = differences(image, face)
    assert set(same) == {"forehead", "neck"}
    assert all(np.allclose(v, 0.0, atol=0.5) for v in same.values())
    image[round(face.landmarks[8, 1]) :] = (120, 150, 200)  # a blue "neck" below the chin
    assert differences(image, face)["neck"][2] > 20  # cheeks far more yellow (b*) than it


def test_the_colour_value_is_the_calmer_reference() -> None:
    t = np.arange(6, dtype=np.float64)
    calm = np.zeros((6, 3))
    wild = np.array([[0.0, 5.0, 0.0], [0.0, -5.0, 0.0]] * 3)
    series = ColourSeries({"forehead": t, "neck": t}, {"forehead": wild, "neck": calm})
    assert series.value() == pytest.approx(0.0)
    assert ColourSeries({"forehead": t[:3]}, {"forehead": wild[:3]}).value() is None


# -- scoring and applicability ----------------------------------------------------------


def test_probability_rises_with_the_value_from_the_median_on() -> None:
    norm = large_on_fakes("x", "x", "u", median=1.0, p95=2.0)
    values = np.linspace(0.0, 6.0, 61)
    p = [norm.probability(float(v)) for v in values]
    assert all(b >= a for a, b in itertools.pairwise(p))
    assert norm.probability(0.5) == P_LOW
    assert norm.probability(2.0) == pytest.approx(P_NORMAL)
    assert norm.probability(4.0) == P_MAX


def test_a_still_image_is_not_applicable_never_real() -> None:
    face = _face(template_in_crop(256, 0.3))
    image = np.zeros((256, 256, 3), np.uint8)
    media = AnalysedMedia(
        Path("x.png"), MediaKind.IMAGE, 256, 256, [FrameRecord(0, 0.0, [face])], {0: image}
    )
    evidence = TemporalDetector().examine(media)
    assert evidence.probability is None
    assert "not applicable" in evidence.summary and "still image" in evidence.summary
