"""Media in and out: images through Pillow, video and audio through PyAV."""

from fauxlab.media.audio import Audio, read_audio
from fauxlab.media.discover import IMAGE_SUFFIXES, MediaKind, expand_inputs, image_files, media_kind
from fauxlab.media.images import (
    DEFAULT_MAX_PIXELS,
    RGBImage,
    centre_square,
    read_image,
    write_image,
)
from fauxlab.media.sampling import Sampling
from fauxlab.media.video import Frame, VideoInfo, iter_frames, probe_video
from fauxlab.media.video_writer import VideoWriter

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "IMAGE_SUFFIXES",
    "Audio",
    "Frame",
    "MediaKind",
    "RGBImage",
    "Sampling",
    "VideoInfo",
    "VideoWriter",
    "centre_square",
    "expand_inputs",
    "image_files",
    "iter_frames",
    "media_kind",
    "probe_video",
    "read_audio",
    "read_image",
    "write_image",
]
