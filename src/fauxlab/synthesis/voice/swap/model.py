"""The voice swap network: a shared encoder that keeps what is said and drops who says
it, and one decoder per speaker that says it again in that speaker's voice.

Two devices strip the speaker from the code (docs/voice-swap.md):
- instance normalisation after every encoder convolution (no learned scale or shift):
  each channel's mean and spread over the utterance are removed, and those global
  statistics are where timbre lives (Chou et al. 2019, "One-shot voice conversion by
  separating speaker and content representations with instance normalization");
- a narrow bottleneck (16 channels a frame, against 80 mel bands in): too little room
  to carry the speaker beside the content, so reconstruction alone pushes it out of
  the code (Qian et al. 2019, AutoVC).
Each decoder learns only its own speaker's voice, as each face swap decoder learns one
face; a swap is encode(A) then decode with B.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from fauxlab.synthesis.voice.swap.features import BANDS

WIDTH = 192  # channels inside encoder and decoders
BOTTLENECK = 16  # channels of the shared code, per 10 ms frame
KERNEL = 5  # 50 ms of context per convolution; 4 layers see about 0.2 s
BLOCKS = 2
SPEAKERS = ("a", "b")


def _conv(inputs: int, outputs: int) -> nn.Conv1d:
    return nn.Conv1d(inputs, outputs, KERNEL, padding=KERNEL // 2)


class _EncoderBlock(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = _conv(WIDTH, WIDTH)
        self.norm = nn.InstanceNorm1d(WIDTH, affine=False)

    def forward(self, x: Tensor) -> Tensor:
        out: Tensor = x + nn.functional.leaky_relu(self.norm(self.conv(x)), 0.2)
        return out


class Encoder(nn.Module):
    """(batch, BANDS, frames) normalised log-mel -> (batch, BOTTLENECK, frames) code whose
    every channel has zero mean and unit spread over the utterance."""

    def __init__(self) -> None:
        super().__init__()
        self.first = _conv(BANDS, WIDTH)
        self.norm = nn.InstanceNorm1d(WIDTH, affine=False)
        self.blocks = nn.Sequential(*[_EncoderBlock() for _ in range(BLOCKS)])
        self.last = nn.Conv1d(WIDTH, BOTTLENECK, 1)
        self.code_norm = nn.InstanceNorm1d(BOTTLENECK, affine=False)

    def forward(self, mel: Tensor) -> Tensor:
        x = nn.functional.leaky_relu(self.norm(self.first(mel)), 0.2)
        code: Tensor = self.code_norm(self.last(self.blocks(x)))
        return code


class _DecoderBlock(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = _conv(WIDTH, WIDTH)

    def forward(self, x: Tensor) -> Tensor:
        out: Tensor = x + nn.functional.leaky_relu(self.conv(x), 0.2)
        return out


class Decoder(nn.Module):
    """(batch, BOTTLENECK, frames) code -> (batch, BANDS, frames) normalised log-mel in
    one speaker's voice."""

    def __init__(self) -> None:
        super().__init__()
        self.first = _conv(BOTTLENECK, WIDTH)
        self.blocks = nn.Sequential(*[_DecoderBlock() for _ in range(BLOCKS + 1)])
        self.last = _conv(WIDTH, BANDS)

    def forward(self, code: Tensor) -> Tensor:
        x = nn.functional.leaky_relu(self.first(code), 0.2)
        out: Tensor = self.last(self.blocks(x))
        return out


class VoiceSwapModel(nn.Module):
    """The shared encoder and the decoders of speakers a and b."""

    def __init__(self) -> None:
        super().__init__()
        self.encoder = Encoder()
        self.decoders = nn.ModuleDict({s: Decoder() for s in SPEAKERS})

    def forward(self, mel: Tensor, speaker: str) -> Tensor:
        """`mel` said again by `speaker` (a or b)."""
        out: Tensor = self.decoders[speaker](self.encoder(mel))
        return out


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@torch.no_grad()
def convert(model: VoiceSwapModel, mel: Tensor, speaker: str) -> Tensor:
    """Whole utterances (batch, BANDS, frames) through `model` to `speaker`, in eval mode."""
    model.eval()
    out: Tensor = model(mel, speaker)
    return out
