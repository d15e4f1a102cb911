"""Expression consistency: does B's decoder keep A's mouth as open as A's was?

Reconstruction never asks this of a decoder: in training each decoder only draws its own
person's codes, so A's codes reach B's decoder for the first time at conversion, and a
short run draws B's average mouth for them (BENCHMARKS.md: a 30-minute d6 -> d10 model
kept 0.78 of the eye signal but 0.39 of the mouth). Here a small probe learns, from the
real faces of both people, to read mouth opening (the landmarks' inner-lip gap over mouth
width) off a crop; each step the swaps A -> B and B -> A are then asked to read as open
as their source faces. The probe is frozen for that term, so it is the decoders that move.
"""

from __future__ import annotations

from torch import Tensor, nn


class MouthProbe(nn.Module):
    """Face crop (B x 3 x S x S, 0..1) -> mouth opening (B,); about 40k parameters."""

    def __init__(self, width: int = 16) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        channels = 3
        for out in (width, 2 * width, 4 * width, 4 * width):
            layers += [nn.Conv2d(channels, out, 3, stride=2, padding=1), nn.LeakyReLU(0.1)]
            channels = out
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(channels, 1)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x).mean(dim=(2, 3))).squeeze(1)  # type: ignore[no-any-return]


def probe_loss(probe: MouthProbe, faces: Tensor, openness: Tensor) -> Tensor:
    """L1 of the probe's reading of real faces (the probe learns; the faces do not)."""
    error: Tensor = (probe(faces.detach()) - openness).abs().mean()
    return error


def consistency_loss(probe: MouthProbe, swapped: Tensor, openness: Tensor) -> Tensor:
    """L1 between the probe's reading of swapped faces and their sources' opening; the
    probe's weights take no gradient from it."""
    for weight in probe.parameters():
        weight.requires_grad_(False)
    try:
        error: Tensor = (probe(swapped) - openness).abs().mean()
        return error
    finally:
        for weight in probe.parameters():
            weight.requires_grad_(True)


__all__ = ["MouthProbe", "consistency_loss", "probe_loss"]
