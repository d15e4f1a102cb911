"""Media I/O against real files: shared talking-head videos and images written from astronaut.

Nothing from the shared data folder is copied into the repository: every derived file
(truncated copies, re-encodes, renamed files) is written under `tmp_path`.
"""

from __future__ import annotations

import itertools
import math
import os
import shutil
import struct
import wave
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image, ImageFile

from fauxlab.errors import (
    CorruptMediaError,
    FauxlabError,
    InputError,
    MediaTooLargeError,
    OutputExistsError,
    UnsupportedFormatError,
)
from fauxlab.media import (
    MediaKind,
    Sampling,
    VideoWriter,
    expand_inputs,
    iter_frames,
    media_kind,
    probe_video,
    read_image,
    write_image,
)

RGB = NDArray[np.uint8]


# --- helpers ---------------------------------------------------------------------------


def _mean_abs_diff(a: RGB, b: RGB) -> float:
    assert a.shape == b.shape, (a.shape, b.shape)
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


def _leftovers(folder: Path, keep: set[str]) -> list[str]:
    """Names in `folder` other than `keep`: partial files, temporary copies."""
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


def _atoms(data: bytes) -> list[tuple[str, int, int]]:
    """Top-level ISO BMFF boxes as (type, offset, size)."""
    found: list[tuple[str, int, int]] = []
    offset = 0
    while offset + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        if size == 1:
            (size,) = struct.unpack(">Q", data[offset + 8 : offset + 16])
        elif size == 0:
            size = len(data) - offset
        found.append((kind.decode("latin-1"), offset, size))
        if size < 8:
            break
        offset += size
    return found


def _pattern(width: int, height: int, i: int) -> RGB:
    """A frame with a white block in the top-left corner and a changing green level."""
    image = np.zeros((height, width, 3), np.uint8)
    image[: height // 2, : width // 4] = 255
    image[..., 1] = (i * 7) % 256
    return image


def _synth_video(
    path: Path,
    *,
    times: list[float],
    fps: int = 25,
    size: tuple[int, int] = (64, 48),
    fmt: str | None = None,
    rotation: int | None = None,
) -> Path:
    """An H.264 video written with PyAV directly (not with the code under test)."""
    width, height = size
    with av.open(str(path), "w", format=fmt) as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.time_base = Fraction(1, 1000)
        if rotation is not None:
            stream.set_display_rotation(rotation)
        for i, t in enumerate(times):
            frame = av.VideoFrame.from_ndarray(_pattern(width, height, i), format="rgb24")
            frame.pts, frame.time_base = round(t * 1000), Fraction(1, 1000)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def _write_wav(path: Path, seconds: float, rate: int = 16_000) -> Path:
    t = np.arange(round(seconds * rate)) / rate
    samples = (8000 * np.sin(2 * math.pi * 220 * t)).astype(np.int16)
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes(samples.tobytes())
    return path


def _audio_facts(path: Path) -> dict[str, Any] | None:
    """Codec, rate, first packet time and end time of the first audio stream, from packets."""
    with av.open(str(path)) as container:
        if not container.streams.audio:
            return None
        stream = container.streams.audio[0]
        packets = [p for p in container.demux(stream) if p.size > 0]
        first = packets[0]
        return {
            "codec": stream.codec_context.name,
            "rate": stream.codec_context.sample_rate,
            "channels": stream.codec_context.layout.nb_channels,
            "first": float(first.pts * first.time_base),
            "end": max(float((p.pts + p.duration) * p.time_base) for p in packets),
            "duration": float(stream.duration * stream.time_base),
        }


def _video_facts(path: Path) -> dict[str, Any]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        times = [float(f.time) for f in container.decode(stream)]
        return {
            "frames": len(times),
            "header_frames": stream.frames,
            "times": times,
            "duration": float(stream.duration * stream.time_base),
            "codec": stream.codec_context.name,
        }


# --- read_image ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("suffix", "lossless"),
    [(".jpg", False), (".png", True), (".webp", False), (".bmp", True)],
)
def test_read_image_formats(tmp_path: Path, astronaut: RGB, suffix: str, lossless: bool) -> None:
    path = tmp_path / f"astronaut{suffix}"
    Image.fromarray(astronaut).save(path, quality=95)
    image = read_image(path)
    assert image.dtype == np.uint8
    assert image.shape == (512, 512, 3)
    if lossless:
        np.testing.assert_array_equal(image, astronaut)
    else:
        assert _mean_abs_diff(image, astronaut) < 4


@pytest.mark.parametrize(("orientation", "turns"), [(3, 2), (6, -1), (8, 1)])
def test_read_image_applies_exif_orientation(
    tmp_path: Path, astronaut: RGB, orientation: int, turns: int
) -> None:
    stored = np.ascontiguousarray(astronaut[:, :400])  # not square, so a turn shows in the shape
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / f"orientation-{orientation}.jpg"
    Image.fromarray(stored).save(path, quality=95, exif=exif.tobytes())

    image = read_image(path)

    upright = np.rot90(stored, k=turns)
    assert image.shape == upright.shape
    if turns % 2:
        assert image.shape == (400, 512, 3)
    assert _mean_abs_diff(image, upright) < 4
    assert _mean_abs_diff(image, np.rot90(stored, k=turns + 2)) > 20  # not the other way round


def test_read_image_sixteen_bit_grey_keeps_its_range(tmp_path: Path) -> None:
    ramp = np.linspace(0, 65535, 256).astype(np.uint16)[None].repeat(4, axis=0)
    path = tmp_path / "ramp16.png"
    Image.fromarray(ramp).save(path)
    image = read_image(path)
    assert image.shape == (4, 256, 3)
    np.testing.assert_array_equal(image[0, :, 0], (ramp[0] >> 8).astype(np.uint8))


def _missing(tmp_path: Path, astronaut: RGB) -> Path:
    return tmp_path / "nowhere.jpg"


def _folder(tmp_path: Path, astronaut: RGB) -> Path:
    folder = tmp_path / "photos.jpg"
    folder.mkdir()
    return folder


def _empty(tmp_path: Path, astronaut: RGB) -> Path:
    path = tmp_path / "empty.png"
    path.touch()
    return path


def _truncated(suffix: str) -> Callable[[Path, RGB], Path]:
    def build(tmp_path: Path, astronaut: RGB) -> Path:
        whole = tmp_path / f"whole{suffix}"
        Image.fromarray(astronaut).save(whole)
        data = whole.read_bytes()
        path = tmp_path / f"truncated{suffix}"
        path.write_bytes(data[: len(data) // 2])
        return path

    return build


def _text_as_jpeg(tmp_path: Path, astronaut: RGB) -> Path:
    path = tmp_path / "notes.jpg"
    path.write_text("this is a shopping list, not a photo\n" * 20)
    return path


def _text_file(tmp_path: Path, astronaut: RGB) -> Path:
    path = tmp_path / "notes.txt"
    path.write_text("hello\n")
    return path


def _tiff(tmp_path: Path, astronaut: RGB) -> Path:
    path = tmp_path / "astronaut.tif"
    Image.fromarray(astronaut).save(path)
    return path


def _gif(tmp_path: Path, astronaut: RGB) -> Path:
    path = tmp_path / "astronaut.gif"
    Image.fromarray(astronaut).save(path)
    return path


@pytest.mark.parametrize(
    ("build", "error"),
    [
        (_missing, InputError),
        (_folder, InputError),
        (_empty, CorruptMediaError),
        (_truncated(".jpg"), CorruptMediaError),
        (_truncated(".png"), CorruptMediaError),
        (_truncated(".webp"), CorruptMediaError),
        (_text_as_jpeg, UnsupportedFormatError),
        (_text_file, UnsupportedFormatError),
        (_tiff, UnsupportedFormatError),
        (_gif, UnsupportedFormatError),
    ],
    ids=[
        "missing",
        "folder",
        "empty",
        "truncated-jpeg",
        "truncated-png",
        "truncated-webp",
        "text-as-jpeg",
        "text",
        "tiff",
        "gif",
    ],
)
def test_read_image_rejects_bad_input(
    tmp_path: Path,
    astronaut: RGB,
    build: Callable[[Path, RGB], Path],
    error: type[FauxlabError],
) -> None:
    path = build(tmp_path, astronaut)
    with pytest.raises(error) as caught:
        read_image(path)
    assert type(caught.value) is error
    assert str(path) in str(caught.value)


def test_pixel_limit_is_checked_before_decoding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "big.png"
    Image.new("RGB", (3000, 3000), (40, 80, 120)).save(path)
    whole = path.read_bytes()

    def no_decoding(self: ImageFile.ImageFile) -> None:
        raise AssertionError("pixels were decoded before the size check")

    with monkeypatch.context() as patch:
        patch.setattr(ImageFile.ImageFile, "load", no_decoding)
        with pytest.raises(MediaTooLargeError) as caught:
            read_image(path, max_pixels=1_000_000)
    assert str(path) in str(caught.value)
    assert "3000x3000" in str(caught.value)

    # only the header survives: decoding would fail as corrupt, the size check does not
    path.write_bytes(whole[:200])
    with pytest.raises(MediaTooLargeError):
        read_image(path, max_pixels=1_000_000)
    # and under a limit it allows, the same header is decoded and found truncated
    with pytest.raises(CorruptMediaError):
        read_image(path, max_pixels=10_000_000)


# --- write_image -----------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".webp", ".bmp"])
def test_write_image_round_trip(tmp_path: Path, astronaut: RGB, suffix: str) -> None:
    path = tmp_path / "sub" / f"out{suffix}"
    assert write_image(path, astronaut) == path
    assert _leftovers(path.parent, {path.name}) == []
    image = read_image(path)
    if suffix in (".png", ".bmp"):
        np.testing.assert_array_equal(image, astronaut)
    else:
        assert _mean_abs_diff(image, astronaut) < 4


def test_write_image_refuses_existing_file(tmp_path: Path, astronaut: RGB) -> None:
    path = tmp_path / "precious.png"
    path.write_bytes(b"the user's own file")
    with pytest.raises(OutputExistsError) as caught:
        write_image(path, astronaut)
    assert str(path) in str(caught.value)
    assert path.read_bytes() == b"the user's own file"
    assert _leftovers(tmp_path, {path.name}) == []

    write_image(path, astronaut, overwrite=True)
    np.testing.assert_array_equal(read_image(path), astronaut)
    assert _leftovers(tmp_path, {path.name}) == []


def test_write_image_failure_leaves_nothing(
    tmp_path: Path, astronaut: RGB, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_save = Image.Image.save

    def save_then_fail(self: Image.Image, fp: Any, *args: Any, **kwargs: Any) -> None:
        real_save(self, fp, *args, **kwargs)  # a partial file really exists at this point
        raise OSError("disk full")

    monkeypatch.setattr(Image.Image, "save", save_then_fail)
    with pytest.raises(OSError, match="disk full"):
        write_image(tmp_path / "out.png", astronaut)
    assert list(tmp_path.iterdir()) == []


def test_write_image_rejects_non_rgb_arrays(tmp_path: Path, astronaut: RGB) -> None:
    with pytest.raises(ValueError, match="uint8"):
        write_image(tmp_path / "float.png", astronaut.astype(np.float64) / 255)
    with pytest.raises(ValueError, match=r"\(H, W, 3\)"):
        write_image(tmp_path / "grey.png", astronaut[..., 0])
    with pytest.raises(UnsupportedFormatError):
        write_image(tmp_path / "out.tif", astronaut)
    assert list(tmp_path.iterdir()) == []


# --- bad video input -------------------------------------------------------------------


def _truncated_video(tmp_path: Path, source: Path) -> Path:
    data = source.read_bytes()
    path = tmp_path / "truncated.mp4"
    path.write_bytes(data[: int(len(data) * 0.3)])
    return path


def _random_bytes_video(tmp_path: Path, source: Path) -> Path:
    path = tmp_path / "random.mp4"
    path.write_bytes(np.random.default_rng(7).bytes(200_000))
    return path


def _moov_cut_video(tmp_path: Path, source: Path) -> Path:
    data = source.read_bytes()
    moov = [(offset, size) for kind, offset, size in _atoms(data) if kind == "moov"]
    assert moov, f"{source} has no moov box"
    offset, size = moov[0]
    path = tmp_path / "no-moov.mp4"
    path.write_bytes(data[:offset] + data[offset + size :])
    return path


def _front_index_truncated(tmp_path: Path, source: Path) -> Path:
    """An mp4 whose index (moov) comes first, cut after it: opens, but its data is gone."""
    whole = tmp_path / "faststart.mp4"
    with VideoWriter(whole, 25, preset="ultrafast") as writer:
        for frame in iter_frames(source, Sampling("every", 10)):
            writer.write(frame.image)
    data = whole.read_bytes()
    kinds = [kind for kind, _, _ in _atoms(data)]
    assert kinds.index("moov") < kinds.index("mdat")  # VideoWriter writes faststart files
    path = tmp_path / "faststart-truncated.mp4"
    path.write_bytes(data[: int(len(data) * 0.6)])
    return path


def _audio_only(tmp_path: Path, source: Path) -> Path:
    path = tmp_path / "sound.m4a"
    with av.open(str(source)) as src, av.open(str(path), "w", format="mp4") as out:
        audio = out.add_stream_from_template(src.streams.audio[0])
        for packet in src.demux(src.streams.audio[0]):
            if packet.dts is not None:
                packet.stream = audio
                out.mux(packet)
    return path


@pytest.mark.parametrize(
    ("build", "error"),
    [
        (_truncated_video, CorruptMediaError),
        (_random_bytes_video, CorruptMediaError),
        (_moov_cut_video, CorruptMediaError),
        (_front_index_truncated, CorruptMediaError),
        (_audio_only, InputError),
    ],
    ids=["truncated-30pc", "random-bytes", "moov-cut", "faststart-truncated", "audio-only"],
)
def test_bad_video_input(
    tmp_path: Path,
    video_with_audio: Path,
    build: Callable[[Path, Path], Path],
    error: type[FauxlabError],
) -> None:
    path = build(tmp_path, video_with_audio)
    with pytest.raises(error) as caught:
        probe_video(path)
    assert type(caught.value) is error
    assert str(path) in str(caught.value)
    with pytest.raises(error) as caught:
        list(iter_frames(path))
    assert str(path) in str(caught.value)


def test_video_pixel_limit(video_with_audio: Path) -> None:
    with pytest.raises(MediaTooLargeError) as caught:
        probe_video(video_with_audio, max_pixels=10_000)
    assert str(video_with_audio) in str(caught.value)


# --- iter_frames -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def all_frames(video_with_audio: Path) -> list[tuple[int, float]]:
    return [(f.index, f.time) for f in iter_frames(video_with_audio)]


def test_probe_video_matches_the_stream(video_with_audio: Path) -> None:
    info = probe_video(video_with_audio)
    facts = _video_facts(video_with_audio)
    assert info.frame_count == facts["frames"] == facts["header_frames"]
    assert info.duration == pytest.approx(facts["duration"])
    assert info.has_audio and info.audio_codec == "aac"
    assert info.sample_rate == _audio_facts(video_with_audio)["rate"]  # type: ignore[index]
    assert info.rotation == 0
    assert info.fps > 0 and info.width > 0 and info.height > 0


def test_iter_frames_all(video_with_audio: Path, all_frames: list[tuple[int, float]]) -> None:
    info = probe_video(video_with_audio)
    assert len(all_frames) == info.frame_count
    assert [i for i, _ in all_frames] == list(range(info.frame_count))
    times = [t for _, t in all_frames]
    assert all(b > a for a, b in itertools.pairwise(times))
    assert times[0] == pytest.approx(0.0, abs=1 / info.fps)
    assert times[-1] == pytest.approx(info.duration - 1 / info.fps, abs=1 / info.fps)
    first = next(iter_frames(video_with_audio))
    assert first.image.dtype == np.uint8
    assert first.image.shape == (info.height, info.width, 3)
    assert first.image.flags.c_contiguous


def test_iter_frames_every(video_with_audio: Path, all_frames: list[tuple[int, float]]) -> None:
    frames = [(f.index, f.time) for f in iter_frames(video_with_audio, Sampling.parse("every:5"))]
    assert frames == all_frames[::5]
    assert len(frames) == math.ceil(len(all_frames) / 5)


def test_iter_frames_count(video_with_audio: Path, all_frames: list[tuple[int, float]]) -> None:
    frames = list(iter_frames(video_with_audio, Sampling.parse("count:8")))
    total = len(all_frames)
    indices = [f.index for f in frames]
    assert len(frames) == 8
    assert indices == sorted(set(indices))
    assert indices[0] < total / 8 and indices[-1] >= total - total / 8  # reaches both ends
    step = total / 8
    assert all(0.5 * step <= b - a <= 1.5 * step for a, b in itertools.pairwise(indices))
    assert [f.time for f in frames] == [all_frames[i][1] for i in indices]


def test_iter_frames_fps(video_with_audio: Path, all_frames: list[tuple[int, float]]) -> None:
    info = probe_video(video_with_audio)
    times = [f.time for f in iter_frames(video_with_audio, Sampling.parse("fps:2"))]
    assert abs(len(times) - 2 * info.duration) <= 1
    gaps = np.diff(times)
    assert np.all(gaps > 0)
    assert np.all(np.abs(gaps - 0.5) <= 1 / info.fps + 1e-6)


def test_iter_frames_count_without_a_header_frame_count(tmp_path: Path) -> None:
    """Matroska lists no frame count: the frames are counted, and count:N is still exact."""
    path = _synth_video(tmp_path / "clip.mkv", times=[i / 25 for i in range(50)])
    with av.open(str(path)) as container:
        assert container.streams.video[0].frames == 0
    for n, expected in [(8, 8), (50, 50), (80, 50), (1, 1)]:
        frames = list(iter_frames(path, Sampling("count", n)))
        assert len(frames) == expected, n
        assert len({f.index for f in frames}) == expected


def test_iter_frames_applies_display_rotation(tmp_path: Path) -> None:
    path = _synth_video(tmp_path / "phone.mp4", times=[i / 25 for i in range(5)], rotation=90)
    info = probe_video(path)
    assert (info.width, info.height, info.rotation) == (48, 64, 90)
    frame = next(iter_frames(path))
    assert frame.image.shape == (64, 48, 3)
    expected = np.rot90(_pattern(64, 48, 0), k=1)  # 90 degrees counterclockwise
    assert _mean_abs_diff(frame.image, expected) < 8


def test_iter_frames_keeps_variable_frame_timing(tmp_path: Path) -> None:
    times = [0.0, 0.04, 0.08, 0.3, 0.34, 1.0, 1.04]
    path = _synth_video(tmp_path / "vfr.mp4", times=times)
    assert [f.time for f in iter_frames(path)] == pytest.approx(times, abs=1e-3)
    # fps:10 keeps the first frame at or after each 0.1 s step, skipping the gaps
    picked = [f.time for f in iter_frames(path, Sampling("fps", 10))]
    assert picked == pytest.approx([0.0, 0.3, 1.0], abs=1e-3)


# --- VideoWriter -----------------------------------------------------------------------


def test_video_writer_keeps_audio_in_sync(tmp_path: Path, video_with_audio: Path) -> None:
    info = probe_video(video_with_audio)
    out = tmp_path / "reencoded.mp4"
    written = 0
    with VideoWriter(out, info.fps, audio_from=video_with_audio) as writer:
        for frame in iter_frames(video_with_audio):
            writer.write(frame.image, frame.time)
            written += 1
        assert writer.frames_written == written
    assert _leftovers(tmp_path, {out.name}) == []

    source_audio = _audio_facts(video_with_audio)
    output_audio = _audio_facts(out)
    assert source_audio is not None and output_audio is not None
    assert output_audio["codec"] == source_audio["codec"]
    assert output_audio["rate"] == source_audio["rate"]
    assert output_audio["channels"] == source_audio["channels"]
    # sync: the sound starts at the same instant and lasts as long
    assert output_audio["first"] == pytest.approx(source_audio["first"], abs=1e-3)
    assert output_audio["end"] == pytest.approx(source_audio["end"], abs=1e-3)
    assert output_audio["duration"] == pytest.approx(source_audio["duration"], abs=0.1)

    source_video = _video_facts(video_with_audio)
    output_video = _video_facts(out)
    assert output_video["codec"] == "h264"
    assert output_video["frames"] == output_video["header_frames"] == written
    assert written == info.frame_count
    assert output_video["duration"] == pytest.approx(source_video["duration"], abs=1 / info.fps)
    assert output_video["times"] == pytest.approx(source_video["times"], abs=1e-3)

    out_info = probe_video(out)
    assert (out_info.width, out_info.height) == (
        info.width - info.width % 2,
        info.height - info.height % 2,
    )


def test_video_writer_without_audio(tmp_path: Path, video_without_audio: Path) -> None:
    info = probe_video(video_without_audio)
    assert not info.has_audio
    out = tmp_path / "silent.mp4"
    with VideoWriter(out, info.fps, audio_from=video_without_audio, preset="ultrafast") as writer:
        for frame in iter_frames(video_without_audio, Sampling("every", 4)):
            writer.write(frame.image)
    assert _audio_facts(out) is None
    facts = _video_facts(out)
    assert facts["frames"] == math.ceil(info.frame_count / 4)
    # untimed frames are evenly spaced at the writer's rate
    assert np.diff(facts["times"]) == pytest.approx(1 / info.fps, abs=1e-3)


def test_video_writer_transcodes_pcm_audio(tmp_path: Path) -> None:
    """A WAV sound track (PCM, which mp4 cannot carry) is re-encoded to AAC at its rate."""
    tone = _write_wav(tmp_path / "tone.wav", seconds=2.0, rate=16_000)
    out = tmp_path / "toned.mp4"
    with VideoWriter(out, 25, audio_from=tone, preset="ultrafast") as writer:
        for i in range(50):
            writer.write(_pattern(64, 48, i), i / 25)
    audio = _audio_facts(out)
    assert audio is not None
    assert (audio["codec"], audio["rate"], audio["channels"]) == ("aac", 16_000, 1)
    assert audio["end"] == pytest.approx(2.0, abs=0.1)
    assert _video_facts(out)["frames"] == 50


def test_video_writer_keeps_variable_frame_timing(tmp_path: Path) -> None:
    # off the 1/25 s grid of the nominal rate, with gaps: timestamps must survive as given
    times = [0.0, 0.033, 0.1, 0.31, 0.345, 1.0, 1.013]
    out = tmp_path / "vfr.mp4"
    with VideoWriter(out, 25, preset="ultrafast") as writer:
        for i, t in enumerate(times):
            writer.write(_pattern(64, 48, i), t)
    assert _video_facts(out)["times"] == pytest.approx(times, abs=1e-3)


def test_video_writer_bad_audio_source_leaves_nothing(tmp_path: Path) -> None:
    noise = tmp_path / "noise.mp4"
    noise.write_bytes(np.random.default_rng(3).bytes(50_000))
    with pytest.raises(CorruptMediaError) as caught:
        VideoWriter(tmp_path / "out.mp4", 25, audio_from=noise)
    assert str(noise) in str(caught.value)
    assert _leftovers(tmp_path, {noise.name}) == []


def test_video_writer_refuses_existing_output(tmp_path: Path, video_with_audio: Path) -> None:
    out = tmp_path / "taken.mp4"
    out.write_bytes(b"someone else's video")
    with pytest.raises(OutputExistsError) as caught:
        VideoWriter(out, 25, audio_from=video_with_audio)
    assert str(out) in str(caught.value)
    assert out.read_bytes() == b"someone else's video"
    assert _leftovers(tmp_path, {out.name}) == []


def test_video_writer_exception_leaves_nothing(tmp_path: Path, video_with_audio: Path) -> None:
    out = tmp_path / "broken.mp4"
    writer = VideoWriter(out, 25, audio_from=video_with_audio, preset="ultrafast")
    with pytest.raises(RuntimeError, match="face tracker crashed"), writer:
        for frame in iter_frames(video_with_audio, Sampling("count", 20)):
            writer.write(frame.image, frame.time)
        raise RuntimeError("face tracker crashed")
    assert list(tmp_path.iterdir()) == []


def test_video_writer_bad_frames_leave_nothing(tmp_path: Path) -> None:
    out = tmp_path / "sizes.mp4"
    writer = VideoWriter(out, 25, preset="ultrafast")
    with pytest.raises(ValueError, match="differs"), writer:
        writer.write(_pattern(64, 48, 0))
        writer.write(_pattern(32, 48, 1))
    with pytest.raises(InputError, match="no frame"), VideoWriter(out, 25):
        pass
    with pytest.raises(UnsupportedFormatError):
        VideoWriter(tmp_path / "clip.avi", 25)
    assert list(tmp_path.iterdir()) == []


def test_video_writer_odd_sizes_are_cropped_even(tmp_path: Path, astronaut: RGB) -> None:
    out = tmp_path / "odd.mp4"
    with VideoWriter(out, 10, preset="ultrafast") as writer:
        for _ in range(3):
            writer.write(astronaut[:101, :77])
    info = probe_video(out)
    assert (info.width, info.height, info.frame_count) == (76, 100, 3)


# --- discover --------------------------------------------------------------------------


def test_expand_inputs_walks_folders(tmp_path: Path, astronaut: RGB) -> None:
    root = tmp_path / "inbox"
    (root / "a" / "b").mkdir(parents=True)
    (root / ".cache").mkdir()
    small = astronaut[::8, ::8]
    write_image(root / "z.png", small)
    write_image(root / "a" / "one.JPG", small)
    write_image(root / "a" / "b" / "two.webp", small)
    _synth_video(root / "a" / "b" / "clip.mp4", times=[0.0, 0.04])
    (root / "a" / "notes.txt").write_text("not media")
    (root / "a" / "b" / "data.json").write_text("{}")
    write_image(root / ".cache" / "thumb.png", small)  # hidden folder: skipped
    write_image(root / "a" / "._one.jpg", small)  # hidden file (a resource fork): skipped
    loose = tmp_path / "loose.bmp"
    write_image(loose, small)

    found = expand_inputs([loose, root, root / "z.png"])

    expected = [
        loose,
        root / "a" / "b" / "clip.mp4",
        root / "a" / "b" / "two.webp",
        root / "a" / "one.JPG",
        root / "z.png",
    ]
    assert found == [p.resolve() for p in expected]


def test_expand_inputs_rejects_named_non_media(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    with pytest.raises(UnsupportedFormatError) as caught:
        expand_inputs([notes])
    assert str(notes) in str(caught.value)
    with pytest.raises(InputError, match="no such file"):
        expand_inputs([tmp_path / "gone.mp4"])


def test_media_kind_sniffs_content(tmp_path: Path, astronaut: RGB) -> None:
    png_as_jpeg = tmp_path / "really-a-png.jpg"
    Image.fromarray(astronaut).save(png_as_jpeg, format="PNG")
    assert media_kind(png_as_jpeg) is MediaKind.IMAGE
    np.testing.assert_array_equal(read_image(png_as_jpeg), astronaut)

    png_as_video = tmp_path / "really-a-png.mp4"
    shutil.copyfile(png_as_jpeg, png_as_video)
    assert media_kind(png_as_video) is MediaKind.IMAGE

    video_as_jpeg = tmp_path / "really-a-video.jpg"
    _synth_video(tmp_path / "clip.mp4", times=[0.0, 0.04]).rename(video_as_jpeg)
    assert media_kind(video_as_jpeg) is MediaKind.VIDEO
    assert probe_video(video_as_jpeg).frame_count == 2

    heic = tmp_path / "photo.heic"
    heic.write_bytes(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(64))
    with pytest.raises(UnsupportedFormatError):
        media_kind(heic)

    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(UnsupportedFormatError):
        media_kind(text)


def test_media_kind_of_a_real_video_and_photo(shared_data: Path, video_with_audio: Path) -> None:
    assert media_kind(video_with_audio) is MediaKind.VIDEO
    photos = sorted((shared_data / "faces" / "utkface").glob("*.jpg"))[:3]
    if not photos:
        pytest.skip("no UTKFace photos in the shared data")
    for photo in photos:
        assert media_kind(photo) is MediaKind.IMAGE
        image = read_image(photo)
        assert image.ndim == 3 and image.shape[2] == 3 and image.dtype == np.uint8


def test_no_partial_files_survive_in_the_tree(tmp_path: Path) -> None:
    # a stale partial from a crashed run is hidden from folder walks
    (tmp_path / ".out.1234abcd.partial.mp4").write_bytes(os.urandom(64))
    assert expand_inputs([tmp_path]) == []
