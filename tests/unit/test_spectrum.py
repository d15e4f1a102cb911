"""The spectral detector: features, classifier file, detector and the shipped model."""

from __future__ import annotations

import json
from itertools import islice
from pathlib import Path

import numpy as np
import pytest
import torch
from numpy.typing import NDArray
from PIL import Image

from fauxlab.datasplit import held_out_anime, held_out_faces
from fauxlab.detection.analysed import AnalysedMedia, FrameRecord
from fauxlab.detection.detectors.spectrum.augment import Augmentation, jpeg, launder
from fauxlab.detection.detectors.spectrum.data import to_size
from fauxlab.detection.detectors.spectrum.detector import SpectrumDetector, summary_for
from fauxlab.detection.detectors.spectrum.features import FeatureSettings, spectrum_features
from fauxlab.detection.detectors.spectrum.metrics import auc, balanced_accuracy
from fauxlab.detection.detectors.spectrum.model import (
    FORMAT,
    SpectrumModel,
    fit_logistic,
    load_model,
    load_shipped_model,
)
from fauxlab.errors import InputError, ModelError
from fauxlab.media import MediaKind, iter_frames, read_image
from fauxlab.synthesis.gan.models import Architecture, build_generator
from fauxlab.synthesis.gan.sample import LoadedGenerator, builtin_generators, load_generator

SETTINGS = FeatureSettings()
BINS = SETTINGS.bins
RGB = NDArray[np.uint8]


def resized(image: RGB, side: int) -> RGB:
    return np.asarray(Image.fromarray(image).resize((side, side), Image.Resampling.LANCZOS))


def transposed_conv_2x(image: RGB) -> RGB:
    """2x up-sampling as a DCGAN layer does it: stride-2 transposed convolution with a 3x3
    kernel, whose uneven overlap prints the checkerboard (Odena et al. 2016)."""
    x = torch.from_numpy(image.copy()).permute(2, 0, 1)[:, None].float()  # (3, 1, H, W)
    kernel = torch.ones(1, 1, 3, 3) / 2.25
    y = torch.nn.functional.conv_transpose2d(x, kernel, stride=2, padding=1, output_padding=1)
    return y[:, 0].permute(1, 2, 0).clamp(0, 255).round().to(torch.uint8).numpy()


def media_of(*images: RGB, video: bool = False) -> AnalysedMedia:
    kind = MediaKind.VIDEO if video else MediaKind.IMAGE
    frames = [FrameRecord(i, i / 25, []) for i in range(len(images))]
    h, w = images[0].shape[:2]
    return AnalysedMedia(Path("x"), kind, w, h, frames, dict(enumerate(images)))


# --- features -----------------------------------------------------------------------


def test_features_do_not_depend_on_image_size(astronaut: RGB) -> None:
    reference = spectrum_features(astronaut, SETTINGS)
    assert reference.shape == (SETTINGS.size,)
    for side in (64, 100, 200, 333):
        other = spectrum_features(resized(astronaut, side), SETTINGS)
        assert np.abs(other[:BINS] - reference[:BINS]).max() < 0.35, side
    wide = np.concatenate([astronaut, astronaut[:, :256]], axis=1)  # 512 x 768
    assert spectrum_features(wide, SETTINGS).shape == (SETTINGS.size,)


def test_features_see_the_checkerboard_of_up_sampling(astronaut: RGB) -> None:
    natural = spectrum_features(resized(astronaut, 64), SETTINGS)[:BINS]
    upsampled = spectrum_features(transposed_conv_2x(resized(astronaut, 32)), SETTINGS)[:BINS]
    top = slice(BINS - 3, BINS)  # the finest details: the corner of the 2D spectrum
    assert upsampled[top].mean() > natural[top].mean() + 0.8
    # and it is a peak: the finest ring rises above the rings just below it
    assert upsampled[-1] > upsampled[BINS - 8 : BINS - 2].min() + 1.0
    # the coarse details, which the 32 px picture holds too, are much the same
    assert np.abs(upsampled[: BINS // 4] - natural[: BINS // 4]).mean() < 0.3


def test_features_ignore_brightness_and_contrast(astronaut: RGB) -> None:
    base = spectrum_features(astronaut, SETTINGS)
    dimmer = (astronaut.astype(np.float32) * 0.6 + 30).round().astype(np.uint8)
    assert np.abs(spectrum_features(dimmer, SETTINGS) - base).max() < 0.1


def test_tiny_images_are_refused() -> None:
    with pytest.raises(InputError, match="too small"):
        spectrum_features(np.zeros((10, 40, 3), np.uint8), SETTINGS)


def test_augmentation_keeps_images_usable(astronaut: RGB) -> None:
    rng = np.random.default_rng(0)
    small = to_size(astronaut, 64)
    assert small.shape == (64, 64, 3)
    for _ in range(20):
        out = launder(small, rng, Augmentation())
        assert out.dtype == np.uint8 and 32 <= min(out.shape[:2]) <= 96
    assert np.abs(jpeg(small, 75).astype(int) - small).mean() < 10


# --- classifier and metrics ---------------------------------------------------------


def test_auc_and_accuracy() -> None:
    assert auc([3, 4], [1, 2]) == 1.0
    assert auc([1, 2], [3, 4]) == 0.0
    assert auc([1, 1], [1, 1]) == 0.5
    rng = np.random.default_rng(1)
    fake, real = rng.normal(1, 1, 50).round(1), rng.normal(0, 1, 70).round(1)
    brute = np.mean([(f > r) + 0.5 * (f == r) for f in fake for r in real])
    assert auc(fake, real) == pytest.approx(brute)
    assert balanced_accuracy([0.9, 0.4], [0.1, 0.6], 0.5) == 0.5


def test_logistic_regression_finds_the_informative_features() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(400, 3))
    y = (x @ np.array([2.0, -1.0, 0.0]) + rng.normal(0, 0.5, 400) > 0).astype(float)
    weights, _ = fit_logistic(x, y, l2=0.1)
    assert weights[0] > 1 and weights[1] < -0.5 and abs(weights[2]) < 0.5


def small_model(seed: int = 3) -> SpectrumModel:
    rng = np.random.default_rng(seed)
    size = SETTINGS.size
    return SpectrumModel(
        settings=SETTINGS,
        mean=rng.normal(size=size).astype(np.float32),
        std=rng.uniform(0.5, 2, size).astype(np.float32),
        weights=rng.normal(size=size).astype(np.float32),
        bias=0.25,
        platt=(0.8, -0.1),
        real_profile=rng.normal(size=BINS).astype(np.float32),
        fake_profile=rng.normal(size=BINS).astype(np.float32),
        info={"command": "fauxlab detector train-spectrum ...", "version": "1"},
    )


def test_model_file_round_trip(tmp_path: Path, astronaut: RGB) -> None:
    model = small_model()
    path = tmp_path / "m.safetensors"
    model.save(path)
    assert path.stat().st_size < 20_000
    loaded = load_model(path)
    assert loaded.settings == model.settings and loaded.platt == pytest.approx(model.platt)
    assert loaded.info["command"] == model.info["command"]
    features = np.stack([spectrum_features(astronaut, SETTINGS)] * 2)
    assert loaded.probability(features) == pytest.approx(model.probability(features), rel=1e-5)


def test_damaged_or_foreign_model_files_are_model_errors(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="not found"):
        load_model(tmp_path / "missing.safetensors")
    data = small_model().to_bytes()
    truncated = tmp_path / "truncated.safetensors"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelError, match="truncated or corrupt"):
        load_model(truncated)
    from safetensors.numpy import save

    foreign = tmp_path / "foreign.safetensors"
    foreign.write_bytes(save({"w": np.zeros(3, np.float32)}, {"format": "something-else"}))
    with pytest.raises(ModelError, match="not a fauxlab spectral detector"):
        load_model(foreign)
    wrong = tmp_path / "wrong.safetensors"
    settings = json.dumps({"side": 64, "bins": 16, "window": True, "directional": True})
    wrong.write_bytes(
        save({"w": np.zeros(3, np.float32)}, {"format": FORMAT, "settings": settings})
    )
    with pytest.raises(ModelError, match="does not match"):
        load_model(wrong)


# --- the detector -------------------------------------------------------------------


def test_detector_evidence_for_an_image_and_a_video(astronaut: RGB) -> None:
    detector = SpectrumDetector(small_model())
    evidence = detector.examine(media_of(astronaut))
    assert evidence.detector == "spectrum" and evidence.weight == 1.0
    assert evidence.probability is not None and 0 <= evidence.probability <= 1
    assert evidence.summary == summary_for(evidence.probability)
    assert evidence.figures[0].svg.markup.startswith("<svg")
    json.dumps(evidence.to_dict())
    frames = [astronaut, resized(astronaut, 200), transposed_conv_2x(resized(astronaut, 32))]
    video = detector.examine(media_of(*frames, video=True))
    per_frame = [f["probability"] for f in video.details["per_frame"]]
    assert video.weight < 1 and len(per_frame) == 3
    assert video.probability == pytest.approx(float(np.median(per_frame)), abs=1e-4)


def test_detector_declines_tiny_pictures() -> None:
    evidence = SpectrumDetector(small_model()).examine(media_of(np.zeros((8, 8, 3), np.uint8)))
    assert evidence.probability is None and "too small" in evidence.summary


# --- the shipped model --------------------------------------------------------------


def untrained(model: str) -> LoadedGenerator:
    torch.manual_seed(0)
    arch = Architecture(model=model, size=64, ngf=48)  # type: ignore[arg-type]
    module = build_generator(arch).eval()
    return LoadedGenerator(module, arch, f"untrained {model}", "", 0)


def generators() -> list[LoadedGenerator]:
    """Every trained generator shipped with fauxlab, else an untrained fauxlab one (an
    untrained DCGAN draws flat grey, nothing to judge)."""
    shipped = [load_generator(name) for name in sorted(builtin_generators())]
    return shipped or [untrained("fauxlab")]


@pytest.fixture(scope="module")
def held_out_reals(shared_data: Path) -> list[RGB]:
    """A few of the files every shipped model holds out (`fauxlab.datasplit`)."""
    images = []
    for held in (held_out_faces(shared_data), held_out_anime(shared_data)):
        if len(held) < 100:
            pytest.skip(f"{shared_data} does not hold the full face sets")
        images += [read_image(p) for p in held[:12]]
    return images


def test_shipped_model_loads_and_records_its_training() -> None:
    model = load_shipped_model()
    assert model.settings == SETTINGS
    assert model.info["command"].startswith("fauxlab detector train-spectrum")
    metrics = json.loads(model.info["metrics"])
    assert metrics["overall"]["auc"] > 0.9


def test_shipped_model_scores_gan_samples_above_real_faces(held_out_reals: list[RGB]) -> None:
    detector = SpectrumDetector()
    real = [detector.examine(media_of(image)).probability for image in held_out_reals]
    for generator in generators():
        samples = generator.generate(generator.latents(12, seed=7))
        fake = [detector.examine(media_of(image)).probability for image in samples]
        assert auc(fake, real) > 0.9, generator.name
        assert np.median(fake) > 0.5 > np.median(real), generator.name


def test_shipped_model_calls_real_video_frames_real(video_with_audio: Path) -> None:
    frames = [f.image for f in islice(iter_frames(video_with_audio), 0, 80, 10)]
    evidence = SpectrumDetector().examine(media_of(*frames, video=True))
    assert evidence.probability is not None and evidence.probability < 0.3
    assert evidence.weight == 0.5 and evidence.details["frames"] == len(frames)
