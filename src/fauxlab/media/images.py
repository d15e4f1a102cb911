"""Read and write still images with EXIF orientation applied and a decompression-bomb guard."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageOps, UnidentifiedImageError

from fauxlab.errors import CorruptMediaError, MediaTooLargeError, UnsupportedFormatError
from fauxlab.media._atomic import partial_path, publish, refuse_existing
from fauxlab.media.discover import check_readable_file
from fauxlab.media.limits import pixel_limit

DEFAULT_MAX_PIXELS = 64_000_000  # 8000 x 8000: above any camera a user is likely to hold
READABLE_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "BMP", "MPO"})  # MPO: multi-picture JPEG
_WRITE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP", ".bmp": "BMP"}
_LOSSY = frozenset({".jpg", ".jpeg", ".webp"})
_WIDE_MODES = frozenset({"I", "I;16", "I;16B", "I;16L", "I;16N"})  # 16-bit grey PNGs

RGBImage = NDArray[np.uint8]


def _open(path: Path) -> Image.Image:
    """Open lazily: the header is parsed, no pixel is decoded yet."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(path)
    except UnidentifiedImageError as exc:
        raise UnsupportedFormatError(
            f"{path}: not an image format fauxlab can read (JPEG, PNG, WebP, BMP)"
        ) from exc
    except Image.DecompressionBombError as exc:
        raise MediaTooLargeError(
            f"{path}: image is above the hard limit of "
            f"{2 * (Image.MAX_IMAGE_PIXELS or 0):,} pixels and is not decoded"
        ) from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise CorruptMediaError(f"{path}: image header is corrupt or truncated ({exc})") from exc


def _to_rgb(image: Image.Image) -> RGBImage:
    if image.mode in _WIDE_MODES:
        # Pillow's own conversion clips 16-bit grey to 255; keep the top 8 bits instead
        grey = (np.asarray(image).astype(np.int64) >> 8).clip(0, 255).astype(np.uint8)
        return np.repeat(grey[:, :, None], 3, axis=2)
    return np.asarray(image.convert("RGB"), dtype=np.uint8).copy()


def read_image(path: Path, max_pixels: int = DEFAULT_MAX_PIXELS) -> RGBImage:
    """Decode an image to an RGB uint8 array (H, W, 3), rotated as its EXIF says.

    The size is checked against `max_pixels` from the header, before any pixel is decoded.
    """
    check_readable_file(path)
    max_pixels = pixel_limit(max_pixels)
    with _open(path) as image:
        if image.format not in READABLE_FORMATS:
            raise UnsupportedFormatError(
                f"{path}: {image.format} images are not supported (use JPEG, PNG, WebP or BMP)"
            )
        width, height = image.size
        if width * height > max_pixels:
            raise MediaTooLargeError(
                f"{path}: {width}x{height} pixels exceeds the limit of {max_pixels:,} "
                "(raise `max_pixels` if you trust this file)",
                settings=["max_pixels"],
            )
        try:
            image.load()
            upright = ImageOps.exif_transpose(image)
            return _to_rgb(upright)
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise CorruptMediaError(f"{path}: image data is corrupt or truncated ({exc})") from exc


def write_image(path: Path, rgb: RGBImage, *, overwrite: bool = False, quality: int = 95) -> Path:
    """Write an RGB uint8 array (H, W, 3) atomically: the file appears whole or not at all."""
    suffix = path.suffix.lower()
    if suffix not in _WRITE_FORMATS:
        raise UnsupportedFormatError(
            f"{path}: cannot write '{suffix}' images (use {', '.join(_WRITE_FORMATS)})"
        )
    array = np.asarray(rgb)
    if array.dtype != np.uint8 or array.ndim != 3 or array.shape[2] != 3:
        raise ValueError(
            f"write_image needs an RGB uint8 array of shape (H, W, 3), "
            f"got {array.dtype} {array.shape}"
        )
    refuse_existing(path, overwrite)
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.fromarray(np.ascontiguousarray(array))
    options: dict[str, object] = {"quality": quality} if suffix in _LOSSY else {}
    partial = partial_path(path)
    try:
        image.save(partial, format=_WRITE_FORMATS[suffix], **options)
        publish(partial, path, overwrite)
    finally:
        partial.unlink(missing_ok=True)
    return path


def centre_square(image: RGBImage, size: int) -> RGBImage:
    """The largest centred square of `image`, resized (Lanczos) to size x size."""
    h, w = image.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    crop = image[top : top + side, left : left + side]
    if side == size:
        return np.ascontiguousarray(crop)
    resized = Image.fromarray(crop).resize((size, size), Image.Resampling.LANCZOS)
    return np.array(resized, dtype=np.uint8)
