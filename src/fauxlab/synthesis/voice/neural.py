"""A small neural vocoder trained here on the CPU: 80-band log-mel in, waveform out.

The generator follows MelGAN and HiFi-GAN (Kumar et al. 2019, Kong et al. 2020): a
convolution over the mel frames, then transposed convolutions that upsample by 4, 4 and 8
(the mel hop of 128 samples), each followed by a residual stack of dilated convolutions
(dilations 1, 3, 9) with leaky ReLUs, and a tanh. It is trained for minutes with the
multi-resolution STFT loss of Parallel WaveGAN (Yamamoto et al. 2020: spectral
convergence plus log-magnitude distance at three FFT sizes), without a discriminator:
what it makes sounds buzzy and smeared, but it is a network's waveform, with the
upsampling and smoothing traces of the vocoders behind modern TTS and voice cloning,
which none of the signal-processing vocoders have.

Only the training speakers may be used to fit it (`fauxlab.datasplit.SPEECH`); the
weights hold no audio and may be saved, the fakes it makes may not be written unsealed.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file
from torch import nn
from torch.nn import functional

from fauxlab.errors import ModelError
from fauxlab.synthesis.voice.vocoders import HOP, MEL_BANDS, N_FFT, Samples, _match, mel_filters
from fauxlab.training.checkpoint import load_weights

FORMAT = "fauxlab-neural-vocoder/1"
UPSAMPLING = (4, 4, 8)  # product = HOP
CHANNELS = (96, 48, 24, 12)
STFT_RESOLUTIONS = ((256, 64), (512, 128), (1024, 256))  # (FFT size, hop)
LOG_FLOOR = 1e-5


class ResidualStack(nn.Module):
    """Three dilated convolutions (1, 3, 9), each with a skip: a growing receptive field
    at the same rate."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.convs = nn.ModuleList(
            nn.Conv1d(channels, channels, 3, dilation=d, padding=d) for d in (1, 3, 9)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for conv in self.convs:
            x = x + conv(functional.leaky_relu(x, 0.2))
        return x


class Generator(nn.Module):
    """(B, 80, frames) log-mel -> (B, frames * 128) samples in [-1, 1]."""

    def __init__(self) -> None:
        super().__init__()
        self.pre = nn.Conv1d(MEL_BANDS, CHANNELS[0], 7, padding=3)  # (B, 96, F)
        ups, stacks = [], []
        for factor, (c_in, c_out) in zip(UPSAMPLING, itertools.pairwise(CHANNELS), strict=True):
            # (B, c_out, F * factor so far): kernel 2x the stride, centred
            ups.append(nn.ConvTranspose1d(c_in, c_out, 2 * factor, factor, padding=factor // 2))
            stacks.append(ResidualStack(c_out))
        self.ups = nn.ModuleList(ups)
        self.stacks = nn.ModuleList(stacks)
        self.post = nn.Conv1d(CHANNELS[-1], 1, 7, padding=3)  # (B, 1, F * 128)

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        x = self.pre(mel)
        for up, stack in zip(self.ups, self.stacks, strict=True):
            x = stack(up(functional.leaky_relu(x, 0.2)))
        return torch.tanh(self.post(functional.leaky_relu(x, 0.2))).squeeze(1)


def log_mel(wave: torch.Tensor, filters: torch.Tensor) -> torch.Tensor:
    """(B, samples) -> (B, 80, samples // 128) natural-log mel magnitudes."""
    spectrum = torch.stft(
        wave, N_FFT, HOP, window=torch.hann_window(N_FFT), center=True, return_complex=True
    ).abs()[..., : wave.shape[-1] // HOP]
    return torch.log(torch.clamp(filters @ spectrum, min=LOG_FLOOR))


def stft_loss(fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """Multi-resolution STFT loss: spectral convergence + L1 of log magnitudes."""
    total = fake.new_zeros(())
    for size, hop in STFT_RESOLUTIONS:
        window = torch.hann_window(size)
        a = torch.stft(fake, size, hop, window=window, return_complex=True).abs() + 1e-7
        b = torch.stft(real, size, hop, window=window, return_complex=True).abs() + 1e-7
        total = total + torch.linalg.norm(b - a) / torch.linalg.norm(b)
        total = total + functional.l1_loss(torch.log(a), torch.log(b))
    return total / len(STFT_RESOLUTIONS)


@dataclass
class NeuralVocoder:
    """A trained generator, used as a vocoder: samples in, resynthesised samples out."""

    generator: Generator
    rate: int
    info: dict[str, str]

    def __call__(self, samples: Samples, rate: int) -> Samples:
        if rate != self.rate:
            raise ModelError(f"the neural vocoder was trained at {self.rate} Hz, not {rate}")
        filters = torch.from_numpy(mel_filters(rate).astype(np.float32))
        wave = torch.from_numpy(np.asarray(samples, np.float32))
        padded = functional.pad(wave, (0, HOP - len(wave) % HOP))[None]
        with torch.no_grad():
            out = self.generator(log_mel(padded, filters))[0]
        return _match(out.numpy().astype(np.float64), samples)

    def save(self, path: Path) -> None:
        metadata = {"format": FORMAT, "rate": str(self.rate), **self.info}
        save_file(dict(self.generator.state_dict()), str(path), metadata)

    def parameters(self) -> int:
        return sum(p.numel() for p in self.generator.parameters())


def load_vocoder(path: Path) -> NeuralVocoder:
    """Read a saved neural vocoder; a missing, damaged or foreign file is a ModelError."""
    state, metadata = load_weights(path)
    if metadata.get("format") != FORMAT:
        raise ModelError(f"{path}: not a fauxlab neural vocoder (format {metadata.get('format')})")
    generator = Generator()
    try:
        generator.load_state_dict(state)
    except RuntimeError as exc:
        raise ModelError(f"{path}: vocoder file does not match the code ({exc})") from exc
    generator.eval()
    info = {k: v for k, v in metadata.items() if k not in ("format", "rate")}
    return NeuralVocoder(generator, int(metadata.get("rate", "16000")), info)


def train_vocoder(
    clips: Sequence[Samples],
    rate: int,
    steps: int = 1500,
    batch: int = 8,
    segment: int = 8192,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> NeuralVocoder:
    """Fit a generator to real `clips` (training speakers only) by the STFT loss on random
    `segment`-sample pieces; Adam 1e-3, halved for the last quarter of the steps."""
    usable = [np.asarray(c, np.float32) for c in clips if len(c) > segment]
    if not usable:
        raise ModelError(f"the neural vocoder needs clips longer than {segment} samples")
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    generator = Generator()
    filters = torch.from_numpy(mel_filters(rate).astype(np.float32))
    optimiser = torch.optim.Adam(generator.parameters(), lr=1e-3, betas=(0.8, 0.99))
    last = float("nan")
    for step in range(steps):
        if step == 3 * steps // 4:
            for group in optimiser.param_groups:
                group["lr"] = 5e-4
        pieces = []
        for k in rng.integers(len(usable), size=batch):
            clip = usable[int(k)]
            start = int(rng.integers(len(clip) - segment))
            piece = clip[start : start + segment]
            pieces.append(piece / max(float(np.abs(piece).max()), 1e-3) * 0.9)  # full level
        real = torch.from_numpy(np.stack(pieces))
        fake = generator(log_mel(real, filters))
        loss = stft_loss(fake, real)
        optimiser.zero_grad()
        loss.backward()  # type: ignore[no-untyped-call]
        optimiser.step()
        last = float(loss.item())
        if progress is not None:
            progress(step + 1, steps)
    generator.eval()
    info = {"steps": str(steps), "clips": str(len(usable)), "loss": f"{last:.4f}"}
    return NeuralVocoder(generator, rate, {"training": json.dumps(info)})
