"""The generated-image detector: features, model file, detector and the shipped model."""

from __future__ import annotations

import json
from itertools import islice
from pathlib import Path

import numpy as np
import pytest
import torch
from numpy.typing import NDArray
from safetensors.numpy import save

from fauxlab.datasplit import split_held_out
from fauxlab.detection.analysed import AnalysedMedia, FrameRecord
from fauxlab.detection.detectors.generated.detector import GeneratedImageDetector, summary_for
from fauxlab.detection.detectors.generated.features import FeatureSettings, GeneratedFeatures
from fauxlab.detection.detectors.generated.model import (
    FORMAT,
    GeneratedModel,
    load_model,
    load_shipped_model,
)
from fauxlab.detection.detectors.spectrum.features import FeatureSettings as SpectrumSettings
from fauxlab.detection.detectors.spectrum.metrics import auc
from fauxlab.detection.detectors.spectrum.model import SpectrumModel
from fauxlab.errors import InputError, ModelError
from fauxlab.media import MediaKind, iter_frames, read_image
from fauxlab.synthesis.gan.models import Architecture, build_generator
from fauxlab.synthesis.gan.sample import LoadedGenerator, builtin_generators, load_generator

RGB = NDArray[np.uint8]
SETTINGS = FeatureSettings()


@pytest.fixture(scope="module")
def features() -> GeneratedFeatures:
    return GeneratedFeatures(SETTINGS)


def media_of(*images: RGB, video: bool = False) -> AnalysedMedia:
    kind = MediaKind.VIDEO if video else MediaKind.IMAGE
    frames = [FrameRecord(i, i / 25, []) for i in range(len(images))]
    h, w = images[0].shape[:2]
    return AnalysedMedia(Path("x"), kind, w, h, frames, dict(enumerate(images)))


# --- features -----------------------------------------------------------------------


def test_features_have_a_fixed_shape_and_are_deterministic(
    features: GeneratedFeatures, astronaut: RGB
) -> None:
    wide = np.pad(astronaut, ((0, 0), (100, 100), (0, 0)))  # 712 x 512, astronaut in the middle
    grey = astronaut[..., 0]
    out = features([astronaut, wide, grey, astronaut[:40, :30]])
    assert out.shape == (4, 1280) and out.dtype == np.float32 and np.isfinite(out).all()
    again = features([astronaut])
    assert np.allclose(again[0], out[0], atol=1e-4)
    assert np.allclose(out[1], out[0], atol=1e-4)  # a wide picture is judged by its centre
    assert np.abs(out[3] - out[0]).mean() > 0.01  # another picture, other features
    assert features([]).shape == (0, 1280)


def test_tiny_pictures_are_refused(features: GeneratedFeatures) -> None:
    with pytest.raises(InputError, match="too small"):
        features([np.zeros((10, 40, 3), np.uint8)])


# --- model file ---------------------------------------------------------------------


def small_model(seed: int = 3) -> GeneratedModel:
    rng = np.random.default_rng(seed)
    return GeneratedModel(
        settings=SETTINGS,
        mean=rng.normal(size=1280).astype(np.float32),
        std=rng.uniform(0.5, 2, 1280).astype(np.float32),
        weights=(rng.normal(size=1280) * 0.05).astype(np.float32),
        bias=0.25,
        platt=(0.8, -0.1),
        info={"command": "fauxlab detector train-generated ...", "version": "1"},
    )


def test_model_file_round_trip(tmp_path: Path, features: GeneratedFeatures, astronaut: RGB) -> None:
    model = small_model()
    path = tmp_path / "m.safetensors"
    model.save(path)
    assert path.stat().st_size < 30_000
    loaded = load_model(path)
    assert loaded.settings == model.settings and loaded.platt == pytest.approx(model.platt)
    assert loaded.info["command"] == model.info["command"]
    x = features([astronaut, astronaut[::2, ::2]])
    assert loaded.probability(x) == pytest.approx(model.probability(x), rel=1e-5)


def test_damaged_or_foreign_model_files_are_model_errors(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="not found"):
        load_model(tmp_path / "missing.safetensors")
    data = small_model().to_bytes()
    truncated = tmp_path / "truncated.safetensors"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelError, match="truncated or corrupt"):
        load_model(truncated)
    spectral = tmp_path / "spectrum.safetensors"
    size = SpectrumSettings().size
    SpectrumModel(
        settings=SpectrumSettings(),
        mean=np.zeros(size, np.float32),
        std=np.ones(size, np.float32),
        weights=np.zeros(size, np.float32),
        bias=0.0,
    ).save(spectral)
    with pytest.raises(ModelError, match="not a fauxlab generated-image detector"):
        load_model(spectral)
    wrong = tmp_path / "wrong.safetensors"
    tensors = {k: np.ones(8, np.float32) for k in ("mean", "std", "weights", "bias", "platt")}
    wrong.write_bytes(save(tensors, {"format": FORMAT, "settings": SETTINGS.to_json()}))
    with pytest.raises(ModelError, match="does not match"):
        load_model(wrong)


# --- the detector -------------------------------------------------------------------


def test_detector_evidence_for_an_image_and_a_video(astronaut: RGB) -> None:
    detector = GeneratedImageDetector(small_model())
    evidence = detector.examine(media_of(astronaut))
    assert evidence.detector == "generated" and evidence.weight == 1.0
    assert evidence.probability is not None and 0 <= evidence.probability <= 1
    assert evidence.summary == summary_for(evidence.probability)
    assert evidence.figures[0].png.startswith(b"\x89PNG")
    json.dumps(evidence.to_dict())
    frames = [astronaut, astronaut[::-1], np.ascontiguousarray(astronaut[:, ::-1])]
    video = detector.examine(media_of(*frames, video=True))
    per_frame = [f["probability"] for f in video.details["per_frame"]]
    assert video.weight < 1 and len(per_frame) == 3
    assert video.probability == pytest.approx(float(np.median(per_frame)), abs=1e-4)
    assert video.figures[0].svg.markup.startswith("<svg")  # the timeline: a chart


def test_detector_declines_tiny_pictures() -> None:
    detector = GeneratedImageDetector(small_model())
    evidence = detector.examine(media_of(np.zeros((8, 8, 3), np.uint8)))
    assert evidence.probability is None and "too small" in evidence.summary


# --- the shipped model --------------------------------------------------------------


def untrained_fauxlab() -> LoadedGenerator:
    torch.manual_seed(0)
    arch = Architecture(model="fauxlab", size=64, ngf=48)
    return LoadedGenerator(build_generator(arch).eval(), arch, "untrained fauxlab", "", 0)


@pytest.fixture(scope="module")
def held_out_reals(shared_data: Path) -> list[RGB]:
    """A few of the faces every detector and GAN holds out (`fauxlab.datasplit`)."""
    images = []
    for folder in ("faces/utkface", "anime-faces"):
        files = sorted((shared_data / folder).iterdir())
        if len(files) < 5000:
            pytest.skip(f"{shared_data / folder} is not the full set")
        _, held = split_held_out(files, 1000)
        images += [read_image(p) for p in held[:12]]
    return images


def test_shipped_model_loads_and_records_its_training() -> None:
    model = load_shipped_model()
    assert model.settings == SETTINGS
    assert model.info["command"].startswith("fauxlab detector train-generated")
    assert model.metrics()["overall"]["auc"] > 0.9


def test_shipped_model_scores_gan_samples_above_real_faces(held_out_reals: list[RGB]) -> None:
    detector = GeneratedImageDetector()
    real = [detector.examine(media_of(image)).probability for image in held_out_reals]
    shipped = [load_generator(name) for name in sorted(builtin_generators())]
    for generator in shipped or [untrained_fauxlab()]:
        samples = generator.generate(generator.latents(12, seed=7))
        fake = [detector.examine(media_of(image)).probability for image in samples]
        assert auc(fake, real) > 0.9, generator.name
        assert np.median(fake) > 0.5 > np.median(real), generator.name


def test_shipped_model_does_not_call_a_real_video_generated(video_with_audio: Path) -> None:
    frames = [f.image for f in islice(iter_frames(video_with_audio), 0, 80, 10)]
    evidence = GeneratedImageDetector().examine(media_of(*frames, video=True))
    assert evidence.probability is not None and evidence.probability < 0.3
    assert evidence.weight == 0.5 and evidence.details["frames"] == len(frames)
