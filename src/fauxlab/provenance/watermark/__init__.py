"""Invisible watermark: a 32-bit payload (the ledger's watermark id) in pixels.

    marked = embed(image, payload)          # RGB uint8 in, same size out, PSNR ~40 dB
    reading = extract(marked)               # WatermarkReading(found, payload, ...)
    mark_video(src, dst, payload)           # every frame, audio kept
    read_video(dst)                         # pooled over sampled frames
    embed_audio(samples, rate, payload)     # the same id in a sound (see `_audio`)
    read_sound_file(path)                   # AudioWatermarkReading

The scheme (chosen by measurement; see BENCHMARKS.md, "Watermark"): spread spectrum on
luma in a resolution-normalised grid, so resizing costs nothing; a tile of ±1 chips
repeated over the picture, so a crop still holds whole tiles, found again by a known
pilot; a K=7 rate-1/3 convolutional code with soft Viterbi decoding for the 32 bits; and
a decoder that whitens by local energy and undoes the edits reposts make (a mirror, a
rotation of up to 10 degrees, a crop of any aspect, letterbox or pillarbox bars) through
the mark's own periodicity (see `_detect`), and says which it undid
(`WatermarkReading.undone`). `found` is decided at a false-positive rate of at most 1e-6
from a Hoeffding + union bound over every hypothesis a reading decodes.
"""

from fauxlab.provenance.watermark._audio import (
    AudioWatermarkReading,
    embed_audio,
    extract_audio,
    read_sound_file,
)
from fauxlab.provenance.watermark._detect import FALSE_POSITIVE_RATE, THRESHOLD
from fauxlab.provenance.watermark._image import (
    MIN_SIDE,
    RGBImage,
    WatermarkReading,
    embed,
    extract,
)
from fauxlab.provenance.watermark._layout import DEFAULT_KEY, PAYLOAD_BITS
from fauxlab.provenance.watermark._video import (
    embed_frames,
    extract_frames,
    mark_video,
    read_video,
)

__all__ = [
    "DEFAULT_KEY",
    "FALSE_POSITIVE_RATE",
    "MIN_SIDE",
    "PAYLOAD_BITS",
    "THRESHOLD",
    "AudioWatermarkReading",
    "RGBImage",
    "WatermarkReading",
    "embed",
    "embed_audio",
    "embed_frames",
    "extract",
    "extract_audio",
    "extract_frames",
    "mark_video",
    "read_sound_file",
    "read_video",
]
