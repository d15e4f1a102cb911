"""The contract every registered detector keeps, checked on five kinds of real media.

A photo with a face, a picture with no face, a 3 s clip without sound, a clip with
sound and a sound file (real speech): each detector gives valid evidence or says it
cannot judge, never raises, and says what it looked at. The example detector in
docs/detect.md is loaded from the page and held to the same contract.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from skimage import data

from fauxlab.detection import (
    AnalysedMedia,
    AnalysisOptions,
    Evidence,
    analyse,
    available_detectors,
    default_names,
    detect_file,
    registry,
    specs,
)
from fauxlab.errors import InputError
from fauxlab.media import VideoWriter, iter_frames, probe_video, write_image

REPO = Path(__file__).resolve().parents[2]
KEYFRAMES = 8  # enough for every detector's video path, and quick
MEDIA = ("still", "no_face", "clip_3s_silent", "clip_with_sound", "speech")
EXAMPLE = "brightness"


def _example_code() -> str:
    text = (REPO / "docs" / "detect.md").read_text(encoding="utf-8")
    section = text[text.index("## Writing a detector") :]
    found = re.search(r"```python\n(.*?)```", section, re.S)
    assert found, "docs/detect.md has no python example under 'Writing a detector'"
    return found.group(1)


@pytest.fixture(scope="module", autouse=True)
def example_registered() -> Iterator[None]:
    """The docs example, registered for this module only (other tests see the usual set)."""
    saved = dict(registry._REGISTRY)
    exec(compile(_example_code(), "docs/detect.md", "exec"), {"__name__": "docs_example"})
    yield
    registry._REGISTRY.clear()
    registry._REGISTRY.update(saved)


def _first_seconds(source: Path, out: Path, seconds: float, sound: bool) -> Path:
    with VideoWriter(out, probe_video(source).fps, audio_from=source if sound else None) as w:
        for frame in iter_frames(source):
            if frame.time >= seconds:
                break
            w.write(frame.image, frame.time)
    return out


@pytest.fixture(scope="module")
def analysed(
    tmp_path_factory: pytest.TempPathFactory,
    video_with_audio: Path,
    video_without_audio: Path,
    speech_file: Path,
) -> dict[str, AnalysedMedia]:
    """Each kind of media, decoded and its faces tracked once for all detectors."""
    folder = tmp_path_factory.mktemp("contract")
    still = write_image(folder / "still.png", data.astronaut())
    no_face = write_image(folder / "coffee.png", data.coffee())  # a cup: no face anywhere
    silent = _first_seconds(video_without_audio, folder / "silent.mp4", 3.0, sound=False)
    voiced = _first_seconds(video_with_audio, folder / "voiced.mp4", 3.0, sound=True)
    options = AnalysisOptions(keyframes=KEYFRAMES)
    media = {
        name: analyse(path, options)
        for name, path in zip(MEDIA, (still, no_face, silent, voiced, speech_file), strict=True)
    }
    assert media["still"].face_count > 0 and media["no_face"].face_count == 0
    assert media["clip_3s_silent"].is_video and not media["clip_3s_silent"].has_audio
    assert media["clip_with_sound"].has_audio
    assert media["speech"].is_audio and not media["speech"].frames
    return media


def _names() -> list[str]:
    return [*default_names(), EXAMPLE]


@pytest.mark.slow
@pytest.mark.parametrize("name", _names())
def test_every_detector_judges_or_declines_on_every_kind_of_media(
    name: str, analysed: dict[str, AnalysedMedia]
) -> None:
    (detector,), skipped = available_detectors([name])
    assert detector.name == name and not skipped
    spec = registry.detector_spec(name)
    assert spec.about.strip(), f"{name} does not say what it looks at"
    for kind, media in analysed.items():
        evidence = detector.examine(media)  # no exception, whatever the media
        assert isinstance(evidence, Evidence)
        assert evidence.detector == name, kind
        assert evidence.summary.strip(), f"{name} on {kind}: no summary"
        p = evidence.probability
        assert p is None or (0.0 <= p <= 1.0 and math.isfinite(p)), (name, kind, p)
        assert evidence.weight == spec.weight_for(media.is_video), (name, kind)
        json.dumps(evidence.to_dict(), allow_nan=False)  # JSON-safe numbers


def test_every_spec_is_complete() -> None:
    names = [s.name for s in specs()]
    assert names[: len(default_names())] == default_names() and EXAMPLE in names
    assert len(set(names)) == len(names)
    for spec in specs():
        assert spec.about.endswith("."), spec.name
        assert spec.weight >= 0 and (spec.video_weight is None or spec.video_weight >= 0)
        card = spec.card_file()
        assert card is None or card.is_file(), f"{spec.name}: model card {spec.card} missing"


def test_the_docs_example_runs_in_the_detect_loop(
    tmp_path: Path, analysed: dict[str, AnalysedMedia]
) -> None:
    (example,), _ = available_detectors([EXAMPLE], {EXAMPLE: {"too_dark": 300.0}})
    assert example.examine(analysed["still"]).probability is None  # everything is "dark"
    photo = write_image(tmp_path / "photo.png", data.astronaut())
    (default,), _ = available_detectors([EXAMPLE])
    report = detect_file(photo, [default])
    (evidence,) = report.evidence
    assert evidence.probability == 0.0 and evidence.details["keyframes"] == 1
    assert report.probability is None  # weight 0: it informs, it does not vote


def test_options_a_detector_does_not_take_are_refused() -> None:
    with pytest.raises(InputError, match="no option 'colour'"):
        available_detectors([EXAMPLE], {EXAMPLE: {"colour": "red"}})
    with pytest.raises(InputError, match="not chosen"):
        available_detectors(["provenance"], {EXAMPLE: {"too_dark": 1.0}})
