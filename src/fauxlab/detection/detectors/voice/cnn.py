"""The voice detector's small CNN: a light CNN (LCNN, Wu et al. 2018; the ASVspoof
LFCC-LCNN baseline) on the log power spectrogram of each 2 s window of speech.

Max-feature-map activations (each layer's channels in two halves, the larger kept) act
as a learned selection of which spectral traces matter; five 3x3 convolutions (the
first strided by 2, the full-size maps being what costs most on a CPU; the next three
followed by pooling) bring a window (257 bins x 200 frames) to 32 maps of 17 bands,
pooled over time by mean and max, so where in the band a trace lies still counts.
96 k parameters, in the range of AASIST-L (85 k). The windows are the linear model's (the
same speech rule), the file's probability the calibrated mean of their logits.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from safetensors.torch import save
from torch import nn

from fauxlab.detection.detectors.voice.features import (
    MIN_SPEECH_SHARE,
    FloatArray,
    Judgement,
    LfccSettings,
    frame_levels,
    log_spectrogram,
    speech_frames,
)
from fauxlab.detection.detectors.voice.model import CNN_FORMAT
from fauxlab.detection.linear import sigmoid
from fauxlab.errors import ModelError
from fauxlab.fileio import write_durably
from fauxlab.training.checkpoint import load_weights

FORMAT = CNN_FORMAT
WIDTHS = (16, 24, 32, 48, 64)  # convolution outputs (halved by max-feature-map)
BANDS_AFTER = 17  # frequency rows left after four (ceil) poolings of 257 bins
DYNAMIC_RANGE_DB = 90.0  # below the window's loudest bin everything is the floor
MIN_FRAMES = 16  # the four poolings need at least this many frames
BATCH = 64  # windows scored at once


class MaxFeatureMap(nn.Module):
    """Split the channels in two halves and keep the elementwise larger."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a, b = torch.chunk(x, 2, dim=1)
        return torch.maximum(a, b)


class Lcnn(nn.Module):
    """(B, 1, 257 bins, frames) normalised log spectrogram -> (B,) logits."""

    def __init__(self) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        channels = 1
        for i, width in enumerate(WIDTHS):
            # the first convolution strides by 2 (the full-size maps cost most), the next
            # three are followed by pooling: (B, c, bins / 2^(i+1), frames / 2^(i+1))
            stride = 2 if i == 0 else 1
            layers += [nn.Conv2d(channels, width, 3, stride, padding=1), MaxFeatureMap()]
            channels = width // 2
            layers.append(nn.BatchNorm2d(channels))
            if 0 < i < 4:
                layers.append(nn.MaxPool2d(2, ceil_mode=True))
        self.body = nn.Sequential(*layers)  # (B, 32, 17, frames / 16)
        features = 2 * channels * BANDS_AFTER
        self.head = nn.Sequential(
            nn.Linear(features, 64), MaxFeatureMap(), nn.Dropout(0.5), nn.Linear(32, 1)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        maps = self.body(x)  # (B, 32, 17, T)
        pooled = torch.cat([maps.mean(dim=3), maps.amax(dim=3)], dim=1).flatten(1)
        out: torch.Tensor = self.head(pooled).squeeze(1)
        return out


def normalised(spectrum: NDArray[np.float64]) -> FloatArray:
    """A window's dB spectrogram (frames x bins) as the network sees it: bins x frames,
    its loudest bin at 0, the floor 90 dB below, in units of 20 dB (so loudness, which
    vocoded copies match, does not matter)."""
    top = float(spectrum.max())
    out: FloatArray = ((np.maximum(spectrum, top - DYNAMIC_RANGE_DB) - top) / 20.0 + 2.0).T
    return out.astype(np.float32)


@dataclass(frozen=True)
class Windows:
    """The judged windows of a recording: their spectrograms and where they lie."""

    spectra: list[FloatArray]  # each bins x frames (all 200 frames but a lone short one)
    starts: NDArray[np.float64]  # seconds
    ends: NDArray[np.float64]


def speech_windows(samples: FloatArray, settings: LfccSettings) -> Windows:
    """The same windows as `windows.segment_features` (2 s every second, at least half
    speech; a recording shorter than a window is one window), as spectrograms."""
    spectrum = log_spectrogram(samples, settings)
    speech = speech_frames(frame_levels(samples, settings))
    length, hop = settings.segment_frames, settings.segment_hop_frames
    spectra: list[FloatArray] = []
    kept: list[int] = []
    for start in range(0, max(1, len(spectrum) - length + 1), hop):
        mask = speech[start : start + length]
        if mask.size == 0 or mask.mean() < MIN_SPEECH_SHARE:
            continue
        piece = spectrum[start : start + length]
        if len(piece) < MIN_FRAMES:
            piece = np.pad(piece, ((0, MIN_FRAMES - len(piece)), (0, 0)), mode="wrap")
        spectra.append(normalised(piece))
        kept.append(start)
    first = np.array(kept, np.float64) * settings.hop / settings.rate
    end = np.minimum(first + settings.segment_seconds, len(samples) / settings.rate)
    return Windows(spectra, first, end)


def network_logits(net: Lcnn, spectra: list[FloatArray]) -> NDArray[np.float64]:
    """Uncalibrated logits of windows, BATCH at a time (same-sized windows batched)."""
    net.eval()
    out: list[float] = []
    with torch.no_grad():
        for at in range(0, len(spectra), BATCH):
            group = spectra[at : at + BATCH]
            if len({s.shape for s in group}) == 1:
                out += net(torch.from_numpy(np.stack(group))[:, None]).tolist()
            else:
                out += [float(net(torch.from_numpy(s)[None, None])[0]) for s in group]
    return np.array(out, np.float64)


@dataclass(kw_only=True)
class CnnVoiceModel:
    """The LCNN with its Platt scaling and the window settings it was trained with."""

    settings: LfccSettings
    net: Lcnn
    platt: tuple[float, float] = (1.0, 0.0)
    info: dict[str, str] = field(default_factory=dict)

    def judge(self, samples: FloatArray) -> Judgement:
        found = speech_windows(samples, self.settings)
        if not found.spectra:
            return Judgement(found.starts, found.ends, np.zeros(0), None)
        logits = network_logits(self.net, found.spectra)
        a, b = self.platt
        window_p = sigmoid(a * logits + b)
        probability = float(sigmoid(np.array(a * logits.mean() + b)))
        return Judgement(found.starts, found.ends, window_p, probability)

    def metrics(self) -> dict[str, Any]:
        text = self.info.get("metrics")
        return dict(json.loads(text)) if text else {}

    def parameters(self) -> int:
        return sum(p.numel() for p in self.net.parameters())

    def save(self, path: Path) -> None:
        tensors = {k: v.contiguous() for k, v in self.net.state_dict().items()}
        tensors["platt"] = torch.tensor(self.platt, dtype=torch.float32)
        metadata = {"format": FORMAT, "settings": self.settings.to_json(), **self.info}
        write_durably(path, save(tensors, metadata))


def load_cnn_model(path: Path) -> CnnVoiceModel:
    """Read a CNN voice model; a damaged or mismatched file is a ModelError."""
    tensors, metadata = load_weights(path)
    if metadata.get("format") != FORMAT:
        raise ModelError(f"{path}: not a fauxlab voice CNN (format {metadata.get('format')})")
    net = Lcnn()
    try:
        settings = LfccSettings.from_json(metadata["settings"])
        platt = tensors.pop("platt").tolist()
        net.load_state_dict(tensors)
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise ModelError(f"{path}: model file does not match the detector's code ({exc})") from exc
    if not all(bool(torch.isfinite(v).all()) for v in tensors.values()):
        raise ModelError(f"{path}: model file holds non-finite numbers")
    net.eval()
    info = {k: v for k, v in metadata.items() if k not in ("format", "settings")}
    return CnnVoiceModel(settings=settings, net=net, platt=(platt[0], platt[1]), info=info)
