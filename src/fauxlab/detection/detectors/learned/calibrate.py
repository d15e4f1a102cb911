"""Platt scaling: turn the network's logit into a probability that means what it says.

A network trained with cross-entropy is usually over-confident. Fitting sigmoid(a * logit
+ b) on held-out faces (never trained on) corrects that. The held-out fakes are
self-blends, so the probabilities are calibrated for blending traces like those; on a
different kind of forgery they are a score, and the report says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch.nn import functional


@dataclass(frozen=True)
class Platt:
    scale: float = 1.0
    bias: float = 0.0

    def probability(self, logits: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(logits * self.scale + self.bias)


def fit_platt(logits: torch.Tensor, labels: torch.Tensor, steps: int = 200) -> Platt:
    """Minimise the log loss of sigmoid(a * logit + b) with L-BFGS."""
    params = torch.tensor([1.0, 0.0], dtype=torch.float64, requires_grad=True)
    x, y = logits.double().detach(), labels.double().detach()
    optimiser = torch.optim.LBFGS([params], lr=0.5, max_iter=steps)

    def closure() -> torch.Tensor:
        optimiser.zero_grad()
        loss = functional.binary_cross_entropy_with_logits(x * params[0] + params[1], y)
        loss.backward()  # type: ignore[no-untyped-call]
        return loss

    optimiser.step(closure)  # type: ignore[no-untyped-call]
    scale, bias = (float(v) for v in params.detach())
    if not (scale > 0 and abs(bias) < 1e3):  # degenerate split: keep the raw logits
        return Platt()
    return Platt(scale, bias)


@dataclass(frozen=True)
class Validation:
    """What one evaluation on the held-out faces gave: AUC clean and after JPEG 75, and
    the calibration fitted there (what an exported detector records)."""

    auc: float
    auc_jpeg75: float
    calibration: Platt = field(default_factory=Platt)
