"""Voice fakes and the voice detector, on real speech from the shared data.

The fakes are made here from real recordings (each vocoder, the Piper voice); a small
voice model is trained in the test on a few speakers and must then tell a held-out
speaker's real voice from its resynthesis, decline silence and noise, and give a
timeline and a spectrogram.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fauxlab.datasplit import SPEECH, speaker_groups
from fauxlab.detection import AnalysedMedia, Recording, VoiceTrainConfig, analyse, train_voice
from fauxlab.detection.detectors.voice.detector import VoiceDetector
from fauxlab.detection.detectors.voice.train import AUGMENTATIONS, telephone
from fauxlab.media import read_audio
from fauxlab.media.audio_writer import write_audio
from fauxlab.synthesis.voice import fakes
from fauxlab.synthesis.voice.vocoders import VOCODERS

RATE = 16_000


def test_no_speaker_is_both_trained_on_and_held_out(shared_data: Path) -> None:
    training, held = SPEECH.split(shared_data)
    groups = speaker_groups(shared_data / "speech")
    assert len(held) >= 0.25 * (len(training) + len(held))
    assert not {groups[f.name] for f in training} & {groups[f.name] for f in held}


def test_meetings_that_share_a_participant_are_one_group(shared_speech: Path) -> None:
    groups = speaker_groups(shared_speech)
    assert groups["ami_mix-dev00_1.flac"] == groups["ami_mix-dev01_1.flac"]  # MEE009, MEE012
    assert groups["jfk_kennedy_1.flac"] == groups["jfk_kennedy_2.flac"]


@pytest.fixture(scope="module")
def real(speech_file: Path) -> fakes.Clip:
    return fakes.read_clip(speech_file, 4.0)


@pytest.mark.parametrize("family", sorted(VOCODERS))
def test_each_vocoder_keeps_length_and_loudness_but_not_the_waveform(
    real: fakes.Clip, family: str
) -> None:
    (fake,) = fakes.resynthesised([real], [family])
    assert fake.fake and fake.family == family and fake.samples.shape == real.samples.shape
    rms = float(np.sqrt(np.mean(real.samples.astype(np.float64) ** 2)))
    assert np.sqrt(np.mean(fake.samples.astype(np.float64) ** 2)) == pytest.approx(rms, rel=0.05)
    assert abs(np.corrcoef(real.samples, fake.samples)[0, 1]) < 0.95


def test_piper_speaks_offline() -> None:
    (clip,) = fakes.spoken(1)
    assert clip.family == "piper" and len(clip.samples) > 2 * RATE
    assert float(np.abs(clip.samples).max()) > 0.05


@pytest.mark.parametrize("name", sorted(AUGMENTATIONS))
def test_each_augmentation_keeps_the_length(real: fakes.Clip, name: str) -> None:
    out = AUGMENTATIONS[name](real.samples, RATE, np.random.default_rng(0))
    assert out.shape == real.samples.shape and np.isfinite(out).all()


def test_the_telephone_band_removes_what_lies_above_it(real: fakes.Clip) -> None:
    narrow = telephone(real.samples, RATE)
    spectrum = np.abs(np.fft.rfft(narrow)) ** 2
    freqs = np.fft.rfftfreq(len(narrow), 1 / RATE)
    assert spectrum[freqs > 4200].sum() < 1e-3 * spectrum.sum()


@pytest.fixture(scope="module")
def small_model(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    """A voice model trained in the test on 12 training speakers against Griffin-Lim."""
    training, _ = SPEECH.split(shared_data)
    chosen = [p for p in training if p.name.startswith("librispeech_")][:12]
    reals = [fakes.read_clip(p, 4.0) for p in chosen]
    made = list(fakes.resynthesised(reals, ["griffinlim"]))
    recordings = [Recording(c.name, c.samples, c.fake, c.family) for c in [*reals, *made]]
    model = train_voice(recordings, VoiceTrainConfig(augmented_copies=1))
    path = tmp_path_factory.mktemp("voice") / "voice.safetensors"
    model.save(path)
    return path


@pytest.fixture(scope="module")
def held_out_pair(
    tmp_path_factory: pytest.TempPathFactory, shared_data: Path
) -> tuple[AnalysedMedia, AnalysedMedia]:
    """A held-out speaker's real voice and its Griffin-Lim resynthesis, as files."""
    _, held = SPEECH.split(shared_data)
    source = next(p for p in held if p.name.startswith("librispeech_"))
    clip = fakes.read_clip(source, 8.0)
    (fake,) = fakes.resynthesised([clip], ["griffinlim"])
    folder = tmp_path_factory.mktemp("pair")
    real_path = write_audio(folder / "real.flac", clip.samples, RATE)
    fake_path = write_audio(folder / "fake.wav", fake.samples, RATE)
    return analyse(real_path), analyse(fake_path)


def test_a_small_model_tells_a_held_out_voice_from_its_resynthesis(
    small_model: Path, held_out_pair: tuple[AnalysedMedia, AnalysedMedia]
) -> None:
    detector = VoiceDetector(model=str(small_model))
    real, fake = (detector.examine(m) for m in held_out_pair)
    assert real.probability is not None and fake.probability is not None
    assert fake.probability > real.probability
    timeline = fake.details["timeline"]
    assert len(timeline) == fake.details["windows"] >= 5
    assert all(0 <= w["p"] <= 1 and w["end"] > w["start"] for w in timeline)
    (figure,) = fake.figures
    assert figure.image.ndim == 3 and figure.image.shape[1] > 100
    assert fake.summary.endswith(".")


def test_silence_noise_and_a_short_word_cannot_be_judged(
    small_model: Path, tmp_path: Path, real: fakes.Clip
) -> None:
    detector = VoiceDetector(model=str(small_model))
    rng = np.random.default_rng(0)
    cases = {
        "silence.wav": (np.zeros(5 * RATE, np.float32), "silent"),
        "noise.wav": ((0.1 * rng.standard_normal(5 * RATE)).astype(np.float32), "No voice"),
        "word.wav": (real.samples[: RATE // 2], "under 1 s"),
    }
    for name, (samples, reason) in cases.items():
        evidence = detector.examine(analyse(write_audio(tmp_path / name, samples, RATE)))
        assert evidence.probability is None, name
        assert reason in evidence.summary, (name, evidence.summary)


def test_the_sound_of_a_video_is_heard(small_model: Path, video_with_audio: Path) -> None:
    media = analyse(video_with_audio)
    sound = media.sound(RATE)
    assert sound is not None
    original = read_audio(video_with_audio, RATE)
    assert original is not None and len(sound.samples) == len(original.samples)
    evidence = VoiceDetector(model=str(small_model)).examine(media)
    assert evidence.summary.endswith(".")
    assert evidence.probability is None or 0 <= evidence.probability <= 1


@pytest.fixture(scope="module")
def dubbed_clip(
    tmp_path_factory: pytest.TempPathFactory, video_with_audio: Path
) -> tuple[Path, Path]:
    """The first 8 s of a real talking-head clip, and the same pictures with its voice
    replaced by a Griffin-Lim resynthesis of itself (a cloned voice on a real face)."""
    from fauxlab.media import VideoWriter, iter_frames, probe_video

    folder = tmp_path_factory.mktemp("dub")
    sound = read_audio(video_with_audio, RATE)
    assert sound is not None
    voice = sound.samples[: 8 * RATE]
    (fake,) = fakes.resynthesised([fakes.Clip("clip", voice, "real")], ["griffinlim"])
    sounds = {
        "real": write_audio(folder / "real.m4a", voice, RATE, 128_000),
        "dubbed": write_audio(folder / "dubbed.m4a", fake.samples, RATE, 128_000),
    }
    out: dict[str, Path] = {}
    for name, audio in sounds.items():
        path = folder / f"{name}.mp4"
        with VideoWriter(path, probe_video(video_with_audio).fps, audio_from=audio) as writer:
            for frame in iter_frames(video_with_audio):
                if frame.time >= 8.0:
                    break
                writer.write(frame.image, frame.time)
        out[name] = path
    return out["real"], out["dubbed"]


@pytest.mark.slow
def test_a_cloned_voice_on_a_real_face_is_heard_and_shown_without_deciding(
    dubbed_clip: tuple[Path, Path],
) -> None:
    """The voice runs on a video's sound beside the face detectors and its evidence is in
    the report; at its interim weight (0.3) it cannot move a verdict, so the real clip
    stays unflagged whatever its sound scores."""
    from fauxlab.detection import AnalysisOptions, DetectOptions, available_detectors, detect_file
    from fauxlab.detection.evidence import Verdict

    detectors, skipped = available_detectors(["learned", "voice"])
    assert not skipped
    options = DetectOptions(analysis=AnalysisOptions(keyframes=4))
    real, dubbed = (detect_file(path, detectors, options) for path in dubbed_clip)
    assert real.verdict is not Verdict.FAKE, real.explanation
    for report in (real, dubbed):
        voice = next(e for e in report.evidence if e.detector == "voice")
        assert voice.weight == pytest.approx(0.3) and voice.summary.endswith(".")
        assert voice.probability is None or voice.details["timeline"]


@pytest.mark.slow
def test_bench_measures_a_labelled_folder_of_sound_files(tmp_path: Path, shared_data: Path) -> None:
    import json

    from cli_helpers import fauxlab

    _, held = SPEECH.split(shared_data)
    for source in [p for p in held if p.name.startswith("librispeech_")][:2]:
        clip = fakes.read_clip(source, 5.0)
        (fake,) = fakes.resynthesised([clip], ["world"])
        (tmp_path / "set" / "real").mkdir(parents=True, exist_ok=True)
        (tmp_path / "set" / "fake").mkdir(parents=True, exist_ok=True)
        write_audio(tmp_path / "set" / "real" / f"{source.stem}.flac", clip.samples, RATE)
        write_audio(tmp_path / "set" / "fake" / f"{source.stem}.mp3", fake.samples, RATE, 64_000)
    result = fauxlab(
        "bench", tmp_path / "set", "--detectors", "voice", "--json", "--out", tmp_path / "out"
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    scores = (tmp_path / "out" / "scores.csv").read_text(encoding="utf-8").splitlines()
    assert len(scores) == 5 and json.loads(result.stdout)
