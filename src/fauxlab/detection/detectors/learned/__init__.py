"""The learned face-forgery detector: Lite0 trained on self-blended images."""

from fauxlab.detection.registry import DetectorSpec

SPEC = DetectorSpec(
    name="learned",
    about="a neural network trained to spot the blending boundary of a pasted face "
    "looked at each face.",
    factory="fauxlab.detection.detectors.learned.detector:LearnedFaceDetector",
    options={
        "model": "a learned detector (.safetensors or a training run) to use "
        "instead of the shipped one"
    },
    card="learned.md",
)
