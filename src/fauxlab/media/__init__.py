"""Media in and out: images through Pillow, video and audio through PyAV."""

from fauxlab.media.audio import Audio, read_audio
from fauxlab.media.discover import MediaKind, expand_inputs, media_kind
from fauxlab.media.images import DEFAULT_MAX_PIXELS, read_image, write_image
from fauxlab.media.sampling import Sampling
from fauxlab.media.video import Frame, VideoInfo, VideoWriter, iter_frames, probe_video

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "Audio",
    "Frame",
    "MediaKind",
    "Sampling",
    "VideoInfo",
    "VideoWriter",
    "expand_inputs",
    "iter_frames",
    "media_kind",
    "probe_video",
    "read_audio",
    "read_image",
    "write_image",
]
