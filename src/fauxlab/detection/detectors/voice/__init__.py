"""Voice detector: cloned and synthetic speech, in sound files and in the sound of videos."""

from fauxlab.detection.registry import DetectorSpec

SPEC = DetectorSpec(
    name="voice",
    about="listened to the speech for the traces vocoders and text-to-speech leave in its "
    "spectrum.",
    factory="fauxlab.detection.detectors.voice.detector:VoiceDetector",
    weight=1.0,
    card="voice.md",
    options={"model": "a voice model file (.safetensors) to use instead of the shipped one"},
    listens=True,
)
