"""The "generated" detector: is the whole picture the output of an image generator?

For wholly generated faces (GAN or diffusion) there is no blending boundary for the
learned face-swap detector to find. This one reads the whole frame, face or no face,
through frozen ImageNet features and a linear probe trained on our own GAN samples
against real photos.

Each keyframe (the one image of a still, up to 32 frames of a video) is scored on its
own and the file gets the median, so a cut or a black frame does not decide it. Video
evidence has half weight: the detector was trained on still images, video codecs smear
the texture it reads, and a wholly generated video is rare (the learned detector is the
one for face swaps and reenactments, whose frames are mostly real).
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from fauxlab.charts import Rule, Series, line_chart, verdict_bands
from fauxlab.detection.analysed import AnalysedMedia
from fauxlab.detection.detectors.generated import SPEC
from fauxlab.detection.detectors.generated.features import (
    MIN_SIDE,
    GeneratedFeatures,
    analysis_image,
)
from fauxlab.detection.detectors.generated.model import GeneratedModel, load_shipped_model
from fauxlab.detection.evidence import Evidence, Figure
from fauxlab.detection.fusion import bands
from fauxlab.detection.keyframes import Keyframe, frame_details, judgeable_keyframes
from fauxlab.detection.report.figures import colour_of
from fauxlab.media.images import RGBImage

NAME = SPEC.name
FAKE_ABOVE = 0.7
REAL_BELOW = 0.3
FIGURE_SIDE = 192
BORDER = 8


def summary_for(probability: float) -> str:
    """One plain sentence for a non-expert."""
    if probability >= FAKE_ABOVE:
        return (
            "The picture as a whole looks like the output of an image generator (GAN), "
            "not like a photograph."
        )
    if probability <= REAL_BELOW:
        return "The picture as a whole looks like a photograph, not like a generator's output."
    return (
        "The picture as a whole is between a photograph and a generator's output; this "
        "test does not settle the question."
    )


def crop_figure(image: RGBImage, side: int, probability: float) -> Figure:
    """The square the detector judged, as small as it saw it, framed in its score's colour."""

    def framed() -> RGBImage:
        square = Image.fromarray(analysis_image(image, side))
        shown = np.asarray(square.resize((FIGURE_SIDE, FIGURE_SIDE), Image.Resampling.BILINEAR))
        frame = np.empty((FIGURE_SIDE + 2 * BORDER, FIGURE_SIDE + 2 * BORDER, 3), np.uint8)
        frame[:] = colour_of(probability, bands())
        frame[BORDER:-BORDER, BORDER:-BORDER] = shown
        return frame

    caption = (
        f"What this detector looked at: the centre square of the picture, reduced to {side} "
        f"pixels as in training. P(generated) = {probability:.2f} (frame colour: "
        "vermillion generated, orange unsure, bluish green photograph-like)."
    )
    return Figure("generated-crop", caption, framed)


def timeline_figure(frames: list[Keyframe], probabilities: list[float]) -> Figure:
    """P(generated) of each keyframe over time, over this detector's own bands."""
    points = [(record.time, p) for (record, _), p in zip(frames, probabilities, strict=True)]
    chart = line_chart(
        [Series("one keyframe", points, kind="points")],
        title="Does each frame look generated?",
        x_title="time into the video (seconds)",
        y_title="chance it was generated",
        y_range=(0.0, 1.0),
        bands=verdict_bands(REAL_BELOW, FAKE_ABOVE),
        rules=[Rule(0.5, "even odds")],
    )
    caption = (
        "Each point is one keyframe of the video, judged on its own; the file gets the "
        "median. A few high points among low ones usually mean an odd frame, not a fake."
    )
    return Figure("generated-timeline", caption, chart, "svg")


class GeneratedImageDetector:
    """Scores whole frames with the shipped (or a given) generated-image model."""

    name = NAME

    def __init__(self, model: GeneratedModel | None = None) -> None:
        self.model = model if model is not None else load_shipped_model()
        self.features = GeneratedFeatures(self.model.settings)

    def examine(self, media: AnalysedMedia) -> Evidence:
        frames = judgeable_keyframes(media, MIN_SIDE)
        if not frames:
            return Evidence(
                NAME,
                None,
                "The picture is too small to judge whether it was generated.",
                details={"frames": 0},
            )
        probabilities = self.model.probability(self.features(image for _, image in frames))
        probability = float(np.median(probabilities))
        scores = [float(p) for p in probabilities]
        if media.is_video:
            figure = timeline_figure(frames, scores)
        else:
            figure = crop_figure(frames[0][1], self.model.settings.side, probability)
        details = frame_details(frames, scores, self.model.settings.side, self.model.info)
        details["input_size"] = self.model.settings.input_size
        return Evidence(
            NAME,
            probability,
            summary_for(probability),
            details=details,
            figures=[figure],
            weight=SPEC.weight_for(media.is_video),
        )
