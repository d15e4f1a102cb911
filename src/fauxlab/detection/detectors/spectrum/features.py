"""Spectral features of a whole image (Durall et al. 2020, "Watch your up-convolution").

Generators build images by repeated 2x up-sampling. Every up-sampling step leaves copies
of the low-frequency content near the Nyquist frequency that the following convolutions
never fully remove, so a generated image carries too much (or oddly shaped) energy in
its finest details. Averaging the 2D power spectrum over rings of equal frequency turns
this into a 1-D curve that a linear classifier can read.

The image is first brought to a fixed analysis side (short side = `side` pixels, Lanczos),
so every input size maps onto the same frequency grid: the generators we train on work at
64 px, and their traces live at the top of a 64 px spectrum. Frequencies are in cycles
per pixel of that analysis image (0 = flat, 0.5 = Nyquist along an axis, 0.71 = corner).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from fauxlab.detection.linear import JsonSettings
from fauxlab.errors import InputError
from fauxlab.media.images import RGBImage

FloatArray = NDArray[np.float32]
MAX_ASPECT = 2.0  # a wider image is centre-cropped to this aspect before analysis
MIN_SIDE = 16  # below this there is no spectrum worth reading
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)  # ITU-R BT.601, as JPEG uses
_EPS = 1e-8
CORNER = float(np.sqrt(0.5))  # the highest frequency on a 2D grid, cycles per pixel


@dataclass(frozen=True)
class FeatureSettings(JsonSettings):
    """How features are computed; stored in the model file so training and use agree."""

    side: int = 64  # short side of the analysis image, pixels
    bins: int = 32  # rings of the radial profile between 0 and the corner frequency
    window: bool = True  # Hann window: the image border otherwise floods the spectrum
    directional: bool = True  # also axis and diagonal profiles of the top half

    @property
    def size(self) -> int:
        """Length of the feature vector."""
        return self.bins + (self.bins if self.directional else 0)


def greyscale(image: RGBImage) -> FloatArray:
    """(H, W, 3) uint8 -> (H, W) float32 luma in [0, 1]; a 2-D array passes through."""
    pixels = np.asarray(image, dtype=np.float32) / 255.0
    if pixels.ndim == 2:
        return pixels
    return np.asarray(pixels[..., :3] @ _LUMA, dtype=np.float32)


def analysis_image(image: RGBImage, side: int) -> FloatArray:
    """Greyscale, centre-cropped to at most MAX_ASPECT, short side resized to `side`.

    Large images are first reduced by whole factors (box filter) for speed, then Lanczos
    brings them to the exact side: the same filter the training reals went through."""
    h, w = image.shape[:2]
    if min(h, w) < MIN_SIDE:
        raise InputError(f"image of {w}x{h} pixels is too small for spectral analysis")
    long_max = int(min(h, w) * MAX_ASPECT)
    top, left = max(0, (h - long_max) // 2), max(0, (w - long_max) // 2)
    grey = greyscale(image[top : top + long_max, left : left + long_max])
    h, w = grey.shape
    scale = side / min(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    if size == (w, h):
        return grey
    resized = Image.fromarray(grey).resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    return np.asarray(resized, dtype=np.float32)


@cache
def _hann(h: int, w: int) -> FloatArray:
    return np.outer(np.hanning(h), np.hanning(w)).astype(np.float32)


@cache
def _rings(h: int, w: int, bins: int) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """For an (h, w) spectrum: each frequency's ring index (-1 for DC) and its direction
    (1 within 22.5 degrees of an axis, 0 nearer a diagonal)."""
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.fftfreq(w)[None, :]
    radius = np.sqrt(fy**2 + fx**2)
    ring = np.minimum((radius / CORNER * bins).astype(np.intp), bins - 1)
    ring[0, 0] = -1
    angle = np.abs(np.arctan2(np.abs(fy), np.abs(fx)) - np.pi / 4)  # 0 on a diagonal
    direction = (angle > np.pi / 8).astype(np.intp)
    return ring, direction


def log_power(grey: FloatArray, window: bool) -> FloatArray:
    """log10 of the 2D power spectrum of a zero-mean image (unshifted FFT order)."""
    pixels = grey - grey.mean()
    if window:
        pixels = pixels * _hann(*pixels.shape)
    power = np.abs(np.fft.fft2(pixels)) ** 2 / pixels.size
    return np.asarray(np.log10(power + _EPS), dtype=np.float32)


def _ring_mean(values: FloatArray, ring: NDArray[np.intp], bins: int) -> FloatArray:
    inside = ring >= 0
    sums = np.bincount(ring[inside], weights=values[inside], minlength=bins)
    counts = np.bincount(ring[inside], minlength=bins)
    means = sums / np.maximum(counts, 1)
    if (counts == 0).any():  # an image far from square can leave a ring empty
        filled = counts > 0
        centres = np.arange(bins)
        means = np.interp(centres, centres[filled], means[filled])
    return np.asarray(means, dtype=np.float32)


def features_of_grey(grey: FloatArray, settings: FeatureSettings) -> FloatArray:
    """The feature vector of an analysis image: the radial profile, then (if enabled)
    the difference between the axis and diagonal profiles (up-sampling leaves its
    copies along the axes and at the corner, natural texture has no such preference)."""
    spectrum = log_power(grey, settings.window)
    ring, direction = _rings(*grey.shape, settings.bins)
    profile = _ring_mean(spectrum, ring, settings.bins)
    parts = [profile - profile.mean()]
    if settings.directional:
        axes = _ring_mean(spectrum, np.where(direction == 1, ring, -1), settings.bins)
        diagonal = _ring_mean(spectrum, np.where(direction == 0, ring, -1), settings.bins)
        parts.append(axes - diagonal)
    return np.asarray(np.concatenate(parts), dtype=np.float32)


def spectrum_features(image: RGBImage, settings: FeatureSettings) -> FloatArray:
    """The feature vector of an RGB (or grey) image of any size from MIN_SIDE up."""
    return features_of_grey(analysis_image(image, settings.side), settings)


def frequencies(settings: FeatureSettings) -> FloatArray:
    """The centre frequency of each ring, cycles per pixel of the analysis image."""
    return ((np.arange(settings.bins) + 0.5) * CORNER / settings.bins).astype(np.float32)
