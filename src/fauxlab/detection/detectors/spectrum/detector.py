"""The "spectrum" detector: GAN up-sampling traces in the whole image, face or no face.

Each keyframe (the one image of a still, up to 32 frames of a video) is scored on its
own; the file's probability is the median of the per-frame probabilities, so a few odd
frames (a cut, a black frame) do not decide it. Video evidence gets half weight: video
codecs discard exactly the fine detail this detector reads.
"""

from __future__ import annotations

import numpy as np

from fauxlab.charts import Series, Svg, line_chart, palette
from fauxlab.detection.analysed import AnalysedMedia
from fauxlab.detection.detectors.spectrum import SPEC
from fauxlab.detection.detectors.spectrum.features import (
    MIN_SIDE,
    FloatArray,
    frequencies,
    spectrum_features,
)
from fauxlab.detection.detectors.spectrum.model import SpectrumModel, load_shipped_model
from fauxlab.detection.evidence import Evidence, Figure
from fauxlab.detection.keyframes import frame_details, judgeable_keyframes

NAME = SPEC.name
FAKE_ABOVE = 0.7
REAL_BELOW = 0.3


def summary_for(probability: float) -> str:
    """One plain sentence for a non-expert."""
    if probability >= FAKE_ABOVE:
        return (
            "The image's fine-detail spectrum looks like that of GAN-generated images "
            "(high-frequency patterns typical of up-sampling layers)."
        )
    if probability <= REAL_BELOW:
        return (
            "The image's fine-detail spectrum looks like that of real photographs "
            "(no up-sampling patterns found)."
        )
    return (
        "The image's fine-detail spectrum is between that of real photographs and "
        "GAN-generated images; it does not settle the question."
    )


def spectrum_figure(model: SpectrumModel, profile: FloatArray, label: str) -> Figure:
    """The image's radial spectrum against the mean real and fake training profiles."""
    freqs = [float(f) for f in frequencies(model.settings)]

    def points(values: FloatArray) -> list[tuple[float, float]]:
        return list(zip(freqs, (float(v) for v in values), strict=True))

    def chart() -> Svg:
        return line_chart(
            [
                Series(label, points(profile), colour=palette.BLACK),
                Series("typical real photo", points(model.real_profile), palette.GREEN, True),
                Series("typical GAN image", points(model.fake_profile), palette.VERMILLION, True),
            ],
            title="How much energy the picture has at each level of detail",
            x_title="how much fine detail (cycles per pixel; right = finest)",
            y_title="energy (log scale)",
            x_range=(0.0, max(freqs)),
        )

    caption = (
        "Each line shows how much of the picture's energy sits at each level of detail, "
        "from coarse (left) to the finest (right). GAN images often carry too much or "
        "oddly shaped energy at the right end, left there by their up-sampling layers."
    )
    return Figure("spectrum", caption, chart, "svg")


class SpectrumDetector:
    """Scores whole frames with the shipped (or a given) spectral model."""

    name = NAME

    def __init__(self, model: SpectrumModel | None = None) -> None:
        self.model = model if model is not None else load_shipped_model()

    def examine(self, media: AnalysedMedia) -> Evidence:
        settings = self.model.settings
        frames = judgeable_keyframes(media, MIN_SIDE)
        if not frames:
            return Evidence(
                NAME,
                None,
                "The picture is too small to read its fine-detail spectrum.",
                details={"frames": 0},
            )
        features = np.stack([spectrum_features(image, settings) for _, image in frames])
        probabilities = self.model.probability(features)
        probability = float(np.median(probabilities))
        profile = features[:, : settings.bins].mean(axis=0)
        label = "this video (mean of frames)" if media.is_video else "this image"
        details = frame_details(frames, probabilities.tolist(), settings.side, self.model.info)
        return Evidence(
            NAME,
            probability,
            summary_for(probability),
            details=details,
            figures=[spectrum_figure(self.model, profile, label)],
            weight=SPEC.weight_for(media.is_video),
        )
