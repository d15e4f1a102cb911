"""Degradations applied to real and fake crops alike, so that compression, scaling and
blur, which every shared video has, cannot decide the answer.

The video-codec chain (opt-in: `fauxlab detector train --video-codec`) exists because a
detector trained without it calls re-encoded real faces blends: H.264's blocks, deblocking
and 4:2:0 chroma, and an upscale after the encode, look like a pasted face's misfit to it
(`benchmarks/learned_codec.py`)."""

from __future__ import annotations

import io

import av
import cv2
import numpy as np

from fauxlab.media.images import RGBImage

CODEC_SHARE = 0.4  # of crops (real and fake alike) given the video-codec chain


def jpeg(image: RGBImage, quality: int) -> RGBImage:
    ok, encoded = cv2.imencode(".jpg", image[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        return image
    decoded = cv2.imdecode(encoded, cv2.IMREAD_COLOR)
    return np.ascontiguousarray(decoded[..., ::-1])


def rescale(image: RGBImage, factor: float) -> RGBImage:
    h, w = image.shape[:2]
    small = cv2.resize(image, (max(8, round(w * factor)), max(8, round(h * factor))),
                       interpolation=cv2.INTER_AREA)  # fmt: skip
    return np.asarray(cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR), dtype=np.uint8)


def h264(image: RGBImage, crf: int) -> RGBImage:
    """`image` as one H.264 frame (libx264, yuv420p, constant quality `crf`) and back."""
    height, width = image.shape[:2]
    padded = np.pad(image, ((0, height % 2), (0, width % 2), (0, 0)), mode="edge")
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="h264") as out:
        stream = out.add_stream("libx264", rate=25)
        stream.width, stream.height = padded.shape[1], padded.shape[0]
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": str(crf), "preset": "veryfast"}
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(padded), format="rgb24")
        for packet in [*stream.encode(frame), *stream.encode()]:
            out.mux(packet)
    buffer.seek(0)
    with av.open(buffer, "r", format="h264") as decoded:
        pixels = next(decoded.decode(video=0)).to_ndarray(format="rgb24")
    return np.ascontiguousarray(pixels[:height, :width])


def video_codec(image: RGBImage, rng: np.random.Generator) -> RGBImage:
    """A face as web video brings it: often shrunk, encoded as H.264, enlarged again."""
    height, width = image.shape[:2]
    factor = rng.uniform(0.4, 1.0) if rng.random() < 0.6 else 1.0
    small = image
    if factor < 1.0:
        size = (max(16, round(width * factor)), max(16, round(height * factor)))
        small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    coded = h264(small, int(rng.integers(20, 41)))
    if coded.shape[:2] != (height, width):
        coded = cv2.resize(coded, (width, height), interpolation=cv2.INTER_CUBIC)
    return np.asarray(coded, dtype=np.uint8)


def degrade(image: RGBImage, rng: np.random.Generator, codec: bool = False) -> RGBImage:
    """A random mix of down-scaling, blur, noise, (with `codec`) a video codec and JPEG, in
    the order sharing applies them. Without `codec` the random draws are those of runs made
    before the codec existed, so their commands still give the same batches."""
    out = image
    if rng.random() < 0.3:
        out = rescale(out, rng.uniform(0.4, 0.9))
    if rng.random() < 0.2:
        out = np.asarray(cv2.GaussianBlur(out, (0, 0), rng.uniform(0.3, 1.2)), dtype=np.uint8)
    if rng.random() < 0.1:
        noise = rng.normal(0, rng.uniform(1, 5), out.shape)
        out = np.clip(out + noise, 0, 255).astype(np.uint8)
    if codec and rng.random() < CODEC_SHARE:
        out = video_codec(out, rng)
    if rng.random() < 0.6:
        out = jpeg(out, int(rng.integers(40, 96)))
    return out
