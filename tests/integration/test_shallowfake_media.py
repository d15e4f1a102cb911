"""The shallowfake detector on real clips and on speed-changed and spliced copies of them.

The copies are made here, with PyAV, the way editors make them: slowed to 0.75x at the
same frame rate by repeating or blending frames, sped up to 1.25x by dropping frames,
the sound resampled (pitch follows the speed) or time-stretched (pitch kept). Two
different clips joined at the same size make the splice.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image

from cli_helpers import fauxlab
from fauxlab.detection.analysed import analyse
from fauxlab.detection.detectors.shallowfake.detector import ShallowfakeDetector
from fauxlab.detection.detectors.shallowfake.frames import read_signals
from fauxlab.detection.detectors.shallowfake.metadata import read_metadata
from fauxlab.detection.detectors.shallowfake.voice import VOICE_RATE, analyse_voice
from fauxlab.detection.evidence import Evidence
from fauxlab.media.audio import read_audio

RGB = NDArray[np.uint8]
Samples = NDArray[np.float32]


# --- making the copies -------------------------------------------------------------------


def read_clip(path: Path) -> tuple[list[RGB], Fraction, Samples | None, int]:
    """All frames (RGB), the frame rate, and the sound as mono float samples."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        fps = Fraction(stream.average_rate)
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
    with av.open(str(path)) as container:
        if not container.streams.audio:
            return frames, fps, None, 0
        audio = container.streams.audio[0]
        rate = int(audio.codec_context.sample_rate)
        resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
        chunks = [c.to_ndarray()[0] for f in container.decode(audio) for c in resampler.resample(f)]
        chunks += [c.to_ndarray()[0] for c in resampler.resample(None)]
    return frames, fps, np.concatenate(chunks).astype(np.float32), rate


def retime(frames: list[RGB], speed: float, blend: bool) -> list[RGB]:
    """Frames for `speed` x playback at the same frame rate: output frame n shows source
    time n * speed, by the frame before it (repeat / drop) or a mix of the two around it."""
    out: list[RGB] = []
    for n in range(int(len(frames) / speed)):
        position = n * speed
        i = min(int(np.floor(position + 1e-9)), len(frames) - 1)
        w = position - i
        if blend and w > 1e-6 and i + 1 < len(frames):
            mixed = (1 - w) * frames[i].astype(np.float32) + w * frames[i + 1]
            out.append((mixed + 0.5).astype(np.uint8))
        else:
            out.append(frames[i])
    return out


def resample_audio(samples: Samples, speed: float) -> Samples:
    """Play the samples `speed` times faster at the same rate: pitch moves with speed."""
    positions = np.arange(0, len(samples) - 1, speed)
    return np.interp(positions, np.arange(len(samples)), samples).astype(np.float32)


def stretch_audio(samples: Samples, rate: int, speed: float) -> Samples:
    """FFmpeg's atempo: the same sound `speed` times faster, pitch kept."""
    graph = av.filter.Graph()
    source = graph.add_abuffer(format="flt", sample_rate=rate, layout="mono")
    tempo = graph.add("atempo", str(speed))
    sink = graph.add("abuffersink")
    source.link_to(tempo)
    tempo.link_to(sink)
    graph.configure()
    out: list[Samples] = []

    def drain() -> None:
        while True:
            try:
                out.append(graph.pull().to_ndarray()[0])
            except (av.BlockingIOError, av.EOFError):
                return

    for start in range(0, len(samples), 1024):
        frame = av.AudioFrame.from_ndarray(samples[None, start : start + 1024], "flt", "mono")
        frame.sample_rate, frame.pts, frame.time_base = rate, start, Fraction(1, rate)
        graph.push(frame)
        drain()
    graph.push(None)
    drain()
    return np.concatenate(out).astype(np.float32)


def write_clip(
    path: Path, frames: list[RGB], fps: Fraction, audio: Samples | None = None, rate: int = 0
) -> Path:
    """H.264 (CRF 18) with AAC sound, as an editor exports it."""
    height, width = (d - d % 2 for d in frames[0].shape[:2])
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.options = {"crf": "18"}
        sound = container.add_stream("aac", rate=rate, layout="mono") if audio is not None else None
        for image in frames:
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image[:height, :width]))
            container.mux(video.encode(frame))
        container.mux(video.encode(None))
        if sound is not None and audio is not None:
            for start in range(0, len(audio), 1024):
                chunk = av.AudioFrame.from_ndarray(audio[None, start : start + 1024], "flt", "mono")
                chunk.sample_rate, chunk.pts = rate, start
                container.mux(sound.encode(chunk))
            container.mux(sound.encode(None))
    return path


def edit(
    source: Path, out: Path, speed: float, blend: bool = False, sound: str = "resample"
) -> Path:
    """A speed-changed copy of `source`; `sound` is "resample", "stretch", "keep" or "drop"."""
    frames, fps, audio, rate = read_clip(source)
    if audio is not None and sound == "resample":
        audio = resample_audio(audio, speed)
    elif audio is not None and sound == "stretch":
        audio = stretch_audio(audio, rate, speed)
    elif sound == "drop":
        audio = None
    return write_clip(out, retime(frames, speed, blend), fps, audio, rate)


def splice(first: Path, second: Path, out: Path, seconds: float = 2.5) -> Path:
    """The start of `first`, then `second` scaled to the same size, at `first`'s rate."""
    a, fps, _, _ = read_clip(first)
    b, _, _, _ = read_clip(second)
    height, width = a[0].shape[:2]
    keep = int(seconds * fps)
    b = [np.asarray(Image.fromarray(f).resize((width, height))) for f in b[:keep]]
    return write_clip(out, a[:keep] + b, fps)


# --- running the detector ----------------------------------------------------------------

Examine = Callable[[Path], Evidence]


@pytest.fixture(scope="module")
def examine() -> Iterator[Examine]:
    detector = ShallowfakeDetector()
    cache: dict[Path, Evidence] = {}

    def run(path: Path) -> Evidence:
        if path not in cache:
            cache[path] = detector.examine(analyse(path))
            evidence = cache[path]
            print(f"\n{path.name}: P(edited) = {evidence.probability}  {evidence.summary}")
        return cache[path]

    yield run


@pytest.fixture(scope="module")
def copies(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("shallowfakes")


def test_originals_are_not_flagged(
    examine: Examine, video_with_audio: Path, video_without_audio: Path
) -> None:
    for path in (video_with_audio, video_without_audio):
        evidence = examine(path)
        assert evidence.probability is not None
        assert evidence.probability < 0.5, (path.name, evidence.summary)
        assert evidence.details["playback_speed"]["finding"] in ("none", "frame-rate conversion")
        assert evidence.details["cuts"]["found"] == []
        assert evidence.figures and evidence.figures[0].svg.markup.startswith("<svg")
        json.dumps(evidence.to_dict())  # the report needs it JSON-safe


@pytest.mark.parametrize(
    ("name", "speed", "blend", "sound"),
    [
        ("slow-repeat-resampled", 0.75, False, "resample"),
        ("slow-blend-stretched", 0.75, True, "stretch"),
        ("fast-drop-resampled", 1.25, False, "resample"),
        ("fast-drop-stretched", 1.25, False, "stretch"),
    ],
)
def test_speed_changes_with_sound_are_flagged(
    examine: Examine,
    copies: Path,
    video_with_audio: Path,
    name: str,
    speed: float,
    blend: bool,
    sound: str,
) -> None:
    path = edit(video_with_audio, copies / f"with-audio-{name}.mp4", speed, blend, sound)
    evidence = examine(path)
    assert evidence.probability is not None and evidence.probability >= 0.5, evidence.summary
    found = evidence.details["playback_speed"]
    assert found["finding"] == "speed change", found
    assert found["speed"] in (0.75, 1.25)


@pytest.mark.parametrize(
    ("name", "speed", "blend"),
    [("slow-repeat", 0.75, False), ("slow-blend", 0.75, True), ("fast-drop", 1.25, False)],
)
def test_speed_changes_without_sound_are_flagged(
    examine: Examine,
    copies: Path,
    video_without_audio: Path,
    name: str,
    speed: float,
    blend: bool,
) -> None:
    path = edit(video_without_audio, copies / f"silent-{name}.mp4", speed, blend)
    evidence = examine(path)
    assert evidence.probability is not None and evidence.probability >= 0.5, evidence.summary
    assert evidence.details["playback_speed"]["finding"] == "speed change"
    assert evidence.details["voice"] is None


def test_repeated_frames_are_marked_at_their_cadence(copies: Path, video_with_audio: Path) -> None:
    path = edit(video_with_audio, copies / "slow-repeat-only.mp4", 0.75, sound="drop")
    evidence = ShallowfakeDetector().examine(analyse(path))
    repeats = evidence.details["playback_speed"]["repeated_frames"]
    assert repeats["spacing_frames"] == pytest.approx(4.0, abs=0.05)
    assert repeats["regularity"] > 0.9
    assert "0.75x" in evidence.summary


def test_a_picture_slowed_without_its_sound_contradicts_its_metadata(
    copies: Path, video_with_audio: Path
) -> None:
    path = edit(video_with_audio, copies / "slow-sound-kept.mp4", 0.75, sound="keep")
    metadata = read_metadata(path, read_signals(path))
    assert any("sound runs" in c for c in metadata.contradictions), metadata.contradictions
    original = read_metadata(video_with_audio, read_signals(video_with_audio))
    assert original.contradictions == []


def test_a_cut_to_another_shot_is_an_edit_not_a_fake(
    examine: Examine, copies: Path, video_with_audio: Path, video_without_audio: Path
) -> None:
    path = splice(video_with_audio, video_without_audio, copies / "spliced.mp4")
    evidence = examine(path)
    cuts = evidence.details["cuts"]["found"]
    assert len(cuts) == 1 and cuts[0]["kind"] == "picture", cuts
    assert cuts[0]["time"] == pytest.approx(2.5, abs=0.1)
    assert evidence.probability is not None and evidence.probability < 0.3, evidence.summary
    assert [(e.kind, round(e.time or 0, 1)) for e in evidence.edits] == [("cut", 2.5)]
    assert "1 cut, at 2.5 s: check that nothing was removed" in evidence.summary


def jump_cut(source: Path, out: Path, at: float = 2.5, removed: float = 1.0) -> Path:
    """`source` with `removed` seconds cut out at `at`: words taken out of a speech."""
    frames, fps, _, _ = read_clip(source)
    start, stop = int(at * fps), int((at + removed) * fps)
    return write_clip(out, frames[:start] + frames[stop:], fps)


def test_a_jump_cut_inside_one_shot_is_flagged(
    examine: Examine, copies: Path, video_with_audio: Path
) -> None:
    evidence = examine(jump_cut(video_with_audio, copies / "jump-cut.mp4"))
    assert evidence.probability is not None and evidence.probability >= 0.5, evidence.summary
    cuts = evidence.details["cuts"]["found"]
    assert [c["kind"] for c in cuts] in (["jump cut"], ["face jump"]), cuts
    assert cuts[0]["time"] == pytest.approx(2.5, abs=0.1)
    assert "spliced" in evidence.summary and not evidence.edits


def test_the_voice_of_a_resampled_copy_drops_in_pitch(copies: Path, video_with_audio: Path) -> None:
    audio = read_audio(video_with_audio, VOICE_RATE)
    assert audio is not None
    samples = audio.samples.astype(np.float64)
    assert samples is not None
    original = analyse_voice(samples)
    slowed = analyse_voice(resample_audio(samples.astype(np.float32), 0.75).astype(np.float64))
    assert original.pitch_hz is not None and slowed.pitch_hz is not None
    assert slowed.pitch_hz / original.pitch_hz == pytest.approx(0.75, abs=0.05)


@pytest.fixture(scope="session")
def shared_scores(shared_videos: Path) -> dict[str, Evidence]:
    """The detector on every shared clip, once per session."""
    detector = ShallowfakeDetector()
    return {p.name: detector.examine(analyse(p)) for p in sorted(shared_videos.glob("*.mp4"))}


@pytest.mark.slow
def test_no_shared_real_clip_is_flagged(shared_scores: dict[str, Evidence]) -> None:
    for name, evidence in shared_scores.items():
        print(f"{name:24s} {evidence.probability:.3f}  {evidence.summary}")
    flagged = {n: e.summary for n, e in shared_scores.items() if (e.probability or 0) >= 0.5}
    assert not flagged
    assert len(shared_scores) >= 2


def test_a_clip_with_three_camera_cuts_is_not_called_fake(
    copies: Path, shared_videos: Path, tmp_path: Path
) -> None:
    """Four shots of 1.5 s from four real clips, as a news package cuts them."""
    shots = ["voxceleb-1.mp4", "liveportrait-d0.mp4", "hdtf-1.mp4", "voxceleb-2.mp4"]
    first, fps, _, _ = read_clip(shared_videos / shots[0])
    height, width = first[0].shape[:2]
    keep = int(1.5 * fps)
    frames = first[:keep]
    for name in shots[1:]:
        clip, _, _, _ = read_clip(shared_videos / name)
        frames += [np.asarray(Image.fromarray(f).resize((width, height))) for f in clip[:keep]]
    path = write_clip(copies / "news-package.mp4", frames, fps)
    result = fauxlab("detect", path, "--detectors", "shallowfake", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr  # 0: nothing judged fake
    report = json.loads(result.stdout)["files"][0]
    assert report["verdict"] != "fake", report["explanation"]
    times = [e["time"] for e in report["edits"]["found"] if e["kind"] == "cut"]
    assert times == pytest.approx([1.5, 3.0, 4.5], abs=0.1)
    assert report["edits"]["summary"].startswith("3 cuts, at 1.5, 3.0 and 4.5 s")
