"""The fitted fusion's parameters: one calibration per detector, read from a small JSON.

A detector's say in the fused maximum is its weighted probability `q = min(1, w * p)`
put through a logistic calibration fitted on the development set:

    s = sigmoid(scale * logit(q) + shift)        (scale > 0, so s rises with q)

`scale` 1 and `shift` 0 give back `q` itself, which is what a detector the file does not
name gets (the interim weighted maximum). The file, assets/detectors/fusion.json, is
written by `benchmarks/fusion_fit.py`; its `fitted` block records the command, date,
data and held-out numbers, and fusion.md beside it is the model card.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from fauxlab.errors import InputError

FORMAT = "fauxlab.fusion/1"
EPSILON = 1e-12  # probabilities are clipped to [EPSILON, 1 - EPSILON] before the logit


@dataclass(frozen=True)
class Calibration:
    """How one detector's weighted probability is mapped before the maximum."""

    scale: float = 1.0
    shift: float = 0.0

    def apply(self, q: float) -> float:
        """The calibrated probability for a weighted probability `q` in [0, 1]."""
        if self.scale == 1.0 and self.shift == 0.0:
            return q  # identity, exactly: unknown detectors keep the interim rule
        return sigmoid(self.scale * logit(q) + self.shift)


IDENTITY = Calibration()


@dataclass(frozen=True)
class FusionParameters:
    """Per-detector calibrations; detectors not named here use IDENTITY."""

    detectors: dict[str, Calibration] = field(default_factory=dict)
    fitted: dict[str, Any] = field(default_factory=dict)  # command, date, data, metrics

    def calibration(self, name: str) -> Calibration:
        return self.detectors.get(name, IDENTITY)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "rule": "p = max_i sigmoid(scale_i * logit(min(1, w_i * p_i)) + shift_i)",
            "detectors": {
                name: {"scale": round(c.scale, 6), "shift": round(c.shift, 6)}
                for name, c in sorted(self.detectors.items())
            },
            "fitted": self.fitted,
        }


def logit(q: float) -> float:
    q = min(1.0 - EPSILON, max(EPSILON, q))
    return math.log(q / (1.0 - q))


def sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def parameters_from_dict(
    data: dict[str, Any], where: str = "fusion parameters"
) -> FusionParameters:
    """Check and read the JSON form written by `FusionParameters.to_dict`."""
    if data.get("format") != FORMAT:
        raise InputError(f"{where}: format is {data.get('format')!r}, expected {FORMAT!r}")
    detectors: dict[str, Calibration] = {}
    for name, entry in data.get("detectors", {}).items():
        scale, shift = float(entry["scale"]), float(entry["shift"])
        if not (scale > 0 and math.isfinite(scale) and math.isfinite(shift)):
            raise InputError(f"{where}: {name} needs a positive scale and a finite shift")
        detectors[name] = Calibration(scale, shift)
    return FusionParameters(detectors, dict(data.get("fitted", {})))


def read_parameters(path: Path) -> FusionParameters:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: cannot read fusion parameters ({exc})") from exc
    return parameters_from_dict(data, str(path))


@cache
def shipped_parameters() -> FusionParameters:
    """The parameters in fauxlab/assets/detectors/fusion.json; none (the interim weighted
    maximum for every detector) when the file is missing."""
    shipped = resources.files("fauxlab.assets").joinpath("detectors/fusion.json")
    if not shipped.is_file():
        return FusionParameters()
    return parameters_from_dict(json.loads(shipped.read_text(encoding="utf-8")), "fusion.json")
