"""Generated-image detector: a linear probe on frozen ImageNet features (Ojha et al. 2023)."""

from fauxlab.detection.registry import DetectorSpec

SPEC = DetectorSpec(
    name="generated",
    about="an image-recognition network, with a small classifier trained on our own "
    "GAN pictures against photographs, judged whether the whole picture was generated.",
    factory="fauxlab.detection.detectors.generated.detector:GeneratedImageDetector",
    weight=1.0,
    video_weight=0.5,  # trained on stills; codecs smear texture; generated video is rare
    card="generated.md",
)
