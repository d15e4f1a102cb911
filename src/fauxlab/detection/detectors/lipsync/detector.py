"""Lip-sync evidence: does the mouth move with the voice?

When someone speaks on camera, the jaw drops as the voice gets loud and closes in the
pauses, so mouth opening and the sound's loudness rise and fall together, with the sound
a little after the mouth (the mouth opens before the sound comes out; Chandrasekaran et
al. 2009 measured 100-300 ms at the start of utterances). A dubbed voice, a re-enacted
mouth or a lip-sync model that missed leaves the two unrelated.

What is measured, per frame of the main face: the **mouth opening**, the distance from
the chin to the bridge of the nose over the distance between the outer eye corners (the
jaw's drop, scale-free; on the shared clips it told the true sound track from another
clip's better than the gap between the lips, which shuts on every b, m and p); and the
**loudness** of the sound in the speech band (300-3000 Hz) in 50 ms around the frame,
in decibels within 50 dB of the loudest. Their correlation at lags of -0.5 to +0.5 s is
the cross-correlation curve; its peak and lag are reported.

A short clip's peak can be high by chance, so the peak is compared with the same peak
after sliding the sound by one second or more (nothing should line up then): `z` says
how many standard deviations above those chance peaks the real one stands.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from fauxlab.charts import Rule, Series, Span, line_chart, palette
from fauxlab.detection.analysed import AnalysedMedia, FrameRecord
from fauxlab.detection.detectors.lipsync import SPEC
from fauxlab.detection.evidence import Evidence, Figure
from fauxlab.faces.types import Face
from fauxlab.media.audio import Audio, band_rms, read_audio

Floats = NDArray[np.float64]
Track = list[tuple[FrameRecord, Face]]

MAX_LAG_S = 0.5
SYNC_WINDOW_MS = (-150.0, 350.0)  # sound 150 ms before to 350 ms after the mouth
WINDOW_S = 0.05
SPEECH_BAND = (300.0, 3000.0)
RANGE_DB = 50.0
SILENT_DBFS = -50.0  # the speech band's 90th-percentile level below this: no one speaks
MIN_SECONDS = 3.0
LIPS_APART = 0.05  # inner-lip gap over eye distance above which the mouth is open
MIN_SPEAKING = 0.1  # share of frames with the mouth open for the person to be speaking
CHANCE_SHIFT_S = 1.0
CHANCE_SHIFTS = 200
CLEAR_Z = 2.0
FULL_TRUST_S = 30.0  # a clip this long gives the full say; shorter ones proportionally less
P_SYNC, P_MAX = 0.1, 0.6


@dataclass(frozen=True)
class _Points:
    chin: int
    bridge: int
    eyes: tuple[int, int]
    lips: tuple[int, int]


_MESH = _Points(chin=152, bridge=168, eyes=(33, 263), lips=(13, 14))
_IBUG = _Points(chin=8, bridge=27, eyes=(36, 45), lips=(62, 66))


def mouth_measures(face: Face) -> tuple[float, float]:
    """Jaw opening (chin to nose bridge) and inner-lip gap, both over the eye distance."""
    ids, points = _IBUG, face.landmarks
    if face.mesh is not None and len(face.mesh) >= 468:
        ids, points = _MESH, face.mesh
    eyes = float(np.linalg.norm(points[ids.eyes[0]] - points[ids.eyes[1]]))
    if eyes <= 0:
        return 0.0, 0.0
    jaw = float(np.linalg.norm(points[ids.chin] - points[ids.bridge]))
    lips = float(np.linalg.norm(points[ids.lips[0]] - points[ids.lips[1]]))
    return jaw / eyes, lips / eyes


def cross_correlation(mouth: Floats, sound: Floats, max_lag: int) -> Floats:
    """Pearson correlation of mouth[t] with sound[t + k] for k in -max_lag..max_lag
    (k > 0: the sound comes after the mouth)."""
    out = np.zeros(2 * max_lag + 1)
    for i, k in enumerate(range(-max_lag, max_lag + 1)):
        a, b = (
            (mouth[: len(mouth) - k], sound[k:])
            if k >= 0
            else (mouth[-k:], sound[: len(sound) + k])
        )
        a, b = a - a.mean(), b - b.mean()
        scale = float(np.sqrt(np.sum(a * a) * np.sum(b * b)))
        out[i] = float(np.sum(a * b)) / scale if scale > 0 else 0.0
    return out


@dataclass(frozen=True)
class Sync:
    """The cross-correlation curve, its peak among the lags real speech shows
    (`SYNC_WINDOW_MS`) and anywhere in +-0.5 s, and the peaks chance reaches."""

    lags_ms: Floats
    curve: Floats
    peak: float
    lag_ms: float
    peak_anywhere: float
    lag_anywhere_ms: float
    chance_mean: float
    chance_sd: float
    seconds: float

    @property
    def z(self) -> float:
        return (self.peak - self.chance_mean) / max(self.chance_sd, 1e-6)

    @property
    def chance_level(self) -> float:
        return self.chance_mean + 2 * self.chance_sd


def measure_sync(mouth: Floats, sound: Floats, fps: float) -> Sync:
    """Cross-correlate the two per-frame series and compare the peak with chance."""
    lag = round(MAX_LAG_S * fps)
    lags_ms = np.arange(-lag, lag + 1) / fps * 1000.0
    window = (lags_ms >= SYNC_WINDOW_MS[0] - 1e-6) & (lags_ms <= SYNC_WINDOW_MS[1] + 1e-6)
    curve = cross_correlation(mouth, sound, lag)
    best, anywhere = int(np.argmax(np.where(window, curve, -np.inf))), int(np.argmax(curve))
    shift = round(CHANCE_SHIFT_S * fps)
    shifts = np.arange(shift, len(sound) - shift + 1)
    if len(shifts) > CHANCE_SHIFTS:
        shifts = shifts[np.linspace(0, len(shifts) - 1, CHANCE_SHIFTS).astype(int)]
    chance = [
        float(np.max(cross_correlation(mouth, np.roll(sound, s), lag)[window])) for s in shifts
    ]
    return Sync(
        lags_ms=lags_ms,
        curve=curve,
        peak=float(curve[best]),
        lag_ms=float(lags_ms[best]),
        peak_anywhere=float(curve[anywhere]),
        lag_anywhere_ms=float(lags_ms[anywhere]),
        chance_mean=float(np.mean(chance)) if chance else 0.0,
        chance_sd=float(np.std(chance)) if chance else 1.0,
        seconds=len(mouth) / fps,
    )


@dataclass(frozen=True)
class Signals:
    """The main face's mouth and the sound's loudness on a common per-frame grid."""

    times: Floats
    jaw: Floats
    lips: Floats
    loudness_db: Floats  # speech band, dBFS, before the 50 dB floor
    track_id: int


def signals(track: Track, audio: Audio, fps: float) -> Signals:
    """Per-frame series over the frames the face spans and the sound covers; frames where
    the face was briefly lost are filled in linearly."""
    frames = np.array([record.index for record, _ in track])
    times = np.array([record.time for record, _ in track], dtype=np.float64)
    measures = np.array([mouth_measures(face) for _, face in track], dtype=np.float64)
    grid = np.arange(frames[0], frames[-1] + 1)
    grid_times = np.interp(grid, frames, times)
    centres = grid_times + 0.5 / fps  # a frame shows from its time to the next frame's
    inside = (centres - WINDOW_S / 2 >= audio.start) & (centres + WINDOW_S / 2 <= audio.end)
    rms = band_rms(audio, centres[inside], WINDOW_S, SPEECH_BAND)
    return Signals(
        times=grid_times[inside],
        jaw=np.interp(grid, frames, measures[:, 0])[inside],
        lips=np.interp(grid, frames, measures[:, 1])[inside],
        loudness_db=20.0 * np.log10(rms + 1e-9),
        track_id=track[0][1].track_id,
    )


def sync_of(found: Signals, fps: float) -> Sync:
    """The sync of jaw and loudness, with silence floored: below 50 dB under the loudest,
    hiss and room noise would otherwise dominate the pauses."""
    loudness = np.maximum(found.loudness_db, float(np.max(found.loudness_db)) - RANGE_DB)
    return measure_sync(found.jaw, loudness, fps)


def lipsync_probability(sync: Sync) -> float:
    """Low when the mouth clearly follows the voice; up to 0.6 when it does not, scaled
    down for clips shorter than 30 s, whose curves are noisy."""
    if sync.z >= CLEAR_Z:
        return P_SYNC
    trust = min(1.0, sync.seconds / FULL_TRUST_S)
    return P_SYNC + (P_MAX - P_SYNC) * trust * min(1.0, (CLEAR_Z - sync.z) / CLEAR_Z)


def _summary(sync: Sync) -> str:
    when = "after" if sync.lag_ms >= 0 else "before"
    if sync.z >= CLEAR_Z:
        return (
            f"The mouth opens as the voice gets louder: they match best (correlation "
            f"{sync.peak:.2f}, well above chance) with the sound {abs(sync.lag_ms):.0f} ms "
            f"{when} the mouth, as when the voice belongs to this face."
        )
    return (
        f"The mouth and the voice barely move together (best correlation {sync.peak:.2f}, "
        f"close to what unrelated sound gives over {sync.seconds:.0f} s), as with dubbed or "
        "re-enacted speech, a voice from off screen or music."
    )


def _figure(sync: Sync) -> Figure:
    lags, (lo, hi) = sync.lags_ms.tolist(), SYNC_WINDOW_MS
    chart = line_chart(
        [
            Series("correlation", list(zip(lags, sync.curve.tolist(), strict=True))),
            Series("best match", [(sync.lag_ms, sync.peak)], palette.VERMILLION, kind="points"),
        ],
        title="Mouth opening against loudness, with the sound shifted in time",
        x_title="how late the sound comes after the mouth (milliseconds)",
        y_title="how much they move together",
        y_range=(-1.0, 1.0),
        rules=[Rule(sync.chance_level, "unrelated sound reaches (95%)"), Rule(0.0, "")],
        spans=[Span(lo, hi, "lags of real speech", palette.GREEN)],
    )
    return Figure(
        "lipsync",
        f"Correlation between mouth opening and loudness at each lag of the sound; the peak "
        f"among the lags real speech shows (shaded, {lo:+.0f} to {hi:+.0f} ms) is "
        f"{sync.peak:.2f} at {sync.lag_ms:+.0f} ms, where unrelated sound reaches "
        f"{sync.chance_level:.2f} (95%).",
        chart,
        "svg",
    )


def _details(sync: Sync, found: Signals, level: float, speaking: float) -> dict[str, Any]:
    return {
        "track_id": found.track_id,
        "seconds": round(sync.seconds, 2),
        "peak_correlation": round(sync.peak, 4),
        "lag_ms": round(sync.lag_ms),
        "lag_convention": "positive: the sound comes after the mouth",
        "sync_window_ms": list(SYNC_WINDOW_MS),
        "peak_anywhere": round(sync.peak_anywhere, 4),
        "lag_anywhere_ms": round(sync.lag_anywhere_ms),
        "correlation_at_zero": round(float(sync.curve[len(sync.curve) // 2]), 4),
        "chance_mean": round(sync.chance_mean, 4),
        "chance_sd": round(sync.chance_sd, 4),
        "z": round(sync.z, 2),
        "speech_level_dbfs": round(level, 1),
        "mouth_open_share": round(speaking, 3),
        "curve": [[round(x), round(y, 4)] for x, y in zip(sync.lags_ms, sync.curve, strict=True)],
        "mouth": "chin to nose bridge over the outer eye corners' distance",
        "loudness": f"RMS in {SPEECH_BAND[0]:.0f}-{SPEECH_BAND[1]:.0f} Hz over "
        f"{WINDOW_S * 1000:.0f} ms, dB, floored {RANGE_DB:.0f} dB under the loudest",
        "normal": "a clear peak (z >= 2) with the sound 0-300 ms after the mouth",
    }


class LipSyncDetector:
    """Correlates the main face's mouth opening with the loudness of the sound track."""

    name = SPEC.name

    def examine(self, media: AnalysedMedia) -> Evidence:
        if not media.is_video:
            return self._cannot("A still image has no sound to match the lips against.")
        if not media.has_audio:
            return self._cannot("The video has no sound track, so lip sync cannot be checked.")
        tracks = sorted(media.tracks().values(), key=len, reverse=True)
        if not tracks:
            return self._cannot("No face was found, so there were no lips to follow.")
        audio = read_audio(media.path)
        if audio is None:
            return self._cannot("The video has no sound track, so lip sync cannot be checked.")
        fps = media.fps or 25.0
        found = signals(tracks[0], audio, fps)
        if len(found.times) < MIN_SECONDS * fps:
            return self._cannot(
                f"The face and the sound overlap for {len(found.times) / fps:.1f} s, under the "
                f"{MIN_SECONDS:.0f} s needed to compare them."
            )
        level = float(np.percentile(found.loudness_db, 90))
        if level < SILENT_DBFS:
            return self._cannot("The sound track is silent, so lip sync cannot be checked.")
        speaking = float(np.mean(found.lips > LIPS_APART))
        if speaking < MIN_SPEAKING:
            return self._cannot(
                "The person's lips stay closed, so they are not speaking and lip sync "
                "cannot be checked."
            )
        sync = sync_of(found, fps)
        p = lipsync_probability(sync)
        details = _details(sync, found, level, speaking)
        return Evidence(
            self.name, p, _summary(sync), details, figures=[_figure(sync)], weight=SPEC.weight
        )

    def _cannot(self, why: str) -> Evidence:
        return Evidence(self.name, None, why, weight=SPEC.weight)
