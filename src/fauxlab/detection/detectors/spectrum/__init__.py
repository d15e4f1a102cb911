"""Spectral detector: GAN up-sampling traces in an image's power spectrum (Durall et al. 2020)."""

from fauxlab.detection.registry import DetectorSpec

SPEC = DetectorSpec(
    name="spectrum",
    about="looked at the whole picture's frequency spectrum for the regular patterns "
    "image generators leave.",
    factory="fauxlab.detection.detectors.spectrum.detector:SpectrumDetector",
    weight=1.0,
    video_weight=0.5,  # compression blurs the fine-detail spectrum
    card="spectrum.md",
)
