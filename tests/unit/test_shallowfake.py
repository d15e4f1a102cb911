"""The shallowfake detector's parts on signals whose answer is known, without decoding video."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from fauxlab.detection.analysed import AnalysedMedia, FrameRecord
from fauxlab.detection.detectors.shallowfake._signal import chi2_log10_sf, peaks, running_median
from fauxlab.detection.detectors.shallowfake.cadence import find_pattern, find_repeats
from fauxlab.detection.detectors.shallowfake.cuts import Cut, face_jumps, picture_cuts
from fauxlab.detection.detectors.shallowfake.detector import ShallowfakeDetector
from fauxlab.detection.detectors.shallowfake.frames import FloatArray, FrameSignals
from fauxlab.detection.detectors.shallowfake.score import (
    Part,
    combine,
    cuts_part,
    speed_part,
    summary,
)
from fauxlab.detection.detectors.shallowfake.speed import (
    CONVERSION,
    LOW_RATE,
    NONE,
    SPEED_CHANGE,
    UNUSUAL,
    camera_rate,
    edited_rate,
    explain,
    from_pattern,
    from_repeats,
    with_voice,
)
from fauxlab.detection.detectors.shallowfake.voice import VOICE_RATE, analyse_voice
from fauxlab.detection.evidence import Edit, edits_summary
from fauxlab.faces.types import Face
from fauxlab.media import MediaKind

RNG = np.random.default_rng(7)


def motion(n: int) -> FloatArray:
    """Frame-to-frame change of ordinary footage: a slowly varying level with noise."""
    level = 2.0 + np.sin(np.arange(n) / 15.0)
    return level * RNG.lognormal(0.0, 0.25, n)


def with_repeats(n: int, spacing: float) -> FloatArray:
    """Ordinary change with a repeated frame on a lattice of `spacing` frames."""
    change = motion(n)
    change[np.floor(np.arange(spacing - 1, n, spacing)).astype(int)] = 0.02
    return change


def test_a_strict_cadence_of_repeats_is_found() -> None:
    repeats = find_repeats(with_repeats(300, 4.0))
    assert repeats.spacing == pytest.approx(4.0, abs=0.02)
    assert repeats.regularity > 0.95
    assert repeats.fraction == pytest.approx(0.25, abs=0.02)


def test_scattered_repeats_are_not_a_cadence() -> None:
    change = motion(300)
    change[RNG.choice(300, 40, replace=False)] = 0.02
    repeats = find_repeats(change)
    assert repeats.regularity < 0.5
    assert from_repeats(repeats, 30.0).kind == NONE


def test_ordinary_footage_has_no_repeats() -> None:
    repeats = find_repeats(motion(300))
    assert len(repeats.indices) <= 1
    assert from_repeats(repeats, 30.0).kind == NONE


def test_repeats_every_fourth_frame_at_30_fps_read_as_075x() -> None:
    finding = from_repeats(find_repeats(with_repeats(300, 4.0)), 30.0)
    assert finding.kind == SPEED_CHANGE
    assert (finding.camera_fps, finding.speed) == (30.0, 0.75)
    assert finding.source_fps == pytest.approx(22.5, abs=0.05)


def test_repeats_every_sixth_frame_at_30_fps_are_a_25_fps_conversion() -> None:
    finding = from_repeats(find_repeats(with_repeats(300, 6.0)), 30.0)
    assert finding.kind == CONVERSION
    assert finding.camera_fps == 25.0


def test_repeats_from_an_odd_source_rate_are_only_unusual() -> None:
    finding = from_repeats(find_repeats(with_repeats(300, 3.8)), 30.0)  # a 22.1 fps source
    assert finding.kind == UNUSUAL
    assert finding.source_fps == pytest.approx(22.1, abs=0.1)


def test_rates() -> None:
    assert camera_rate(29.97) == 29.97
    assert camera_rate(30.05) == 30.0
    assert camera_rate(22.5) is None
    assert camera_rate(15.0) is None  # every frame twice reads as 0.5x, not a webcam
    assert edited_rate(22.5, 30.0) == (30.0, 0.75)
    assert edited_rate(37.5, 30.0) == (30.0, 1.25)
    assert edited_rate(37.5, 50.0) == (50.0, 0.75)
    assert edited_rate(22.1, 30.0) is None
    # the innocent reading wins when both fit
    assert explain(30.0, [5 / 6, 0.75], "x", 1.0).kind == CONVERSION


def dropped_cycle(n: int, period: int) -> tuple[FloatArray, FloatArray]:
    """Change and bend of footage sped up by dropping one frame per cycle: the pair
    that spans the gap changes twice as much."""
    change = motion(n)
    change[period - 1 :: period] *= 2.0
    bend = motion(n - 1)
    bend[period - 2 :: period] *= 1.6
    bend[period - 1 :: period] *= 1.6
    return change, bend


def test_a_cycle_of_dropped_frames_reads_as_a_speed_up() -> None:
    pattern = find_pattern(*dropped_cycle(240, 4))
    assert pattern is not None
    assert pattern.period == 4
    assert 0.25 in pattern.frequencies
    assert pattern.skew > 0
    finding = from_pattern(pattern, 30.0)
    assert finding.kind == SPEED_CHANGE
    assert finding.speed == 1.25


def test_a_30_to_25_fps_conversion_is_not_a_speed_change() -> None:
    pattern = find_pattern(*dropped_cycle(240, 5))
    assert pattern is not None and pattern.period == 5
    assert from_pattern(pattern, 25.0).kind == CONVERSION


def test_noise_has_no_cycle() -> None:
    pattern = find_pattern(motion(300), motion(299))
    assert from_pattern(pattern, 30.0).kind == NONE


def signals(change: FloatArray, jump: FloatArray | None = None, fps: float = 25.0) -> FrameSignals:
    n = len(change) + 1
    histogram = jump if jump is not None else np.full(len(change), 0.03)
    return FrameSignals(np.arange(n) / fps, change, motion(n - 2), histogram, 0.0)


def test_a_splice_is_a_cut_and_motion_is_not() -> None:
    change = motion(200)
    jump = np.full(200, 0.03)
    assert picture_cuts(signals(change, jump)) == []
    change[120], jump[120] = 40.0, 0.8
    cuts = picture_cuts(signals(change, jump))
    assert [c.frame for c in cuts] == [121]
    assert cuts[0].time == pytest.approx(121 / 25.0)


def test_a_fast_but_gradual_movement_is_not_a_cut() -> None:
    change = motion(200)
    change[100:110] *= np.linspace(2, 6, 10)  # a head turn builds up over frames
    assert picture_cuts(signals(change)) == []


def tracked(centres: list[tuple[float, float]], track_ids: list[int]) -> AnalysedMedia:
    """A clip whose one face (80 px wide) sits at `centres`, frame by frame."""
    frames = []
    for i, ((x, y), track) in enumerate(zip(centres, track_ids, strict=True)):
        box = (x - 40, y - 50, x + 40, y + 50)
        face = Face(box, np.zeros((68, 2)), 0.9, "test", track)
        frames.append(FrameRecord(i, i / 25, [face]))
    return AnalysedMedia(Path("clip.mp4"), MediaKind.VIDEO, 640, 480, frames, {})


def test_a_face_that_jumps_between_two_frames_marks_a_splice() -> None:
    drift = [(200 + 2 * np.sin(i / 5) + i * 0.5, 240.0) for i in range(100)]
    assert face_jumps(tracked(drift, [1] * 100)) == []
    jumped = drift[:60] + [(x + 60, y + 10) for x, y in drift[60:]]
    # the tracker lost the face at the splice and gave it a new id: still one jump
    cuts = face_jumps(tracked(jumped, [1] * 60 + [2] * 40))
    assert [(c.frame, c.kind) for c in cuts] == [(60, "face jump")]


def voice(pitch: float, syllables: float, seconds: float = 4.0) -> FloatArray:
    """A buzzy voice: harmonics of `pitch`, loudness pulsing `syllables` times a second."""
    t = np.arange(int(seconds * VOICE_RATE)) / VOICE_RATE
    tone = sum(np.sin(2 * np.pi * pitch * k * t) / k for k in range(1, 6))
    envelope = 0.55 + 0.45 * np.cos(2 * np.pi * syllables * t)
    return np.asarray(0.2 * tone * envelope**3, dtype=np.float64)


def test_voice_pitch_and_tempo() -> None:
    found = analyse_voice(voice(120.0, 4.0))
    assert found.pitch_hz == pytest.approx(120.0, rel=0.02)
    assert found.syllables_per_second == pytest.approx(4.0, abs=0.5)
    assert found.judged and found.pitch_normal and found.tempo_normal


def test_a_voice_resampled_far_down_is_outside_the_adult_range() -> None:
    low = analyse_voice(voice(120.0 * 0.5, 2.0))
    assert low.pitch_hz == pytest.approx(60.0, rel=0.03)
    assert not low.pitch_normal


def test_silence_is_not_judged() -> None:
    assert not analyse_voice(np.zeros(VOICE_RATE * 3)).judged


def test_signal_helpers() -> None:
    assert chi2_log10_sf(10.0, 2) == pytest.approx(-5.0 / math.log(10))
    assert chi2_log10_sf(0.0, 3) == 0.0
    assert running_median(np.array([1.0, 9.0, 1.0, 1.0, 1.0]), 3).tolist() == [1, 1, 1, 1, 1]
    wave = np.sin(np.arange(100) * 2 * np.pi / 20)
    assert peaks(wave, 0.5, 5).tolist() == [5, 25, 45, 65, 85]


def test_summary_and_combination() -> None:
    quiet = [Part("playback_speed", 0.0, ""), Part("cuts", 0.0, "")]
    assert combine(quiet) == pytest.approx(0.02)
    assert summary(quiet).startswith("No sign that the clip was slowed")
    loud = [Part("playback_speed", 0.9, "one frame in 4 repeats", "The speed looks changed")]
    assert combine(loud) > 0.9
    assert summary(loud) == "The speed looks changed: one frame in 4 repeats."


def test_stills_and_short_clips_cannot_be_judged(tmp_path: Path) -> None:
    still = AnalysedMedia(tmp_path / "a.png", MediaKind.IMAGE, 8, 8, [FrameRecord(0, 0.0, [])], {})
    evidence = ShallowfakeDetector().examine(still)
    assert evidence.probability is None
    assert "still image" in evidence.summary
    frames = [FrameRecord(i, i / 25, []) for i in range(20)]
    short = AnalysedMedia(tmp_path / "a.mp4", MediaKind.VIDEO, 8, 8, frames, {})
    evidence = ShallowfakeDetector().examine(short)
    assert evidence.probability is None
    assert "too short" in evidence.summary


def test_every_frame_twice_with_a_natural_voice_is_a_low_frame_rate_source() -> None:
    doubled = from_repeats(find_repeats(with_repeats(300, 2.0)), 30.0)
    assert doubled.kind == SPEED_CHANGE and doubled.speed == 0.5
    assert with_voice(doubled, voice_natural=False) == doubled  # silent: still 0.5x
    source = with_voice(doubled, voice_natural=True)
    assert source.kind == LOW_RATE and "not a 0.5x slow-down" in source.sentence()
    assert speed_part(source).probability < 0.3
    slowed = from_repeats(find_repeats(with_repeats(300, 4.0)), 30.0)
    assert with_voice(slowed, voice_natural=True).kind == SPEED_CHANGE  # 0.75x stays


def cut(kind: str, time: float = 4.0) -> Cut:
    return Cut(int(time * 25), time, kind, 2.0, "measured")


def test_camera_cuts_are_edits_and_jump_cuts_are_evidence() -> None:
    assert cuts_part([cut("picture"), cut("picture", 9.5)]).probability == 0.0
    assert cuts_part([cut("picture"), cut("jump cut", 9.5)]).probability >= 0.5
    assert cuts_part([cut("face jump")]).probability >= 0.5


def test_edits_read_as_one_line() -> None:
    edits = [Edit("cut", t, 2.0, "m") for t in (4.1, 9.5, 11.0)]
    assert edits_summary(edits) == "3 cuts, at 4.1, 9.5 and 11.0 s: check that nothing was removed."
    retimed = [Edit("retiming", None, 1.0, "an ordinary frame-rate conversion from 25 fps")]
    assert edits_summary(edits[:1] + retimed) == (
        "1 cut, at 4.1 s: check that nothing was removed; "
        "an ordinary frame-rate conversion from 25 fps."
    )
    assert edits_summary([]) == ""
